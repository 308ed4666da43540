// Unit tests of the lab DNS probe against a real UDP/TCP DNS server on loopback.
import dgram from 'node:dgram'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DnsProbeError, dnsQuery, labLookup, parseDnsServer, recordsOf, resolveAddresses, txtValues } from './dns.ts'
import { startTestDnsServer, type TestDnsServer } from '../checks/dns/test-dns-server.ts'

let dns: TestDnsServer

beforeAll(async () => {
  dns = await startTestDnsServer({
    records: [
      { type: 'A', name: 'mail.domaine.tld', data: '10.0.0.20' },
      { type: 'AAAA', name: 'mail.domaine.tld', data: 'fd00::20' },
      { type: 'MX', name: 'domaine.tld', data: { preference: 10, exchange: 'mail.domaine.tld' } },
      { type: 'TXT', name: '_mta-sts.domaine.tld', data: ['v=STSv1; ', 'id=2024'] },
      { type: 'TXT', name: 'big.domaine.tld', data: ['x'.repeat(200)] },
      { type: 'CNAME', name: 'alias.domaine.tld', data: 'mail.domaine.tld' },
    ],
    authenticated: ['domaine.tld'],
    truncateOverUdp: ['big.domaine.tld'],
    servfail: ['bogus.domaine.tld'],
    silent: ['silent.domaine.tld'],
  })
})
afterAll(() => dns.close())

describe('lab DNS probe', () => {
  it('parses a DNS server given as ip, ip:port or [v6]:port', () => {
    expect(parseDnsServer('10.1.2.10')).toEqual({ host: '10.1.2.10', port: 53 })
    expect(parseDnsServer('10.1.2.10:5353')).toEqual({ host: '10.1.2.10', port: 5353 })
    expect(parseDnsServer('[fd00::1]:53')).toEqual({ host: 'fd00::1', port: 53 })
    expect(parseDnsServer('fd00::1')).toEqual({ host: 'fd00::1', port: 53 })
    expect(() => parseDnsServer('dns.lab.test')).toThrow(/IP address/)
  })

  it('asks the given server with the DNSSEC OK bit and reports the AD bit of a validated answer', async () => {
    const res = await dnsQuery(dns.spec, 'domaine.tld', 'MX')
    expect(res.rcode).toBe('NOERROR')
    expect(res.ad).toBe(true)
    expect(res.transport).toBe('udp')
    expect(recordsOf(res, 'MX').map((r) => r.data.exchange)).toEqual(['mail.domaine.tld'])
    expect(dns.queries.at(-1)).toMatchObject({ name: 'domaine.tld', type: 'MX', dnssecOk: true })
  })

  it('reports no AD bit for an answer the resolver did not validate', async () => {
    const res = await dnsQuery(dns.spec, 'mail.domaine.tld', 'A')
    expect(res.ad).toBe(false)
    expect(recordsOf(res, 'A').map((r) => r.data)).toEqual(['10.0.0.20'])
  })

  it('joins the character-strings of one TXT record into one value', async () => {
    const res = await dnsQuery(dns.spec, '_mta-sts.domaine.tld', 'TXT')
    expect(txtValues(res)).toEqual(['v=STSv1; id=2024'])
  })

  it('retries over TCP when the UDP answer is truncated', async () => {
    const res = await dnsQuery(dns.spec, 'big.domaine.tld', 'TXT')
    expect(res.transport).toBe('tcp')
    expect(txtValues(res)[0]).toHaveLength(200)
    expect(dns.queries.filter((q) => q.name === 'big.domaine.tld').map((q) => q.transport)).toEqual(['udp', 'tcp'])
  })

  it('returns NXDOMAIN and SERVFAIL as answers, not errors', async () => {
    expect((await dnsQuery(dns.spec, 'nowhere.domaine.tld', 'A')).rcode).toBe('NXDOMAIN')
    expect((await dnsQuery(dns.spec, 'bogus.domaine.tld', 'A')).rcode).toBe('SERVFAIL')
  })

  it('gives up on a server that never answers within its time bound', async () => {
    const t0 = Date.now()
    const err = await dnsQuery(dns.spec, 'silent.domaine.tld', 'A', { timeoutMs: 300 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DnsProbeError)
    expect((err as DnsProbeError).kind).toBe('timeout')
    expect(Date.now() - t0).toBeLessThan(1500)
  })

  it('ignores garbage datagrams and answers for other questions, then times out', async () => {
    const liar = dgram.createSocket('udp4')
    liar.on('message', (_m, r) => {
      liar.send(Buffer.from('not a dns packet at all'), r.port, r.address)
    })
    await new Promise<void>((r) => liar.bind(0, '127.0.0.1', r))
    try {
      const err = await dnsQuery(`127.0.0.1:${liar.address().port}`, 'domaine.tld', 'A', { timeoutMs: 300 }).catch((e: unknown) => e)
      expect((err as DnsProbeError).kind).toBe('timeout')
    } finally {
      liar.close()
    }
  })

  it('stops at once when the check is aborted', async () => {
    const ctl = new AbortController()
    const p = dnsQuery(dns.spec, 'silent.domaine.tld', 'A', { timeoutMs: 10_000, signal: ctl.signal })
    setTimeout(() => ctl.abort(), 50)
    const err = await p.catch((e: unknown) => e)
    expect((err as DnsProbeError).kind).toBe('aborted')
  })

  it('resolves A and AAAA and follows a CNAME the resolver returns', async () => {
    const r = await resolveAddresses(dns.spec, 'alias.domaine.tld')
    expect(r.addresses).toEqual([
      { address: '10.0.0.20', family: 4 },
      { address: 'fd00::20', family: 6 },
    ])
    expect(r.responses[0]!.answers.map((a) => a.type)).toEqual(['CNAME', 'A'])
    const both = await resolveAddresses(dns.spec, 'mail.domaine.tld')
    expect(both.addresses.map((a) => a.address)).toEqual(['10.0.0.20', 'fd00::20'])
  })

  it('lets net.connect reach a lab name through the lab DNS, never the host resolver', async () => {
    const lab = await startTestDnsServer({ records: [{ type: 'A', name: 'svc.lab.test', data: '127.0.0.1' }] })
    const srv = net.createServer((s) => s.end('hello\n'))
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
    try {
      const port = (srv.address() as net.AddressInfo).port
      const got = await new Promise<string>((resolve, reject) => {
        const c = net.connect({ host: 'svc.lab.test', port, lookup: labLookup(lab.spec) })
        let data = ''
        c.on('data', (d) => (data += d.toString()))
        c.on('end', () => resolve(data))
        c.on('error', reject)
      })
      expect(got).toBe('hello\n')
      expect(lab.queries.map((q) => q.name)).toContain('svc.lab.test')
      const missing = await new Promise<NodeJS.ErrnoException>((resolve) => {
        const c = net.connect({ host: 'nothing.lab.test', port, lookup: labLookup(lab.spec) })
        c.on('error', resolve)
      })
      expect(missing.code).toBe('ENOTFOUND')
    } finally {
      srv.close()
      await lab.close()
    }
  })
})
