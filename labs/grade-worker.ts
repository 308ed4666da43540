// Check runs in a process of their own. A class server relays every learner's terminal keystrokes on its event loop;
// grading (TLS handshakes, certificate parsing, docker exec plumbing) costs tens of milliseconds of CPU per run, and
// when a fifth of a class presses "Vérifier" at once those runs stalled everybody's echo past 400 ms (bench/class.ts).
// The grader process reaches the sandboxes itself (same engine, session id), so nothing heavy crosses the pipe: only
// requests in, results out.
import { fork, type ChildProcess } from 'node:child_process'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import type { SandboxHandle } from '../checker/sandbox-handle.ts'
import { createConnectionGate } from '../checker/runner.ts'
import { UserError } from '../core/errors.ts'
import type { CheckResult, Lang } from '../checker/types.ts'
import type { GradeFn } from './check-runs.ts'

/** Parent → grader. */
type Request =
  | { readonly t: 'grade'; readonly id: number; readonly exercise: string; readonly session: string; readonly engine: string | null; readonly handleKey: number; readonly lang: Lang }
  | { readonly t: 'abort'; readonly id: number }
  | { readonly t: 'warm'; readonly id: number; readonly session: string; readonly engine: string | null; readonly handleKey: number }

/** Grader → parent. */
type Reply =
  | { readonly t: 'result'; readonly id: number; readonly result: CheckResult }
  | { readonly t: 'done'; readonly id: number }
  | { readonly t: 'error'; readonly id: number; readonly message: string }

const CLI = fileURLToPath(new URL('../bin/smtp-tls-lab.mjs', import.meta.url))
export const WORKER_COMMAND = 'grade-worker'

interface Pending {
  readonly onResult: (r: CheckResult) => void
  readonly resolve: () => void
  readonly reject: (e: Error) => void
}

export interface WorkerGrader {
  readonly grade: GradeFn
  /** Readies grading of a sandbox (exercises/runner.ts prepareGrading), outside the queue of check runs. */
  warm(sandbox: SandboxHandle): Promise<void>
  /** The grader's pid, once started (tests). */
  pid(): number | undefined
  close(): void
}

export interface WorkerGraderOptions {
  /** The `--docker-host` list the class serves (none: the default engine). */
  readonly dockerHosts?: readonly string[]
  /** The engine (its name, an endpoint URL) a session's sandbox is on; undefined or null: the default engine. */
  readonly engineOf?: (session: string) => string | null | undefined
  /**
   * Check runs graded at once; the others wait their turn (default: one core left to the terminals). A run costs the
   * machine ~0.35–0.7 s of CPU, mostly in the Docker engine (each file read or trusted-tool call is an archive or an
   * exec, 50–150 ms of CPU there); six started together saturated both cores of a 2-core server and every learner's
   * terminal with them.
   */
  readonly parallel?: number
}

/**
 * A GradeFn that runs each check run in one long-lived grader process, started on first use and again after it died.
 * Runs of every learner share it (they are I/O-bound, and concurrent inside it). A grader that dies fails its runs
 * with the grader's own error, never the learner's: the attempt is then "error", which passes nothing.
 */
export function workerGrader(opts: WorkerGraderOptions = {}): WorkerGrader {
  let child: ChildProcess | null = null
  let closed = false
  let nextId = 1
  const pending = new Map<number, Pending>()
  // A handle object stands for one incarnation of a sandbox (a reset gives a new one): the grader keeps its own
  // handle, and what it cached about the sandbox (the lab's roots), for as long as the server keeps this one.
  const handleKeys = new WeakMap<SandboxHandle, number>()
  let nextHandleKey = 1

  const failAll = (message: string): void => {
    for (const p of pending.values()) p.reject(new Error(message))
    pending.clear()
  }

  const spawnChild = (): ChildProcess => {
    const c = fork(CLI, [WORKER_COMMAND, ...(opts.dockerHosts ?? []).flatMap((h) => ['--docker-host', h])], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced' })
    c.on('message', (m: Reply) => {
      const p = pending.get(m.id)
      if (!p) return
      if (m.t === 'result') p.onResult(m.result)
      else {
        pending.delete(m.id)
        if (m.t === 'done') p.resolve()
        else p.reject(new Error(m.message))
      }
    })
    c.on('exit', (code, signal) => {
      if (child === c) child = null
      failAll(`grader process ended (${signal ?? `exit ${code}`}); run the check again`)
    })
    c.on('error', (err) => {
      if (child === c) child = null
      failAll(`grader process: ${err.message}`)
    })
    return c
  }

  const send = (msg: Request): void => {
    if (closed) throw new Error('the lab server is stopping')
    if (!child || !child.connected) child = spawnChild()
    child.send(msg)
  }

  const locate = (sandbox: SandboxHandle): { session: string; handleKey: number } => {
    let handleKey = handleKeys.get(sandbox)
    if (handleKey === undefined) handleKeys.set(sandbox, (handleKey = nextHandleKey++))
    return { session: sandbox.session, handleKey }
  }

  // The checker's FIFO limiter (abortable, served in order), with one key: the whole class's check runs.
  const queue = createConnectionGate(Math.max(1, opts.parallel ?? os.availableParallelism() - 1))

  /** Sends one request about a sandbox; resolves on its `done`, rejects on its `error` or the grader's death. */
  const request = (sandbox: SandboxHandle, body: { t: 'grade'; exercise: string; lang: Lang } | { t: 'warm' }, onResult: (r: CheckResult) => void = () => {}) => {
    const { session, handleKey } = locate(sandbox)
    const id = nextId++
    const done = new Promise<void>((resolve, reject) => {
      pending.set(id, { onResult, resolve, reject })
      try {
        send({ ...body, id, session, engine: opts.engineOf?.(session) ?? null, handleKey })
      } catch (err) {
        pending.delete(id)
        reject(err as Error)
      }
    })
    return { id, done }
  }

  const grade: GradeFn = async (exercise, sandbox, hooks) => {
    const release = await queue.acquire('check-runs', hooks.signal)
    try {
      const { id, done } = request(sandbox, { t: 'grade', exercise, lang: hooks.lang }, hooks.onResult)
      hooks.signal.addEventListener('abort', () => pending.has(id) && child?.connected && child.send({ t: 'abort', id } satisfies Request), { once: true })
      await done
    } finally {
      release()
    }
  }

  const warm = (sandbox: SandboxHandle): Promise<void> => request(sandbox, { t: 'warm' }).done

  return {
    grade,
    warm,
    pid: () => child?.pid,
    close() {
      closed = true
      failAll('the lab server is stopping')
      child?.kill('SIGTERM')
      child = null
    },
  }
}

/**
 * The grader process's side: reads requests from the parent, grades with the course's exercises, and ends with its
 * parent (a `kill -9` of the server closes the channel).
 */
export async function runGradeWorker(dockerHosts: readonly string[]): Promise<void> {
  if (!process.send) throw new UserError(`${WORKER_COMMAND} is the class server's own grader process: \`class start\` starts it, not a person.`)
  const { engineSet } = await import('../sandbox/engines.ts')
  const { onEngine } = await import('../sandbox/docker.ts')
  const { getSandbox } = await import('../sandbox/engine.ts')
  const { gradeWithExercises } = await import('./exercises-adapter.ts')
  const { prepareGrading } = await import('../exercises/runner.ts')
  const engines = dockerHosts.length ? engineSet(dockerHosts) : []
  const reply = (m: Reply): void => void process.send!(m)
  const aborts = new Map<number, AbortController>()
  // The server's handle key → this process's handle of the same sandbox (its lab trust is cached per handle).
  const handles = new Map<string, Promise<SandboxHandle | null>>()

  const sandboxFor = async (req: Extract<Request, { t: 'grade' | 'warm' }>) => {
    const engine = req.engine ? engines.find((e) => e.name === req.engine) : undefined
    if (req.engine && !engine) throw new Error(`the grader does not know the engine ${req.engine}`)
    const scoped = <T>(fn: () => Promise<T>): Promise<T> => (engine ? onEngine(engine, fn) : fn())
    const key = `${req.session}#${req.handleKey}`
    let h = handles.get(key)
    if (!h) {
      for (const k of handles.keys()) if (k.startsWith(`${req.session}#`)) handles.delete(k)
      handles.set(key, (h = scoped(() => getSandbox(req.session, { health: false }))))
      h.catch(() => handles.delete(key))
    }
    const sandbox = await h
    if (!sandbox) {
      handles.delete(key)
      throw new Error(`sandbox ${req.session} not found`)
    }
    return { sandbox, scoped }
  }

  const run = async (req: Extract<Request, { t: 'grade' }>): Promise<void> => {
    const { sandbox, scoped } = await sandboxFor(req)
    const abort = new AbortController()
    aborts.set(req.id, abort)
    try {
      await scoped(() => gradeWithExercises(req.exercise, sandbox, { lang: req.lang, signal: abort.signal, onResult: (result) => reply({ t: 'result', id: req.id, result }) }))
    } finally {
      aborts.delete(req.id)
    }
  }

  process.on('message', (m: Request) => {
    if (m.t === 'abort') return void aborts.get(m.id)?.abort()
    ;(m.t === 'warm' ? sandboxFor(m).then(({ sandbox, scoped }) => scoped(() => prepareGrading(sandbox))) : run(m)).then(
      () => reply({ t: 'done', id: m.id }),
      (err: unknown) => reply({ t: 'error', id: m.id, message: err instanceof Error ? err.message : String(err) }),
    )
  })
  process.on('disconnect', () => process.exit(0))
  // Keeps running on the IPC channel alone.
  await new Promise<never>(() => {})
}
