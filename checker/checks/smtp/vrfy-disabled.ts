// smtp.vrfy.disabled: VRFY must not let anyone test which mailboxes exist.
import { randomBytes } from 'node:crypto'
import { defineCheck, verdict } from '../../define.ts'
import { smtpCommands } from '../../probes/smtp.ts'
import { guard, L, lastLine, mailDomain, ownEndpoint } from '../support.ts'

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
      const r = await smtpCommands(ownEndpoint(ctx), [`VRFY postmaster@${domain}`, `VRFY ${nobody}`], { tls: true })
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
      if (known.code >= 400 && known.code < 500 && unknown.code >= 400 && unknown.code < 500)
        return verdict.inconclusive('temporary', L(`Réponse temporaire à VRFY (« ${lastLine(known)} »).`, `Temporary answer to VRFY ("${lastLine(known)}").`), evidence)
      return verdict.pass(L(`VRFY ne révèle rien (« ${lastLine(known)} »).`, `VRFY reveals nothing ("${lastLine(known)}").`), evidence)
    })
  },
})
