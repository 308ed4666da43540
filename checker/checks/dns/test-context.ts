// Builds a CheckContext for unit tests of dns/file/config/renewal checks, with a real per-run probe cache.
import type { CheckContext, CheckDefinition, ProbeCache, Target, Verdict } from '../../types.ts'
import type { SandboxHandle } from '../../sandbox-handle.ts'

export function memoryCache(): ProbeCache {
  const m = new Map<string, Promise<unknown>>()
  return {
    get<T>(key: string, make: () => Promise<T>): Promise<T> {
      let p = m.get(key) as Promise<T> | undefined
      if (!p) {
        p = make()
        m.set(key, p)
      }
      return p
    },
  }
}

export interface TestContextInput {
  readonly target?: Partial<Target>
  readonly params?: Record<string, unknown>
  readonly sandbox?: SandboxHandle
  readonly signal?: AbortSignal
}

export function testContext(input: TestContextInput = {}): CheckContext {
  return {
    target: { host: '127.0.0.1', port: 25, mode: 'starttls', ...input.target },
    params: input.params ?? {},
    sandbox: input.sandbox,
    signal: input.signal ?? new AbortController().signal,
    cache: memoryCache(),
  }
}

/** Runs a check the way the runner would, within its own time bound. */
export async function runCheck(check: CheckDefinition, input: TestContextInput = {}): Promise<Verdict> {
  const ctl = new AbortController()
  const timer = setTimeout(() => ctl.abort(), check.timeoutMs ?? 30_000)
  try {
    return await check.run(testContext({ ...input, signal: input.signal ?? ctl.signal }))
  } finally {
    clearTimeout(timer)
  }
}
