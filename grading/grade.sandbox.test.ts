// Grading through real sandboxes: scripted solutions get full marks, start states low ones, a partial one the right criteria,
// and a class batch survives a config that kills Postfix, a hostile archive and Ctrl-C without leaving a container behind.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findExercise } from '../exercises/index.ts'
import type { Exercise } from '../exercises/load.ts'
import { ProgressStore } from '../labs/progress-store.ts'
import { listSessions } from '../sandbox/engine.ts'
import { testSession } from '../sandbox/test-session.ts'
import { gradeClass } from './class.ts'
import { gradeSubmission, SERVICE_KEY, type SubmissionGrade } from './grade.ts'
import { harvest, withMainCf, writeSubmission, type Harvest, type SubmissionFiles } from './harvest.ts'
import { classCsv } from './report.ts'
import { gzip, tarArchive, zipArchive } from './test-support/archives.ts'

const IDS = ['postfix-tls-main-cf', 'postfix-test-tls', 'postfix-hardening'] as const
const ex = (id: string): Exercise => findExercise(id)!
const log = (l: string): void => void process.stderr.write(`  ${l}\n`)

let work: string
const harvests = new Map<string, Harvest>()

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'stl-grade-'))
  // The reference submissions are what the scripted start state and solution leave in the declared files.
  for (const [i, id] of IDS.entries()) harvests.set(id, await harvest(ex(id), { session: testSession(`harvest-${i}`) }))
})

afterAll(() => rmSync(work, { recursive: true, force: true }))

const status = (g: SubmissionGrade, key: string) => g.criteria.find((c) => c.key === key)?.status

function explain(g: SubmissionGrade): string {
  return [`${g.learner}: ${g.verdict} ${g.score}/${g.maxScore} ${g.reason?.en ?? ''}`, ...g.criteria.map((c) => `  ${c.status} ${c.key}: ${c.summary.en}`)].join('\n')
}

/** Packs files as a learner would: a folder by basename, a .tar.gz mirroring /etc, or a .zip in a wrapping folder. */
function pack(name: string, files: SubmissionFiles, as: 'folder' | 'tar.gz' | 'zip'): string {
  if (as === 'folder') return writeSubmission(path.join(work, name), files)
  if (as === 'tar.gz') {
    const p = path.join(work, `${name}.tar.gz`)
    writeFileSync(p, gzip(tarArchive([...files].map(([abs, content]) => ({ path: abs.slice(1), content })))))
    return p
  }
  const p = path.join(work, `${name}.zip`)
  writeFileSync(p, zipArchive([...files].map(([abs, content]) => ({ name: `${name}/${path.posix.basename(abs)}`, content, deflate: true, unixMode: 0o100644 }))))
  return p
}

async function noSandboxLeft(prefix: string): Promise<void> {
  expect((await listSessions()).filter((s) => s.session.startsWith(prefix))).toEqual([])
}

describe.each([
  ['postfix-tls-main-cf', 'tar.gz'],
  ['postfix-test-tls', 'zip'],
  ['postfix-hardening', 'folder'],
] as const)('exercise %s, submitted as a %s', (id, as) => {
  it('the scripted solution gets full marks, with the service reloaded on it', async () => {
    const session = testSession(`sol-${IDS.indexOf(id)}`)
    const g = await gradeSubmission(ex(id), pack(`${id}-solution`, harvests.get(id)!.solution, as), { learner: 'solution', session, log })
    expect(g.verdict, explain(g)).toBe('graded')
    expect(g.state, explain(g)).toBe('complete')
    expect(g.passed, explain(g)).toBe(true)
    expect(g.score).toBe(g.maxScore)
    expect(g.maxScore).toBe(ex(id).manifest.checks.length)
    expect(status(g, SERVICE_KEY)).toBe('pass')
    await noSandboxLeft(session)
  })

  it('the start state gets a low score, failing every criterion the exercise is about', async () => {
    const session = testSession(`start-${IDS.indexOf(id)}`)
    const g = await gradeSubmission(ex(id), pack(`${id}-start`, harvests.get(id)!.start, as), { learner: 'start', session, log })
    expect(g.verdict, explain(g)).toBe('graded')
    const about = ex(id).manifest.startFails ?? ex(id).manifest.checks.map((c) => c.key ?? c.id)
    for (const key of about) expect(status(g, key), explain(g)).toBe('fail')
    expect(g.score, explain(g)).toBeLessThanOrEqual(g.maxScore - about.length)
    process.stderr.write(`${id} start state: ${g.score}/${g.maxScore}\n`)
    await noSandboxLeft(session)
  })
})

describe('partial credit', () => {
  it('a hardening that only fixes the banner, VRFY and ETRN earns exactly those three criteria', async () => {
    const partial = withMainCf(harvests.get('postfix-hardening')!.start, {
      smtpd_banner: '$myhostname ESMTP',
      disable_vrfy_command: 'yes',
      smtpd_etrn_restrictions: 'reject',
      fast_flush_domains: null,
    })
    const g = await gradeSubmission(ex('postfix-hardening'), pack('partial', partial, 'folder'), { learner: 'partial', session: testSession('partial'), log })
    expect(g.verdict, explain(g)).toBe('graded')
    const passed = g.criteria.filter((c) => c.status === 'pass').map((c) => c.key)
    expect(passed, explain(g)).toEqual([SERVICE_KEY, 'smtp.banner.no-version', 'smtp.vrfy.disabled', 'smtp.etrn.rejected'])
    expect(g.failed).toEqual(['smtp.auth.hidden-before-tls', 'smtp.connection-limit', 'tls.cipher.no-weak', 'tls.implicit'])
    expect([g.score, g.maxScore, g.percent]).toEqual([3, 7, 42.9])
  })
})

describe('a class batch', () => {
  it('grades past a main.cf that stops Postfix (its own fatal error as evidence) and a ../ archive, and removes every sandbox', async () => {
    const cls = path.join(work, 'class')
    mkdirSync(cls)
    const sol = harvests.get('postfix-hardening')!.solution
    writeSubmission(path.join(cls, 'ana'), sol)
    const broken = new Map(sol)
    broken.set('/etc/postfix/main.cf', Buffer.concat([sol.get('/etc/postfix/main.cf')!, Buffer.from('smtpd_tls_ciphers high\n')]))
    writeSubmission(path.join(cls, 'ben'), broken)
    writeFileSync(path.join(cls, 'eve.tar.gz'), gzip(tarArchive([{ path: 'main.cf', content: 'x' }, { path: '../../etc/cron.d/x', content: 'x' }])))
    writeFileSync(path.join(cls, 'README.txt'), 'not a learner')
    const dataDir = path.join(work, 'data')
    const store = new ProgressStore(dataDir)
    const batch = testSession('b1')
    const r = await gradeClass({ exercise: ex('postfix-hardening'), dir: cls, parallel: 2, batch, onGrade: (g) => void store.recordGrade({ batch, learner: g.learner, exercise: g.exercise, verdict: g.verdict, score: g.score, maxScore: g.maxScore, criteria: [] }) })
    store.close()
    expect(r.skipped).toEqual(['README.txt'])
    const by = new Map(r.grades.map((g) => [g.learner, g]))
    expect([...by.keys()]).toEqual(['ana', 'ben', 'eve'])
    expect(by.get('ana')!.passed, explain(by.get('ana')!)).toBe(true)
    const ben = by.get('ben')!
    expect(ben.verdict).toBe('graded')
    expect(status(ben, SERVICE_KEY), explain(ben)).toBe('fail')
    const evidence = ben.criteria.find((c) => c.key === SERVICE_KEY)!.evidence.lines.join('\n')
    expect(evidence).toContain(`missing '=' after attribute name: "smtpd_tls_ciphers high"`)
    expect(ben.score).toBe(0)
    expect(by.get('eve')!.verdict).toBe('rejected')
    expect(by.get('eve')!.rejectCode).toBe('path-escapes')
    expect(classCsv(r.grades, 'en').split('\r\n')[0]).toBe(
      '"learner","verdict","score","max_score","percent","note","exercise","batch","batch_started_at","service.starts","smtp.banner.no-version","smtp.vrfy.disabled","smtp.etrn.rejected","smtp.auth.hidden-before-tls","smtp.connection-limit","tls.cipher.no-weak","tls.implicit"',
    )
    const reopened = new ProgressStore(dataDir)
    expect(reopened.listGrades({ batch }).map((g) => [g.learner, g.verdict])).toEqual([['ana', 'graded'], ['ben', 'graded'], ['eve', 'rejected']])
    reopened.close()
    await noSandboxLeft(batch)
  })

  it('Ctrl-C during `grade --class` removes the sandboxes already started and exits 130', async () => {
    const cls = path.join(work, 'class-int')
    for (const n of ['a1', 'a2', 'a3']) writeSubmission(path.join(cls, n), harvests.get('postfix-hardening')!.solution)
    const batch = testSession('b2')
    const child = spawn(
      process.execPath,
      ['bin/smtp-tls-lab.mjs', 'grade', '--exercise', 'postfix-hardening', '--class', cls, '--parallel', '2', '--batch', batch, '--no-store', '--out', path.join(work, 'out-int')],
      { cwd: path.resolve(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let err = ''
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    // Interrupt once both sandboxes exist and Docker is busy creating or setting them up.
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no sandbox started:\n${err}`)), 120_000)
      const iv = setInterval(async () => {
        const mine = (await listSessions()).filter((s) => s.session.startsWith(batch))
        if (mine.length >= 2 && mine.every((s) => s.running > 0)) {
          clearInterval(iv)
          clearTimeout(t)
          resolve()
        }
      }, 500)
    })
    child.kill('SIGINT')
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
    expect(code, err).toBe(130)
    expect(err).toContain('no sandbox of this run is left')
    await noSandboxLeft(batch)
    expect(() => readFileSync(path.join(work, 'out-int', 'class.csv'))).toThrow()
  })
})
