// attack.starttls.downgrade: with the attacker on the route to orders.secure-partner.com, the learner's Postfix must
// defer rather than send in clear, then deliver over verified TLS once the attacker steps aside.
import { randomBytes } from 'node:crypto'
import { defineCheck, verdict } from '../../../checker/define.ts'
import type { SandboxHandle } from '../../../checker/sandbox-handle.ts'
import type { Verdict } from '../../../checker/types.ts'
import { stripControl } from '../../../core/text.ts'
import { DELIVERIES_LOG, MAIL_LOG, outcomeFromLog, parseDelivery, type DeliveryRecord, type LogOutcome } from '../../06-postfix-outbound-policy/checks/outbound-tls-policy.ts'
import { attackerCapture, attackerFileSize, attackerMode, attackerSessions, hasAttacker, needsAttacker, setAttackerMode, type AttackerSession } from '../../shared/attacker.ts'

export const ATTACK_DOMAIN = 'orders.secure-partner.com'
const WAIT_MS = 30_000
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

type Facts = Record<string, string | number | boolean | null>

async function sizeOf(sandbox: SandboxHandle, service: string, file: string): Promise<number> {
  const st = await sandbox.stat(service, file)
  return st?.isFile ? st.size : 0
}

async function textFrom(sandbox: SandboxHandle, service: string, file: string, offset: number): Promise<string> {
  const st = await sandbox.stat(service, file)
  if (!st?.isFile) return ''
  const buf = await sandbox.readFile(service, file, st.size + 64 * 1024)
  return buf.subarray(buf.length >= offset ? offset : 0).toString('utf8')
}

/** The queue id in Postfix's `QID: to=<…>` line. */
const queueIdOf = (line: string | null): string | null => (line ? /\]: ([0-9A-F]{6,}|[0-9A-Za-z]{12,}): to=</.exec(line)?.[1] ?? null : null)

/** Whether the message sits in Postfix's deferred queue: the queue file itself, read through the archive API. */
async function inDeferredQueue(sandbox: SandboxHandle, qid: string): Promise<boolean> {
  // Debian's Postfix hashes the deferred queue one level deep, by the first character of the queue id.
  const st = await sandbox.stat('mail', `/var/spool/postfix/deferred/${qid[0]}/${qid}`)
  return Boolean(st?.isFile)
}

interface Observation {
  readonly outcome: LogOutcome
  readonly delivery: DeliveryRecord | null
  readonly sessions: readonly AttackerSession[]
  /** The attacker session whose capture holds the test token, and that capture's lines naming it. */
  readonly leaked: { readonly session: AttackerSession; readonly excerpt: readonly string[] } | null
}

interface Marks {
  readonly mail: number
  readonly partners: number
  readonly attacker: number
}

async function marks(sandbox: SandboxHandle): Promise<Marks> {
  return {
    mail: await sizeOf(sandbox, 'mail', MAIL_LOG),
    partners: await sizeOf(sandbox, 'partners', DELIVERIES_LOG),
    attacker: await attackerFileSize(sandbox, 'sessions.jsonl'),
  }
}

/** Watches Postfix's log, the partner's record and the attacker's records until the message is settled one way or another. */
async function observe(sandbox: SandboxHandle, rcpt: string, token: string, from: Marks, signal: AbortSignal, until: (o: Observation) => boolean): Promise<Observation> {
  let last: Observation = { outcome: { status: null, statusLine: null, tlsLevel: null, tlsLine: null }, delivery: null, sessions: [], leaked: null }
  const deadline = Date.now() + WAIT_MS
  while (Date.now() < deadline && !signal.aborted) {
    const outcome = outcomeFromLog(await textFrom(sandbox, 'mail', MAIL_LOG, from.mail), rcpt)
    const delivery =
      (await textFrom(sandbox, 'partners', DELIVERIES_LOG, from.partners))
        .split('\n')
        .filter((l) => l.includes(token))
        .map(parseDelivery)
        .find((d): d is DeliveryRecord => d !== null) ?? null
    const sessions = await attackerSessions(sandbox, from.attacker)
    let leaked: Observation['leaked'] = null
    for (const s of sessions) {
      const capture = await attackerCapture(sandbox, s)
      if (capture.includes(token)) {
        leaked = { session: s, excerpt: capture.split('\n').filter((l) => /^C: (MAIL FROM|RCPT TO|Subject:|Test message)/i.test(l)).slice(0, 6) }
        break
      }
    }
    last = { outcome, delivery, sessions, leaked }
    if (until(last)) break
    await sleep(700)
  }
  return last
}

const settledUnderAttack = (o: Observation) => o.delivery !== null || (o.outcome.status !== null && o.outcome.status !== 'sent')
const settledAfter = (o: Observation) => (o.delivery !== null && o.outcome.status === 'sent') || (o.outcome.status !== null && o.outcome.status !== 'sent' && o.sessions.length > 0)

export default defineCheck({
  id: 'attack.starttls.downgrade',
  title: { fr: 'Résistance au retrait de STARTTLS (downgrade)', en: 'Resists STARTTLS stripping (downgrade)' },
  explain: {
    fr: 'L’attaquant du lab se place sur la route vers mx.orders.secure-partner.com et retire STARTTLS de la réponse EHLO du partenaire. Le correcteur envoie un message de test depuis votre Postfix et lit trois témoins qu’il ne vous laisse pas réécrire : ce que le partenaire a reçu, ce que l’attaquant a capturé, et le journal et la file de Postfix. Attendu : le message reste en file (différé) tant que l’attaquant est là, puis part en TLS vérifié quand il s’écarte.',
    en: 'The lab attacker sits on the route to mx.orders.secure-partner.com and strips STARTTLS from the partner’s EHLO reply. The grader sends a test message from your Postfix and reads three witnesses you cannot rewrite: what the partner received, what the attacker captured, and Postfix’s log and queue. Expected: the message stays queued (deferred) while the attacker is there, then leaves over verified TLS when it steps aside.',
  },
  remedy: {
    postfix:
      'MTA-STS : démarrer postfix-mta-sts-resolver et smtp_tls_policy_maps = socketmap:inet:127.0.0.1:8461:postfix ; ou DANE : smtp_dns_support_level = dnssec et smtp_tls_security_level = dane ; puis systemctl reload postfix.',
    exim: 'DANE : dnssec_request_domains = * et hosts_try_dane = * sur le transport remote_smtp.',
  },
  appliesTo: ['sandbox'],
  timeoutMs: 90_000,
  async run(ctx): Promise<Verdict> {
    const sandbox = ctx.sandbox
    if (!sandbox || !hasAttacker(sandbox)) return needsAttacker()
    const service = ctx.target.service ?? 'mail'
    const domain = typeof ctx.params['domain'] === 'string' ? ctx.params['domain'] : ATTACK_DOMAIN
    const previousMode = await attackerMode(sandbox)
    const token = randomBytes(5).toString('hex')
    const rcpt = `grade-${token}@${domain}`
    const lines: string[] = []
    const facts: Facts = { domain }
    let qid: string | null = null
    try {
      await setAttackerMode(sandbox, 'strip')
      lines.push('attacker: on the path, mode strip (STARTTLS removed from the partner’s EHLO reply)')
      const before = await marks(sandbox)
      const message =
        `From: grader@domaine.tld\nTo: ${rcpt}\nSubject: confidential order ${token}\n` +
        `Message-ID: <${token}@grader.domaine.tld>\n\nTest message ${token}: card number 4970 1000 0000 0000.\n`
      const sent = await sandbox.exec(service, ['/usr/sbin/sendmail', '-f', 'grader@domaine.tld', '--', rcpt], { stdin: message, timeoutMs: 15_000 })
      lines.push(`sendmail -f grader@domaine.tld ${rcpt} → exit ${sent.exitCode}`)
      if (sent.exitCode !== 0)
        return verdict.fail(
          { fr: `Postfix refuse le message de test (sendmail : ${stripControl(sent.stderr.trim())}).`, en: `Postfix refuses the test message (sendmail: ${stripControl(sent.stderr.trim())}).` },
          { lines, facts },
        )
      const a = await observe(sandbox, rcpt, token, before, ctx.signal, settledUnderAttack)
      qid = queueIdOf(a.outcome.statusLine)
      facts['underAttackStatus'] = a.outcome.status
      facts['partnerSawTls'] = a.delivery ? a.delivery.tls : null
      facts['attackerStripped'] = a.sessions.some((s) => s.strippedStarttls)
      facts['attackerCaptured'] = a.leaked !== null
      if (a.outcome.statusLine) lines.push(`mail.log: ${stripControl(a.outcome.statusLine.trim())}`)
      if (a.delivery) lines.push(`partners: ${stripControl(JSON.stringify(a.delivery.raw))}`)
      for (const s of a.sessions) lines.push(`attacker: session from ${s.client}, mode ${s.mode}, STARTTLS stripped: ${s.strippedStarttls}, clear bytes ${s.clearBytes}`)
      if (a.leaked) lines.push(...a.leaked.excerpt.map((l) => `attacker capture: ${stripControl(l)}`))
      if (a.delivery && !a.delivery.tls)
        return verdict.fail(
          {
            fr: `Le message vers ${domain} est parti EN CLAIR à travers l’attaquant${a.leaked ? ', qui en a capturé le contenu' : ''} : Postfix accepte la perte de STARTTLS (smtp_tls_security_level = may, aucune politique MTA-STS ni DANE appliquée).`,
            en: `The message to ${domain} went IN CLEAR TEXT through the attacker${a.leaked ? ', which captured its content' : ''}: Postfix accepts losing STARTTLS (smtp_tls_security_level = may, no MTA-STS or DANE policy applied).`,
          },
          { lines, facts },
        )
      if (a.delivery)
        return verdict.fail(
          {
            fr: `Le message vers ${domain} a été livré sans passer par l’attaquant : la route publiée dans le DNS (MX) est contournée, la politique n’est donc pas éprouvée.`,
            en: `The message to ${domain} was delivered without passing the attacker: the route published in DNS (MX) is bypassed, so the policy is not put to the test.`,
          },
          { lines, facts },
        )
      if (a.outcome.status === 'bounced')
        return verdict.fail(
          { fr: `Le message vers ${domain} a été rejeté définitivement (bounce) au lieu d’être différé : ${a.outcome.statusLine ?? ''}`, en: `The message to ${domain} bounced instead of being deferred: ${a.outcome.statusLine ?? ''}` },
          { lines, facts },
        )
      if (a.outcome.status !== 'deferred')
        return verdict.inconclusive(
          'timeout',
          { fr: `Ni livraison ni report du message vers ${domain} en ${WAIT_MS / 1000} s.`, en: `The message to ${domain} was neither delivered nor deferred within ${WAIT_MS / 1000} s.` },
          { lines, facts },
        )
      facts['queuedDeferred'] = qid ? await inDeferredQueue(sandbox, qid) : false
      if (qid) lines.push(`queue: ${qid} ${facts['queuedDeferred'] ? 'in' : 'not in'} /var/spool/postfix/deferred`)

      // The attacker steps aside: it now relays bytes untouched, so the two ends' TLS goes through.
      await setAttackerMode(sandbox, 'pass')
      lines.push('attacker: steps aside, mode pass (relays bytes untouched)')
      const after = await marks(sandbox)
      await sandbox.exec(service, qid ? ['postqueue', '-i', qid] : ['postqueue', '-f']).catch(() => undefined)
      const b = await observe(sandbox, rcpt, token, after, ctx.signal, settledAfter)
      facts['afterStatus'] = b.outcome.status
      facts['afterTlsLevel'] = b.outcome.tlsLevel
      facts['afterPartnerSawTls'] = b.delivery ? b.delivery.tls : null
      if (b.outcome.tlsLine) lines.push(`mail.log: ${stripControl(b.outcome.tlsLine.trim())}`)
      if (b.outcome.statusLine) lines.push(`mail.log: ${stripControl(b.outcome.statusLine.trim())}`)
      if (b.delivery) lines.push(`partners: ${stripControl(JSON.stringify(b.delivery.raw))}`)
      if (b.delivery && b.outcome.status === 'sent') {
        qid = null
        if (b.delivery.tls && b.outcome.tlsLevel === 'Verified')
          return verdict.pass(
            {
              fr: `Sous l’attaque, Postfix a gardé le message en file au lieu de l’envoyer en clair ; l’attaquant parti, il l’a livré à ${domain} en TLS vérifié.`,
              en: `Under attack, Postfix kept the message queued instead of sending it in clear; with the attacker gone, it delivered it to ${domain} over verified TLS.`,
            },
            { lines, facts },
          )
        return verdict.fail(
          {
            fr: `Livré à ${domain} en TLS ${b.outcome.tlsLevel ?? (b.delivery.tls ? '' : 'ABSENT')} mais sans vérification du certificat du partenaire : un attaquant qui présente son propre certificat passerait (niveau encrypt, pas MTA-STS ni DANE).`,
            en: `Delivered to ${domain} over TLS ${b.outcome.tlsLevel ?? (b.delivery.tls ? '' : 'ABSENT')} but without verifying the partner’s certificate: an attacker presenting its own certificate would get through (encrypt level, not MTA-STS or DANE).`,
          },
          { lines, facts },
        )
      }
      const why = /\((.*)\)\s*$/.exec(b.outcome.statusLine ?? '')?.[1] ?? b.outcome.status ?? 'no attempt logged'
      return verdict.fail(
        {
          fr: `L’attaquant parti, le message vers ${domain} ne part toujours pas (${stripControl(why)}) : la politique bloque aussi la route saine.`,
          en: `With the attacker gone, the message to ${domain} still does not leave (${stripControl(why)}): the policy also blocks the sound route.`,
        },
        { lines, facts },
      )
    } finally {
      // The test message must not be retried in the middle of another check; the attacker goes back as it was.
      if (qid) await sandbox.exec(service, ['postsuper', '-d', qid]).catch(() => undefined)
      await setAttackerMode(sandbox, previousMode).catch(() => undefined)
    }
  },
})
