// outbound.delivers: a test message from the learner's Postfix reaches a partner MX (with or without TLS): the whole
// path a sender needs works, DNS included. Facts: Postfix's log and the partner's record, read through the archive API.
import { randomBytes } from 'node:crypto'
import { defineCheck, verdict } from '../../../checker/define.ts'
import type { SandboxHandle } from '../../../checker/sandbox-handle.ts'
import type { Verdict } from '../../../checker/types.ts'
import { stripControl } from '../../../core/text.ts'
import { DELIVERIES_LOG, MAIL_LOG, outcomeFromLog } from '../../06-postfix-outbound-policy/checks/outbound-tls-policy.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function text(sandbox: SandboxHandle, service: string, file: string, from = 0): Promise<{ size: number; text: string }> {
  const st = await sandbox.stat(service, file)
  if (!st?.isFile) return { size: 0, text: '' }
  const buf = await sandbox.readFile(service, file, st.size + 64 * 1024)
  return { size: buf.length, text: buf.subarray(Math.min(from, buf.length)).toString('utf8') }
}

export default defineCheck({
  id: 'outbound.delivers',
  title: { fr: 'Le serveur livre le courrier sortant', en: 'The server delivers outbound mail' },
  explain: {
    fr: 'Le correcteur envoie un message de test depuis votre Postfix vers le MX d’un partenaire. Il lit ensuite le journal de Postfix et le registre du partenaire. Le message doit arriver : MX trouvé dans le DNS, connexion établie, message accepté.',
    en: 'The grader sends a test message from your Postfix to a partner MX, then reads Postfix’s log and the partner’s record. The message must arrive: MX found in DNS, connection made, message accepted.',
  },
  remedy: {
    postfix: 'mailq et mail.log donnent la raison du report ; « Host or domain name not found » : dig depuis le serveur, le résolveur répond-il ?',
    exim: 'exim -bp et mainlog donnent la raison ; même diagnostic DNS.',
  },
  appliesTo: ['sandbox'],
  timeoutMs: 45_000,
  async run(ctx): Promise<Verdict> {
    const sandbox = ctx.sandbox
    if (!sandbox) return verdict.inconclusive('not-applicable', { fr: 'Cette vérification demande un bac à sable.', en: 'This check needs a sandbox.' })
    const service = ctx.target.service ?? 'mail'
    const domain = typeof ctx.params['domain'] === 'string' ? ctx.params['domain'] : 'secure-partner.com'
    const token = randomBytes(5).toString('hex')
    const rcpt = `grade-${token}@${domain}`
    const mailFrom = (await text(sandbox, service, MAIL_LOG)).size
    const partnersFrom = (await text(sandbox, 'partners', DELIVERIES_LOG)).size
    const sent = await sandbox.exec(service, ['/usr/sbin/sendmail', '-f', 'grader@domaine.tld', '--', rcpt], { stdin: `Subject: outbound ${token}\n\nTest ${token}\n`, timeoutMs: 15_000 })
    const lines = [`sendmail -f grader@domaine.tld ${rcpt} → exit ${sent.exitCode}`]
    if (sent.exitCode !== 0)
      return verdict.fail({ fr: `Postfix refuse le message de test (${stripControl(sent.stderr.trim())}).`, en: `Postfix refuses the test message (${stripControl(sent.stderr.trim())}).` }, { lines })
    const deadline = Date.now() + 30_000
    let qid: string | null = null
    try {
      while (Date.now() < deadline && !ctx.signal.aborted) {
        const outcome = outcomeFromLog((await text(sandbox, service, MAIL_LOG, mailFrom)).text, rcpt)
        qid = /\]: ([0-9A-F]{6,}|[0-9A-Za-z]{12,}): to=</.exec(outcome.statusLine ?? '')?.[1] ?? qid
        const delivered = (await text(sandbox, 'partners', DELIVERIES_LOG, partnersFrom)).text.includes(token)
        if (outcome.statusLine) {
          lines.push(`mail.log: ${stripControl(outcome.statusLine.trim())}`)
          const facts = { status: outcome.status, partnerRecorded: delivered }
          if (outcome.status === 'sent' && delivered) {
            qid = null
            return verdict.pass({ fr: `Message livré à ${domain}.`, en: `Message delivered to ${domain}.` }, { lines, facts })
          }
          if (outcome.status !== 'sent') {
            const why = stripControl(/\((.*)\)\s*$/.exec(outcome.statusLine)?.[1] ?? outcome.status ?? '')
            return verdict.fail({ fr: `Le message vers ${domain} n’est pas parti (${outcome.status}) : ${why}.`, en: `The message to ${domain} was not delivered (${outcome.status}): ${why}.` }, { lines, facts })
          }
        }
        await sleep(500)
      }
      return verdict.inconclusive('timeout', { fr: `Aucun essai de livraison vers ${domain} en 30 s.`, en: `No delivery attempt to ${domain} within 30 s.` }, { lines })
    } finally {
      // A deferred test message must not be retried in the middle of another check.
      if (qid) await sandbox.exec(service, ['postsuper', '-d', qid]).catch(() => undefined)
    }
  },
})
