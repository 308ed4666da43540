// Every exercise that declares a submission is gradable: the scripted solution's files, handed in as a folder, a .tar.gz
// or a .zip, get full marks through `grade`, and the start state's files fail exactly the criteria the exercise is about.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { submissionPaths } from '../exercises/define.ts'
import { exercises } from '../exercises/index.ts'
import type { Exercise } from '../exercises/load.ts'
import { testSession } from '../sandbox/test-session.ts'
import { gradeSubmission, SERVICE_KEY, type SubmissionGrade } from './grade.ts'
import { harvest, writeSubmission, type Harvest, type SubmissionFiles, type SubmissionModes } from './harvest.ts'
import { gzip, tarArchive, zipArchive } from './test-support/archives.ts'

type Format = 'folder' | 'tar.gz' | 'zip'
const FORMATS: readonly Format[] = ['folder', 'tar.gz', 'zip']

const gradable = exercises.filter((e) => e.manifest.submission.length > 0)
// HARVEST_ONLY=id1,id2 narrows a run while working on a few exercises.
const only = process.env['HARVEST_ONLY']?.split(',').filter(Boolean)
const selected = only ? gradable.filter((e) => only.includes(e.id)) : gradable

let work: string
const timings: string[] = []

// Exercises run two at a time (three sandboxes each at most): sandbox start-up is mostly waiting on Docker and Pebble.
const PARALLEL = Number(process.env['HARVEST_PARALLEL'] ?? 2)
let running = 0
const waiting: (() => void)[] = []
async function slot<T>(fn: () => Promise<T>): Promise<T> {
  while (running >= PARALLEL) await new Promise<void>((r) => waiting.push(r))
  running++
  try {
    return await fn()
  } finally {
    running--
    waiting.shift()?.()
  }
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'stl-harvest-'))
})

afterAll(() => {
  rmSync(work, { recursive: true, force: true })
  if (timings.length) process.stderr.write(`\nharvest + grade timings (s):\n${timings.map((t) => `  ${t}\n`).join('')}`)
})

const log = (l: string): void => void (process.env['HARVEST_LOG'] && process.stderr.write(`  ${l}\n`))

function explain(g: SubmissionGrade): string {
  return [
    `${g.learner}: ${g.verdict} ${g.score}/${g.maxScore} (full ${g.fullScore}) ${g.reason?.en ?? ''}`,
    ...g.criteria.map((c) => `  ${c.status} ${c.key}: ${c.summary.en}\n    ${c.evidence.lines.slice(0, 12).join('\n    ')}`),
  ].join('\n')
}

/** Packs files as a learner would: a folder by basename, a .tar.gz mirroring the absolute paths, or a .zip in a wrapping folder. */
function pack(name: string, files: SubmissionFiles, modes: SubmissionModes, as: Format): string {
  if (as === 'folder') return writeSubmission(path.join(work, name), files, modes)
  if (as === 'tar.gz') {
    const p = path.join(work, `${name}.tar.gz`)
    writeFileSync(p, gzip(tarArchive([...files].map(([abs, content]) => ({ path: abs.slice(1), content, mode: modes.get(abs) ?? 0o644 })))))
    return p
  }
  const p = path.join(work, `${name}.zip`)
  const entries = [...files].map(([abs, content]) => ({ name: `${name}/${path.posix.basename(abs)}`, content, deflate: true, unixMode: 0o100000 | (modes.get(abs) ?? 0o644) }))
  writeFileSync(p, zipArchive(entries))
  return p
}

/** The scoring rule's "complete" state, whichever way the grade spells it. */
function stateOf(g: SubmissionGrade): string {
  const s = (g as SubmissionGrade & { state?: string }).state
  return s ?? (g.inconclusive.length === 0 ? 'complete' : 'incomplete')
}

const secs = (ms: number | undefined): string => ((ms ?? 0) / 1000).toFixed(1)

/**
 * Exercises that cannot reach full marks through `grade` today, for reasons outside the exercise (see the report of
 * issue 9): these tests are expected to fail, and start failing as "unexpectedly passed" once the cause is fixed.
 * - pebble (resolved, sandbox/lab-roots.ts: grading trusts every Pebble root this machine's labs used; the label stays
 *   until each exercise is shown to pass): a submitted certificate comes from the harvest sandbox's Pebble, whose root
 *   the grading sandbox's Pebble (a new root at every start) never had.
 * - owner (resolved, grading/ownership.ts: the submitted mode, and the archive's or the manifest's owner, reach the
 *   graded container).
 * - start-fails: the start state breaks both key pairs, so every cert.trusted criterion fails there too, but
 *   startFails names only the two file criteria; the solution gets full marks.
 * - grader-log: one of the checks' own probes, in the second after the restart, makes Exim log
 *   `TLS error on connection from [gateway] (gnutls_handshake): (unknown error code)`, which then fails
 *   exim.log.no-tls-errors; every other criterion passes. (The wait for port 465 made such errors too, with a bare
 *   connect: it now completes the handshake, grading/service.ts.)
 */
const BLOCKED: Readonly<Record<string, string>> = {
  'exim-break-fix-private-key': 'start-fails',
  'exim-production-checklist': 'grader-log',
}

async function gradeBothWays(id: string, exercise: Exercise, as: Format): Promise<void> {
  const n = String(exercise.order).padStart(2, '0')
  const h: Harvest = await harvest(exercise, { session: testSession(`hv${n}`), log })
  const declared = submissionPaths(exercise.manifest)
  expect([...h.solution.keys()].sort(), 'the scripted solution leaves every declared file').toEqual([...declared].sort())

  const startComplete = declared.every((p) => h.start.has(p))
  const [sol, start] = await Promise.all([
    gradeSubmission(exercise, pack(`${id}-solution`, h.solution, h.solutionModes, as), { learner: 'solution', session: testSession(`hs${n}`), log, lang: 'en' }),
    startComplete
      ? gradeSubmission(exercise, pack(`${id}-start`, h.start, h.startModes, as), { learner: 'start', session: testSession(`ht${n}`), log, lang: 'en' })
      : null,
  ])
  timings.push(
    `${id} (${as}): harvest ${secs(h.durationMs)} [up ${secs(h.timings.up)}, setup ${secs(h.timings.setup)}, solve ${secs(h.timings.solve)}, down ${secs(h.timings.down)}]` +
      `, grade solution ${secs(sol.timings.total)} [up ${secs(sol.timings.up)}, setup ${secs(sol.timings.setup)}, install ${secs(sol.timings.install)}, checks ${secs(sol.timings.checks)}]` +
      (start ? `, grade start ${secs(start.timings.total)}` : ', start state lacks declared files'),
  )

  expect(sol.verdict, explain(sol)).toBe('graded')
  for (const c of sol.criteria) expect(c.status, `solution, ${c.key}\n${explain(sol)}`).toBe('pass')
  expect(stateOf(sol), explain(sol)).toBe('complete')
  expect(sol.score, explain(sol)).toBe(sol.fullScore)
  expect(sol.criteria.map((c) => c.key)).toEqual([SERVICE_KEY, ...exercise.manifest.checks.map((c) => c.key ?? c.id)])

  const about = exercise.manifest.startFails ?? exercise.manifest.checks.map((c) => c.key ?? c.id)
  if (!start) {
    // Nothing to hand in yet (the exercise creates these files): a learner's empty-handed copy is refused at intake.
    const missing = declared.filter((p) => !h.start.has(p))
    expect(missing.length).toBeGreaterThan(0)
    const g = await gradeSubmission(exercise, pack(`${id}-start`, h.start, h.startModes, 'folder'), { learner: 'start', session: testSession(`ht${n}`), log, lang: 'en' })
    expect(g.verdict, explain(g)).toBe('rejected')
    expect(g.rejectCode).toBe('missing-file')
    return
  }
  expect(start.verdict, explain(start)).toBe('graded')
  const failed = start.criteria.filter((c) => c.status === 'fail').map((c) => c.key)
  expect(failed.sort(), explain(start)).toEqual([...about].sort())
  for (const c of start.criteria) if (!about.includes(c.key)) expect(c.status, `start, ${c.key}\n${explain(start)}`).toBe('pass')
}

// The format rotates over the whole list, so that narrowing a run does not change how an exercise is packed.
const cases = selected.map((e) => [e.id, FORMATS[gradable.indexOf(e) % FORMATS.length]!, e] as const)
const TIMEOUT = 40 * 60_000

// One suite, concurrent tests: vitest runs the tests of a suite together, never two suites.
describe('every exercise that declares a submission', () => {
  it.concurrent.each(cases.filter(([id]) => !BLOCKED[id]))(
    '%s: harvested from one sandbox, its solution graded as a %s gets full marks, its start state fails exactly startFails',
    (id, as, exercise) => slot(() => gradeBothWays(id, exercise, as)),
    TIMEOUT,
  )
  it.concurrent.fails.each(cases.filter(([id]) => BLOCKED[id]).map(([id, as, e]) => [id, BLOCKED[id]!, as, e] as const))(
    '%s (blocked: %s): as a %s, does not reach full marks through grade yet',
    (id, _why, as, exercise) => slot(() => gradeBothWays(id, exercise, as)),
    TIMEOUT,
  )
})
