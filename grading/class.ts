// Grades a whole class: one entry per learner (folder or archive), refused ones set aside first, the rest on a bounded pool of sandboxes.
import { randomBytes } from 'node:crypto'
import { lstat, readdir } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Lang } from '../checker/types.ts'
import type { Exercise } from '../exercises/load.ts'
import { errorGrade, gradeMapped, GradingAborted, intake, rejectedGrade, type SubmissionGrade } from './grade.ts'
import { DEFAULT_LIMITS, SubmissionRejected, type IntakeLimits, type MappedSubmission } from './intake.ts'
import { PreparedWorker, type PrepareTimings } from './prepared.ts'

const ARCHIVE_RE = /\.(tar\.gz|tgz|tar|zip)$/i

export interface ClassEntry {
  readonly learner: string
  readonly path: string
  readonly kind: 'directory' | 'archive' | 'symlink'
}

export interface ClassListing {
  readonly entries: readonly ClassEntry[]
  /** Names that are neither a folder nor an archive (README, .DS_Store…): not learners. */
  readonly skipped: readonly string[]
}

const cleanName = (s: string): string => s.replace(/[\x00-\x1f\x7f]/g, '?')

/** One learner per folder or archive of DIR; hidden names and other files are skipped, symlinks kept to be refused. */
export async function listClass(dir: string): Promise<ClassListing> {
  const names = (await readdir(dir)).sort()
  const entries: ClassEntry[] = []
  const skipped: string[] = []
  for (const name of names) {
    if (name.startsWith('.')) {
      skipped.push(cleanName(name))
      continue
    }
    const p = path.join(dir, name)
    const st = await lstat(p)
    const learner = cleanName(name.replace(ARCHIVE_RE, ''))
    if (st.isSymbolicLink()) entries.push({ learner, path: p, kind: 'symlink' })
    else if (st.isDirectory()) entries.push({ learner, path: p, kind: 'directory' })
    else if (st.isFile() && ARCHIVE_RE.test(name)) entries.push({ learner, path: p, kind: 'archive' })
    else skipped.push(cleanName(name))
  }
  // alice/ and alice.zip side by side: keep both, under their full names.
  const count = new Map<string, number>()
  for (const e of entries) count.set(e.learner, (count.get(e.learner) ?? 0) + 1)
  return {
    entries: entries.map((e) => ((count.get(e.learner) ?? 0) > 1 ? { ...e, learner: cleanName(path.basename(e.path)) } : e)),
    skipped,
  }
}

/**
 * Default number of sandboxes graded at once: one per core. A grading waits a lot (Pebble, DNS, daemons starting),
 * but its busy parts (certbot, openssl, a cipher enumeration of one handshake per suite) are CPU-bound; on the
 * measured 2-core machine 2 sandboxes beat 3 and 4 (see grading/README.md and bench/grading.ts --sweep).
 */
export function defaultParallel(cores = os.availableParallelism()): number {
  return Math.max(1, Math.min(cores, 8))
}

export type ClassEvent =
  | { readonly type: 'listed'; readonly total: number; readonly skipped: readonly string[] }
  | { readonly type: 'rejected'; readonly grade: SubmissionGrade }
  | { readonly type: 'start'; readonly learner: string; readonly session: string }
  | { readonly type: 'done'; readonly grade: SubmissionGrade }
  | { readonly type: 'log'; readonly line: string }

export interface ClassOptions {
  readonly exercise: Exercise
  readonly dir: string
  readonly parallel: number
  readonly lang?: Lang
  readonly limits?: IntakeLimits
  /** Prefix of this batch's sandbox sessions (and its id in the store); default a random `b<hex>`. */
  readonly batch?: string
  readonly signal?: AbortSignal
  readonly onEvent?: (e: ClassEvent) => void
  /** Called with each grade as soon as it exists (rejected ones included), e.g. to store it. */
  readonly onGrade?: (g: SubmissionGrade) => void
  readonly onSession?: (session: string, active: boolean) => void
  readonly topologyFile?: string
  /**
   * true (default): each worker sets the start state up once and grades every learner on a fresh graded service
   * made from its snapshot (grading/prepared.ts); false: a whole fresh sandbox and setup per learner.
   */
  readonly prepared?: boolean
}

export interface ClassResult {
  readonly batch: string
  readonly grades: readonly SubmissionGrade[]
  readonly skipped: readonly string[]
  readonly interrupted: boolean
  readonly durationMs: number
  readonly startedAt: string
  /** Per worker, what preparing its start state once cost (prepared mode). */
  readonly prepared: readonly (PrepareTimings & { readonly worker: string })[]
}

export const newBatch = (): string => `b${randomBytes(3).toString('hex')}`

/** Session id of the n-th submission of a batch: the prefix lets a Ctrl-C sweep find every sandbox of the batch. */
export const batchSession = (batch: string, n: number): string => `${batch}-${String(n).padStart(3, '0')}`

export async function gradeClass(opts: ClassOptions): Promise<ClassResult> {
  const t0 = Date.now()
  const startedAt = new Date().toISOString()
  const batch = opts.batch ?? newBatch()
  const emit = opts.onEvent ?? (() => {})
  const listing = await listClass(opts.dir)
  emit({ type: 'listed', total: listing.entries.length, skipped: listing.skipped })
  const grades: SubmissionGrade[] = []
  const keep = (g: SubmissionGrade): void => {
    grades.push(g)
    try {
      opts.onGrade?.(g)
    } catch (err) {
      emit({ type: 'log', line: `${g.learner}: could not store the grade: ${(err as Error).message}` })
    }
  }

  // Intake is cheap and sandbox-free: refuse the hostile and incomplete ones before queueing anything.
  const queue: { learner: string; mapped: MappedSubmission; intakeMs: number }[] = []
  for (const e of listing.entries) {
    const t = Date.now()
    try {
      if (e.kind === 'symlink') {
        throw new SubmissionRejected('symlink', { fr: `l’entrée ${path.basename(e.path)} est un lien symbolique`, en: `the entry ${path.basename(e.path)} is a symbolic link` })
      }
      queue.push({ learner: e.learner, mapped: await intake(opts.exercise, e.path, opts.limits ?? DEFAULT_LIMITS), intakeMs: Date.now() - t })
    } catch (err) {
      if (!(err instanceof SubmissionRejected)) throw err
      const g = rejectedGrade(opts.exercise, e.learner, err, { intake: Date.now() - t })
      keep(g)
      emit({ type: 'rejected', grade: g })
    }
  }

  // Sandboxes a killed earlier batch left behind go first: their owner is dead (sandbox/owner.ts).
  if (queue.length) {
    const { reapOrphans } = await import('../sandbox/engine.ts')
    const reaped = await reapOrphans().catch((err: unknown) => [`(reaper failed: ${(err as Error).message})`])
    if (reaped.length) emit({ type: 'log', line: `removed what dead gradings left: ${reaped.join(', ')}` })
  }

  let next = 0
  let interrupted = false
  const prepared: (PrepareTimings & { worker: string })[] = []
  const worker = async (w: number): Promise<void> => {
    let pw: PreparedWorker | null = null
    if (opts.prepared !== false && next < queue.length && !opts.signal?.aborted) {
      const ws = workerSession(batch, w)
      opts.onSession?.(ws, true)
      pw = new PreparedWorker(ws, opts.exercise, `grade:${batch}`, (line) => emit({ type: 'log', line }), opts.topologyFile)
      try {
        prepared.push({ worker: ws, ...(await pw.prepare()) })
      } catch (err) {
        // Not fatal: this worker falls back to a fresh sandbox per learner, whose error (if any) is then graded as such.
        emit({ type: 'log', line: `${ws}: could not prepare the start state (${(err as Error).message.split('\n')[0]}); fresh sandboxes instead` })
        await pw.close()
        opts.onSession?.(ws, false)
        pw = null
      }
    }
    try {
      await gradeQueue(pw)
    } finally {
      if (pw) {
        await pw.close()
        opts.onSession?.(pw.session, false)
      }
    }
  }
  const gradeQueue = async (pw: PreparedWorker | null): Promise<void> => {
    while (next < queue.length && !opts.signal?.aborted) {
      const n = next++
      const item = queue[n]!
      const session = batchSession(batch, n)
      const giveBack = pw?.lend(session)
      try {
        const g = await gradeMapped(opts.exercise, item.mapped, {
          learner: item.learner,
          session,
          ...(opts.lang ? { lang: opts.lang } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(opts.topologyFile ? { topologyFile: opts.topologyFile } : {}),
          log: (line) => emit({ type: 'log', line }),
          onSession: (s) => {
            opts.onSession?.(s, true)
            emit({ type: 'start', learner: item.learner, session: s })
          },
        })
        const withIntake = { ...g, timings: { intake: item.intakeMs, ...g.timings } }
        keep(withIntake)
        emit({ type: 'done', grade: withIntake })
      } catch (err) {
        if (err instanceof GradingAborted) {
          interrupted = true
          return
        }
        // One submission's trouble never stops the batch.
        const g = errorGrade(opts.exercise, item.learner, new Date().toISOString(), (err as Error).message ?? String(err), { session })
        keep(g)
        emit({ type: 'done', grade: g })
      } finally {
        giveBack?.()
        opts.onSession?.(session, false)
      }
    }
  }
  const n = Math.max(1, Math.min(opts.parallel, queue.length || 1))
  await Promise.all(Array.from({ length: n }, (_, w) => worker(w + 1)))
  if (opts.signal?.aborted) interrupted = true
  grades.sort((a, b) => a.learner.localeCompare(b.learner))
  return { batch, grades, skipped: listing.skipped, interrupted, durationMs: Date.now() - t0, startedAt, prepared }
}

/** Session of a class worker's prepared sandbox: under the batch's prefix, so the Ctrl-C sweep finds it too. */
export const workerSession = (batch: string, w: number): string => `${batch}-w${w}`

/** Removes every sandbox whose session starts with the prefix (a batch's), whatever state it is in, and their snapshots. */
export async function downSessionsWithPrefix(prefix: string): Promise<string[]> {
  const { listSessions, downSandbox } = await import('../sandbox/engine.ts')
  const { removeSnapshots } = await import('../sandbox/snapshot.ts')
  const gone: string[] = []
  for (const s of await listSessions()) {
    if (!s.session.startsWith(prefix)) continue
    await downSandbox(s.session).catch(() => undefined)
    gone.push(s.session)
  }
  for (const tag of await removeSnapshots((s) => s.startsWith(prefix)).catch(() => [])) gone.push(`image ${tag}`)
  return gone
}
