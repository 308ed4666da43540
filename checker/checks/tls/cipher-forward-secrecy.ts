// tls.cipher.forward-secrecy: sessions use ephemeral keys (ECDHE/DHE, or TLS 1.3), so a stolen key cannot decrypt past mail.
import { defineCheck, verdict } from '../../define.ts'
import { isForwardSecret, suiteByCode, suiteName, suitesFor, type ProtocolVersion } from '../../probes/cipher-suites.ts'
import { MODERN_CLIENT_SUITES, NON_FS_SUITES, offerHello, type HelloOutcome } from '../../probes/tls.ts'
import { VERSION_LABELS } from '../../probes/tls-hello.ts'
import { guard, L, sharedEndpoint, versionOutcome } from '../support.ts'
import { noTlsAccepted } from './version-verdict.ts'

const LEGACY: readonly ProtocolVersion[] = ['tls1.0', 'tls1.1', 'tls1.2']

/**
 * Suites a TLS ≤ 1.2 handshake negotiated that the table cannot classify ("0xC102"). The grader only offers suites
 * it knows, so this means a table entry without its key exchange, or a server answering outside the offer (a
 * refused outcome carrying `chosen`): either way nobody has shown the key exchange is ephemeral, and the check must
 * not award what it cannot see. A suite outside the offer that is known to be ephemeral hides nothing.
 */
export function unknownSuites(outcomes: readonly HelloOutcome[]): string[] {
  const codes = outcomes.flatMap((o) => {
    if (o.accepted) return o.version !== 'tls1.3' && isForwardSecret(o.cipher) === null ? [o.cipher] : []
    return o.chosen !== undefined && isForwardSecret(o.chosen) !== true ? [o.chosen] : []
  })
  return [...new Set(codes)].map((c) => `0x${c.toString(16).toUpperCase().padStart(4, '0')}`)
}

export default defineCheck({
  id: 'tls.cipher.forward-secrecy',
  title: L('Confidentialité persistante (forward secrecy)', 'Forward secrecy'),
  explain: L(
    'Avec un échange de clés éphémère (ECDHE, DHE, ou toute suite TLS 1.3), la clé privée du serveur ne suffit pas à déchiffrer des sessions enregistrées. Avec l’échange RSA statique, quiconque vole la clé plus tard lit tout le courrier passé.',
    'With an ephemeral key exchange (ECDHE, DHE, or any TLS 1.3 suite), the server’s private key is not enough to decrypt recorded sessions. With static RSA key exchange, whoever steals the key later reads all past mail.',
  ),
  remedy: {
    postfix: 'main.cf: smtpd_tls_exclude_ciphers = kRSA, aNULL, eNULL, EXPORT, DES, 3DES, RC4, MD5 (et tls_preempt_cipherlist = yes)   puis: postfix reload',
    exim: 'GnuTLS: tls_require_ciphers = NORMAL:-RSA:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1 ; OpenSSL: tls_require_ciphers = ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL   puis: systemctl restart exim4',
  },
  appliesTo: ['remote', 'sandbox'],
  cost: 8,
  async run(ctx) {
    return guard(L('la confidentialité persistante', 'forward secrecy'), async () => {
      const [v13, ...legacy] = await Promise.all([versionOutcome(ctx, 'tls1.3'), ...LEGACY.map((v) => versionOutcome(ctx, v))])
      const versions = LEGACY.filter((_, i) => legacy[i]!.accepted)
      const lines: string[] = []
      if (!versions.length) {
        if (v13!.accepted) return verdict.pass(L('Seul TLS 1.3 est accepté : toutes ses suites sont éphémères.', 'Only TLS 1.3 is accepted: all its suites are ephemeral.'), { lines: v13!.transcript })
        return noTlsAccepted([...LEGACY.map((v, i) => [v, legacy[i]!] as const), ['tls1.3', v13!]])
      }
      const top = versions.at(-1)!
      const allowed = new Set(suitesFor(top).map((s) => s.code))
      const preferred = await offerHello(sharedEndpoint(ctx), { version: top, ciphers: MODERN_CLIENT_SUITES.filter((c) => allowed.has(c)) })
      lines.push(...preferred.transcript)
      const chosen = preferred.accepted ? suiteByCode(preferred.cipher) : undefined
      // One handshake per version offering only static key exchanges: the verdict needs one example, not the list.
      const staticFound: string[] = []
      const probes = await Promise.all(
        versions.map(async (v) => {
          const ok = new Set(suitesFor(v).map((s) => s.code))
          return [v, await offerHello(sharedEndpoint(ctx), { version: v, ciphers: NON_FS_SUITES.filter((s) => ok.has(s.code)).map((s) => s.code) })] as const
        }),
      )
      for (const [v, r] of probes) {
        lines.push(...r.transcript)
        if (r.accepted) staticFound.push(`${VERSION_LABELS[v]} ${suiteByCode(r.cipher)?.openssl ?? suiteName(r.cipher)}`)
      }
      const unknown = unknownSuites([preferred, ...legacy, ...probes.map(([, r]) => r)])
      const facts = { preferred: preferred.accepted ? suiteName(preferred.cipher) : null, nonForwardSecretAccepted: staticFound, tls13: v13!.accepted, unknownSuites: unknown }
      if (unknown.length)
        return verdict.fail(
          L(
            `Votre serveur négocie une suite inconnue du correcteur ou qu’il ne proposait pas (unknown suite ${unknown.join(', ')}) : rien ne montre que son échange de clés est éphémère. Limitez-vous aux suites ECDHE/DHE usuelles.`,
            `Your server negotiates a suite the grader does not know or did not offer (unknown suite ${unknown.join(', ')}): nothing shows its key exchange is ephemeral. Keep to the usual ECDHE/DHE suites.`,
          ),
          { lines, facts },
        )
      if (preferred.accepted && chosen && !chosen.forwardSecret)
        return verdict.fail(
          L(`Même face à un client qui préfère ECDHE, votre serveur choisit ${chosen.openssl} (échange RSA statique).`, `Even with a client preferring ECDHE, your server picks ${chosen.openssl} (static RSA key exchange).`),
          { lines, facts },
        )
      if (!preferred.accepted && !v13!.accepted && staticFound.length)
        return verdict.fail(L(`Votre serveur n’accepte que des échanges de clés non éphémères : ${staticFound.join(', ')}.`, `Your server only accepts non-ephemeral key exchanges: ${staticFound.join(', ')}.`), { lines, facts })
      if (staticFound.length)
        return verdict.warn(
          L(
            `Les clients modernes obtiennent une clé éphémère, mais votre serveur accepte encore un échange de clés statique (par exemple ${staticFound.join(', ')}).`,
            `Modern clients get an ephemeral key, but your server still accepts a static key exchange (for example ${staticFound.join(', ')}).`,
          ),
          { lines, facts },
        )
      return verdict.pass(L(`Toutes les suites acceptées sont éphémères (préférée : ${facts.preferred ?? 'TLS 1.3'}).`, `Every accepted suite is ephemeral (preferred: ${facts.preferred ?? 'TLS 1.3'}).`), { lines, facts })
    })
  },
})
