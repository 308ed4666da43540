// Runs checks against one target: bounded in time and in connections per server, results streamed as they complete.
import { setMaxListeners } from 'node:events'
import { registry, isCheckId, type CheckId } from './registry.ts'
import type { SandboxHandle } from './sandbox-handle.ts'
import type { CheckContext, CheckDefinition, CheckResult, ConnectionGate, Lang, ProbeCache, RunReport, Target, Verdict } from './types.ts'

export interface CheckRequest {
  readonly id: CheckId
  /** Overrides of the run's target for this check (e.g. { port: 587 }). */
  readonly target?: Partial<Target>
  readonly params?: Readonly<Record<string, unknown>>
  /** Tells two uses of one check apart in the results. */
  readonly key?: string
}

export interface RunOptions {
  /** Default: every check that applies to a remote host (plus sandbox ones when `sandbox` is given). */
  readonly checks?: readonly CheckRequest[]
  readonly target: Target
  readonly sandbox?: SandboxHandle
  /** Language of progress text; results always carry both. */
  readonly lang?: Lang
  /** Checks running at once (default 6). */
  readonly concurrency?: number
  /** Simultaneous connections to one server across all checks (default 4). */
  readonly connectionsPerServer?: number
  /** A gate shared with other runs (e.g. every learner of a lab server probing one host); overrides connectionsPerServer. */
  readonly gate?: ConnectionGate
  /** Bound for a check without its own timeoutMs (default 20 s). */
  readonly checkTimeoutMs?: number
  /**
   * When the caller named a host but no port of its own (CLI without --port), checks audit their natural
   * endpoint: tls.implicit on 465, submission checks on 587. Requests with their own target.port are kept.
   */
  readonly useCheckDefaults?: boolean
  readonly onResult?: (r: CheckResult) => void
  readonly signal?: AbortSignal
}

export interface CheckRun extends AsyncIterable<CheckResult> {
  /** Resolves once every check has finished, results in request order. */
  readonly report: Promise<RunReport>
}

export const DEFAULT_CHECK_TIMEOUT_MS = 20_000
/** Longest wait for a server's connections to drain before a check that loads it (see probes/smtp.ts openTcp). */
const IDLE_WAIT_MS = 3000

/** Resolves when `p` does or after `ms`, leaving no timer behind to hold the process. */
async function atMost(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))])
  clearTimeout(timer)
}

export function createProbeCache(): ProbeCache {
  const entries = new Map<string, Promise<unknown>>()
  return {
    get<T>(key: string, make: () => Promise<T>): Promise<T> {
      let p = entries.get(key) as Promise<T> | undefined
      if (!p) {
        p = make()
        p.catch(() => {}) // a rejection is read by each check that awaits it; this only keeps it from being "unhandled"
        entries.set(key, p)
      }
      return p
    },
  }
}

/**
 * At most `limit` connections per host at once, counted until the server has closed them (see probes/smtp.ts
 * openTcp); waiters are served in order. 4 stays well under stock caps (Exim: smtp_accept_max = 20 for all
 * clients; the course's hardened Exim and Postfix: 10 per client) with room for the server's other clients.
 */
export function createConnectionGate(limit = 4): ConnectionGate {
  const hosts = new Map<string, { active: number; waiting: (() => void)[]; idle: (() => void)[] }>()
  const entry = (host: string): { active: number; waiting: (() => void)[]; idle: (() => void)[] } => {
    const h = hosts.get(host) ?? { active: 0, waiting: [], idle: [] }
    hosts.set(host, h)
    return h
  }
  return {
    idle(host: string): Promise<void> {
      const h = entry(host)
      return h.active === 0 ? Promise.resolve() : new Promise((resolve) => h.idle.push(resolve))
    },
    acquire(host: string, signal?: AbortSignal): Promise<() => void> {
      const h = entry(host)
      const grant = (): (() => void) => {
        h.active++
        let done = false
        return () => {
          if (done) return
          done = true
          h.active--
          const next = h.waiting.shift()
          if (next) next()
          else if (h.active === 0) h.idle.splice(0).forEach((f) => f())
        }
      }
      if (h.active < limit) return Promise.resolve(grant())
      return new Promise((resolve, reject) => {
        const wake = (): void => {
          signal?.removeEventListener('abort', onAbort)
          resolve(grant())
        }
        const onAbort = (): void => {
          const i = h.waiting.indexOf(wake)
          if (i >= 0) h.waiting.splice(i, 1)
          reject(new Error('aborted while waiting for a connection slot'))
        }
        signal?.addEventListener('abort', onAbort, { once: true })
        h.waiting.push(wake)
      })
    },
  }
}

/** Every check that can run against a plain network host (what `check HOST` runs by default). */
export function remoteChecks(): CheckRequest[] {
  return (Object.keys(registry) as CheckId[]).filter((id) => registry[id].appliesTo.includes('remote')).map((id) => ({ id }))
}

function describe(t: Target): string {
  return `${t.host}:${t.port} (${t.mode}${t.servername ? `, SNI ${t.servername}` : ''})`
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e)
}

/** Runs one check with its own time bound; never throws. */
export async function runOne(
  check: CheckDefinition,
  req: { target: Target; params?: Readonly<Record<string, unknown>>; key?: string },
  env: { cache: ProbeCache; gate?: ConnectionGate; sandbox?: SandboxHandle; timeoutMs?: number; signal?: AbortSignal },
): Promise<CheckResult> {
  const started = performance.now()
  const bound = check.timeoutMs ?? env.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS
  const ac = new AbortController()
  // A check may hold many sockets at once (connection-limit), each listening for the abort.
  setMaxListeners(200, ac.signal)
  const onOuterAbort = (): void => ac.abort()
  env.signal?.addEventListener('abort', onOuterAbort, { once: true })
  let timer: NodeJS.Timeout | undefined
  let v: Verdict
  if (!check.appliesTo.includes('remote') && !env.sandbox) {
    v = {
      status: 'skip',
      reason: 'not-applicable',
      summary: { fr: 'Ce contrôle lit les fichiers du serveur : il ne tourne que dans un bac à sable du labo.', en: 'This check reads the server’s files: it only runs in a lab sandbox.' },
      evidence: { lines: [] },
    }
  } else {
    const ctx: CheckContext = {
      target: req.target,
      ...(env.sandbox ? { sandbox: env.sandbox } : {}),
      signal: ac.signal,
      params: req.params ?? {},
      cache: env.cache,
      ...(env.gate ? { gate: env.gate } : {}),
    }
    const timeout = new Promise<Verdict>((resolve) => {
      timer = setTimeout(() => {
        ac.abort()
        resolve({
          status: 'inconclusive',
          reason: 'timeout',
          summary: {
            fr: `Le contrôle n’a pas abouti en ${Math.round(bound / 1000)} s : le serveur ne répond pas assez vite.`,
            en: `The check did not finish within ${Math.round(bound / 1000)} s: the server does not answer fast enough.`,
          },
          evidence: { lines: [] },
        })
      }, bound)
    })
    const work = Promise.resolve()
      .then(() => check.run(ctx))
      .catch(
        (e: unknown): Verdict => ({
          status: 'inconclusive',
          reason: 'bug',
          summary: { fr: `Erreur interne du correcteur (pas de votre faute) : ${errorText(e)}`, en: `Internal grader error (not your fault): ${errorText(e)}` },
          evidence: { lines: e instanceof Error && e.stack ? e.stack.split('\n').slice(0, 8) : [] },
        }),
      )
    v = await Promise.race([work, timeout])
    clearTimeout(timer)
    ac.abort() // lets a finished check's leftover probes stop
  }
  env.signal?.removeEventListener('abort', onOuterAbort)
  return Object.freeze({
    id: check.id,
    ...(req.key ? { key: req.key } : {}),
    endpoint: describe(req.target),
    status: v.status,
    title: check.title,
    summary: v.summary,
    evidence: v.evidence,
    ...(v.reason ? { reason: v.reason } : {}),
    remedy: check.remedy,
    durationMs: Math.round(performance.now() - started),
  })
}

/** Runs the checks; iterate over the result to get each CheckResult as it completes, or await `.report`. */
export function runChecks(opts: RunOptions): CheckRun {
  const requests: readonly CheckRequest[] = opts.checks ?? (Object.keys(registry) as CheckId[]).filter((id) => opts.sandbox || registry[id].appliesTo.includes('remote')).map((id) => ({ id }))
  for (const r of requests) if (!isCheckId(r.id)) throw new Error(`unknown check ID: ${r.id}`)
  const cache = createProbeCache()
  const gate = opts.gate ?? createConnectionGate(opts.connectionsPerServer ?? 4)
  const started = performance.now()
  const startedAt = new Date().toISOString()
  const results: (CheckResult | undefined)[] = new Array(requests.length)
  const queue: CheckResult[] = []
  const waker: { wake: (() => void) | null } = { wake: null }
  let finished = false

  const targetFor = (r: CheckRequest, check: CheckDefinition): Target => {
    const defaults = opts.useCheckDefaults && r.target?.port === undefined ? check.defaultTarget ?? {} : {}
    return { ...opts.target, ...defaults, ...r.target }
  }
  const env = {
    cache,
    gate,
    ...(opts.sandbox ? { sandbox: opts.sandbox } : {}),
    ...(opts.checkTimeoutMs ? { timeoutMs: opts.checkTimeoutMs } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  }
  const runIndex = async (i: number): Promise<void> => {
    const r = requests[i]!
    const check = registry[r.id] as CheckDefinition
    const res = await runOne(check, { target: targetFor(r, check), ...(r.params ? { params: r.params } : {}), ...(r.key ? { key: r.key } : {}) }, env)
    results[i] = res
    queue.push(res)
    try {
      opts.onResult?.(res)
    } finally {
      waker.wake?.()
    }
  }

  const report = (async (): Promise<RunReport> => {
    const normal: number[] = []
    const exclusive: number[] = []
    requests.forEach((r, i) => ((registry[r.id] as CheckDefinition).exclusive ? exclusive : normal).push(i))
    // Longest first: the run ends when its slowest check does.
    normal.sort((a, b) => ((registry[requests[b]!.id] as CheckDefinition).cost ?? 1) - ((registry[requests[a]!.id] as CheckDefinition).cost ?? 1))
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < normal.length) await runIndex(normal[next++]!)
    }
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 6) }, worker))
    // Checks that load the server run last and alone, so they cannot turn others' probes into 421s.
    for (const i of exclusive) {
      // Connections other checks left behind still count on the server: a check that loads it starts from zero.
      // Bounded: a gate shared with other runs may never be idle for long.
      if (gate.idle) await atMost(gate.idle(targetFor(requests[i]!, registry[requests[i]!.id] as CheckDefinition).host), IDLE_WAIT_MS)
      await runIndex(i)
    }
    finished = true
    waker.wake?.()
    return Object.freeze({ target: opts.target, checks: Object.freeze(results.filter((r): r is CheckResult => !!r)), durationMs: Math.round(performance.now() - started), startedAt })
  })()

  return {
    report,
    async *[Symbol.asyncIterator](): AsyncIterator<CheckResult> {
      let read = 0
      for (;;) {
        if (read < queue.length) {
          yield queue[read++]!
          continue
        }
        if (finished) return
        await new Promise<void>((resolve) => {
          waker.wake = resolve
        })
        waker.wake = null
      }
    },
  }
}

/** Convenience for callers that only want the final report. */
export function audit(opts: RunOptions): Promise<RunReport> {
  return runChecks(opts).report
}
