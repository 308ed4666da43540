// Every exercise that declares a submission, proven from its TEXT and graded, on one sandbox per exercise:
//   up + setup (the start state, snapshotted: grading/prepared.ts) → the start state's files are read and the live
//   checks fail what the exercise is about → the text's `bash run=SERVICE` blocks and the hints' run scripts (not
//   solve.sh) make every check pass → the solved files are read → handed in as a folder, a .tar.gz or a .zip, they
//   get full marks through `grade`, and the start state's files fail exactly the criteria the exercise is about.
// Both gradings borrow the proof's sandbox, its graded service put back to the start state from the snapshot (as a
// class worker does), instead of starting three more sandboxes as the former harvest test did. An exercise whose
// submission or checks reach services that reset does not restore (files in the toolbox, publish steps) is graded on
// fresh sandboxes. Exercises without a submission are proven by exercises/proof.sandbox.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { submissionPaths, submissionService } from '../exercises/define.ts'
import { exercises } from '../exercises/index.ts'
import type { Exercise } from '../exercises/load.ts'
import { expectProved, proofPhaseHook, proofTimings } from '../exercises/proof-support.ts'
import { mustFailAtStart, type ProofResult } from '../exercises/runner.ts'
import { proveExerciseFromText } from '../exercises/text-runner.ts'
import { testSession } from '../sandbox/test-session.ts'
import { gradeSubmission, SERVICE_KEY, type SubmissionGrade } from './grade.ts'
import { readDeclared, writeSubmission, type SubmissionFiles, type SubmissionModes } from './harvest.ts'
import { PreparedWorker, preparedSandbox } from './prepared.ts'
import { gzip, tarArchive, zipArchive } from './test-support/archives.ts'

type Format = 'folder' | 'tar.gz' | 'zip'
const FORMATS: readonly Format[] = ['folder', 'tar.gz', 'zip']

const gradable = exercises.filter((e) => e.manifest.submission.length > 0)
// PROOF_ONLY=id1,id2 (or the former HARVEST_ONLY) narrows a run while working on a few exercises.
const only = (process.env['PROOF_ONLY'] ?? process.env['HARVEST_ONLY'])?.split(',').filter(Boolean)
const selected = only ? gradable.filter((e) => only.includes(e.id)) : gradable

let work: string
const timings: string[] = []

// Exercises run two at a time (one sandbox each, two for those graded on fresh sandboxes): sandbox start-up is
// mostly waiting on Docker and Pebble.
const PARALLEL = Number(process.env['PROOF_PARALLEL'] ?? process.env['HARVEST_PARALLEL'] ?? 2)
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
  work = mkdtempSync(path.join(tmpdir(), 'stl-proof-'))
})

afterAll(() => {
  rmSync(work, { recursive: true, force: true })
  if (timings.length) process.stderr.write(`\nproof + grade timings (s):\n${timings.map((t) => `  ${t}\n`).join('')}`)
})

const log = (l: string): void => void (process.env['PROOF_LOG'] && process.stderr.write(`  ${l}\n`))

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

const secs = (ms: number | undefined): string => ((ms ?? 0) / 1000).toFixed(1)

/**
 * Whether the proof's sandbox, its mail service reset from the start-state snapshot, is a faithful grading sandbox.
 * The reset restores mail, the DNS zones and the partners' log, not the toolbox: an exercise whose files or publish
 * steps live there, or whose checks probe it, would be graded on what the text left running.
 */
function gradableOnProofSandbox(e: Exercise): boolean {
  return (
    e.manifest.submission.every((s) => submissionService(s) === 'mail') &&
    e.steps('publish').length === 0 &&
    e.manifest.checks.every((c) => ['mail', 'dns', 'partners'].includes(c.target.service))
  )
}

async function proveAndGrade(id: string, exercise: Exercise, as: Format): Promise<void> {
  const n = String(exercise.order).padStart(2, '0')
  const session = testSession(`pg${n}`)
  const worker = new PreparedWorker(session, exercise, 'job:prove', log)
  const reuse = gradableOnProofSandbox(exercise)
  // Each grading borrows the worker's sandbox under its own learner session: gradeMapped asks for it
  // (preparedSandbox), which puts mail back to the snapshot first. The proof's own loan is the first one, pristine.
  const lendTo = (learner: string): { session: string; give: () => void } => {
    // Three letters: the learner session must stay a valid session id under a long test prefix.
    const s = `${session}-${learner.slice(0, 3)}`
    return { session: s, give: worker.lend(s) }
  }
  const grade = async (learner: 'solution' | 'start', files: SubmissionFiles, modes: SubmissionModes, format: Format): Promise<SubmissionGrade> => {
    const source = pack(`${id}-${learner}`, files, modes, format)
    if (!reuse) return gradeSubmission(exercise, source, { learner, session: testSession(`pf${n}${learner[1]}`), log, lang: 'en' })
    const loan = lendTo(learner)
    try {
      return await gradeSubmission(exercise, source, { learner, session: loan.session, log, lang: 'en' })
    } finally {
      loan.give()
    }
  }
  try {
    const prep = await worker.prepare()
    const own = lendTo('proof')
    const handle = await preparedSandbox(own.session)!
    own.give()
    const start = await readDeclared(handle, exercise)
    const notes: string[] = []
    const proof: ProofResult = await proveExerciseFromText(exercise, { sandbox: handle, log, onPhase: proofPhaseHook(exercise, notes) })
    const solution = await readDeclared(handle, exercise)
    process.stderr.write(`${proofTimings(proof)} [up ${prep.upMs} ms, setup ${prep.setupMs} ms, snapshot ${prep.snapshotMs} ms]\n${notes.map((a) => `  ${a}\n`).join('')}`)
    expectProved(proof, exercise)

    const declared = submissionPaths(exercise.manifest)
    expect([...solution.files.keys()].sort(), 'following the text leaves every declared file').toEqual([...declared].sort())
    const sol = await grade('solution', solution.files, solution.modes, as)
    const startComplete = declared.every((p) => start.files.has(p))
    // Nothing to hand in yet (the exercise creates these files): a learner's empty-handed copy is refused at intake.
    const st = await grade('start', start.files, start.modes, startComplete ? as : 'folder')
    timings.push(
      `${id} (${as}, ${reuse ? 'proof sandbox' : 'fresh sandboxes'}): up ${secs(prep.upMs)}, setup ${secs(prep.setupMs)}, ` +
        `snapshot ${secs(prep.snapshotMs)}, proof ${secs(proof.timings.total)} [text ${secs(proof.timings.solve)}], ` +
        `grade solution ${secs(sol.timings.total)} [up ${secs(sol.timings.up)}, install ${secs(sol.timings.install)}, checks ${secs(sol.timings.checks)}], ` +
        `grade start ${secs(st.timings.total)}`,
    )

    expect(sol.verdict, explain(sol)).toBe('graded')
    for (const c of sol.criteria) expect(c.status, `solution, ${c.key}\n${explain(sol)}`).toBe('pass')
    expect(sol.state, explain(sol)).toBe('complete')
    expect(sol.score, explain(sol)).toBe(sol.fullScore)
    expect(sol.criteria.map((c) => c.key)).toEqual([SERVICE_KEY, ...exercise.manifest.checks.map((c) => c.key ?? c.id)])

    if (!startComplete) {
      expect(declared.some((p) => !start.files.has(p))).toBe(true)
      expect(st.verdict, explain(st)).toBe('rejected')
      expect(st.rejectCode).toBe('missing-file')
      return
    }
    const about = mustFailAtStart(exercise)
    expect(st.verdict, explain(st)).toBe('graded')
    const failed = st.criteria.filter((c) => c.status === 'fail').map((c) => c.key)
    expect(failed.sort(), explain(st)).toEqual([...about].sort())
    for (const c of st.criteria) if (!about.includes(c.key)) expect(c.status, `start, ${c.key}\n${explain(st)}`).toBe('pass')
  } finally {
    await worker.close()
  }
}

// The format rotates over the whole list, so that narrowing a run does not change how an exercise is packed.
const cases = selected.map((e) => [e.id, FORMATS[gradable.indexOf(e) % FORMATS.length]!, e] as const)
const TIMEOUT = 40 * 60_000

// One suite, concurrent tests: vitest runs the tests of a suite together, never two suites.
describe('every exercise that declares a submission', () => {
  it.concurrent.each(cases)(
    '%s: its text passes on one sandbox, the files it leaves graded as a %s get full marks, its start state fails exactly startFails',
    (id, as, exercise) => slot(() => proveAndGrade(id, exercise, as)),
    TIMEOUT,
  )
})
