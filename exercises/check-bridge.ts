// Hands an exercise's planned checks to the checker runner (registry checks) and runOne (exercise-local checks),
// then decides whose fault an unfinished check is: in a sandbox, the learner's server refusing is a fail (classify.ts).
import { createConnectionGate, createProbeCache, runChecks, runOne, type CheckRequest } from '../checker/runner.ts'
import { isCheckId } from '../checker/registry.ts'
import type { SandboxHandle } from '../checker/sandbox-handle.ts'
import type { CheckResult, Lang } from '../checker/types.ts'
import { asFail, learnerFault, sandboxHealth, type SandboxHealth } from './classify.ts'
import type { PlannedCheck } from './runner.ts'

export interface BridgeOptions {
  readonly lang: Lang
  readonly signal?: AbortSignal
  readonly onResult: (planned: PlannedCheck, result: CheckResult) => void
}

/**
 * Delivers results, turning an inconclusive one into a fail when the learner's server is what stopped it (its
 * refusal, its 454, its TLS alert) and the sandbox around it is healthy. The health probe runs once, and only when
 * some result needs it; a sick sandbox keeps every inconclusive result as it is (the grader's problem).
 */
function classifying(handle: SandboxHandle, opts: BridgeOptions) {
  let health: Promise<SandboxHealth> | null = null
  const pending: Promise<void>[] = []
  const deliver = (p: PlannedCheck, r: CheckResult): void => {
    const fault = p.target.service === 'mail' ? learnerFault(r, p.target) : null
    if (!fault || opts.signal?.aborted) return opts.onResult(p, r)
    health ??= sandboxHealth(handle, p.target.service).catch((e: unknown) => ({ healthy: false, lines: [`# ${(e as Error).message}`] }))
    pending.push(
      health.then((h) =>
        opts.onResult(p, h.healthy ? asFail(r, fault) : { ...r, evidence: { ...r.evidence, lines: [...r.evidence.lines, '# the sandbox itself is not healthy:', ...h.lines] } }),
      ),
    )
  }
  return { deliver, settled: () => Promise.all(pending) }
}

export async function runExerciseChecks(handle: SandboxHandle, planned: readonly PlannedCheck[], opts: BridgeOptions): Promise<void> {
  const classify = classifying(handle, opts)
  const byKey = new Map(planned.map((p) => [p.key, p]))
  const registered = planned.filter((p) => !p.local)
  const local = planned.filter((p) => p.local)
  for (const p of registered) {
    if (!isCheckId(p.check.id)) throw new Error(`check ${p.check.id} is neither in the checker registry nor local to the exercise`)
  }

  const runRegistered = async (): Promise<void> => {
    if (registered.length === 0) return
    const requests: CheckRequest[] = registered.map((p) => ({
      id: p.check.id as CheckRequest['id'],
      target: p.target,
      key: p.key,
      ...(p.check.params ? { params: p.check.params } : {}),
    }))
    const run = runChecks({
      checks: requests,
      target: registered[0]!.target,
      sandbox: handle,
      lang: opts.lang,
      ...(opts.signal ? { signal: opts.signal } : {}),
      onResult: (r) => {
        const key = (r as CheckResult & { key?: string }).key ?? r.id
        const p = byKey.get(key)
        if (p) classify.deliver(p, r)
      },
    })
    await run.report
  }

  // Local checks drive the sandbox (send mail, read logs): one at a time, beside the network probes.
  const cache = createProbeCache()
  const gate = createConnectionGate(2)
  const runLocal = async (checks: readonly PlannedCheck[]): Promise<void> => {
    for (const p of checks) {
      const r = await runOne(
        p.local!,
        { target: p.target, key: p.key, ...(p.check.params ? { params: p.check.params } : {}) },
        { cache, gate, sandbox: handle, ...(opts.signal ? { signal: opts.signal } : {}) },
      )
      classify.deliver(p, r)
    }
  }

  // An exclusive local check changes the server under test (swaps certificates, restarts): it runs alone, once every
  // other check is done, or a concurrent probe (e.g. renewal.reloads) sees a half-swapped key pair.
  try {
    await Promise.all([runRegistered(), runLocal(local.filter((p) => !p.local!.exclusive))])
    await runLocal(local.filter((p) => p.local!.exclusive))
  } finally {
    // Results waiting on the health probe are delivered even when a run breaks off.
    await classify.settled()
  }
}
