// Hands an exercise's planned checks to the checker runner (registry checks) and runOne (exercise-local checks).
import { createConnectionGate, createProbeCache, runChecks, runOne, type CheckRequest } from '../checker/runner.ts'
import { isCheckId } from '../checker/registry.ts'
import type { SandboxHandle } from '../checker/sandbox-handle.ts'
import type { CheckResult, Lang } from '../checker/types.ts'
import type { PlannedCheck } from './runner.ts'

export interface BridgeOptions {
  readonly lang: Lang
  readonly signal?: AbortSignal
  readonly onResult: (planned: PlannedCheck, result: CheckResult) => void
}

export async function runExerciseChecks(handle: SandboxHandle, planned: readonly PlannedCheck[], opts: BridgeOptions): Promise<void> {
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
        if (p) opts.onResult(p, r)
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
      opts.onResult(p, r)
    }
  }

  // An exclusive local check changes the server under test (swaps certificates, restarts): it runs alone, once every
  // other check is done, or a concurrent probe (e.g. renewal.reloads) sees a half-swapped key pair.
  await Promise.all([runRegistered(), runLocal(local.filter((p) => !p.local!.exclusive))])
  await runLocal(local.filter((p) => p.local!.exclusive))
}
