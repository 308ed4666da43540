// Unit tests of dns.mx.resolves, dns.mta-sts.record and dns.tlsrpt.record against a real loopback DNS server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Answer } from 'dns-packet'
import mxResolves from './mx-resolves.ts'
import stsRecord, { checkStsRecord } from './mta-sts-record.ts'
import tlsRpt, { checkTlsRptRecord } from './tlsrpt-record.ts'
import { startTestDnsServer, type TestDnsServer } from './test-dns-server.ts'
import { runCheck } from './test-context.ts'

let dns: TestDnsServer

const base: Answer[] = [
  { type: 'MX', name: 'domaine.tld', data: { preference: 10, exchange: 'mail.domaine.tld' } },
  { type: 'A', name: 'mail.domaine.tld', data: '10.0.0.20' },
  { type: 'TXT', name: '_mta-sts.domaine.tld', data: 'v=STSv1; id=20240101000000' },
  { type: 'TXT', name: '_smtp._tls.domaine.tld', data: 'v=TLSRPTv1; rua=mailto:tlsrpt@domaine.tld' },
  // Unrelated TXT records at the same names must be ignored.
  { type: 'TXT', name: '_mta-sts.domaine.tld', data: 'google-site-verification=abc' },
]

const zone = (extra: Answer[], drop: (a: Answer) => boolean = () => false) => ({ records: [...base.filter((a) => !drop(a)), ...extra] })

beforeAll(async () => {
  dns = await startTestDnsServer(zone([]))
})
afterAll(() => dns.close())

const target = () => ({ dnsServer: dns.spec, domain: 'domaine.tld' })

describe('dns.mx.resolves', () => {
  it('passes for a domain whose MX host has an A record', async () => {
    dns.setZone(zone([]))
    const v = await runCheck(mxResolves, { target: target() })
    expect(v.status).toBe('pass')
    expect(v.evidence.lines.join('\n')).toMatch(/mail\.domaine\.tld → 10\.0\.0\.20/)
  })

  it('fails for a domain with no MX record', async () => {
    dns.setZone(zone([], (a) => a.type === 'MX'))
    const v = await runCheck(mxResolves, { target: target() })
    expect(v.status).toBe('fail')
    expect(v.summary.fr).toMatch(/aucun enregistrement MX/)
  })

  it('fails for an MX naming a host without any address', async () => {
    dns.setZone(zone([{ type: 'MX', name: 'domaine.tld', data: { preference: 20, exchange: 'backup.domaine.tld' } }]))
    const v = await runCheck(mxResolves, { target: target() })
    expect(v.status).toBe('fail')
    expect(v.summary.en).toMatch(/backup\.domaine\.tld/)
  })

  it('fails for a null MX', async () => {
    dns.setZone(zone([{ type: 'MX', name: 'domaine.tld', data: { preference: 0, exchange: '.' } }], (a) => a.type === 'MX'))
    const v = await runCheck(mxResolves, { target: target() })
    expect(v.status).toBe('fail')
    expect(v.summary.en).toMatch(/null MX/)
  })

  it('warns for an MX that is a CNAME alias', async () => {
    dns.setZone(
      zone(
        [
          { type: 'CNAME', name: 'mail.domaine.tld', data: 'host.domaine.tld' },
          { type: 'A', name: 'host.domaine.tld', data: '10.0.0.21' },
        ],
        (a) => a.name === 'mail.domaine.tld',
      ),
    )
    const v = await runCheck(mxResolves, { target: target() })
    expect(v.status).toBe('warn')
  })

  it('is inconclusive, not failed, when the resolver answers SERVFAIL', async () => {
    dns.setZone({ ...zone([]), servfail: ['domaine.tld'] })
    const v = await runCheck(mxResolves, { target: target() })
    expect(v.status).toBe('inconclusive')
    expect(v.reason).toBe('temporary')
  })

  it('is inconclusive when the DNS server does not answer', async () => {
    const v = await runCheck(mxResolves, { target: { dnsServer: '127.0.0.1:9', domain: 'domaine.tld' } })
    expect(v.status).toBe('inconclusive')
  })

  it('is skipped without a DNS server rather than asking the host resolver', async () => {
    const v = await runCheck(mxResolves, { target: { domain: 'domaine.tld' } })
    expect(v.status).toBe('skip')
  })
})

describe('dns.mta-sts.record', () => {
  it('validates the record syntax like senders do', () => {
    expect(checkStsRecord('v=STSv1; id=2024.01').ok).toBe(false)
    expect(checkStsRecord('v=STSv1; id=abc123').ok).toBe(true)
    expect(checkStsRecord('v=STSv1;id=abc123;').ok).toBe(true)
    expect(checkStsRecord('v=STSv1').ok).toBe(false)
    expect(checkStsRecord('v=STSv1; id=' + 'a'.repeat(33)).ok).toBe(false)
  })

  it('passes for one v=STSv1 record with an id', async () => {
    dns.setZone(zone([]))
    const v = await runCheck(stsRecord, { target: target() })
    expect(v.status).toBe('pass')
    expect(v.evidence.facts?.['id']).toBe('20240101000000')
  })

  it('fails when the record is missing', async () => {
    dns.setZone(zone([], (a) => a.name === '_mta-sts.domaine.tld'))
    expect((await runCheck(stsRecord, { target: target() })).status).toBe('fail')
  })

  it('fails with two STSv1 records, which make senders ignore MTA-STS', async () => {
    dns.setZone(zone([{ type: 'TXT', name: '_mta-sts.domaine.tld', data: 'v=STSv1; id=2' }]))
    const v = await runCheck(stsRecord, { target: target() })
    expect(v.status).toBe('fail')
    expect(v.summary.fr).toMatch(/2 enregistrements/)
  })

  it('fails when the id has punctuation', async () => {
    dns.setZone(zone([{ type: 'TXT', name: '_mta-sts.domaine.tld', data: 'v=STSv1; id=2024-01-01' }], (a) => a.name === '_mta-sts.domaine.tld'))
    const v = await runCheck(stsRecord, { target: target() })
    expect(v.status).toBe('fail')
    expect(v.summary.en).toMatch(/id=2024-01-01 is not valid/)
  })
})

describe('dns.tlsrpt.record', () => {
  it('validates rua URIs', () => {
    expect(checkTlsRptRecord('v=TLSRPTv1; rua=mailto:a@b.tld,https://r.b.tld/x').ok).toBe(true)
    expect(checkTlsRptRecord('v=TLSRPTv1; rua=a@b.tld').ok).toBe(false)
    expect(checkTlsRptRecord('v=TLSRPTv1; rua=http://r.b.tld/').ok).toBe(false)
    expect(checkTlsRptRecord('v=TLSRPTv1;').ok).toBe(false)
  })

  it('passes for a record reporting to a mailbox', async () => {
    dns.setZone(zone([]))
    const v = await runCheck(tlsRpt, { target: target() })
    expect(v.status).toBe('pass')
    expect(v.evidence.facts?.['rua']).toEqual(['mailto:tlsrpt@domaine.tld'])
  })

  it('fails for a record whose rua is a bare address', async () => {
    dns.setZone(zone([{ type: 'TXT', name: '_smtp._tls.domaine.tld', data: 'v=TLSRPTv1; rua=tlsrpt@domaine.tld' }], (a) => a.name === '_smtp._tls.domaine.tld'))
    const v = await runCheck(tlsRpt, { target: target() })
    expect(v.status).toBe('fail')
  })

  it('fails when no record is published', async () => {
    dns.setZone(zone([], (a) => a.name === '_smtp._tls.domaine.tld'))
    expect((await runCheck(tlsRpt, { target: target() })).status).toBe('fail')
  })
})
