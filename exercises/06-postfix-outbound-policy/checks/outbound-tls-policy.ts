// outbound.tls.policy: a test message from the learner's Postfix reaches a partner MX with the TLS the policy demands.
import { randomBytes } from 'node:crypto'
import { defineCheck, verdict } from '../../../checker/define.ts'
import type { SandboxHandle } from '../../../checker/sandbox-handle.ts'
import type { Verdict } from '../../../checker/types.ts'

export type Expectation = 'plain' | 'encrypted' | 'verified'

/** Where the partners service records each message it accepts, one JSON object per line. */
export const DELIVERIES_LOG = '/var/log/partners/deliveries.jsonl'
/** Postfix's log in the mail service. */
export const MAIL_LOG = '/var/log/mail.log'

export interface DeliveryRecord {
  readonly rcpt: readonly string[]
  readonly tls: boolean
  readonly protocol?: string | null
  readonly cipher?: string | null
  readonly raw: Readonly<Record<string, unknown>>
}

/** Reads one deliveries.jsonl line, tolerating the field spellings a partner server may use. */
export function parseDelivery(line: string): DeliveryRecord | null {
  let o: unknown
  try {
    o = JSON.parse(line)
  } catch {
    return null
  }
  if (typeof o !== 'object' || o === null) return null
  const r = o as Record<string, unknown>
  const rcptField = r['rcpt'] ?? r['rcptTo'] ?? r['to'] ?? r['recipients']
  const rcpt = (Array.isArray(rcptField) ? rcptField : [rcptField])
    .map((x) => (typeof x === 'string' ? x : typeof x === 'object' && x && 'address' in x ? String((x as { address: unknown }).address) : ''))
    .filter(Boolean)
    .map((x) => x.toLowerCase())
  const tlsField = r['tls'] ?? r['secure']
  const tlsObj = typeof tlsField === 'object' && tlsField !== null ? (tlsField as Record<string, unknown>) : null
  const tls = tlsObj ? tlsObj['enabled'] !== false : tlsField === true
  const protocol = (tlsObj?.['protocol'] ?? tlsObj?.['version'] ?? r['protocol'] ?? r['tlsProtocol'] ?? null) as string | null
  const cipher = (tlsObj?.['cipher'] ?? r['cipher'] ?? r['tlsCipher'] ?? null) as string | null
  return { rcpt, tls, protocol: typeof protocol === 'string' ? protocol : null, cipher: typeof cipher === 'string' ? cipher : null, raw: r }
}

export interface LogOutcome {
  /** sent, deferred, bounced… from the `status=` field, or null when Postfix has not tried yet. */
  readonly status: string | null
  readonly statusLine: string | null
  /** Anonymous | Untrusted | Trusted | Verified, from the same smtp process, or null for a plaintext session. */
  readonly tlsLevel: string | null
  readonly tlsLine: string | null
}

/** Finds what Postfix's smtp client logged for one recipient: delivery status and the TLS line of the same process. */
export function outcomeFromLog(log: string, rcpt: string): LogOutcome {
  const lines = log.split('\n')
  const needle = `to=<${rcpt.toLowerCase()}>`
  let idx = -1
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i]!.toLowerCase().includes(needle) && / status=/.test(lines[i]!) && /postfix[^\s]*\/smtp\[/.test(lines[i]!)) {
      idx = i
      break
    }
  }
  if (idx < 0) return { status: null, statusLine: null, tlsLevel: null, tlsLine: null }
  const statusLine = lines[idx]!
  const status = / status=([a-z]+)/.exec(statusLine)?.[1] ?? null
  const pid = /\/smtp\[(\d+)\]/.exec(statusLine)?.[1]
  let tlsLevel: string | null = null
  let tlsLine: string | null = null
  // The TLS line precedes the status line of the same session, in the same smtp process.
  for (let i = idx - 1; i >= 0 && pid; i--) {
    const l = lines[i]!
    if (!l.includes(`/smtp[${pid}]`)) continue
    const m = /(Anonymous|Untrusted|Trusted|Verified) TLS connection established to/.exec(l)
    if (m) {
      tlsLevel = m[1]!
      tlsLine = l
      break
    }
    // A previous delivery by the same process ends the search: its session was another connection.
    if (/ status=/.test(l)) break
  }
  return { status, statusLine, tlsLevel, tlsLine }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

// Logs are read through the engine (stat, archive), never with a program of the graded container.
async function logSize(sandbox: SandboxHandle, service: string, file: string): Promise<number> {
  const st = await sandbox.stat(service, file)
  return st?.isFile ? st.size : 0
}

async function readFrom(sandbox: SandboxHandle, service: string, file: string, offset: number): Promise<string> {
  const st = await sandbox.stat(service, file)
  if (!st?.isFile) return ''
  const buf = await sandbox.readFile(service, file, st.size + 64 * 1024)
  return buf.subarray(buf.length >= offset ? offset : 0).toString('utf8')
}

interface Attempt {
  readonly rcpt: string
  readonly outcome: LogOutcome
  readonly delivery: DeliveryRecord | null
  readonly lines: readonly string[]
  /** sendmail's refusal, when Postfix would not even queue the message. */
  readonly refused?: string
}

/** Sends one test message to `domain` through the learner's Postfix and watches its log and the partner's record for up to 30 s. */
async function attempt(sandbox: SandboxHandle, service: string, domain: string, signal: AbortSignal, label: string): Promise<Attempt> {
  const token = randomBytes(5).toString('hex')
  const rcpt = `grade-${token}@${domain}`
  const lines: string[] = []
  const mailFrom = await logSize(sandbox, service, MAIL_LOG)
  const partnersFrom = await logSize(sandbox, 'partners', DELIVERIES_LOG)
  const message =
    `From: grader@domaine.tld\nTo: ${rcpt}\nSubject: smtp-tls-lab outbound TLS test ${token}\n` +
    `Message-ID: <${token}@grader.domaine.tld>\n\nTest message ${token}.\n`
  const sent = await sandbox.exec(service, ['/usr/sbin/sendmail', '-f', 'grader@domaine.tld', '--', rcpt], { stdin: message, timeoutMs: 15_000 })
  lines.push(`${label}sendmail -f grader@domaine.tld ${rcpt} → exit ${sent.exitCode}`)
  const none: LogOutcome = { status: null, statusLine: null, tlsLevel: null, tlsLine: null }
  if (sent.exitCode !== 0) return { rcpt, outcome: none, delivery: null, lines: [...lines, sent.stderr.trim()], refused: sent.stderr.trim() || `exit ${sent.exitCode}` }
  let delivery: DeliveryRecord | null = null
  let outcome = none
  const deadline = Date.now() + 30_000
  for (let kick = 0; Date.now() < deadline && !signal.aborted; kick++) {
    outcome = outcomeFromLog(await readFrom(sandbox, service, MAIL_LOG, mailFrom), rcpt)
    const deliveries = await readFrom(sandbox, 'partners', DELIVERIES_LOG, partnersFrom)
    delivery =
      deliveries
        .split('\n')
        .filter((l) => l.includes(token))
        .map(parseDelivery)
        .find((d): d is DeliveryRecord => d !== null) ?? null
    if (outcome.status && outcome.status !== 'sent') break
    if (delivery && outcome.status === 'sent') break
    // A message held by an earlier failure waits for the queue manager; flush once in a while.
    if (kick % 6 === 5) await sandbox.exec(service, ['postqueue', '-f']).catch(() => undefined)
    await sleep(500)
  }
  if (outcome.tlsLine) lines.push(`${label}mail.log: ${outcome.tlsLine.trim()}`)
  if (outcome.statusLine) lines.push(`${label}mail.log: ${outcome.statusLine.trim()}`)
  if (delivery) lines.push(`${label}partners: ${JSON.stringify(delivery.raw)}`)
  return { rcpt, outcome, delivery, lines }
}

/** Asks the partner MX to leave STARTTLS out of its next EHLO answer, as a downgrading man in the middle would. */
async function stripStartTls(sandbox: SandboxHandle, count: number): Promise<string> {
  const res = await fetch(`http://${sandbox.address('partners')}:8080/strip-starttls?count=${count}`, { method: 'POST', signal: AbortSignal.timeout(5000) })
  const text = (await res.text()).trim()
  if (!res.ok) throw new Error(`partners /strip-starttls: HTTP ${res.status} ${text}`)
  return text
}

/** The queue id Postfix logged for a recipient (`7D6C01A00AA: to=<…>`), to remove the test message it deferred. */
const queueIdOf = (statusLine: string | null): string | null => (statusLine ? /\]: ([0-9A-F]{6,}|[0-9A-Za-z]{12,}): to=</.exec(statusLine)?.[1] ?? null : null)

function expectationOf(v: unknown): Expectation | null {
  return v === 'plain' || v === 'encrypted' || v === 'verified' ? v : null
}

const WHAT: Record<Expectation, { fr: string; en: string }> = {
  plain: { fr: 'sans TLS (politique none)', en: 'without TLS (policy none)' },
  encrypted: { fr: 'chiffré par TLS (politique encrypt)', en: 'encrypted with TLS (policy encrypt)' },
  verified: { fr: 'en TLS avec certificat vérifié (politique verify)', en: 'over TLS with a verified certificate (policy verify)' },
}

export default defineCheck({
  id: 'outbound.tls.policy',
  title: { fr: 'Politique TLS sortante appliquée', en: 'Outbound TLS policy applied' },
  explain: {
    fr: 'Le correcteur envoie un message de test depuis votre Postfix vers le MX d’un partenaire, puis lit ce que le partenaire a reçu (TLS ou non) et ce que Postfix a journalisé (« Verified TLS connection established » quand le certificat du partenaire a été vérifié). Ainsi on juge le comportement réel, pas seulement le fichier de politique.',
    en: 'The grader sends a test message from your Postfix to a partner MX, then reads what the partner received (TLS or not) and what Postfix logged ("Verified TLS connection established" when the partner certificate was verified). This judges real behaviour, not only the policy file.',
  },
  remedy: {
    postfix:
      'smtp_tls_policy_maps = hash:/etc/postfix/tls_policy (domaine niveau : encrypt, verify, none…), postmap /etc/postfix/tls_policy, smtp_tls_CAfile = l’autorité du partenaire pour verify, puis systemctl reload postfix.',
    exim: 'hosts_require_tls / tls_verify_hosts (et tls_verify_certificates) sur le transport remote_smtp, par domaine.',
  },
  appliesTo: ['sandbox'],
  timeoutMs: 45_000,
  async run(ctx): Promise<Verdict> {
    const sandbox = ctx.sandbox
    const domain = typeof ctx.params['domain'] === 'string' ? ctx.params['domain'].toLowerCase() : null
    const expect = expectationOf(ctx.params['expect'])
    if (!sandbox || !domain || !expect)
      return verdict.inconclusive('not-applicable', {
        fr: 'Cette vérification demande un bac à sable, un domaine et une attente (plain, encrypted, verified).',
        en: 'This check needs a sandbox, a domain and an expectation (plain, encrypted, verified).',
      })
    const service = ctx.target.service ?? 'mail'
    const first = await attempt(sandbox, service, domain, ctx.signal, '')
    const { outcome, delivery } = first
    const lines = [...first.lines]
    const what = WHAT[expect]
    if (first.refused)
      return verdict.fail(
        {
          fr: `Postfix refuse le message de test pour ${domain} (sendmail : ${first.refused}).`,
          en: `Postfix refuses the test message for ${domain} (sendmail: ${first.refused}).`,
        },
        { lines, facts: { domain, expect, refused: first.refused } },
      )
    const facts: Record<string, string | number | boolean | null> = {
      domain,
      expect,
      status: outcome.status,
      tlsLevel: outcome.tlsLevel,
      partnerSawTls: delivery ? delivery.tls : null,
      protocol: delivery?.protocol ?? null,
    }
    if (outcome.status && outcome.status !== 'sent') {
      const why = /\((.*)\)\s*$/.exec(outcome.statusLine ?? '')?.[1] ?? outcome.status
      return verdict.fail(
        {
          fr: `Le message vers ${domain} n’est pas parti (${outcome.status}) : ${why}. Attendu : livré ${what.fr}.`,
          en: `The message to ${domain} was not delivered (${outcome.status}): ${why}. Expected: delivered ${what.en}.`,
        },
        { lines, facts },
      )
    }
    if (!delivery)
      return verdict.inconclusive(
        'timeout',
        { fr: `Aucune livraison vers ${domain} observée en 30 s.`, en: `No delivery to ${domain} seen within 30 s.` },
        { lines, facts },
      )
    const usedTls = delivery.tls || outcome.tlsLevel !== null
    if (expect === 'plain') {
      return usedTls
        ? verdict.fail(
            {
              fr: `Le message vers ${domain} est parti en TLS : la politique « none » n’est pas appliquée.`,
              en: `The message to ${domain} went over TLS: the "none" policy is not applied.`,
            },
            { lines, facts },
          )
        : verdict.pass({ fr: `Livré à ${domain} sans TLS, comme la politique le demande.`, en: `Delivered to ${domain} without TLS, as the policy says.` }, { lines, facts })
    }
    if (!usedTls)
      return verdict.fail(
        {
          fr: `Le message vers ${domain} est parti EN CLAIR alors qu’il devait partir ${what.fr}.`,
          en: `The message to ${domain} went IN CLEAR TEXT while it had to go ${what.en}.`,
        },
        { lines, facts },
      )
    if (expect === 'verified' && outcome.tlsLevel !== 'Verified')
      return verdict.fail(
        {
          fr: `Le message vers ${domain} est parti en TLS mais sans vérification du certificat (${outcome.tlsLevel ?? 'niveau inconnu'}).`,
          en: `The message to ${domain} went over TLS but without certificate verification (${outcome.tlsLevel ?? 'unknown level'}).`,
        },
        { lines, facts },
      )
    if (expect === 'encrypted') {
      // `may` also uses TLS when it is offered: only a downgrade tells it from `encrypt`, which must then defer.
      lines.push(`partners: ${await stripStartTls(sandbox, 1)}`)
      let down: Attempt
      try {
        down = await attempt(sandbox, service, domain, ctx.signal, '[STARTTLS stripped] ')
      } finally {
        await stripStartTls(sandbox, 0).catch(() => undefined)
      }
      lines.push(...down.lines)
      facts['downgradeStatus'] = down.outcome.status
      facts['downgradePartnerSawTls'] = down.delivery ? down.delivery.tls : null
      const qid = queueIdOf(down.outcome.statusLine)
      // The deferred test message would otherwise be retried later, in the middle of another check.
      if (down.outcome.status === 'deferred' && qid) await sandbox.exec(service, ['postsuper', '-d', qid]).catch(() => undefined)
      if (down.delivery && !down.delivery.tls)
        return verdict.fail(
          {
            fr: `Quand STARTTLS disparaît (un attaquant le retire de la réponse EHLO), le message vers ${domain} part EN CLAIR : c’est le comportement de « may », pas de « encrypt ».`,
            en: `When STARTTLS disappears (an attacker strips it from the EHLO reply), the message to ${domain} goes IN CLEAR TEXT: that is "may", not "encrypt".`,
          },
          { lines, facts },
        )
      if (down.outcome.status !== 'deferred' && down.outcome.status !== 'bounced')
        return verdict.inconclusive(
          'timeout',
          {
            fr: `Après le retrait de STARTTLS, ni report ni livraison du message vers ${domain} observés en 30 s.`,
            en: `After STARTTLS was stripped, the message to ${domain} was neither deferred nor delivered within 30 s.`,
          },
          { lines, facts },
        )
      return verdict.pass(
        {
          fr: `Livré à ${domain} ${what.fr} ; quand STARTTLS est retiré, Postfix garde le message au lieu de l’envoyer en clair.`,
          en: `Delivered to ${domain} ${what.en}; when STARTTLS is stripped, Postfix holds the message instead of sending it in clear.`,
        },
        { lines, facts },
      )
    }
    return verdict.pass(
      { fr: `Livré à ${domain} ${what.fr}.`, en: `Delivered to ${domain} ${what.en}.` },
      { lines, facts },
    )
  },
})
