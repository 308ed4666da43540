// The lab server's data directory: one server at a time (lock file), the store, and the local learner's token.
import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import path from 'node:path'
import { UserError } from '../core/errors.ts'
import { ProgressStore, type Learner } from './progress-store.ts'
import { pidAlive } from '../core/process.ts'

export const DEFAULT_DATA_DIR = '.lab-data'
export const LOCAL_LEARNER = 'local'

export interface OpenedDataDir {
  readonly dir: string
  readonly store: ProgressStore
  readonly learner: Learner
  /** The learner's token; kept in <dir>/token (mode 0600) so a restarted server accepts the open browser tab. */
  readonly token: string
  /** Attempts found running at open time (their server died) and now marked interrupted. */
  readonly interrupted: number
  release(): void
}


/** Takes the data dir's lock; a lock left by a dead process (SIGKILL) is taken over. */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const file = path.join(dir, 'server.lock')
  for (let tries = 0; tries < 3; tries++) {
    try {
      const fd = openSync(file, 'wx', 0o600)
      writeSync(fd, JSON.stringify({ pid: process.pid, at: new Date().toISOString() }))
      closeSync(fd)
      return () => {
        try {
          const held = JSON.parse(readFileSync(file, 'utf8')) as { pid?: number }
          if (held.pid === process.pid) rmSync(file, { force: true })
        } catch {
          // Already gone: nothing to release.
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      let pid = 0
      try {
        pid = Number((JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown }).pid) || 0
      } catch {
        // Unreadable lock (killed while writing it): treat as stale.
      }
      if (pid > 0 && pid !== process.pid && pidAlive(pid)) {
        throw new UserError(
          `Another lab server (pid ${pid}) already uses the data directory ${dir}. ` +
            `Stop it first, or start this one with --data-dir pointing elsewhere.`,
        )
      }
      rmSync(file, { force: true })
    }
  }
  throw new UserError(`Could not lock the data directory ${dir} (lock file ${file} keeps reappearing).`)
}

/** The data dir's progress store, opened under its lock (released again if the store cannot open). */
export function openLockedStore(abs: string, lock = true): { store: ProgressStore; release: () => void } {
  const release = lock ? lockDataDir(abs) : () => {}
  try {
    return { store: new ProgressStore(abs), release }
  } catch (err) {
    release()
    throw err
  }
}

export function openDataDir(dir: string, opts: { newToken?: boolean; lock?: boolean; session?: string } = {}): OpenedDataDir {
  const abs = path.resolve(dir)
  const { store, release } = openLockedStore(abs, opts.lock !== false)
  const interrupted = opts.lock === false ? 0 : store.markInterrupted()
  const tokenFile = path.join(abs, 'token')
  let learner = store.getLearner(LOCAL_LEARNER)
  let token: string | null = null
  if (learner && !opts.newToken && existsSync(tokenFile)) {
    const saved = readFileSync(tokenFile, 'utf8').trim()
    if (saved && store.learnerForToken(saved)?.id === LOCAL_LEARNER) token = saved
  }
  if (token === null) {
    // A short random session id keeps container names readable and distinct between data dirs.
    const session = opts.session ?? learner?.session ?? `l${randomBytes(4).toString('hex')}`
    token = store.upsertLearner(LOCAL_LEARNER, { session })
    writeFileSync(tokenFile, token + '\n', { mode: 0o600 })
    learner = store.getLearner(LOCAL_LEARNER)!
  }
  if (opts.session !== undefined && learner!.session !== opts.session) {
    store.setLearnerSession(LOCAL_LEARNER, opts.session)
    learner = store.getLearner(LOCAL_LEARNER)!
  }
  return {
    dir: abs,
    store,
    learner: learner!,
    token,
    interrupted,
    release() {
      store.close()
      release()
    },
  }
}
