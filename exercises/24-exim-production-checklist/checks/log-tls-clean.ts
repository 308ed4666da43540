// exim.log.no-tls-errors: since Exim's last start, its logs show no certificate or key setup error and no panic.
import { defineCheck, verdict } from '../../../checker/define.ts'
import { isVerdict } from '../../../checker/checks/dns/shared.ts'
import { needSandbox, serviceOf } from '../../../checker/checks/file/shared.ts'
import type { Verdict } from '../../../checker/types.ts'

export const MAINLOG = '/var/log/exim4/mainlog'
export const PANICLOG = '/var/log/exim4/paniclog'

/**
 * Errors that mean the server's own TLS setup is broken, as opposed to a client offering something refused.
 * Debian's GnuTLS Exim logs an SNI key it cannot read as "(gnutls_handshake): (unknown error code)".
 */
export const SETUP_ERROR =
  /TLS error .*(cert\/key setup|Error while reading file|key values mismatch|Cannot load|No such file|certificate|privatekey|priority|gnutls_handshake\): \(unknown error code\))|Failed to expand .*tls_|tls_require_ciphers invalid|configuration error/i

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
  async run(ctx): Promise<Verdict> {
    const sb = needSandbox(ctx)
    if (isVerdict(sb)) return sb
    const service = serviceOf(ctx)
    const names = Array.isArray(ctx.params['names']) ? (ctx.params['names'] as string[]) : ['mail.domaine.tld', 'smtp.domaine.tld', 'autoconfig.domaine.tld', '']
    // Connections from the server itself, so they land in its log whatever the grader's own probes did.
    for (const n of names) {
      await sb.exec(service, ['sh', '-c', 'openssl s_client -connect 127.0.0.1:465 ${1:+-servername "$1"} </dev/null >/dev/null 2>&1 || true', 'sh', n], { timeoutMs: 10_000 })
    }
    const read = async (path: string): Promise<string> => {
      const r = await sb.exec(service, ['sh', '-c', 'tail -c 262144 "$1" 2>/dev/null || true', 'sh', path])
      return r.stdout
    }
    const main = await read(MAINLOG)
    const panic = await read(PANICLOG)
    const since = lastStart(main)
    const errors = linesSince(main, since).filter((l) => SETUP_ERROR.test(l))
    const panics = linesSince(panic, since)
    const lines = [`# since the last daemon start: ${since ?? '(no start line found, whole log)'}`]
    lines.push(...errors.slice(-6).map((l) => `mainlog: ${l}`), ...panics.slice(-6).map((l) => `paniclog: ${l}`))
    const facts = { since, mainlogErrors: errors.length, paniclogLines: panics.length }
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
