// attack.firewall.ports: from the attacker and from the toolbox, only the mail ports of the mail host answer; every
// other port is dropped by a default-deny firewall (not merely without a listener).
import { defineCheck, verdict } from '../../../checker/define.ts'
import type { SandboxHandle } from '../../../checker/sandbox-handle.ts'
import type { Verdict } from '../../../checker/types.ts'
import { stripControl } from '../../../core/text.ts'
import { hasAttacker, needsAttacker, probePorts, type ProbeResult } from '../../shared/attacker.ts'

const DEFAULT_OPEN = [25, 465, 587]
/** 10025 has a listener in the start state; the others have none, so only a firewall can make them silent. */
const DEFAULT_SHUT = [22, 80, 143, 993, 2222, 10025]

function ports(v: unknown, dflt: readonly number[]): number[] {
  return Array.isArray(v) && v.every((p) => Number.isInteger(p) && p > 0 && p < 65536) ? (v as number[]) : [...dflt]
}

/** TCP connects from the toolbox (bash's /dev/tcp, 3 s each, in parallel); the toolbox is the learner's own client. */
async function toolboxProbe(sandbox: SandboxHandle, list: readonly number[]): Promise<ProbeResult[]> {
  const script = list.map((p) => `( timeout 3 bash -c 'exec 3<>/dev/tcp/mail.domaine.tld/${p}' 2>/dev/null; echo "${p} $?" ) &`).join('\n') + '\nwait'
  const r = await sandbox.exec('toolbox', ['bash', '-c', script], { timeoutMs: 15_000 })
  const codes = new Map(r.stdout.trim().split('\n').map((l) => l.split(' ').map(Number) as [number, number]))
  return list.map((port) => {
    const c = codes.get(port)
    return { port, result: c === 0 ? 'open' : c === 124 ? 'filtered' : c === undefined ? 'error' : 'closed' }
  })
}

export default defineCheck({
  id: 'attack.firewall.ports',
  title: { fr: 'Pare-feu : seuls 25, 587 et 465 sont ouverts', en: 'Firewall: only 25, 587 and 465 are open' },
  explain: {
    fr: 'Le correcteur tente des connexions TCP vers le serveur de messagerie depuis l’attaquant et depuis la toolbox. 25, 587 et 465 doivent répondre ; tout autre port doit rester muet (paquets ignorés par une politique par défaut « deny »), y compris 10025 où un service écoute.',
    en: 'The grader opens TCP connections to the mail host from the attacker and from the toolbox. 25, 587 and 465 must answer; every other port must stay silent (packets dropped by a default "deny" policy), 10025 included, where a service listens.',
  },
  remedy: {
    postfix: 'ufw default deny incoming ; ufw allow 25/tcp ; ufw allow 587/tcp ; ufw allow 465/tcp ; ufw enable (ou une table nftables inet filter avec policy drop).',
    exim: 'Même pare-feu : ufw ou nftables, ports 25, 587 et 465.',
  },
  appliesTo: ['sandbox'],
  timeoutMs: 40_000,
  async run(ctx): Promise<Verdict> {
    const sandbox = ctx.sandbox
    if (!sandbox || !hasAttacker(sandbox)) return needsAttacker()
    const open = ports(ctx.params['open'], DEFAULT_OPEN)
    const shut = ports(ctx.params['shut'], DEFAULT_SHUT)
    const all = [...open, ...shut]
    const [fromAttacker, fromToolbox] = await Promise.all([probePorts(sandbox, all), toolboxProbe(sandbox, all)])
    const lines: string[] = []
    const facts: Record<string, string> = {}
    for (const [who, list] of [['attacker', fromAttacker], ['toolbox', fromToolbox]] as const) {
      lines.push(`${who} → mail: ${list.map((r) => `${r.port} ${r.result}`).join(', ')}`)
      for (const r of list) facts[`${who}.${r.port}`] = r.result
    }
    const problems: { fr: string; en: string }[] = []
    for (const [who, list] of [['attacker', fromAttacker], ['toolbox', fromToolbox]] as const) {
      const by = new Map(list.map((r) => [r.port, r.result]))
      const shutOpen = shut.filter((p) => by.get(p) === 'open')
      const missing = open.filter((p) => by.get(p) !== 'open')
      const answered = shut.filter((p) => by.get(p) === 'closed')
      if (missing.length) problems.push({ fr: `${who} : ${missing.join(', ')} ne répond plus (le pare-feu bloque un port de messagerie)`, en: `${who}: ${missing.join(', ')} no longer answers (the firewall blocks a mail port)` })
      if (shutOpen.length) problems.push({ fr: `${who} : ${shutOpen.join(', ')} est ouvert`, en: `${who}: ${shutOpen.join(', ')} is open` })
      else if (answered.length)
        problems.push({
          fr: `${who} : ${answered.join(', ')} répond « fermé » (RST) au lieu de rester muet : pas de politique par défaut « deny » devant ces ports`,
          en: `${who}: ${answered.join(', ')} answers "closed" (RST) instead of staying silent: no default "deny" policy in front of these ports`,
        })
    }
    if (problems.length)
      return verdict.fail(
        { fr: `Pare-feu incomplet — ${problems.map((p) => p.fr).join(' ; ')}.`, en: `Incomplete firewall — ${problems.map((p) => p.en).join('; ')}.` },
        { lines: lines.map((l) => stripControl(l)), facts },
      )
    return verdict.pass(
      {
        fr: `Depuis l’attaquant et la toolbox, seuls ${open.join(', ')} répondent ; ${shut.join(', ')} sont filtrés.`,
        en: `From the attacker and the toolbox, only ${open.join(', ')} answer; ${shut.join(', ')} are filtered.`,
      },
      { lines, facts },
    )
  },
})
