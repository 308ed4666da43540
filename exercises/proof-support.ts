// What the sandbox proofs assert about an exercise (exercises/proof.sandbox.test.ts for the ones without a submission,
// grading/proof.sandbox.test.ts for the gradable ones, which also grade the files): one definition for both.
import { expect } from 'vitest'
import type { SandboxHandle } from '../checker/sandbox-handle.ts'
import type { Exercise } from './load.ts'
import { mustFailAtStart, type GradeReport, type ProofOptions, type ProofResult } from './runner.ts'

/** What `openssl s_client` in the toolbox says about mail.domaine.tld:25, for exercise 3's agreement test. */
async function sClient(handle: SandboxHandle): Promise<{ protocol: string | null; verifyCode: number | null; raw: string }> {
  const r = await handle.exec(
    'toolbox',
    [
      'sh',
      '-c',
      'openssl s_client -connect mail.domaine.tld:25 -starttls smtp -servername mail.domaine.tld ' +
        '-CAfile /etc/lab/pebble-root.pem -verify_hostname mail.domaine.tld </dev/null 2>&1',
    ],
    { timeoutMs: 20_000 },
  )
  const protocol = /^\s*Protocol\s*:\s*(\S+)/m.exec(r.stdout)?.[1] ?? /New, (TLSv[\d.]+),/.exec(r.stdout)?.[1] ?? null
  const code = /Verify return code: (\d+)/.exec(r.stdout)?.[1]
  return { protocol, verifyCode: code === undefined ? null : Number(code), raw: r.stdout }
}

const statusOf = (report: GradeReport, key: string) => report.results.find((r) => r.key === key)?.status

/**
 * Extra assertions run on the live sandbox after each grading of the proof: for postfix-test-tls, the checker and
 * openssl must tell the same story about trust and protocol. `notes` collects what was compared, for the log.
 */
export function proofPhaseHook(exercise: Exercise, notes: string[]): ProofOptions['onPhase'] {
  if (exercise.id !== 'postfix-test-tls') return undefined
  return async (phase, handle, report) => {
    const s = await sClient(handle)
    const trusted = statusOf(report, 'cert.trusted') === 'pass' && statusOf(report, 'cert.name.matches') === 'pass'
    notes.push(`${phase}: openssl verify=${s.verifyCode} protocol=${s.protocol}; checker trusted+name=${trusted}`)
    expect(s.verifyCode === 0, `${phase}: openssl says verify ${s.verifyCode}, checker says trusted=${trusted}\n${s.raw}`).toBe(trusted)
    if (phase === 'solved') expect(s.protocol).toBe('TLSv1.3')
    if (phase === 'start') expect(s.protocol).toBe('TLSv1.2')
  }
}

/** One line of timings for the log. */
export function proofTimings(proof: ProofResult): string {
  const t = proof.timings
  return (
    `${proof.id}: ${proof.ok ? 'proved' : 'NOT proved'} in ${(t.total / 1000).toFixed(1)} s ` +
    `(up ${t.up} ms, setup ${t.setup} ms, grade ${t.gradeStart} ms, answer ${t.solve} ms, grade ${t.gradeSolved} ms, down ${t.down} ms)`
  )
}

/** The start state fails every check the exercise is about; the answer passes every check. */
export function expectProved(proof: ProofResult, exercise: Exercise): void {
  expect(proof.error, proof.problems.join('\n')).toBeUndefined()
  const start = proof.start!.report
  const solved = proof.solved!.report
  expect(start.results.length).toBe(exercise.manifest.checks.length)
  expect(start.results.some((r) => r.status !== 'pass')).toBe(true)
  for (const key of mustFailAtStart(exercise)) {
    const r = start.results.find((x) => x.key === key)
    expect(r?.status, `start state, ${key}: ${r?.summary.en}\n${r?.evidence.lines.join('\n')}`).toBe('fail')
  }
  for (const r of solved.results) {
    expect(r.status, `answer, ${r.key}: ${r.summary.en}\n${r.evidence.lines.join('\n')}`).toBe('pass')
  }
  expect(proof.problems).toEqual([])
}
