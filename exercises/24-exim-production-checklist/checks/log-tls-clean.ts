// exim.log.no-tls-errors: since Exim's last start, its logs show no certificate or key setup error and no panic.
import tls from 'node:tls'
import { defineCheck, verdict } from '../../../checker/define.ts'
import { isVerdict } from '../../../checker/checks/dns/shared.ts'
import { needSandbox, serviceOf } from '../../../checker/checks/file/shared.ts'
import type { SandboxHandle } from '../../../checker/sandbox-handle.ts'
import type { Verdict } from '../../../checker/types.ts'

export const MAINLOG = '/var/log/exim4/mainlog'
export const PANICLOG = '/var/log/exim4/paniclog'

/**
 * Errors that mean the server's own TLS setup is broken, as opposed to a client offering something refused.
 * Debian's GnuTLS Exim logs an SNI key it cannot read as "(gnutls_handshake): (unknown error code)".
 */
export const SETUP_ERROR =
  /TLS error .*(cert\/key setup|Error while reading file|key values mismatch|Cannot load|No such file|certificate|privatekey|priority)|Failed to expand .*tls_|tls_require_ciphers invalid|configuration error/i
/**
 * The same words are logged when a client drops a handshake half-way, as the checker's own version and cipher probes
 * do: such a line counts only when logged during this check's complete handshakes, which run alone after every probe.
 */
/**
 * A paniclog entry (its first line) the checklist item is about: TLS, certificates, keys, configuration. A local
 * delivery's transport failure (the grader's own expiry alert to postmaster) is not a TLS error of the server.
 */
export const isTlsPanic = (line: string): boolean => /^\S/.test(line) && (SETUP_ERROR.test(line) || /TLS|gnutls|certificate|private ?key/i.test(line))
export const AMBIGUOUS_ERROR = /TLS error .*gnutls_handshake\): \(unknown error code\)/i

const STAMP = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})/

/** The lines of a log written at or after `since` (Exim's "YYYY-MM-DD HH:MM:SS" stamps sort as text). */
export function linesSince(log: string, since: string | null): string[] {
  const out: string[] = []
  let keep = since === null
  for (const line of log.split('\n')) {
    const m = STAMP.exec(line)
    if (m) keep = since === null || m[1]! >= since
    if (keep && line.trim()) out.push(line)
  }
  return out
}

/** Stamp of the last "daemon started" line: errors from before the last start were fixed by it or are stale. */
export function lastStart(mainlog: string): string | null {
  let stamp: string | null = null
  for (const line of mainlog.split('\n')) if (/exim [\d.]+ daemon started/.test(line)) stamp = STAMP.exec(line)?.[1] ?? stamp
  return stamp
}

/** How much of each log is read: its end, where the last start and what followed are. */
const TAIL_BYTES = 256 * 1024

async function tailOf(sb: SandboxHandle, service: string, path: string, size: number): Promise<string> {
  const buf = await sb.readFile(service, path, Math.max(size, 1) + 64 * 1024)
  return buf.subarray(Math.max(0, buf.length - TAIL_BYTES)).toString('utf8')
}

/** One TLS handshake on an implicit-TLS port, SNI `servername` (none when empty); the outcome does not matter, only Exim's log of it. */
function tlsHello(host: string, port: number, servername: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const sock = tls.connect({ host, port, rejectUnauthorized: false, ...(servername ? { servername } : {}) })
    const done = (): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      sock.destroy()
      resolve()
    }
    const timer = setTimeout(done, 10_000)
    signal.addEventListener('abort', done, { once: true })
    sock.once('secureConnect', () => sock.end(() => done()))
    sock.once('error', done)
    sock.once('close', done)
  })
}

/** The ambiguous TLS errors Exim logs while this check makes its own handshakes (new log bytes only). */
async function ownAmbiguousErrors(sb: SandboxHandle, service: string, host: string, names: readonly string[], signal: AbortSignal): Promise<string[]> {
  const before = (await sb.stat(service, MAINLOG))?.size ?? 0
  for (const n of names) await tlsHello(host, 465, n, signal)
  // Exim logs a failed handshake once the connection is torn down, a moment after the client saw the alert.
  await new Promise((r) => setTimeout(r, 1500))
  const after = (await sb.stat(service, MAINLOG))?.size ?? 0
  if (after <= before) return []
  const buf = await sb.readFile(service, MAINLOG, after + 64 * 1024)
  return buf.subarray(before).toString('utf8').split('\n').filter((l) => AMBIGUOUS_ERROR.test(l))
}

export default defineCheck({
  id: 'exim.log.no-tls-errors',
  title: { fr: 'Journaux d’Exim sans erreur TLS', en: 'Exim logs free of TLS errors' },
  explain: {
    fr: 'Dernier point de la liste de mise en production du support : « Logs Exim sans erreurs TLS ». Le correcteur ouvre lui-même quelques connexions TLS (avec le nom du serveur, avec un nom sans fichier propre, sans SNI), puis lit /var/log/exim4/mainlog et paniclog depuis le dernier démarrage d’Exim : aucune erreur de mise en place du certificat ou de la clé (fichier illisible, clé qui ne correspond pas, expansion ratée) ni de configuration ne doit y figurer. Les refus de clients (version TLS trop ancienne) ne comptent pas.',
    en: 'Last item of the course’s go-live checklist: "Exim logs without TLS errors". The grader opens a few TLS connections itself (with the server name, with a name without its own file, without SNI), then reads /var/log/exim4/mainlog and paniclog since Exim’s last start: no certificate or key setup error (unreadable file, mismatching key, failed expansion) nor configuration error may appear. Refused clients (too old a TLS version) do not count.',
  },
  remedy: {
    postfix: 'grep -i "TLS" /var/log/mail.log | grep -i -E "error|warning" ; corrigez les fichiers nommés, puis systemctl reload postfix.',
    exim: 'grep "TLS error" /var/log/exim4/mainlog ; cat /var/log/exim4/paniclog ; corrigez le fichier nommé (droits 640 root:Debian-exim, paire clé/certificat), puis systemctl restart exim4.',
  },
  appliesTo: ['sandbox'],
  timeoutMs: 40_000,
  // Alone and last, so that the half-done handshakes of the other checks' probes are over before its window opens.
  exclusive: true,
  async run(ctx): Promise<Verdict> {
    const sb = needSandbox(ctx)
    if (isVerdict(sb)) return sb
    const service = serviceOf(ctx)
    const names = Array.isArray(ctx.params['names']) ? (ctx.params['names'] as string[]) : ['mail.domaine.tld', 'smtp.domaine.tld', 'autoconfig.domaine.tld', '']
    // Handshakes from the grader's side (never a program inside the graded container), so they land in Exim's log.
    const host = sb.address(service)
    // The log files are read through the engine: a learner's hook cannot stand in for `tail` or `cat`.
    const mainStat = await sb.stat(service, MAINLOG)
    if (!mainStat?.isFile)
      return verdict.fail(
        {
          fr: `${MAINLOG} n’existe pas : Exim n’écrit pas son journal là où l’exploitation (et ce correcteur) le lit. Sans journal, « aucune erreur TLS » ne peut pas être constaté.`,
          en: `${MAINLOG} does not exist: Exim does not write its log where operations (and this grader) read it. Without a log, "no TLS error" cannot be established.`,
        },
        { lines: [`# ${MAINLOG} on ${service}: ${mainStat ? 'not a regular file' : 'missing'}`], facts: { mainlog: false } },
      )
    // An ambiguous error counts when this check's own complete handshakes cause it twice in a row: a key Exim cannot
    // read does so every time, a connection caught in a reload of the daemon does not.
    let ambiguous = await ownAmbiguousErrors(sb, service, host, names, ctx.signal)
    if (ambiguous.length) ambiguous = await ownAmbiguousErrors(sb, service, host, names, ctx.signal)
    const mainNow = (await sb.stat(service, MAINLOG)) ?? mainStat
    const main = await tailOf(sb, service, MAINLOG, mainNow.size)
    const panicStat = await sb.stat(service, PANICLOG)
    // No paniclog is Exim's normal state: it creates the file on its first panic.
    const panic = panicStat?.isFile ? await tailOf(sb, service, PANICLOG, panicStat.size) : ''
    const since = lastStart(main)
    const errors = [...linesSince(main, since).filter((l) => SETUP_ERROR.test(l)), ...ambiguous]
    const panicLines = linesSince(panic, since)
    const panics = panicLines.filter(isTlsPanic)
    const lines = [`# since the last daemon start: ${since ?? '(no start line found, whole log)'}`]
    lines.push(...errors.slice(-6).map((l) => `mainlog: ${l}`), ...panicLines.slice(-6).map((l) => `paniclog: ${l}`))
    const facts = { since, mainlogErrors: errors.length, paniclogLines: panics.length, paniclogOther: panicLines.length - panics.length }
    if (errors.length || panics.length)
      return verdict.fail(
        {
          fr: `Les journaux d’Exim montrent ${errors.length} erreur(s) TLS de mise en place et ${panics.length} ligne(s) de paniclog depuis le dernier démarrage.`,
          en: `Exim’s logs show ${errors.length} TLS setup error(s) and ${panics.length} paniclog line(s) since the last start.`,
        },
        { lines, facts },
      )
    lines.push('no TLS setup error, paniclog clean')
    return verdict.pass({ fr: 'Aucune erreur TLS ni panique dans les journaux d’Exim depuis son dernier démarrage.', en: 'No TLS error nor panic in Exim’s logs since its last start.' }, { lines, facts })
  },
})
