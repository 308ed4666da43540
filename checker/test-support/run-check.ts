// Runs one registered check the way the runner does (time bound, error capture), for tests.
import { registry, type CheckId } from '../registry.ts'
import { createProbeCache, runOne } from '../runner.ts'
import type { CheckResult, Target } from '../types.ts'

export function runCheck(id: CheckId, target: Target, params: Record<string, unknown> = {}, timeoutMs?: number): Promise<CheckResult> {
  return runOne(registry[id], { target, params }, { cache: createProbeCache(), ...(timeoutMs ? { timeoutMs } : {}) })
}

/** Short step bounds so tests against misbehaving servers finish quickly. */
export const FAST = { connectMs: 1000, greetingMs: 1500, replyMs: 1500, tlsMs: 1500 } as const
