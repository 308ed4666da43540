// A lab container reaches none of the host's services (sandbox/host-firewall.ts), with real containers and the
// host's real iptables: the host still reaches the containers, the containers each other, and `down` takes the
// rules away. Run as root (the suite's machine is); without root the engine only warns, which the unit test covers.
import { readFileSync } from 'node:fs'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { type AddressInfo, type Server, connect, createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { type DockerSandbox, downSandbox, upLab } from './engine.ts'
import { bridgeName, listRules, releaseSession } from './host-firewall.ts'
import { topologyFile } from './topology.ts'
import { testSession } from './test-session.ts'

const session = testSession('fw')
let h: DockerSandbox
let file: string
let anyAddr: Server
let onGateway: Server
const accepted: string[] = []

/** The host's own address on its first real interface: a container with a route via the gateway could try it. */
const hostAddress = Object.values(os.networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal && !a.address.startsWith('10.231.'))?.address

function listen(host: string): Promise<Server> {
  const s = createServer((c) => {
    accepted.push(`${c.remoteAddress} → ${host}`)
    c.end('host service\n')
  })
  return new Promise((resolve, reject) => s.once('error', reject).listen(0, host, () => resolve(s)))
}
const portOf = (s: Server): number => (s.address() as AddressInfo).port

/** A TCP connect from inside a container (Python is in the Postfix image), 3 s at most. */
async function connectFrom(svc: 'mail', host: string, port: number): Promise<string> {
  const py = `import socket
try:
    s = socket.create_connection(("${host}", ${port}), timeout=3); print("connected", s.recv(32))
except Exception as e:
    print("failed", e)`
  const r = await h.exec(svc, ['python3', '-c', py], { timeoutMs: 15_000 })
  return r.stdout.trim()
}

async function hostNetwork(): Promise<{ Id: string }> {
  const Docker = (await import('dockerode')).default
  return new Docker().getNetwork(h.network).inspect() as Promise<{ Id: string }>
}

beforeAll(async () => {
  // The postfix lab's resolver, mail host and partner MX are enough: three containers instead of seven.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'stl-fw-'))
  const topo = parse(readFileSync(topologyFile('postfix'), 'utf8')) as { services: Record<string, { depends_on?: string[] }> }
  for (const name of Object.keys(topo.services)) if (!['dns', 'mail', 'partners'].includes(name)) delete topo.services[name]
  file = path.join(dir, 'postfix.yaml')
  await writeFile(file, stringify(topo))
  h = await upLab({ lab: 'postfix', session, topologyFile: file, fresh: true })
  anyAddr = await listen('0.0.0.0')
  onGateway = await listen(h.gateway)
})

afterAll(async () => {
  anyAddr?.close()
  onGateway?.close()
  await downSandbox(session)
})

describe('host firewall of a lab network', () => {
  it('installs its rules on the session bridge at up', async () => {
    const rules = (await listRules()).filter((r) => r.session === session)
    expect(rules.map((r) => r.family).sort()).toEqual(['ipv4', 'ipv4', 'ipv6', 'ipv6'])
    expect(new Set(rules.map((r) => r.bridge))).toEqual(new Set([bridgeName(await hostNetwork())]))
  })

  it('refuses a container every host service: on the gateway, on 0.0.0.0 through the gateway, at the host address', async () => {
    expect(await connectFrom('mail', h.gateway, portOf(onGateway))).toMatch(/^failed .*No route to host/)
    expect(await connectFrom('mail', h.gateway, portOf(anyAddr))).toMatch(/^failed .*No route to host/)
    if (hostAddress) expect(await connectFrom('mail', hostAddress, portOf(anyAddr))).toMatch(/^failed/)
    expect(accepted).toEqual([])
  })

  it('is what stops them: without the rules the same connects succeed; `up` puts them back, a named endpoint opens that port only', async () => {
    expect(await releaseSession(session)).toBe(4)
    try {
      expect(await connectFrom('mail', h.gateway, portOf(anyAddr))).toMatch(/^connected b'host service/)
      expect(await connectFrom('mail', h.gateway, portOf(onGateway))).toMatch(/^connected/)
    } finally {
      // A reused session (after a reboot rules are gone, the network is not) gets them back from its own `up`.
      const again = await upLab({ lab: 'postfix', session, topologyFile: file, hostEndpoints: [{ proto: 'tcp', port: portOf(onGateway) }] })
      expect(again.timings.reused).toBe(true)
    }
    expect((await listRules()).filter((r) => r.session === session)).toHaveLength(5)
    expect(await connectFrom('mail', h.gateway, portOf(onGateway))).toMatch(/^connected/)
    expect(await connectFrom('mail', h.gateway, portOf(anyAddr))).toMatch(/^failed .*No route to host/)
    expect(accepted.length).toBe(3)
  })

  it('keeps the host reaching the containers (port 25) and the containers each other', async () => {
    const greeting = await new Promise<string>((resolve, reject) => {
      const c = connect(25, h.address('mail'))
      c.setTimeout(10_000, () => c.destroy(new Error('no greeting from mail:25 in 10 s')))
      c.once('data', (d) => {
        resolve(d.toString())
        c.end('QUIT\r\n')
      })
      c.once('error', reject)
    })
    expect(greeting).toMatch(/^220 /)
    expect(await connectFrom('mail', h.address('partners'), 25)).toMatch(/^connected b'220 /)
  })

  it('leaves no rule behind after down', async () => {
    await downSandbox(session)
    expect((await listRules()).filter((r) => r.session === session)).toEqual([])
  })
})
