// Shared body of the tls.version.* checks: one raw handshake offering exactly one protocol version.
import { verdict } from '../../define.ts'
import type { ProtocolVersion } from '../../probes/cipher-suites.ts'
import { suiteName } from '../../probes/cipher-suites.ts'
import { VERSION_LABELS } from '../../probes/tls-hello.ts'
import type { CheckContext, Evidence, Verdict } from '../../types.ts'
import { guard, L, versionOutcome } from '../support.ts'

export const READABLE: Record<ProtocolVersion, string> = { ssl3: 'SSL 3.0', 'tls1.0': 'TLS 1.0', 'tls1.1': 'TLS 1.1', 'tls1.2': 'TLS 1.2', 'tls1.3': 'TLS 1.3' }

export async function versionVerdict(ctx: CheckContext, v: ProtocolVersion, want: 'accepted' | 'rejected'): Promise<Verdict> {
  const label = READABLE[v]
  return guard(L(`si ${label} est accepté`, `whether ${label} is accepted`), async () => {
    const r = await versionOutcome(ctx, v)
    const evidence: Evidence = {
      lines: r.transcript,
      facts: r.accepted ? { offered: VERSION_LABELS[v], accepted: true, cipher: suiteName(r.cipher) } : { offered: VERSION_LABELS[v], accepted: false, answer: r.why },
    }
    if (r.accepted && want === 'rejected')
      return verdict.fail(
        L(`Votre serveur accepte encore ${label} (suite choisie : ${suiteName(r.cipher)}) : désactivez-le.`, `Your server still accepts ${label} (suite chosen: ${suiteName(r.cipher)}): disable it.`),
        evidence,
      )
    if (r.accepted)
      return verdict.pass(L(`${label} est accepté (${suiteName(r.cipher)}).`, `${label} is accepted (${suiteName(r.cipher)}).`), evidence)
    if (want === 'rejected') return verdict.pass(L(`${label} est refusé (${r.why}).`, `${label} is rejected (${r.why}).`), evidence)
    return verdict.fail(L(`Votre serveur refuse ${label} (${r.why}) : des clients ne pourront pas chiffrer.`, `Your server refuses ${label} (${r.why}): some clients will not be able to encrypt.`), evidence)
  })
}
