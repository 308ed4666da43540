// smtp.etrn.rejected: strangers must not be able to make the server flush its queue with ETRN.
import { defineCheck, verdict } from '../../define.ts'
import { smtpCommands } from '../../probes/smtp.ts'
import { guard, L, lastLine, mailDomain, ownEndpoint } from '../support.ts'

/** Words of a policy refusal (Exim: "458 Administrative prohibition"), as opposed to "this domain is not queued here". */
const POLICY = /prohibit|denied|reject|not (allowed|permitted)|access/i

export default defineCheck({
  id: 'smtp.etrn.rejected',
  title: L('ETRN refusé', 'ETRN rejected'),
  explain: L(
    'ETRN demande au serveur de vider sa file d’attente vers un domaine. Ouvert à tous, il permet de provoquer de la charge et d’apprendre quels domaines sont relayés. Sauf besoin précis, il doit être refusé (5xx).',
    'ETRN asks the server to flush its queue toward a domain. Open to anyone, it lets strangers create load and learn which domains are relayed. Unless you need it, it must be refused (5xx).',
  ),
  remedy: {
    postfix: 'main.cf: smtpd_etrn_restrictions = reject   puis: postfix reload',
    exim: 'Ne pas définir acl_smtp_etrn (ETRN est alors refusé), ou un ACL qui fait « deny »   puis: systemctl restart exim4',
  },
  appliesTo: ['remote', 'sandbox'],
  async run(ctx) {
    return guard(L('la commande ETRN', 'the ETRN command'), async () => {
      const domain = mailDomain(ctx)
      const r = await smtpCommands(ownEndpoint(ctx), [`ETRN ${domain}`], { tls: true })
      const reply = r.replies[0]!.reply
      const evidence = { lines: r.transcript, facts: { code: reply.code, advertised: r.ehlo.extensions.has('ETRN') } }
      if (reply.code >= 200 && reply.code < 300)
        return verdict.fail(L(`Votre serveur accepte ETRN de n’importe qui (« ${lastLine(reply)} »).`, `Your server accepts ETRN from anyone ("${lastLine(reply)}").`), evidence)
      if (reply.code >= 400 && reply.code < 500 && !POLICY.test(reply.lines.join(' ')))
        return verdict.warn(
          L(
            `ETRN est traité mais ce domaine n’a pas été mis en file (« ${lastLine(reply)} ») : refusez la commande elle-même.`,
            `ETRN is processed but this domain was not queued ("${lastLine(reply)}"): refuse the command itself.`,
          ),
          evidence,
        )
      return verdict.pass(L(`ETRN est refusé (« ${lastLine(reply)} »).`, `ETRN is rejected ("${lastLine(reply)}").`), evidence)
    })
  },
})
