// Proves every exercise on a fresh sandbox: its start state fails the checks it is about, its solution passes them all.
import { describe, expect, it } from 'vitest'
import type { SandboxHandle } from '../checker/sandbox-handle.ts'
import { testSession } from '../sandbox/test-session.ts'
import { exercises } from './index.ts'
import { mustFailAtStart, proveExercise, type GradeReport } from './runner.ts'

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

describe.each(exercises.map((e) => [e.id, e] as const))('exercise %s', (id, exercise) => {
  const aboutChecks = mustFailAtStart(exercise)
  it(`starts failing ${aboutChecks.join(', ')} and passes every check once the scripted solution is applied`, async () => {
    const agreement: string[] = []
    const proof = await proveExercise(exercise, {
      // A test-run session id, so the suite's teardown removes it even if this process dies mid-proof.
      session: testSession(`ex${String(exercise.order).padStart(2, '0')}`),
      log: (l) => process.stderr.write(`  ${l}\n`),
      onPhase:
        id === 'postfix-test-tls'
          ? async (phase, handle, report) => {
              // The checker and openssl must tell the same story about trust and protocol.
              const s = await sClient(handle)
              const trusted = statusOf(report, 'cert.trusted') === 'pass' && statusOf(report, 'cert.name.matches') === 'pass'
              agreement.push(`${phase}: openssl verify=${s.verifyCode} protocol=${s.protocol}; checker trusted+name=${trusted}`)
              expect(s.verifyCode === 0, `${phase}: openssl says verify ${s.verifyCode}, checker says trusted=${trusted}\n${s.raw}`).toBe(trusted)
              if (phase === 'solved') expect(s.protocol).toBe('TLSv1.3')
              if (phase === 'start') expect(s.protocol).toBe('TLSv1.2')
            }
          : undefined,
    })
    const t = proof.timings
    process.stderr.write(
      `${id}: ${proof.ok ? 'proved' : 'NOT proved'} in ${(t.total / 1000).toFixed(1)} s ` +
        `(up ${t.up} ms, setup ${t.setup} ms, grade ${t.gradeStart} ms, solve ${t.solve} ms, grade ${t.gradeSolved} ms, down ${t.down} ms)\n` +
        agreement.map((a) => `  ${a}\n`).join(''),
    )
    expect(proof.error, proof.problems.join('\n')).toBeUndefined()
    const start = proof.start!.report
    const solved = proof.solved!.report
    expect(start.results.length).toBe(exercise.manifest.checks.length)
    expect(start.results.some((r) => r.status !== 'pass')).toBe(true)
    for (const key of aboutChecks) {
      const r = start.results.find((x) => x.key === key)
      expect(r?.status, `start state, ${key}: ${r?.summary.en}\n${r?.evidence.lines.join('\n')}`).toBe('fail')
    }
    for (const r of solved.results) {
      expect(r.status, `solution, ${r.key}: ${r.summary.en}\n${r.evidence.lines.join('\n')}`).toBe('pass')
    }
    expect(proof.problems).toEqual([])
  })
})
