// Talks to the postfix lab's attacker service (sandbox/images/attacker): its control API and its records.
// The records are read through the engine's archive API, never with a program of a container a learner controls.
import { verdict } from '../../checker/define.ts'
import type { SandboxHandle } from '../../checker/sandbox-handle.ts'
import type { Verdict } from '../../checker/types.ts'

export const ATTACKER = 'attacker'
export const ATTACKER_DIR = '/var/log/attacker'
export type AttackerMode = 'strip' | 'forge' | 'pass'

async function call(sandbox: SandboxHandle, method: 'GET' | 'POST', path: string, timeoutMs = 10_000): Promise<unknown> {
  const res = await fetch(`http://${sandbox.address(ATTACKER)}:8080${path}`, { method, signal: AbortSignal.timeout(timeoutMs) })
  const text = await res.text()
  if (!res.ok) throw new Error(`attacker ${method} ${path}: HTTP ${res.status} ${text.trim().slice(0, 200)}`)
  return JSON.parse(text) as unknown
}

/** False on a sandbox made before the attacker joined the lab (its address cannot be known). */
export function hasAttacker(sandbox: SandboxHandle): boolean {
  try {
    return Boolean(sandbox.address(ATTACKER))
  } catch {
    return false
  }
}

/** What the attacker's checks answer without a sandbox, or on one made before the attacker joined the lab. */
export function needsAttacker(): Verdict {
  return verdict.inconclusive('not-applicable', {
    fr: 'Cette vérification demande le bac à sable du lab Postfix avec son service attacker (recréez-le : sandbox up --fresh).',
    en: 'This check needs the Postfix lab sandbox with its attacker service (recreate it: sandbox up --fresh).',
  })
}

export async function attackerMode(sandbox: SandboxHandle): Promise<AttackerMode> {
  const s = (await call(sandbox, 'GET', '/status')) as { mode: AttackerMode }
  return s.mode
}

export async function setAttackerMode(sandbox: SandboxHandle, mode: AttackerMode): Promise<void> {
  await call(sandbox, 'POST', `/mode/${mode}`)
}

export interface GuessResult {
  readonly port: number
  /** auth-535 (refused password), accepted, refused (RST on connect), timeout/no-answer (dropped), closed… */
  readonly result: string
  readonly detail: string
  readonly ms: number
}

/** Runs `count` wrong SASL passwords against the mail host's `port`, one connection each, in order or all at once. */
export async function bruteForce(sandbox: SandboxHandle, port: number, count: number, opts: { parallel?: boolean; user?: string } = {}): Promise<GuessResult[]> {
  const user = encodeURIComponent(opts.user ?? 'alice@domaine.tld')
  const timeout = (opts.parallel ? 1 : count) * 45_000 + 5000
  const r = (await call(sandbox, 'POST', `/brute?port=${port}&count=${count}&user=${user}${opts.parallel ? '&parallel=1' : ''}`, timeout)) as { results: GuessResult[] }
  return r.results
}

export interface ProbeResult {
  readonly port: number
  readonly result: 'open' | 'closed' | 'filtered' | 'unreachable' | 'error'
}

/** TCP connects from the attacker's address to the mail host's ports (3 s each, in parallel). */
export async function probePorts(sandbox: SandboxHandle, ports: readonly number[]): Promise<ProbeResult[]> {
  const r = (await call(sandbox, 'POST', `/probe?ports=${ports.join(',')}`, 15_000)) as { results: ProbeResult[] }
  return r.results
}

export interface AttackerSession {
  readonly id: string
  readonly mode: AttackerMode
  readonly client: string
  readonly strippedStarttls: boolean
  readonly clientStarttls: boolean
  readonly forgedTls: boolean
  readonly endToEndTls: boolean
  readonly clearBytes: number
  readonly encryptedBytes: number
  readonly capture: string
}

/** Byte size of one of the attacker's files (0 when absent), to read only what is appended after it. */
export async function attackerFileSize(sandbox: SandboxHandle, file: string): Promise<number> {
  const st = await sandbox.stat(ATTACKER, `${ATTACKER_DIR}/${file}`)
  return st?.isFile ? st.size : 0
}

/** The proxied sessions recorded since byte `from` of sessions.jsonl. */
export async function attackerSessions(sandbox: SandboxHandle, from: number): Promise<AttackerSession[]> {
  const st = await sandbox.stat(ATTACKER, `${ATTACKER_DIR}/sessions.jsonl`)
  if (!st?.isFile) return []
  const buf = await sandbox.readFile(ATTACKER, `${ATTACKER_DIR}/sessions.jsonl`, st.size + 64 * 1024)
  const out: AttackerSession[] = []
  for (const line of buf.subarray(Math.min(from, buf.length)).toString('utf8').split('\n')) {
    try {
      const o = JSON.parse(line) as AttackerSession
      if (typeof o.id === 'string' && typeof o.capture === 'string') out.push(o)
    } catch {
      // a partial last line: the next read has it whole
    }
  }
  return out
}

/** The clear text the attacker captured in one session (C: client, S: server lines). */
export async function attackerCapture(sandbox: SandboxHandle, session: AttackerSession): Promise<string> {
  if (!/^capture\/[\w-]+\.txt$/.test(session.capture)) return ''
  return (await sandbox.readFile(ATTACKER, `${ATTACKER_DIR}/${session.capture}`, 128 * 1024)).toString('utf8')
}
