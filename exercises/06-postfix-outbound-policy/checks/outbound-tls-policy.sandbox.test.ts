// outbound.tls.policy on a real Postfix and the lab's partner MX: `encrypt` and `may` both use TLS when it is offered,
// so the check strips STARTTLS once (as a man in the middle would) and only `encrypt` holds the message back.
import { describe, expect, it } from 'vitest'
import { createProbeCache, runOne } from '../../../checker/runner.ts'
import type { CheckResult } from '../../../checker/types.ts'
import { useSolvedSandbox } from '../../test-support.ts'
import { planChecks } from '../../runner.ts'
import outboundTlsPolicy from './outbound-tls-policy.ts'

const solved = useSolvedSandbox('postfix-outbound-policy', 'ex06-policy')
const exercise = solved.exercise

async function secureCheck(): Promise<CheckResult> {
  const planned = (await planChecks(solved.handle(), exercise)).find((p) => p.key === 'outbound.secure-partner.encrypt')!
  return runOne(outboundTlsPolicy, { target: planned.target, params: planned.check.params ?? {} }, { cache: createProbeCache(), sandbox: solved.handle() })
}

async function policy(level: string): Promise<void> {
  const r = await solved.handle().exec('mail', ['sh', '-c', `sed -i 's/^secure-partner.com .*/secure-partner.com     ${level}/' /etc/postfix/tls_policy && postmap /etc/postfix/tls_policy && grep secure-partner /etc/postfix/tls_policy`])
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
