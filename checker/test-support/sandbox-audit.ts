// Helpers for checker sandbox tests: run checks against a lab's mail service and read verdicts by ID.
import type { CheckId } from '../registry.ts'
import { runChecks, type CheckRequest } from '../runner.ts'
import type { SandboxHandle } from '../sandbox-handle.ts'
import type { CheckResult, Status, Target } from '../types.ts'

/** Every check that grades a mail host over the network, as both labs' sandbox tests audit them. */
export const MAIL_HOST_CHECKS: readonly CheckId[] = [
  'smtp.banner.no-version',
  'smtp.starttls.offered',
  'smtp.auth.hidden-before-tls',
  'smtp.auth.offered-after-tls',
  'smtp.tls.required-before-mail',
  'smtp.vrfy.disabled',
  'smtp.etrn.rejected',
  'tls.implicit',
  'tls.version.ssl3.rejected',
  'tls.version.tls1_0.rejected',
  'tls.version.tls1_1.rejected',
  'tls.version.tls1_2.accepted',
  'tls.version.tls1_3.accepted',
  'tls.cipher.no-weak',
  'tls.cipher.forward-secrecy',
  'cert.trusted',
  'cert.chain.complete',
  'cert.name.matches',
  'cert.validity.days-left',
  'cert.key.strength',
  'smtp.connection-limit',
]

export interface Audit {
  readonly status: Record<string, Status>
  readonly results: Record<string, CheckResult>
  readonly durationMs: number
}

export async function audit(sb: SandboxHandle, checks: readonly (CheckId | CheckRequest)[], base: Partial<Target> = {}): Promise<Audit> {
  const target: Target = { host: sb.address('mail'), port: 25, mode: 'starttls', servername: 'mail.domaine.tld', ...base }
  const requests = checks.map((c) => (typeof c === 'string' ? { id: c } : c))
  const report = await runChecks({ target, checks: requests, useCheckDefaults: true, sandbox: sb }).report
  const status: Record<string, Status> = {}
  const results: Record<string, CheckResult> = {}
  for (const r of report.checks) {
    status[r.key ?? r.id] = r.status
    results[r.key ?? r.id] = r
  }
  return { status, results, durationMs: report.durationMs }
}

/** Runs a shell script in a service and fails loudly when it fails: a broken setup must not look like a verdict. */
export async function sh(sb: SandboxHandle, service: string, script: string): Promise<string> {
  const r = await sb.exec(service, ['bash', '-c', script], { timeoutMs: 60_000 })
  if (r.exitCode !== 0) throw new Error(`${service}: ${script}\n→ exit ${r.exitCode}\n${r.stdout}\n${r.stderr}`)
  return r.stdout
}
