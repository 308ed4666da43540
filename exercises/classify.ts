// Whose fault an unfinished check is, in a sandbox: the learner's server refusing a port, STARTTLS or a TLS handshake
// is a fail with its own words as evidence; only the grader's own trouble (its time bound, a sick sandbox) stays inconclusive.
import net from 'node:net'
import type { SandboxHandle } from '../checker/sandbox-handle.ts'
import type { CheckResult, Localized, Target } from '../checker/types.ts'

/** What stopped the check, when the learner's server is the one that stopped it. */
export interface LearnerFault {
  /** The server's own words (an SMTP reply, the TLS error, "connection refused"). */
  readonly answer: string
  readonly summary: Localized
}

/** The probe's message: the checker's guard appends it to the evidence as "# <message>". */
function probeMessage(r: CheckResult): string | null {
  for (let i = r.evidence.lines.length - 1; i >= 0; i--) {
    const l = r.evidence.lines[i]!
    if (l.startsWith('# ')) return l.slice(2).trim()
  }
  return null
}

// The grader's own load, not the learner's configuration: the checker opened more connections than the server takes.
const OVERLOAD = /too many (concurrent )?connections|421\b.*(too many|busy|overload)/i
// A 421 is Postfix/Exim shutting the door for now (overload, shutdown): the learner's only when it names the configuration.
const CONFIG_421 = /configuration|local problem/i
const REPLY = /^([A-Za-z][\w ]*): ([45]\d\d)\b(.*)$/

const clip = (s: string): string => (s.length > 160 ? `${s.slice(0, 157)}…` : s)

/**
 * The learner's fault behind an inconclusive result, or null when it is (or may be) the grader's. Pure: it reads the
 * result only, so that the same real answer gives the same verdict in a unit test.
 */
export function learnerFault(r: CheckResult, target: Pick<Target, 'port'>): LearnerFault | null {
  if (r.status !== 'inconclusive' || !r.reason) return null
  const msg = probeMessage(r)
  if (!msg) return null
  if (r.evidence.lines.some((l) => OVERLOAD.test(l))) return null
  const what = r.title
  const port = target.port
  const said = (answer: string, fr: string, en: string): LearnerFault => ({ answer: clip(answer), summary: { fr, en } })
  const reply = REPLY.exec(msg)
  switch (r.reason) {
    case 'refused': {
      if (/connection refused/i.test(msg))
        return said(
          msg,
          `Rien n’écoute sur le port ${port} de votre serveur (connexion refusée) : « ${what.fr} » ne peut pas être vérifié. Le service de ce port est-il activé ?`,
          `Nothing listens on port ${port} of your server (connection refused): “${what.en}” cannot be checked. Is the service on this port enabled?`,
        )
      if (reply)
        return said(
          `${reply[2]}${reply[3]}`,
          `Votre serveur refuse la session (« ${clip(`${reply[2]}${reply[3]}`)} ») : « ${what.fr} » ne peut pas être vérifié.`,
          `Your server refuses the session (“${clip(`${reply[2]}${reply[3]}`)}”): “${what.en}” cannot be checked.`,
        )
      return null
    }
    case 'temporary': {
      if (!reply) return null
      const answer = `${reply[2]}${reply[3]}`
      if (reply[2] === '421' && !CONFIG_421.test(answer)) return null
      return said(
        answer,
        `Votre serveur répond « ${clip(answer)} » à ${reply[1]} : il ne peut pas faire ce que vérifie « ${what.fr} ». Son journal dit pourquoi (fichier de certificat ou de clé introuvable ou illisible ?).`,
        `Your server answers “${clip(answer)}” to ${reply[1]}: it cannot do what “${what.en}” checks. Its log says why (a certificate or key file missing or unreadable?).`,
      )
    }
    case 'protocol': {
      if (/^TLS handshake failed/i.test(msg) || /\balert\b/i.test(msg))
        return said(
          msg,
          `La négociation TLS avec votre serveur échoue (${clip(msg)}) : « ${what.fr} » ne peut pas être vérifié.`,
          `The TLS handshake with your server fails (${clip(msg)}): “${what.en}” cannot be checked.`,
        )
      if (/connection (closed|reset) by the server/i.test(msg))
        return said(
          msg,
          `Votre serveur coupe la connexion en pleine session (${clip(msg)}) : « ${what.fr} » ne peut pas être vérifié. Son journal dit pourquoi.`,
          `Your server drops the connection mid-session (${clip(msg)}): “${what.en}” cannot be checked. Its log says why.`,
        )
      if (reply && reply[2]!.startsWith('5'))
        return said(
          `${reply[2]}${reply[3]}`,
          `Votre serveur refuse ${reply[1]} (« ${clip(`${reply[2]}${reply[3]}`)} ») : « ${what.fr} » ne peut pas être vérifié.`,
          `Your server refuses ${reply[1]} (“${clip(`${reply[2]}${reply[3]}`)}”): “${what.en}” cannot be checked.`,
        )
      return null
    }
    default:
      // timeout (the grader's time bound), unreachable (the sandbox's network), bug, not-applicable: the grader's.
      return null
  }
}

/** The result as a fail: the same evidence, plus the line that says why it counts against the configuration. */
export function asFail(r: CheckResult, fault: LearnerFault): CheckResult {
  const { reason: _reason, ...rest } = r
  return {
    ...rest,
    status: 'fail',
    summary: fault.summary,
    evidence: {
      lines: [...r.evidence.lines, `# counted as a fail: your server answered «${fault.answer}» while the sandbox was healthy`],
      facts: { ...(r.evidence.facts ?? {}), serverAnswer: fault.answer, wasInconclusive: r.reason ?? null },
    },
  }
}

/** The lab's own services a grading depends on (the resolver, Pebble's ACME directory), with a port each answers on. */
export const LAB_PEERS: readonly (readonly [string, number])[] = [
  ['dns', 53],
  ['acme', 14000],
]

export interface SandboxHealth {
  readonly healthy: boolean
  readonly lines: readonly string[]
}

function tcpOpen(host: string, port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port })
    const done = (ok: boolean): void => {
      clearTimeout(t)
      s.destroy()
      resolve(ok)
    }
    const t = setTimeout(() => done(false), ms)
    s.once('connect', () => done(true))
    s.once('error', () => done(false))
  })
}

/**
 * Whether the sandbox around the learner's server works: the engine runs a command in the service's container,
 * and the lab's own DNS and ACME services answer. Only then can a refusal be the server's doing.
 */
export async function sandboxHealth(handle: SandboxHandle, service = 'mail', peers: readonly (readonly [string, number])[] = LAB_PEERS): Promise<SandboxHealth> {
  const lines: string[] = []
  const exec = await handle.exec(service, ['/bin/sh', '-c', 'exit 0'], { timeoutMs: 10_000 }).then(
    (r) => r.exitCode === 0,
    (e: unknown) => (lines.push(`# ${service}: ${(e as Error).message}`), false),
  )
  if (!exec) lines.push(`# ${service}: the container engine could not run a command in it`)
  const answered = await Promise.all(
    peers.map(async ([svc, port]) => {
      let host: string
      try {
        host = handle.address(svc)
      } catch {
        return true // a lab without this service: nothing to check
      }
      const ok = await tcpOpen(host, port, 3000)
      if (!ok) lines.push(`# ${svc} (${host}:${port}) does not answer`)
      return ok
    }),
  )
  return { healthy: exec && answered.every(Boolean), lines }
}
