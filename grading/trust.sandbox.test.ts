// Grades an instructor can trust: a server that cannot do what the exercise asks loses the criteria, with its own
// words as evidence, instead of turning every criterion inconclusive and dropping it from the denominator.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findExercise } from '../exercises/index.ts'
import type { Exercise } from '../exercises/load.ts'
import { applySetup, gradeExercise, labTrust } from '../exercises/runner.ts'
import { containerName, downSandbox, listSessions, upLab } from '../sandbox/engine.ts'
import { gradeSubmission, SERVICE_KEY, type SubmissionGrade } from './grade.ts'
import { harvest, withMainCf, writeSubmission, type Harvest } from './harvest.ts'
import { installFiles, markLogs, reloadService } from './service.ts'
import { exitCodeFor, formatGradeText, gradeJson } from './report.ts'

const ID = 'postfix-tls-main-cf'
const exercise = (): Exercise => findExercise(ID)!
const log = (l: string): void => void process.stderr.write(`  ${l}\n`)
// Sessions of this file carry the h1- prefix so that a concurrent run of other tests never removes them.
const run = Math.random().toString(16).slice(2, 8)
const session = (name: string): string => `h1-${run}-${name}`

const TLS_KEYS = [
  'cert.trusted',
  'cert.name.matches',
  'cert.chain.complete',
  'tls.version.tls1_0.rejected',
  'tls.version.tls1_1.rejected',
  'tls.version.tls1_2.accepted',
  'cert.key.strength',
  'cert.validity.days-left',
]

let work: string
let ref: Harvest

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'stl-trust-'))
  ref = await harvest(exercise(), { session: session('harvest'), log })
})

afterAll(async () => {
  rmSync(work, { recursive: true, force: true })
  expect((await listSessions()).filter((s) => s.session.startsWith(`h1-${run}-`))).toEqual([])
})

function explain(g: SubmissionGrade): string {
  return [
    `${g.learner}: ${g.verdict} ${g.score}/${g.maxScore} ${g.reason?.en ?? ''}`,
    ...g.criteria.map((c) => `  ${c.status}${c.reason ? `(${c.reason})` : ''} ${c.key}: ${c.summary.en}\n    ${c.evidence.lines.slice(-3).join('\n    ')}`),
  ].join('\n')
}

describe('a main.cf whose certificate path is misspelt', () => {
  it('does not get full marks: every TLS criterion fails with Postfix’s 454 or the TLS error as evidence', async () => {
    const typo = withMainCf(ref.solution, { smtpd_tls_cert_file: '/etc/letsencrypt/live/mail.domaine.tld/fulchain.pem' })
    const dir = writeSubmission(path.join(work, 'typo'), typo)
    const g = await gradeSubmission(exercise(), dir, { learner: 'typo', session: session('typo'), log })
    writeFileSync(path.join(work, 'typo.txt'), formatGradeText(g, { lang: 'en', color: false }))
    process.stderr.write(formatGradeText(g, { lang: 'en', color: false }))
    expect(g.verdict, explain(g)).toBe('graded')
    // Postfix starts: the file is only opened when a client asks for TLS.
    expect(g.criteria.find((c) => c.key === SERVICE_KEY)?.status, explain(g)).toBe('pass')
    expect(g.score, explain(g)).toBeLessThan(g.maxScore)
    expect(g.maxScore, explain(g)).toBe(exercise().manifest.checks.length)
    for (const key of TLS_KEYS) {
      const c = g.criteria.find((x) => x.key === key)!
      expect(c.status, explain(g)).toBe('fail')
      expect(c.evidence.lines.join('\n'), `${key}\n${explain(g)}`).toMatch(/454 4\.7\.0 TLS not available due to local problem|TLS handshake failed|alert/i)
    }
    // Postfix's own reason, from its log, beside the 454: it names the misspelt file.
    expect(g.criteria.find((c) => c.key === 'cert.trusted')!.evidence.lines.join('\n'), explain(g)).toContain('fulchain.pem')
    expect(g.inconclusive, explain(g)).toEqual([])
    expect(g.state).toBe('complete')
    expect(g.passed).toBe(false)
    expect(exitCodeFor(g)).toBe(1)
    const json = gradeJson(g, 'en')
    expect(json).toMatchObject({ state: 'complete', passed: false, score: g.score, maxScore: g.maxScore })
    expect(json.percent).toBeLessThan(50)
  })
})

describe('the same exercise’s scripted solution', () => {
  it('still gets full marks: passed, complete, 9/9, exit code 0', async () => {
    const dir = writeSubmission(path.join(work, 'solution'), ref.solution)
    const g = await gradeSubmission(exercise(), dir, { learner: 'solution', session: session('solution'), log })
    expect(g.state, explain(g)).toBe('complete')
    expect(g.passed, explain(g)).toBe(true)
    expect([g.score, g.maxScore, g.percent], explain(g)).toEqual([9, 9, 100])
    expect(exitCodeFor(g)).toBe(0)
  })
})

describe('the same misspelt path in a sandbox that is itself sick', () => {
  it('stays inconclusive when the lab’s ACME service is gone: the grade is incomplete, with no percentage and no higher score', async () => {
    const sid = session('sick')
    try {
      const handle = await upLab({ lab: 'postfix', session: sid, fresh: true })
      await applySetup(handle, exercise())
      const typo = withMainCf(ref.solution, { smtpd_tls_cert_file: '/etc/letsencrypt/live/mail.domaine.tld/fulchain.pem' })
      const files = [...typo].map(([target, content]) => ({ target, service: 'mail' as const, rel: 'main.cf', content, mode: null }))
      const mark = await markLogs(handle)
      await installFiles(handle, files)
      expect((await reloadService(handle, files, mark, [])).started).toBe(true)
      // The grader's trouble, not the learner's: a lab service the grading depends on dies once Pebble's root is known.
      // (Not the DNS service: without it Postfix waits on its client lookup and the greeting times out, which stays
      // inconclusive anyway, without reaching the health probe.)
      await labTrust(handle)
      await new Promise<void>((resolve, reject) => execFile('docker', ['stop', '-t', '1', containerName(sid, 'acme')], (e) => (e ? reject(e) : resolve())))
      const report = await gradeExercise(handle, exercise(), { lang: 'en' })
      const undecided = report.results.filter((r) => r.status === 'inconclusive').map((r) => r.key)
      expect(undecided, JSON.stringify(report.results.map((r) => [r.key, r.status, r.evidence.lines.slice(-3)]), null, 1)).toEqual(TLS_KEYS)
      expect(report.results.find((r) => r.key === 'cert.trusted')!.evidence.lines.join('\n')).toContain('the sandbox itself is not healthy')
      expect(report).toMatchObject({ state: 'incomplete', passed: false, score: 1, maxScore: 9, percent: null })
    } finally {
      await downSandbox(sid)
    }
  })
})
