// monitoring.expiry-alert: the learner's expiry script mails an alert for a certificate about to expire, and stays quiet otherwise.
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { defineCheck, verdict } from '../../../checker/define.ts'
import { isVerdict } from '../../../checker/checks/dns/shared.ts'
import { needSandbox, serviceOf } from '../../../checker/checks/file/shared.ts'
import type { FileStat, SandboxHandle, ServiceName } from '../../../checker/sandbox-handle.ts'
import type { Verdict } from '../../../checker/types.ts'

export const DEFAULT_SCRIPT = '/usr/local/bin/check-cert-expiry'
/** The cron table a graded submission carries (its basename differs from the script's, so a flat folder or zip can hold both). */
export const DEFAULT_CRON = '/etc/cron.d/cert-expiry'
export const DEFAULT_CERT = '/usr/local/hestia/ssl/mail/mail.domaine.tld.crt'
/** postmaster@domaine.tld is an alias of alice, whose Maildir Exim fills. */
export const DEFAULT_MAILDIR = '/home/admin/mail/domaine.tld/alice/new'

interface Saved {
  readonly path: string
  readonly content: Buffer | null
  readonly stat: FileStat | null
}

async function save(sb: SandboxHandle, service: ServiceName, path: string): Promise<Saved> {
  const stat = await sb.stat(service, path)
  return { path, stat, content: stat ? await sb.readFile(service, path, 1024 * 1024) : null }
}

async function restore(sb: SandboxHandle, service: ServiceName, s: Saved): Promise<void> {
  if (!s.content || !s.stat) {
    await sb.exec(service, ['rm', '-f', '--', s.path])
    return
  }
  await sb.writeFile(service, s.path, s.content, s.stat.mode)
  await sb.exec(service, ['chown', `${s.stat.uid}:${s.stat.gid}`, '--', s.path])
  await sb.exec(service, ['chmod', s.stat.mode.toString(8), '--', s.path])
}

/** A P-256 certificate for mail.domaine.tld that expires in 5 days. */
async function shortLivedCert(tag: string): Promise<{ cert: string; key: string; notAfter: string }> {
  const notAfter = new Date(Date.now() + 5 * 86400_000)
  // selfsigned (node-forge: ~0.1 s to load) only when the check runs, not with every command that lists exercises.
  const { generate } = await import('selfsigned')
  const r = await generate(
    [
      { name: 'commonName', value: 'mail.domaine.tld' },
      { name: 'organizationName', value: `smtp-tls-lab expiry test ${tag}` },
    ],
    {
      keyType: 'ec',
      algorithm: 'sha256',
      notBeforeDate: new Date(Date.now() - 3600_000),
      notAfterDate: notAfter,
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2 as const, value: 'mail.domaine.tld' }] }],
    },
  )
  return { cert: r.cert, key: r.private, notAfter: notAfter.toUTCString() }
}

/** Exim's main log: deliveries are read there, through the engine, never with a program of the graded container. */
export const MAINLOG = '/var/log/exim4/mainlog'

async function logSize(sb: SandboxHandle, service: ServiceName): Promise<number> {
  const st = await sb.stat(service, MAINLOG)
  return st?.isFile ? st.size : 0
}

/** Deliveries (`=>`, `->`) to `rcpt` that Exim logged after byte `from` of its main log, one line each. */
export function deliveriesIn(log: string, rcpt: string): string[] {
  const needle = rcpt.toLowerCase()
  return log.split('\n').filter((l) => /\s(=>|->)\s/.test(l) && l.toLowerCase().includes(needle))
}

async function deliveredSince(sb: SandboxHandle, service: ServiceName, from: number, rcpt: string): Promise<string[]> {
  const st = await sb.stat(service, MAINLOG)
  if (!st?.isFile) return []
  const buf = await sb.readFile(service, MAINLOG, st.size + 64 * 1024)
  // A rotated (shorter) log starts again from its beginning.
  return deliveriesIn(buf.subarray(buf.length >= from ? from : 0).toString('utf8'), rcpt)
}

/** Deliveries to `rcpt` logged since `from`, waiting up to waitMs for the first one. */
async function newMessages(sb: SandboxHandle, service: ServiceName, rcpt: string, from: number, waitMs: number, signal: AbortSignal): Promise<string[]> {
  const deadline = Date.now() + waitMs
  for (;;) {
    const now = await deliveredSince(sb, service, from, rcpt)
    if (now.length || Date.now() >= deadline || signal.aborted) return now
    // A message handed to Exim may sit in the queue a moment; ask for a queue run once in a while.
    await sb.exec(service, ['sh', '-c', 'exim -qff >/dev/null 2>&1 || true'])
    await sleep(1000, undefined, { signal }).catch(() => {})
  }
}

/** Where a schedule could name the script (system crontab, cron.d, root's crontab, cron.daily), read through the engine. */
async function scheduleOf(sb: SandboxHandle, service: ServiceName, script: string, extra: readonly string[]): Promise<string | null> {
  const base = script.split('/').pop() ?? script
  const tables = [...new Set(['/etc/crontab', DEFAULT_CRON, `/etc/cron.d/${base}`, ...extra, '/var/spool/cron/crontabs/root'])]
  for (const f of tables) {
    const st = await sb.stat(service, f)
    if (!st?.isFile) continue
    const text = (await sb.readFile(service, f, st.size + 1024)).toString('utf8')
    const line = text.split('\n').find((l) => !/^\s*#/.test(l) && l.includes(script))
    if (line) return `${f}: ${line.trim()}`
  }
  for (const dir of ['/etc/cron.daily', '/etc/cron.hourly']) {
    const st = await sb.stat(service, `${dir}/${base}`)
    if (st?.isFile && (st.mode & 0o111) !== 0) return `${dir}/${base}`
  }
  return null
}

export default defineCheck({
  id: 'monitoring.expiry-alert',
  title: { fr: 'Alerte d’expiration du certificat par mail', en: 'Certificate expiry alert by mail' },
  explain: {
    fr: 'Le support (§12.3, §16) ajoute un script lancé chaque jour qui écrit à l’administrateur quand il reste moins de 20 jours au certificat SMTP. Le correcteur le met à l’épreuve : avec le vrai certificat (loin de l’expiration), le script ne doit rien envoyer ; avec un certificat qui expire dans 5 jours placé à la même place, une alerte doit arriver dans la boîte de postmaster@domaine.tld. Le certificat d’origine est remis ensuite.',
    en: 'The course (§12.3, §16) adds a daily script that mails the administrator when the SMTP certificate has fewer than 20 days left. The grader puts it to the test: with the real certificate (far from expiry) the script must send nothing; with a certificate expiring in 5 days placed at the same path, an alert must reach postmaster@domaine.tld’s mailbox. The original certificate is put back afterwards.',
  },
  remedy: {
    postfix: 'Script quotidien (cron) : openssl x509 -enddate sur le certificat servi, calcul des jours restants, mail -s … root si moins de 20.',
    exim: 'Script /usr/local/bin/check-cert-expiry (exécutable, lancé par cron) : lit /usr/local/hestia/ssl/mail/mail.domaine.tld.crt, calcule les jours restants et, sous 20, envoie un mail à postmaster@domaine.tld (mail -s ou sendmail).',
  },
  appliesTo: ['sandbox'],
  exclusive: true,
  timeoutMs: 90_000,
  async run(ctx): Promise<Verdict> {
    const sb = needSandbox(ctx)
    if (isVerdict(sb)) return sb
    const service = serviceOf(ctx)
    const p = ctx.params
    const script = typeof p['script'] === 'string' ? p['script'] : DEFAULT_SCRIPT
    const certPath = typeof p['certPath'] === 'string' ? p['certPath'] : DEFAULT_CERT
    const keyPath = typeof p['keyPath'] === 'string' ? p['keyPath'] : certPath.replace(/\.crt$/, '.key')
    // Where the alert ends up, for the learner; the grader reads Exim's delivery log rather than list the Maildir.
    const maildir = typeof p['maildir'] === 'string' ? p['maildir'] : DEFAULT_MAILDIR
    const alertTo = typeof p['alertTo'] === 'string' ? p['alertTo'] : 'postmaster@domaine.tld'
    const scheduleFiles = Array.isArray(p['scheduleFiles']) ? (p['scheduleFiles'] as unknown[]).filter((x): x is string => typeof x === 'string') : []
    const waitMs = typeof p['waitMs'] === 'number' ? p['waitMs'] : 15_000
    const requireSchedule = p['requireSchedule'] !== false
    const lines: string[] = []

    const st = await sb.stat(service, script)
    if (!st || !st.isFile || (st.mode & 0o111) === 0)
      return verdict.fail(
        {
          fr: `Le script ${script} ${st ? 'n’est pas exécutable' : 'n’existe pas'} sur ${service}.`,
          en: `The script ${script} ${st ? 'is not executable' : 'does not exist'} on ${service}.`,
        },
        { lines: [`${script}: ${st ? `mode ${st.mode.toString(8)}` : 'no such file'}`], facts: { script, exists: st !== null } },
      )
    const schedule = await scheduleOf(sb, service, script, scheduleFiles)
    lines.push(`schedule: ${schedule ?? '(none found in /etc/crontab, /etc/cron.d, /etc/cron.daily, crontab -l)'}`)

    const run = async (label: string): Promise<number> => {
      const r = await sb.exec(service, [script], { timeoutMs: 30_000 })
      lines.push(`$ ${script}   (${label}) → exit ${r.exitCode}`, ...`${r.stdout}${r.stderr}`.trim().split('\n').filter(Boolean).slice(-4).map((l) => `  ${l}`))
      return r.exitCode
    }

    // 1. The real certificate, far from expiry: no alert expected.
    let before = await logSize(sb, service)
    await run('certificate as deployed')
    const quietBreach = await newMessages(sb, service, alertTo, before, 4000, ctx.signal)
    for (const l of quietBreach) lines.push(`mainlog (not expected): ${l}`)

    // 2. A certificate that expires in 5 days at the same path, only while the script runs: other checks of the same
    // grading may probe the live certificate or renew it, so the original goes back before waiting for the mail, and
    // a run during which something else replaced the test certificate is done again.
    let disturbed = false
    for (let attempt = 1; ; attempt++) {
      const savedCert = await save(sb, service, certPath)
      const savedKey = await save(sb, service, keyPath)
      let testFiles: [Buffer, Buffer] | null = null
      let interfered = false
      try {
        const tag = randomBytes(4).toString('hex')
        // Made here, not by the graded container's openssl (which a learner's script could have replaced).
        const made = await shortLivedCert(tag)
        await sb.writeFile(service, certPath, made.cert, 0o644)
        await sb.writeFile(service, keyPath, made.key, 0o640)
        // Exim reads its key as group Debian-exim; the group is changed in place, as the learner's deploy does.
        await sb.exec(service, ['chown', 'root:Debian-exim', '--', keyPath])
        testFiles = [Buffer.from(made.cert), Buffer.from(made.key)]
        lines.push(`test certificate at ${certPath}: notAfter=${made.notAfter} (5 days)`)
        before = await logSize(sb, service)
        await run('certificate expiring in 5 days')
      } finally {
        // If something else (a renewal hook run by another check) rewrote either file meanwhile, its files are newer
        // than what was saved: leave both alone rather than pair an old key with a new certificate.
        const now = await Promise.all([certPath, keyPath].map((f) => sb.readFile(service, f, 1024 * 1024).catch(() => null)))
        const untouched = testFiles !== null && now[0]?.equals(testFiles[0]) === true && now[1]?.equals(testFiles[1]) === true
        interfered = testFiles !== null && !untouched
        if (!interfered) {
          await restore(sb, service, savedCert)
          await restore(sb, service, savedKey)
          lines.push(`restored ${certPath} and ${keyPath}`)
        } else lines.push(`${certPath} or ${keyPath} was replaced during the test (a renewal?): left as found`)
      }
      disturbed = interfered
      if (!interfered || attempt >= 3) break
      await sleep(3000, undefined, { signal: ctx.signal }).catch(() => {})
    }
    const alerts = await newMessages(sb, service, alertTo, before, waitMs, ctx.signal)
    for (const l of alerts) lines.push(`mainlog: ${l}`)
    if (alerts.length) lines.push(`(delivered to ${maildir})`)
    const facts = { script, certPath, maildir, alerts: alerts.length, falseAlarms: quietBreach.length, scheduled: schedule !== null }
    if (!alerts.length && disturbed)
      return verdict.inconclusive(
        'temporary',
        {
          fr: 'Le certificat de test a été remplacé pendant chaque essai (renouvellement en cours ?) : impossible de juger l’alerte.',
          en: 'The test certificate was replaced during every attempt (a renewal running?): the alert cannot be judged.',
        },
        { lines, facts },
      )
    if (!alerts.length)
      return verdict.fail(
        {
          fr: `Avec un certificat qui expire dans 5 jours, ${script} n’a envoyé aucune alerte à postmaster@domaine.tld en ${Math.round(waitMs / 1000)} s.`,
          en: `With a certificate expiring in 5 days, ${script} sent no alert to postmaster@domaine.tld within ${Math.round(waitMs / 1000)} s.`,
        },
        { lines, facts },
      )
    if (quietBreach.length)
      return verdict.fail(
        {
          fr: `${script} envoie une alerte même quand le certificat est loin de l’expiration : le seuil de 20 jours n’est pas appliqué.`,
          en: `${script} sends an alert even when the certificate is far from expiry: the 20-day threshold is not applied.`,
        },
        { lines, facts },
      )
    if (requireSchedule && !schedule)
      return verdict.fail(
        {
          fr: `${script} alerte correctement, mais rien ne le lance chaque jour (cron) : la surveillance n’est pas active.`,
          en: `${script} alerts correctly, but nothing runs it daily (cron): monitoring is not active.`,
        },
        { lines, facts },
      )
    return verdict.pass(
      {
        fr: `${script} reste muet pour le vrai certificat et alerte postmaster@domaine.tld pour un certificat à 5 jours de l’expiration${schedule ? ' ; il est planifié' : ''}.`,
        en: `${script} stays quiet for the real certificate and alerts postmaster@domaine.tld for a certificate 5 days from expiry${schedule ? '; it is scheduled' : ''}.`,
      },
      { lines, facts },
    )
  },
})
