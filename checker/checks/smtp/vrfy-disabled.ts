// smtp.vrfy.disabled: VRFY must not let anyone test which mailboxes exist.
import { randomBytes } from 'node:crypto'
import { defineCheck, verdict } from '../../define.ts'
import { smtpCommands } from '../../probes/smtp.ts'
import type { Reply } from '../../probes/smtp-reply.ts'
import { guard, L, lastLine, mailDomain, ownEndpoint } from '../support.ts'

/**
 * What proves VRFY off (RFC 5321): 502 "command not implemented" (Postfix disable_vrfy_command = yes) and 500
 * "command unrecognized" (§4.2.4, servers built without it); 252 "cannot VRFY user, but will accept message"
 * (§3.5.3) verifies nothing (Exim answers "252 Administrative prohibition" with or without a deny acl_smtp_vrfy);
 * and one same 5xx for every address that does not even quote it refuses without looking. Any other answer means the address went
 * through the server's checks (Postfix: "454 4.7.1 <a@b>: Relay access denied" for a domain it does not serve):
 * VRFY is on, and for its own domains it would answer 252 or 550 "User unknown".
 */
const DISABLED: ReadonlySet<number> = new Set([500, 502])

const echoes = (r: Reply, address: string): boolean => r.lines.join(' ').toLowerCase().includes(address.toLowerCase())

export default defineCheck({
  id: 'smtp.vrfy.disabled',
  title: L('VRFY désactivé', 'VRFY disabled'),
  explain: L(
    'La commande VRFY dit si une adresse existe. Un spammeur s’en sert pour trier des listes d’adresses. Le serveur doit la refuser (502) ou répondre pareil pour une adresse existante et inexistante.',
    'The VRFY command tells whether an address exists. Spammers use it to sort address lists. The server must refuse it (502) or answer the same for an existing and a non-existing address.',
  ),
  remedy: {
    postfix: 'main.cf: disable_vrfy_command = yes   puis: postfix reload',
    exim: 'Ne pas définir acl_smtp_vrfy (ou: acl_smtp_vrfy = acl_deny_vrfy avec un ACL « deny »)   puis: systemctl restart exim4',
  },
  appliesTo: ['remote', 'sandbox'],
  async run(ctx) {
    return guard(L('la commande VRFY', 'the VRFY command'), async () => {
      // Both addresses qualified alike, so only their existence differs (Exim rejects unqualified ones as syntax).
      const domain = mailDomain(ctx)
      const nobody = `nobody-${randomBytes(4).toString('hex')}@${domain}`
      const probed = [`postmaster@${domain}`, nobody] as const
      const r = await smtpCommands(ownEndpoint(ctx), probed.map((a) => `VRFY ${a}`), { tls: true })
      const [known, unknown] = [r.replies[0]!.reply, r.replies[1]!.reply]
      const evidence = { lines: r.transcript, facts: { postmaster: known.code, unknownUser: unknown.code } }
      if (known.code === 250 || known.code === 251)
        return verdict.fail(L(`VRFY confirme les adresses (« ${lastLine(known)} ») : on peut deviner vos boîtes.`, `VRFY confirms addresses ("${lastLine(known)}"): mailboxes can be guessed.`), evidence)
      if (Math.floor(known.code / 100) !== Math.floor(unknown.code / 100) || (known.code === 252 && unknown.code !== 252))
        return verdict.fail(
          L(
            `VRFY répond différemment pour postmaster (${known.code}) et pour une adresse inventée (${unknown.code}) : on peut deviner vos boîtes.`,
            `VRFY answers differently for postmaster (${known.code}) and for a made-up address (${unknown.code}): mailboxes can be guessed.`,
          ),
          evidence,
        )
      if (DISABLED.has(known.code) && DISABLED.has(unknown.code))
        return verdict.pass(L(`VRFY est désactivé (« ${lastLine(known)} »).`, `VRFY is disabled ("${lastLine(known)}").`), evidence)
      if (known.code === 252 && unknown.code === 252)
        return verdict.pass(L(`VRFY ne vérifie rien (« ${lastLine(known)} ») : 252 veut dire « ne peut pas vérifier » (RFC 5321 §3.5.3).`, `VRFY verifies nothing ("${lastLine(known)}"): 252 means "cannot verify" (RFC 5321 §3.5.3).`), evidence)
      if (known.code >= 500 && known.code === unknown.code && !echoes(known, probed[0]) && !echoes(unknown, probed[1]))
        return verdict.pass(L(`VRFY est refusé pour toute adresse (« ${lastLine(known)} »).`, `VRFY is refused whatever the address ("${lastLine(known)}").`), evidence)
      return verdict.fail(
        L(
          `VRFY est activé : le serveur a traité l’adresse demandée (« ${lastLine(known)} »). Pour une adresse d’un domaine qu’il sert, il dirait si la boîte existe.`,
          `VRFY is enabled: the server processed the address asked about ("${lastLine(known)}"). For an address in a domain it serves, it would tell whether the mailbox exists.`,
        ),
        evidence,
      )
    })
  },
})
