// The names and addresses the class server answers for: what its Host and Origin checks accept, and what its
// certificate names. A wildcard bind serves every address of the machine, plus its hostname.
import os from 'node:os'
import { hostNames } from '../access.ts'

const WILDCARD = new Set(['0.0.0.0', '::', ''])

export function servedNames(bindHost: string, extra: readonly string[] = []): Set<string> {
  const names: string[] = ['localhost', '127.0.0.1', '::1', ...extra]
  if (WILDCARD.has(bindHost)) {
    for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) names.push(a.address.replace(/%.*$/, ''))
    names.push(os.hostname())
  } else names.push(bindHost)
  return hostNames(names)
}

/** The address learners type: the bind address, or for a wildcard bind the machine's first non-internal IPv4. */
export function publicAddress(bindHost: string): string {
  if (!WILDCARD.has(bindHost)) return bindHost
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  }
  return '127.0.0.1'
}
