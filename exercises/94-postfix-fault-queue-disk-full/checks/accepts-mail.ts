// inbound.accepts-mail: the server accepts a message for a local mailbox (MAIL FROM and RCPT TO answered 250).
// Nothing is sent: the session ends with RSET and QUIT before DATA.
import { defineCheck, verdict } from '../../../checker/define.ts'
import { smtpCommands } from '../../../checker/probes/smtp.ts'
import { guard, L, ownEndpoint } from '../../../checker/checks/support.ts'

export default defineCheck({
  id: 'inbound.accepts-mail',
  title: L('Le serveur accepte le courrier', 'The server accepts mail'),
  explain: L(
    'Le correcteur ouvre une session SMTP sur le port 25 et annonce un message pour alice@domaine.tld (MAIL FROM, RCPT TO), sans l’envoyer. Un serveur sain répond 250 aux deux. Un 452 « Insufficient system storage » veut dire que Postfix manque de place pour sa file.',
    'The grader opens an SMTP session on port 25 and announces a message for alice@domaine.tld (MAIL FROM, RCPT TO) without sending it. A sound server answers 250 to both. A 452 "Insufficient system storage" means Postfix lacks room for its queue.',
  ),
  remedy: {
    postfix: 'df -h /var/spool/postfix ; du -ah --max-depth=1 /var/spool/postfix | sort -h ; libérer de la place ; mail.log dit « not enough free space in mail queue ».',
    exim: 'df -h /var/spool/exim4 ; check_spool_space dans la configuration.',
  },
  appliesTo: ['sandbox', 'remote'],
  async run(ctx) {
    return guard(L('l’envoi d’un message', 'announcing a message'), async () => {
      const r = await smtpCommands(ownEndpoint(ctx), ['MAIL FROM:<grader@example.com>', 'RCPT TO:<alice@domaine.tld>', 'RSET'], { tls: false })
      const [mail, rcpt] = [r.replies[0]!.reply, r.replies[1]!.reply]
      const evidence = { lines: r.transcript, facts: { mailFrom: mail.code, rcptTo: rcpt.code } }
      if (mail.code === 250 && rcpt.code === 250)
        return verdict.pass(L('MAIL FROM et RCPT TO acceptés (250) : le serveur prend le courrier.', 'MAIL FROM and RCPT TO accepted (250): the server takes mail.'), evidence)
      const bad = mail.code !== 250 ? mail : rcpt
      const text = bad.lines.join(' ')
      return verdict.fail(
        L(`Le serveur refuse le courrier : ${bad.code} ${text}.`, `The server refuses mail: ${bad.code} ${text}.`),
        evidence,
      )
    })
  },
})
