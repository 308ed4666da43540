// Shared body of the tls.version.* checks: one raw handshake offering exactly one protocol version.
import { verdict } from '../../define.ts'
import type { ProtocolVersion } from '../../probes/cipher-suites.ts'
import type { HelloOutcome } from '../../probes/tls.ts'
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

/**
 * No version at all completed a ServerHello: the server answered every ClientHello with an alert or a close (a key
 * that does not load, a certificate it cannot use). That is the learner's server, so a failure with its answers.
 */
export function noTlsAccepted(outcomes: readonly (readonly [ProtocolVersion, HelloOutcome])[], facts: Evidence['facts'] = {}): Verdict {
  const answers = outcomes.map(([v, r]) => `${VERSION_LABELS[v]}: ${r.accepted ? 'accepted' : r.why}`)
  return verdict.fail(
    L(
      `Votre serveur refuse toute négociation TLS (${answers.join(' ; ')}) : aucune suite ne peut être évaluée. Vérifiez le certificat et la clé configurés (journal du serveur).`,
      `Your server refuses every TLS handshake (${answers.join('; ')}): no suite can be assessed. Check the configured certificate and key (server log).`,
    ),
    { lines: [...outcomes.flatMap(([, r]) => r.transcript.slice(-2)), ...answers], facts: { ...facts, answers } },
  )
}
