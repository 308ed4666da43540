// For SMTP check tests: scripted loopback servers presenting a test PKI's mail.domaine.tld certificate, all closed
// after the file. Registers its own vitest hooks.
import { afterAll, beforeAll } from 'vitest'
import type { Target } from '../types.ts'
import { createPki, fullchain } from './pki.ts'
import { FAST } from './run-check.ts'
import { scriptedSmtp, type RunningServer, type ScriptedSmtpOptions } from './smtp-servers.ts'

/** `serve(options, port?)` starts one server and returns a STARTTLS target on it (or on `port`). */
export function useScriptedSmtp(extra: Partial<Target> = {}): (o?: ScriptedSmtpOptions, port?: number) => Promise<Target> {
  let tls: { key: string; cert: string } | undefined
  const servers: RunningServer[] = []
  beforeAll(async () => {
    const pki = await createPki()
    const leaf = await pki.leaf(['mail.domaine.tld'])
    tls = { key: leaf.key, cert: fullchain(leaf, pki) }
  })
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()))
  })
  return async (o = {}, port) => {
    const s = await scriptedSmtp({ ...(tls ? { tls } : {}), ...o })
    servers.push(s)
    return { host: s.host, port: port ?? s.port, mode: 'starttls', timeouts: FAST, ...extra }
  }
}
