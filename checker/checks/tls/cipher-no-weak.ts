// tls.cipher.no-weak: no NULL, EXPORT, RC4, DES, 3DES, MD5 or anonymous suite is accepted, at any accepted version,
// and DHE, when accepted, uses a group of at least 2048 bits.
import { defineCheck, verdict } from '../../define.ts'
import type { CipherSuite, ProtocolVersion } from '../../probes/cipher-suites.ts'
import { suitesFor } from '../../probes/cipher-suites.ts'
import { acceptedFromClassParallel, WEAK_SUITES } from '../../probes/tls.ts'
import { VERSION_LABELS } from '../../probes/tls-hello.ts'
import { dheGroup, MIN_DH_BITS, type DheOutcome } from '../../probes/dhe.ts'
import { ProbeError } from '../../probes/probe-error.ts'
import { guard, L, ownEndpoint, sharedEndpoint, versionOutcome } from '../support.ts'
import { noTlsAccepted } from './version-verdict.ts'

const LEGACY: readonly ProtocolVersion[] = ['ssl3', 'tls1.0', 'tls1.1', 'tls1.2']

export default defineCheck({
  id: 'tls.cipher.no-weak',
  title: L('Aucune suite de chiffrement faible', 'No weak cipher suite'),
  explain: L(
    'Certaines suites ne protègent presque rien : NULL (pas de chiffrement), EXPORT (clés de 40 bits), RC4, DES et 3DES (cassés ou blocs de 64 bits, attaque Sweet32), MD5, ou anonymes (aucune authentification du serveur, attaque de l’homme du milieu triviale) ; de même un échange DHE sur un groupe de moins de 2048 bits (attaque Logjam). Le serveur ne doit en accepter aucune, quelle que soit la version de TLS.',
    'Some suites protect almost nothing: NULL (no encryption), EXPORT (40-bit keys), RC4, DES and 3DES (broken or 64-bit blocks, Sweet32), MD5, or anonymous (no server authentication, a trivial man in the middle); so is a DHE exchange over a group under 2048 bits (Logjam). The server must accept none of them, whatever the TLS version.',
  ),
  remedy: {
    postfix: 'main.cf: smtpd_tls_mandatory_ciphers = high, smtpd_tls_ciphers = high, smtpd_tls_exclude_ciphers = aNULL, eNULL, EXPORT, DES, 3DES, RC4, MD5 ; groupe DHE : supprimez smtpd_tls_dh1024_param_file (Postfix 3.7 utilise alors un groupe de 2048 bits) ou pointez-le vers « openssl dhparam -out /etc/postfix/dh2048.pem 2048 »   puis: postfix reload',
    exim: 'GnuTLS: tls_require_ciphers = NORMAL:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1:-3DES-CBC:-ARCFOUR-128:-MD5:-ANON-DH:-ANON-ECDH ; OpenSSL: tls_require_ciphers = HIGH:!aNULL:!MD5:!RC4:!3DES:!DES:!EXP ; groupe DHE : tls_dhparam = ffdhe2048 (ou ffdhe3072)   puis: systemctl restart exim4',
  },
  appliesTo: ['remote', 'sandbox'],
  cost: 30,
  async run(ctx) {
    return guard(L('les suites de chiffrement faibles', 'weak cipher suites'), async () => {
      const outcomes = await Promise.all(LEGACY.map(async (v) => [v, await versionOutcome(ctx, v)] as const))
      const versions = outcomes.filter(([, r]) => r.accepted).map(([v]) => v)
      const lines: string[] = []
      const found: { version: ProtocolVersion; suite: CipherSuite }[] = []
      let handshakes = 0
      const perVersion = await Promise.all(
        versions.map((v) => {
          const allowed = new Set(suitesFor(v).map((s) => s.code))
          return acceptedFromClassParallel(sharedEndpoint(ctx), v, WEAK_SUITES.filter((s) => allowed.has(s.code)))
        }),
      )
      for (const r of perVersion) {
        handshakes += r.handshakes
        lines.push(...r.transcript)
        found.push(...r.accepted.map((suite) => ({ version: r.version, suite })))
      }
      // The group is the server's, not the suite's: a strong DHE suite over a 1024-bit group is Logjam-weak.
      // Weak suites already decide the verdict: a probe failure here must not turn it into "could not tell".
      const dhe: DheOutcome | null = versions.some((v) => v !== 'ssl3')
        ? await dheGroup(ownEndpoint(ctx)).catch((e: unknown) => (found.length && e instanceof ProbeError ? null : Promise.reject(e)))
        : null
      if (dhe) lines.push(...dhe.transcript.slice(-2))
      const weakDh = dhe?.kind === 'too-small' ? 'DH < 512' : dhe?.kind === 'dhe' && dhe.bits < MIN_DH_BITS ? `DH ${dhe.bits}` : null
      const facts = {
        versionsTested: versions.map((v) => VERSION_LABELS[v]),
        handshakes: handshakes + (dhe ? 1 : 0),
        weakAccepted: found.map((f) => `${VERSION_LABELS[f.version]} ${f.suite.name} (${f.suite.weaknesses.join(', ')})`),
        dhBits: dhe?.kind === 'dhe' ? dhe.bits : null,
      }
      if (weakDh) {
        const also = found.length ? ` ; ${[...new Set(found.map((f) => f.suite.openssl))].join(', ')}` : ''
        const alsoEn = found.length ? `; also ${[...new Set(found.map((f) => f.suite.openssl))].join(', ')}` : ''
        return verdict.fail(
          L(
            `Votre serveur négocie DHE avec un groupe trop petit (${weakDh} bits, moins de ${MIN_DH_BITS} : attaque Logjam)${also}.`,
            `Your server negotiates DHE over a group that is too small (${weakDh} bits, under ${MIN_DH_BITS}: Logjam)${alsoEn}.`,
          ),
          { lines, facts },
        )
      }
      if (!versions.length) {
        const v13 = await versionOutcome(ctx, 'tls1.3')
        if (v13.accepted) return verdict.pass(L('Seul TLS 1.3 est accepté : ses suites sont toutes sûres.', 'Only TLS 1.3 is accepted: all its suites are safe.'), { lines: v13.transcript, facts })
        return noTlsAccepted([...outcomes, ['tls1.3', v13]], facts)
      }
      if (found.length) {
        const names = [...new Set(found.map((f) => f.suite.openssl))].join(', ')
        const kinds = [...new Set(found.flatMap((f) => f.suite.weaknesses))].join(', ')
        return verdict.fail(L(`Votre serveur accepte des suites faibles (${kinds}) : ${names}.`, `Your server accepts weak suites (${kinds}): ${names}.`), { lines, facts })
      }
      return verdict.pass(
        L(`Aucune suite faible acceptée (${versions.map((v) => VERSION_LABELS[v]).join(', ')} testés).`, `No weak suite accepted (${versions.map((v) => VERSION_LABELS[v]).join(', ')} tested).`),
        { lines, facts },
      )
    })
  },
})
