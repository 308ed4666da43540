// outbound.tls.policy on a real Postfix and the lab's partner MX: `encrypt` and `may` both use TLS when it is offered,
// so the check strips STARTTLS once (as a man in the middle would) and only `encrypt` holds the message back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SandboxHandle } from '../../../checker/sandbox-handle.ts'
import { createProbeCache, runOne } from '../../../checker/runner.ts'
import type { CheckResult } from '../../../checker/types.ts'
import { downSandbox, upLab } from '../../../sandbox/engine.ts'
import { testSession } from '../../../sandbox/test-session.ts'
import { findExercise } from '../../index.ts'
import { applySetup, applySolution, planChecks } from '../../runner.ts'
import outboundTlsPolicy from './outbound-tls-policy.ts'

const exercise = findExercise('postfix-outbound-policy')!
const session = testSession('ex06-policy')
let h: SandboxHandle

beforeAll(async () => {
  h = await upLab({ lab: 'postfix', session, fresh: true })
  await applySetup(h, exercise)
  await applySolution(h, exercise)
}, 400_000)

afterAll(async () => {
  await downSandbox(session)
})

async function secureCheck(): Promise<CheckResult> {
  const planned = (await planChecks(h, exercise)).find((p) => p.key === 'outbound.secure-partner.encrypt')!
  return runOne(outboundTlsPolicy, { target: planned.target, params: planned.check.params ?? {} }, { cache: createProbeCache(), sandbox: h })
}

async function policy(level: string): Promise<void> {
  const r = await h.exec('mail', ['sh', '-c', `sed -i 's/^secure-partner.com .*/secure-partner.com     ${level}/' /etc/postfix/tls_policy && postmap /etc/postfix/tls_policy && grep secure-partner /etc/postfix/tls_policy`])
  expect(r.stdout).toContain(level)
}

const explain = (r: CheckResult): string => `${r.status}: ${r.summary.en}\n${r.evidence.lines.join('\n')}`

describe('outbound.tls.policy for secure-partner.com (encrypt)', () => {
  it('passes with `encrypt`: TLS when offered, the message deferred when STARTTLS is stripped', async () => {
    const r = await secureCheck()
    expect(r.status, explain(r)).toBe('pass')
    expect(r.evidence.lines.join('\n')).toMatch(/\[STARTTLS stripped\] mail\.log: .*status=deferred \(TLS is required, but was not offered by host/)
  })

  it('fails with `may`, although the first message goes over TLS: stripped of STARTTLS, Postfix sends in clear', async () => {
    await policy('may')
    const r = await secureCheck()
    expect(r.status, explain(r)).toBe('fail')
    expect(r.summary.en).toMatch(/IN CLEAR TEXT: that is "may", not "encrypt"/)
    expect(r.evidence.lines.join('\n')).toMatch(/\[STARTTLS stripped\] partners: .*"tls":false/)
    await policy('encrypt')
  })
})
