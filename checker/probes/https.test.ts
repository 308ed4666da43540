// Unit tests of the HTTPS probe against a real HTTPS server on loopback, names resolved by a loopback lab DNS.
import https from 'node:https'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { httpsGet } from './https.ts'
import { createConnectionGate } from '../runner.ts'
import { makeTestPki, type TestPki } from './test-pki.ts'
import { startTestDnsServer, type TestDnsServer } from '../checks/dns/test-dns-server.ts'

let pki: TestPki
let dns: TestDnsServer
let server: https.Server
let port: number

beforeAll(async () => {
  pki = await makeTestPki()
  const leaf = await pki.leaf(['web.lab.test'])
  dns = await startTestDnsServer({ records: [{ type: 'A', name: 'web.lab.test', data: '127.0.0.1' }] })
  server = https.createServer({ key: leaf.key, cert: leaf.fullchain }, (req, res) => {
    if (req.url === '/moved') {
      res.writeHead(301, { location: 'https://elsewhere.lab.test/' })
      res.end()
    } else if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.end('y'.repeat(200_000))
    } else {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
      res.end('hello from the lab\n')
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  port = (server.address() as AddressInfo).port
})
afterAll(async () => {
  server.close()
  await dns.close()
})

describe('HTTPS probe through the lab DNS', () => {
  it('holds a slot of the run’s connection gate while connected, and gives it back', async () => {
    const gate = createConnectionGate(1)
    const [a, b] = await Promise.all([
      httpsGet(`https://web.lab.test:${port}/`, { dnsServer: dns.spec, ca: pki.root.cert, gate }),
      httpsGet(`https://web.lab.test:${port}/big`, { dnsServer: dns.spec, ca: pki.root.cert, gate }),
    ])
    expect([a.ok, b.ok]).toEqual([true, true])
    await gate.idle!('web.lab.test')
  })

  it('fetches a page from a lab name resolved by the lab DNS, trusting the given CA', async () => {
    const r = await httpsGet(`https://web.lab.test:${port}/`, { dnsServer: dns.spec, ca: pki.root.cert })
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.status).toBe(200)
    expect(r.body).toBe('hello from the lab\n')
    expect(r.remoteAddress).toBe('127.0.0.1')
    expect(r.lines.join('\n')).toMatch(/web\.lab\.test → 127\.0\.0\.1/)
  })

  it('reports a redirect without following it', async () => {
    const r = await httpsGet(`https://web.lab.test:${port}/moved`, { dnsServer: dns.spec, ca: pki.root.cert })
    expect(r.ok && r.status).toBe(301)
    expect(r.ok && r.headers.location).toBe('https://elsewhere.lab.test/')
  })

  it('refuses a certificate from a CA it was not told to trust', async () => {
    const other = await makeTestPki('Other')
    const r = await httpsGet(`https://web.lab.test:${port}/`, { dnsServer: dns.spec, ca: other.root.cert })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.stage).toBe('certificate')
  })

  it('cuts a body larger than the limit', async () => {
    const r = await httpsGet(`https://web.lab.test:${port}/big`, { dnsServer: dns.spec, ca: pki.root.cert, maxBytes: 1000 })
    expect(r.ok && r.truncated).toBe(true)
    expect(r.ok && r.body.length).toBe(1000)
  })

  it('says the name is unknown when the lab DNS has no address for it', async () => {
    const r = await httpsGet(`https://missing.lab.test:${port}/`, { dnsServer: dns.spec, ca: pki.root.cert })
    expect(!r.ok && r.stage).toBe('dns')
  })

  it('returns within its time bound from a server that accepts and never speaks TLS', async () => {
    const mute = net.createServer(() => {})
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r))
    try {
      const t0 = Date.now()
      const r = await httpsGet(`https://web.lab.test:${(mute.address() as AddressInfo).port}/`, { dnsServer: dns.spec, ca: pki.root.cert, timeoutMs: 400 })
      expect(!r.ok && r.stage).toBe('timeout')
      expect(Date.now() - t0).toBeLessThan(2000)
    } finally {
      mute.close()
    }
  })
})
