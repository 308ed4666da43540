// renewal.reloads: after a forced renewal, the certificate served live changes by itself (deploy hook reloads the server).
import { setTimeout as sleep } from 'node:timers/promises'
import { stripControl } from '../../../core/text.ts'
import { defineCheck, verdict } from '../../define.ts'
import { ProbeError } from '../../probes/probe-error.ts'
import type { Endpoint } from '../../probes/smtp.ts'
import { certificateFacts } from '../../probes/tls.ts'
import { commonName, parseCertificates } from '../../probes/x509.ts'
import type { ServiceName } from '../../sandbox-handle.ts'
import type { CheckContext, TransportMode, Verdict } from '../../types.ts'
import { isVerdict } from '../dns/shared.ts'
import { needSandbox } from '../file/shared.ts'
import { shellLine } from '../../../core/process.ts'

export interface LiveCert {
  readonly port: number
  readonly serial: string
  readonly subject: string
  readonly notAfter: string
}

/** Port 465 speaks TLS at once; 25 and 587 use STARTTLS; the target's own port keeps its declared mode. */
export function modeForPort(ctx: CheckContext, port: number): Exclude<TransportMode, 'plain'> {
  if (port === ctx.target.port && ctx.target.mode !== 'plain') return ctx.target.mode
  return port === 465 ? 'tls' : 'starttls'
}

function portsOf(ctx: CheckContext): number[] | null {
  const p = ctx.params['ports'] ?? ctx.params['port']
  if (p === undefined) return [ctx.target.port]
  const list = Array.isArray(p) ? p : [p]
  return list.every((x) => Number.isInteger(x) && x > 0 && x < 65536) ? (list as number[]) : null
}

function commandOf(ctx: CheckContext): string[] | null {
  const c = ctx.params['renewCommand']
  return Array.isArray(c) && c.length > 0 && c.every((x) => typeof x === 'string') ? (c as string[]) : null
}

async function liveCert(ctx: CheckContext, port: number): Promise<LiveCert> {
  // A fresh handshake every time, never cached: the point is to see the certificate change.
  const ep: Endpoint = {
    host: ctx.target.host,
    port,
    mode: modeForPort(ctx, port),
    servername: ctx.target.servername,
    ehloName: ctx.target.ehloName,
    timeouts: ctx.target.timeouts,
    signal: ctx.signal,
    ...(ctx.gate ? { gate: ctx.gate } : {}),
  }
  const f = await certificateFacts(ep)
  return { port, serial: f.leaf.serialNumber, subject: commonName(f.leaf.subject), notAfter: f.leaf.validTo }
}

const describe = (c: LiveCert): string => `port ${c.port}: serial ${c.serial}, CN=${stripControl(c.subject)}, until ${c.notAfter}`

/** The server itself is why no certificate could be read (nothing listens, TLS refused or broken): the learner's. */
const serversFault = (e: ProbeError): boolean => e.reason === 'refused' || e.reason === 'protocol'

export default defineCheck({
  id: 'renewal.reloads',
  title: { fr: 'Le renouvellement recharge le serveur', en: 'Renewal reloads the server' },
  explain: {
    fr: 'Renouveler le certificat ne suffit pas : Postfix et Exim gardent en mémoire celui qu’ils ont chargé au démarrage. Sans rechargement après chaque renouvellement (hook de déploiement de certbot, --reloadcmd d’acme.sh), le serveur continue de présenter l’ancien certificat jusqu’à son expiration. Le vérificateur force un renouvellement puis observe le numéro de série présenté, sans rien redémarrer lui-même.',
    en: 'Renewing the certificate is not enough: Postfix and Exim keep the one they loaded at start. Without a reload after each renewal (certbot deploy hook, acme.sh --reloadcmd), the server keeps presenting the old certificate until it expires. The checker forces a renewal then watches the presented serial number, restarting nothing itself.',
  },
  remedy: {
    postfix: 'certbot renew --deploy-hook "systemctl reload postfix" (ou un script dans /etc/letsencrypt/renewal-hooks/deploy/ qui lance systemctl reload postfix).',
    exim: 'acme.sh --install-cert -d mail.domaine.tld … --reloadcmd "/usr/local/bin/deploy-mail-cert.sh …" ; le script copie .crt/.key, remet chown root:Debian-exim et chmod 640 sur la clé, puis systemctl reload exim4.',
  },
  appliesTo: ['sandbox'],
  exclusive: true,
  timeoutMs: 240_000,
  async run(ctx): Promise<Verdict> {
    const sb = needSandbox(ctx)
    if (isVerdict(sb)) return sb
    const cmd = commandOf(ctx)
    const ports = portsOf(ctx)
    if (!cmd || !ports)
      return verdict.inconclusive('bug', {
        fr: 'L’exercice doit donner params.renewCommand (tableau de chaînes) et éventuellement params.ports.',
        en: 'The exercise must give params.renewCommand (array of strings) and optionally params.ports.',
      })
    const service: ServiceName = typeof ctx.params['service'] === 'string' ? ctx.params['service'] : 'mail'
    const waitMs = typeof ctx.params['waitMs'] === 'number' ? ctx.params['waitMs'] : 30_000
    const commandTimeoutMs = typeof ctx.params['commandTimeoutMs'] === 'number' ? ctx.params['commandTimeoutMs'] : 150_000
    const certPath = typeof ctx.params['certPath'] === 'string' ? ctx.params['certPath'] : null
    const lines: string[] = []
    let before: LiveCert[]
    try {
      before = []
      for (const p of ports) before.push(await liveCert(ctx, p))
    } catch (e) {
      if (!(e instanceof ProbeError)) throw e
      const evidence = { lines: [...e.transcript, `# ${e.message}`] }
      if (serversFault(e))
        return verdict.fail(
          { fr: `Avant même le renouvellement, le serveur ne présente pas de certificat en TLS (${e.message}).`, en: `Even before the renewal, the server presents no certificate over TLS (${e.message}).` },
          evidence,
        )
      return verdict.inconclusive(
        e.reason,
        { fr: `Certificat actuel illisible avant le renouvellement (${e.message}).`, en: `Could not read the current certificate before renewal (${e.message}).` },
        evidence,
      )
    }
    lines.push('before:', ...before.map(describe))
    lines.push(`$ ${shellLine(cmd)}   (on ${service})`)
    const t0 = Date.now()
    const run = await sb.exec(service, cmd, { timeoutMs: commandTimeoutMs })
    const elapsed = Date.now() - t0
    // The learner's output, made safe to print: no escape sequence of theirs reaches a terminal or a report.
    const output = `${run.stdout}\n${run.stderr}`.split('\n').map((l) => stripControl(l).trimEnd()).filter((l) => l.trim() !== '')
    lines.push(...output.slice(-12).map((l) => `  ${l}`), `exit code ${run.exitCode} after ${elapsed} ms`)
    if (certPath) {
      try {
        const onDisk = parseCertificates((await sb.readFile(service, certPath)).toString('utf8'))[0]
        if (onDisk) lines.push(`on disk ${certPath}: serial ${onDisk.serialNumber}`)
      } catch (e) {
        lines.push(`on disk ${certPath}: ${(e as Error).message}`)
      }
    }
    // Killed at the grader's own bound (sb.exec reports 124): nothing says the command would not have finished.
    const timedOut = run.exitCode === 124 && elapsed >= commandTimeoutMs - 1000
    // A failing command is a result already: one look at what is served, not a wait for a change.
    const failed = run.exitCode !== 0 && !timedOut
    // Watch until every port presents a new serial, or the bound passes.
    const deadline = failed ? Date.now() : Date.now() + waitMs
    let after: LiveCert[] = []
    let lastError: ProbeError | null = null
    for (;;) {
      after = []
      lastError = null
      for (const p of ports) {
        try {
          after.push(await liveCert(ctx, p))
        } catch (e) {
          if (!(e instanceof ProbeError)) throw e
          lastError = e
        }
      }
      const allChanged = !lastError && after.every((a) => a.serial !== before.find((b) => b.port === a.port)!.serial)
      if (allChanged || Date.now() >= deadline || ctx.signal.aborted) break
      await sleep(1000, undefined, { signal: ctx.signal }).catch(() => {})
    }
    lines.push(`after (${Math.round((Date.now() - t0) / 1000)} s):`, ...after.map(describe))
    const unchanged = after.filter((a) => a.serial === before.find((b) => b.port === a.port)!.serial)
    const facts = {
      before: before.map((b) => `${b.port}:${b.serial}`),
      after: after.map((a) => `${a.port}:${a.serial}`),
      exitCode: run.exitCode,
      unchangedPorts: unchanged.map((u) => String(u.port)),
    }
    if (failed)
      return verdict.fail(
        {
          fr: `La commande de renouvellement (ou son hook) a échoué : code de sortie ${run.exitCode}${unchanged.length === 0 && after.length === ports.length ? ', même si le nouveau certificat est servi' : ''}. Voir sa sortie ci-dessous.`,
          en: `The renewal command (or its hook) failed: exit code ${run.exitCode}${unchanged.length === 0 && after.length === ports.length ? ', even though the new certificate is served' : ''}. See its output below.`,
        },
        { lines: lastError ? [...lines, `# ${lastError.message}`] : lines, facts },
      )
    if (lastError && after.length < ports.length) {
      lines.push(`# ${lastError.message}`)
      // The server stopped answering after the renewal: a broken reload is the learner's, a probe hiccup is not.
      if (serversFault(lastError))
        return verdict.fail(
          {
            fr: `Après le renouvellement, le serveur ne répond plus correctement en TLS (${lastError.message}) : le rechargement a cassé la configuration.`,
            en: `After the renewal the server no longer answers TLS properly (${lastError.message}): the reload broke the configuration.`,
          },
          { lines, facts },
        )
      return verdict.inconclusive(
        lastError.reason,
        {
          fr: `Après le renouvellement, le serveur ne répond plus correctement en TLS (${lastError.message}) : le rechargement a-t-il cassé la configuration ?`,
          en: `After the renewal the server no longer answers TLS properly (${lastError.message}): did the reload break the configuration?`,
        },
        { lines, facts },
      )
    }
    if (unchanged.length === 0)
      return verdict.pass(
        {
          fr: `Après le renouvellement forcé, le serveur présente le nouveau certificat (port(s) ${ports.join(', ')}) sans redémarrage manuel.`,
          en: `After the forced renewal the server presents the new certificate (port(s) ${ports.join(', ')}) with no manual restart.`,
        },
        { lines, facts },
      )
    if (timedOut)
      return verdict.inconclusive(
        'timeout',
        {
          fr: `La commande de renouvellement n’a pas fini dans le temps imparti au correcteur (${Math.round(commandTimeoutMs / 1000)} s) : impossible de conclure.`,
          en: `The renewal command did not finish within the grader’s bound (${Math.round(commandTimeoutMs / 1000)} s): cannot conclude.`,
        },
        { lines, facts },
      )
    return verdict.fail(
      {
        fr: `Renouvellement réussi, mais le port ${unchanged.map((u) => u.port).join(', ')} présente toujours l’ancien certificat (série ${unchanged[0]!.serial}) après ${Math.round(waitMs / 1000)} s : aucun rechargement du serveur après le renouvellement.`,
        en: `Renewal succeeded, but port ${unchanged.map((u) => u.port).join(', ')} still presents the old certificate (serial ${unchanged[0]!.serial}) after ${Math.round(waitMs / 1000)} s: nothing reloads the server after renewal.`,
      },
      { lines, facts },
    )
  },
})
