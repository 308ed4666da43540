// The lab server's routes as a table: method, path pattern (`:name` binds one segment), who may call it, handler.
// The server looks a request up here instead of walking a chain of ifs; 405 lists the methods the path has.

/** public: anyone who passed the Host check; learner: a learner's credential; instructor: the instructor role. */
export type Access = 'public' | 'learner' | 'instructor'

export interface Route<C> {
  readonly method: 'GET' | 'POST'
  /** e.g. '/api/exercises/:id/check' */
  readonly path: string
  readonly access: Access
  handle(ctx: C, params: Readonly<Record<string, string>>): Promise<void> | void
}

export type RouteMatch<C> =
  | { readonly kind: 'found'; readonly route: Route<C>; readonly params: Record<string, string> }
  | { readonly kind: 'method'; readonly allowed: string }
  | { readonly kind: 'none' }

const split = (p: string): string[] => p.split('/').filter((s) => s !== '')

export class RouteTable<C> {
  private readonly compiled: { route: Route<C>; segs: string[] }[]

  constructor(routes: readonly Route<C>[]) {
    this.compiled = routes.map((route) => ({ route, segs: split(route.path) }))
  }

  /** `segs` are the decoded path segments (static-files.ts safeSegments). HEAD matches GET. */
  match(method: string, segs: readonly string[]): RouteMatch<C> {
    const allowed: string[] = []
    for (const { route, segs: pattern } of this.compiled) {
      const params = bind(pattern, segs)
      if (!params) continue
      if (route.method === method || (route.method === 'GET' && method === 'HEAD')) return { kind: 'found', route, params }
      allowed.push(route.method)
    }
    return allowed.length ? { kind: 'method', allowed: [...new Set(allowed)].join(', ') } : { kind: 'none' }
  }
}

function bind(pattern: readonly string[], segs: readonly string[]): Record<string, string> | null {
  if (pattern.length !== segs.length) return null
  const params: Record<string, string> = {}
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!
    if (p.startsWith(':')) params[p.slice(1)] = segs[i]!
    else if (p !== segs[i]) return null
  }
  return params
}
