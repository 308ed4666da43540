// Who owns a sandbox session and whether that owner still lives: labels stamped at creation, read by the reaper and `sandbox status`.
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { LABEL_OWNER, LABEL_OWNER_BOOT, LABEL_OWNER_HOST, LABEL_OWNER_PID, LABEL_OWNER_START } from './docker.ts'
import { pidAlive } from '../core/process.ts'

/** A learner's or a user's own sandbox: never removed by anybody else. */
export const USER_OWNER = 'user'

/**
 * Owner of a grading sandbox: the batch of a class (`b1a2b3c-007` → `grade:b1a2b3c`), or the session itself for one
 * submission. The reaper removes these once their process is gone (a `kill -9` of `grade --class`).
 */
export function gradingOwner(session: string): string {
  return `grade:${session.replace(/-\d{3}$/, '')}`
}

/** Sessions made for one job (grading, harvesting, proving) and worthless once the process that made them died. */
export function isDisposable(owner: string | null | undefined): boolean {
  return !!owner && /^(grade|job):/.test(owner)
}

export type OwnerState = 'alive' | 'dead' | 'unknown'

export interface OwnerInfo {
  readonly owner: string | null
  readonly pid: number | null
  readonly state: OwnerState
  /** Why the state is what it is, for `sandbox status`. */
  readonly why: string
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8').trim()
  } catch {
    return fallback
  }
}

/** Start time of a process in clock ticks after boot (field 22 of /proc/PID/stat); '' where there is no /proc. */
export function processStartTime(pid: number): string {
  const stat = readOr(`/proc/${pid}/stat`, '')
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return rest[19] ?? ''
}

let self: Record<string, string> | null = null

/** The labels that name this process as the owner of what it creates. */
export function ownerLabels(owner: string): Record<string, string> {
  self ??= {
    [LABEL_OWNER_PID]: String(process.pid),
    [LABEL_OWNER_START]: processStartTime(process.pid),
    [LABEL_OWNER_BOOT]: readOr('/proc/sys/kernel/random/boot_id', ''),
    [LABEL_OWNER_HOST]: os.hostname(),
  }
  return { [LABEL_OWNER]: owner, ...self }
}


/**
 * Reads the owner labels of a session's network or container. A pid gone, a pid now held by a process that started
 * at another time, or a host rebooted since, all mean the owner is dead. Another host sharing the Docker daemon
 * (or no labels at all, a session made before owners existed) cannot be judged: unknown, never reaped.
 */
export function ownerOf(labels: Readonly<Record<string, string>> | undefined): OwnerInfo {
  const l = labels ?? {}
  const owner = l[LABEL_OWNER] ?? null
  const pid = Number(l[LABEL_OWNER_PID])
  if (!Number.isInteger(pid) || pid <= 0) return { owner, pid: null, state: 'unknown', why: 'no owner process recorded' }
  if ((l[LABEL_OWNER_HOST] ?? '') !== os.hostname())
    return { owner, pid, state: 'unknown', why: `made on host ${l[LABEL_OWNER_HOST] ?? '?'}` }
  const boot = readOr('/proc/sys/kernel/random/boot_id', '')
  if (boot && l[LABEL_OWNER_BOOT] && l[LABEL_OWNER_BOOT] !== boot) return { owner, pid, state: 'dead', why: 'the host rebooted since' }
  if (!pidAlive(pid)) return { owner, pid, state: 'dead', why: `process ${pid} is gone` }
  const start = processStartTime(pid)
  if (start && l[LABEL_OWNER_START] && start !== l[LABEL_OWNER_START])
    return { owner, pid, state: 'dead', why: `pid ${pid} now belongs to another process` }
  return { owner, pid, state: 'alive', why: `process ${pid} runs` }
}
