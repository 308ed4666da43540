// attack.sasl.bruteforce: the lab attacker guesses SASL passwords on 587 and 465; fail2ban must ban it after a few
// failures while another address (the toolbox) still reaches both ports, and the ban must show in fail2ban's log.
import { defineCheck, verdict } from '../../../checker/define.ts'
import type { SandboxHandle } from '../../../checker/sandbox-handle.ts'
import type { Verdict } from '../../../checker/types.ts'
import { stripControl } from '../../../core/text.ts'
import { bruteForce, hasAttacker, needsAttacker, type GuessResult } from '../../shared/attacker.ts'

export const FAIL2BAN_LOG = '/var/log/fail2ban.log'
/** Four failures in the first round: more than the course's maxretry = 3, whatever port fail2ban counts them on. */
const FIRST_ROUND_PER_PORT = 2
const BUDGET_MS = 60_000
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const BLOCKED = new Set(['refused', 'no-answer', 'reset', 'unreachable'])

type Facts = Record<string, string | number | boolean | null>

async function sizeOf(sandbox: SandboxHandle, file: string): Promise<number> {
  const st = await sandbox.stat('mail', file)
  return st?.isFile ? st.size : 0
}

/** fail2ban's own log since `from`, read through the archive API: `[jail] Ban 10.x.y.50` lines. */
async function banLines(sandbox: SandboxHandle, from: number, ip: string): Promise<string[]> {
  const st = await sandbox.stat('mail', FAIL2BAN_LOG)
  if (!st?.isFile) return []
  const text = (await sandbox.readFile('mail', FAIL2BAN_LOG, st.size + 64 * 1024)).subarray(from).toString('utf8')
  return text.split('\n').filter((l) => new RegExp(`\\] Ban ${ip.replace(/\./g, '\\.')}\\s*$`).test(l))
}

/** Whether the toolbox (another address) gets Postfix's greeting on `port` (465: inside TLS). */
async function toolboxReaches(sandbox: SandboxHandle, port: number): Promise<{ ok: boolean; line: string }> {
  const cmd =
    port === 465
      ? 'openssl s_client -connect mail.domaine.tld:465 -quiet </dev/null 2>/dev/null | head -n 1'
      : `exec 3<>/dev/tcp/mail.domaine.tld/${port} && head -n 1 <&3`
  const r = await sandbox.exec('toolbox', ['timeout', '8', 'bash', '-c', cmd], { timeoutMs: 12_000 })
  const line = stripControl(r.stdout.trim().split('\n')[0] ?? '')
  return { ok: /^220[ -]/.test(line), line: line || `exit ${r.exitCode}` }
}

const describeGuess = (g: GuessResult, i: number) => `attacker guess ${i + 1} on ${g.port}: ${g.result}${g.detail ? ` (${stripControl(g.detail)})` : ''}, ${g.ms} ms`

export default defineCheck({
  id: 'attack.sasl.bruteforce',
  title: { fr: 'Force brute SASL bannie par fail2ban', en: 'SASL brute force banned by fail2ban' },
  explain: {
    fr: 'L’attaquant du lab essaie quatre mots de passe faux à la fois (AUTH PLAIN, deux sur 587, deux sur 465, une connexion par essai). fail2ban doit alors le bannir : ses connexions suivantes sont refusées ou ignorées. La toolbox, une autre adresse, doit toujours atteindre 587 et 465, et le ban doit figurer dans le journal de fail2ban.',
    en: 'The lab attacker tries four wrong passwords at once (AUTH PLAIN, two on 587, two on 465, one connection per guess). fail2ban must then ban it: its next connections are refused or dropped. The toolbox, another address, must still reach 587 and 465, and the ban must be in fail2ban’s log.',
  },
  remedy: {
    postfix:
      '/etc/fail2ban/jail.local : [postfix-sasl] enabled = true, filter = postfix[mode=auth], logpath = /var/log/mail.log (ou backend = systemd si Postfix journalise dans journald), maxretry = 3, banaction = nftables-multiport ; [sshd] enabled = false s’il n’y a pas de journal SSH ; puis systemctl restart fail2ban.',
    exim: 'jail [exim] avec filter = exim et logpath = /var/log/exim4/mainlog.',
  },
  appliesTo: ['sandbox'],
  timeoutMs: BUDGET_MS + 30_000,
  async run(ctx): Promise<Verdict> {
    const sandbox = ctx.sandbox
    if (!sandbox || !hasAttacker(sandbox)) return needsAttacker()
    const attackerIp = sandbox.address('attacker')
    const lines: string[] = []
    const facts: Facts = { attacker: attackerIp }
    // A ban left by an earlier run would hide whether this brute force is what gets banned. A fail2ban just started
    // also reads the failures already in mail.log (an earlier grading's) and may ban a moment later: unban until quiet.
    let logFrom = await sizeOf(sandbox, FAIL2BAN_LOG)
    for (let i = 0; i < 4; i++) {
      await sandbox.exec('mail', ['fail2ban-client', 'unban', attackerIp], { timeoutMs: 10_000 }).catch(() => undefined)
      await sleep(1500)
      const banned = (await banLines(sandbox, logFrom, attackerIp)).length > 0
      logFrom = await sizeOf(sandbox, FAIL2BAN_LOG)
      if (!banned) break
    }
    const guesses: GuessResult[] = []
    const started = Date.now()
    /** One round: `perPort` guesses on 587 and as many on 465, all at once, as a brute forcer does. */
    const round = async (label: string, perPort: number): Promise<GuessResult[]> => {
      const got = (await Promise.all([587, 465].map((p) => bruteForce(sandbox, p, perPort, { parallel: true })))).flat()
      got.forEach((g, i) => lines.push(`${label} ${describeGuess(g, guesses.length + i)}`))
      guesses.push(...got)
      return got
    }
    try {
      const first = await round('[round 1]', FIRST_ROUND_PER_PORT)
      if (first.some((g) => g.result === 'accepted'))
        return verdict.fail(
          { fr: 'Le serveur a ACCEPTÉ un mot de passe faux de l’attaquant.', en: 'The server ACCEPTED a wrong password from the attacker.' },
          { lines, facts },
        )
      const failures = first.filter((g) => /^auth-5/.test(g.result)).length
      facts['authFailures'] = failures
      // fail2ban reads the log about once a second: give it that long to act on the round's failures.
      for (let i = 0; i < 10 && !(await banLines(sandbox, logFrom, attackerIp)).length && !ctx.signal.aborted; i++) await sleep(500)
      const second = await round('[round 2]', 1)
      const blocked = second.every((g) => BLOCKED.has(g.result))
      facts['guesses'] = guesses.length
      facts['blocked'] = blocked
      facts['ms'] = Date.now() - started
      const bans = await banLines(sandbox, logFrom, attackerIp)
      facts['banLogged'] = bans.length > 0
      for (const b of bans.slice(0, 2)) lines.push(`fail2ban.log: ${stripControl(b.trim())}`)
      const status = await sandbox.exec('mail', ['fail2ban-client', 'status'], { timeoutMs: 10_000 }).catch(() => null)
      if (status) lines.push(...stripControl(status.stdout + status.stderr).trim().split('\n').slice(0, 6).map((l) => `fail2ban-client status: ${l}`))
      if (!blocked) {
        const why = second.every((g) => /^auth-5/.test(g.result) || g.result === 'timeout')
          ? { fr: 'toutes ses connexions ont été acceptées jusqu’au bout (fail2ban ne tourne pas, ou son filtre ne reconnaît pas les échecs SASL de mail.log)', en: 'every connection was served to the end (fail2ban is not running, or its filter does not match the SASL failures in mail.log)' }
          : { fr: 'une partie de ses connexions passe encore', en: 'some of its connections still get through' }
        return verdict.fail(
          { fr: `L’attaquant n’est pas banni après ${guesses.length} essais (${failures} échecs SASL) : ${why.fr}.`, en: `The attacker is not banned after ${guesses.length} guesses (${failures} SASL failures): ${why.en}.` },
          { lines, facts },
        )
      }
      if (failures === 0)
        return verdict.fail(
          {
            fr: 'L’attaquant est bloqué avant tout échec d’authentification : c’est un pare-feu qui le refuse d’emblée, pas un ban fail2ban après maxretry.',
            en: 'The attacker is blocked before any authentication failure: a firewall refuses it outright, not a fail2ban ban after maxretry.',
          },
          { lines, facts },
        )
      if (!bans.length)
        return verdict.fail(
          {
            fr: `L’attaquant est bloqué, mais aucun « Ban ${attackerIp} » dans ${FAIL2BAN_LOG} : ce n’est pas fail2ban qui l’a banni.`,
            en: `The attacker is blocked, but there is no "Ban ${attackerIp}" in ${FAIL2BAN_LOG}: fail2ban did not ban it.`,
          },
          { lines, facts },
        )
      for (const port of [587, 465]) {
        const t = await toolboxReaches(sandbox, port)
        lines.push(`toolbox → mail.domaine.tld:${port}: ${t.line}`)
        facts[`toolbox${port}`] = t.ok
        if (!t.ok)
          return verdict.fail(
            {
              fr: `L’attaquant est banni, mais la toolbox (une autre adresse) n’atteint plus le port ${port} : le ban ou le pare-feu est trop large.`,
              en: `The attacker is banned, but the toolbox (another address) no longer reaches port ${port}: the ban or the firewall is too broad.`,
            },
            { lines, facts },
          )
      }
      return verdict.pass(
        {
          fr: `Banni par fail2ban après ${failures} échecs SASL (587 et 465 refusés ensuite) ; la toolbox atteint toujours 587 et 465.`,
          en: `Banned by fail2ban after ${failures} SASL failures (587 and 465 refused afterwards); the toolbox still reaches 587 and 465.`,
        },
        { lines, facts },
      )
    } finally {
      // The attacker must be free again for the next check or exercise (its MITM role needs no ban).
      await sandbox.exec('mail', ['fail2ban-client', 'unban', attackerIp], { timeoutMs: 10_000 }).catch(() => undefined)
    }
  },
})
