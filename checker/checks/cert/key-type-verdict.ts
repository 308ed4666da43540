// Shared body of cert.key-type.rsa / cert.key-type.ecdsa: a client that verifies only one kind of signature, in
// TLS 1.2 then TLS 1.3, and the certificate the server presented to it (or the alert it answered with).
import { verdict } from '../../define.ts'
import { describeKey, keyTypeProbe, kindOfKey, type KeyKind, type KeyTypeLeg } from '../../probes/key-type.ts'
import { sniOf } from '../../probes/smtp.ts'
import type { CheckContext, Evidence, Verdict } from '../../types.ts'
import { guard, L, ownEndpoint } from '../support.ts'

export const KIND_LABEL: Record<KeyKind, string> = { rsa: 'RSA', ecdsa: 'ECDSA' }

const V = (v: string): string => v.replace('TLSv', 'TLS ')

function legLine(l: KeyTypeLeg): string {
  switch (l.kind) {
    case 'presented':
      return `${V(l.version)}: ${describeKey(l.key)} (${l.cipher}), subject=${l.subject}, issuer=${l.issuer}, trusted=${l.authorized ? 'yes' : `no (${l.authorizationError})`}, name=${l.nameMatches === null ? 'n/a' : l.nameMatches ? 'matches' : 'does not match'}`
    case 'alert':
      return `${V(l.version)}: alert ${l.alert ?? '?'} from the server (${l.error})`
    case 'outside-offer':
      return `${V(l.version)}: the server signed outside the offer (${l.error})`
    case 'version-unsupported':
      return `${V(l.version)}: not spoken by the server (${l.error})`
  }
}

export async function keyTypeVerdict(ctx: CheckContext, kind: KeyKind): Promise<Verdict> {
  const K = KIND_LABEL[kind]
  return guard(L(`le certificat présenté à un client ${K} seul`, `the certificate presented to an ${K}-only client`), async () => {
    // Not cached: no other check offers this restricted hello, and the check's abort signal must stop it.
    const legs = await keyTypeProbe(ownEndpoint(ctx), kind)
    const lines = legs.map(legLine)
    const evidence: Evidence = {
      lines: [...legs.flatMap((l) => l.transcript), ...lines],
      facts: {
        offered: kind,
        // Per version: the key type presented ("rsa", "ecdsa"), or what happened instead ("alert 40", …).
        ...Object.fromEntries(
          legs.map((l) => [
            l.version,
            l.kind === 'presented' ? (kindOfKey(l.key.type) ?? l.key.type) : l.kind === 'alert' ? `alert ${l.alert ?? '?'}` : l.kind,
          ]),
        ),
      },
    }
    const spoken = legs.filter((l) => l.kind !== 'version-unsupported')
    if (!spoken.length)
      return verdict.fail(
        L(`Votre serveur ne parle ni TLS 1.2 ni TLS 1.3 (${lines.join(' ; ')}).`, `Your server speaks neither TLS 1.2 nor TLS 1.3 (${lines.join('; ')}).`),
        evidence,
      )
    const refused = spoken.filter((l) => l.kind === 'alert' || l.kind === 'outside-offer')
    if (refused.length) {
      const how = refused.map(legLine).join(' ; ')
      return verdict.fail(
        L(
          `Un client qui ne vérifie que des signatures ${K} ne peut pas se connecter : ${how}. Le serveur n’a aucun certificat ${K} à lui présenter.`,
          `A client that verifies only ${K} signatures cannot connect: ${how}. The server has no ${K} certificate to present to it.`,
        ),
        evidence,
      )
    }
    const presented = spoken.filter((l): l is Extract<KeyTypeLeg, { kind: 'presented' }> => l.kind === 'presented')
    const name = sniOf(ctx.target)
    for (const l of presented) {
      if (kindOfKey(l.key.type) !== kind)
        return verdict.fail(
          L(`À un client ${K} seul, votre serveur a présenté un certificat ${describeKey(l.key)} (${V(l.version)}).`, `To an ${K}-only client your server presented an ${describeKey(l.key)} certificate (${V(l.version)}).`),
          evidence,
        )
      // Node's `authorized` also fails on the name (ERR_TLS_CERT_ALTNAME_INVALID): judge the name first, with the project's matcher.
      if (l.nameMatches === false)
        return verdict.fail(
          L(`Le certificat ${K} présenté (${V(l.version)}) ne couvre pas ${name} (sujet : ${l.subject}).`, `The ${K} certificate presented (${V(l.version)}) does not cover ${name} (subject: ${l.subject}).`),
          evidence,
        )
      if (!l.authorized)
        return verdict.fail(
          L(
            `Le certificat ${K} présenté (${V(l.version)}) n’est pas reconnu (${l.authorizationError}) : autorité inconnue ou intermédiaire manquant.`,
            `The ${K} certificate presented (${V(l.version)}) is not trusted (${l.authorizationError}): unknown authority or missing intermediate.`,
          ),
          evidence,
        )
    }
    const keys = [...new Set(presented.map((l) => `${describeKey(l.key)} (${V(l.version)})`))].join(', ')
    return verdict.pass(
      L(
        `Un client ${K} seul reçoit un certificat ${K} de confiance${name ? ` pour ${name}` : ''} : ${keys}.`,
        `An ${K}-only client gets a trusted ${K} certificate${name ? ` for ${name}` : ''}: ${keys}.`,
      ),
      evidence,
    )
  })
}
