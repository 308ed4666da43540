// A busy server on an implicit-TLS port: it refuses the surplus with a clear-text 421 (Exim's daemon does, and its
// children outlive the client by ~500 ms after an abandoned handshake). The checker must stay under the cap, and
// recognise a clear-text 421 for what it is: retried after a pause, never a TLS failure of the learner's.
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { certificateFacts } from './probes/tls.ts'
import { ProbeError } from './probes/probe-error.ts'
import { makeTestPki, type TestPki } from './probes/test-pki.ts'
import { remoteChecks, runChecks } from './runner.ts'
import { busyFront, rawServer, scriptedSmtp, type RunningServer } from './test-support/smtp-servers.ts'
import type { Target } from './types.ts'

let pki: TestPki
let leaf: { key: string; fullchain: string }
const running: RunningServer[] = []
beforeAll(async () => {
  pki = await makeTestPki('busy')
  leaf = await pki.leaf(['mail.domaine.tld'])
})
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()))
})

async function implicitBehind(front: Parameters<typeof busyFront>[1]): Promise<Awaited<ReturnType<typeof busyFront>>> {
  const backend = await scriptedSmtp({ implicit: true, tls: { key: leaf.key, cert: leaf.fullchain } })
  const f = await busyFront(backend, front)
  running.push(f, backend)
  return f
}

const target = (port: number): Target => ({ host: '127.0.0.1', port, mode: 'tls', servername: 'mail.domaine.tld', ca: pki.root.cert })
const CERT_CHECKS = ['cert.trusted', 'cert.name.matches', 'cert.validity.days-left', 'cert.key.strength', 'cert.chain.complete', 'tls.implicit'] as const

describe('an implicit-TLS port answering "421 too many connections" in clear to the first connections', () => {
  it('retries after a pause: every certificate check passes', async () => {
    const front = await implicitBehind({ refuseFirst: 3 })
    const report = await runChecks({ target: target(front.port), checks: CERT_CHECKS.map((id) => ({ id })) }).report
    expect(Object.fromEntries(report.checks.map((r) => [r.id, `${r.status} ${r.summary.en}`]))).toEqual(
      Object.fromEntries(CERT_CHECKS.map((id) => [id, expect.stringMatching(/^pass /)])),
    )
    expect(front.refused).toBe(3)
  })

  it('reports the clear-text 421 it read (temporary, not a TLS error) when the server never stops refusing', async () => {
    const srv = await rawServer((s) => s.end('421 4.3.2 mail.test too many connections from that IP address\r\n'))
    running.push(srv)
    const err = await certificateFacts({ ...target(srv.port), busyRetries: 2 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ProbeError)
    expect((err as ProbeError).reason).toBe('temporary')
    expect((err as ProbeError).message).toMatch(/in clear on an implicit-TLS port\): 421 4\.3\.2 mail\.test too many connections/)
    expect((err as ProbeError).transcript).toContain('S: 421 4.3.2 mail.test too many connections from that IP address')
  })

  it('still calls a clear-text 220 banner on an implicit-TLS port a TLS failure, showing what the server sent', async () => {
    const srv = await rawServer((s) => s.write('220 mail.test ESMTP\r\n'))
    running.push(srv)
    const t0 = Date.now()
    const err = await certificateFacts(target(srv.port)).catch((e: unknown) => e)
    expect((err as ProbeError).reason).toBe('protocol')
    expect((err as ProbeError).message).toMatch(/^TLS handshake failed.*wrong version number/i)
    expect((err as ProbeError).transcript.join('\n')).toContain('S: 220 mail.test ESMTP')
    expect(Date.now() - t0).toBeLessThan(2000) // no retry: a 220 is not "busy"
  })
})

describe('an Exim-like server: cap of 10 per client, connections counted 500 ms after the client left', () => {
  it('a full audit of the implicit-TLS port meets no refusal and every certificate check passes', async () => {
    const front = await implicitBehind({ cap: 10, lingerMs: 500 })
    const checks = remoteChecks().filter((c) => !c.id.startsWith('dns.') && c.id !== 'smtp.connection-limit')
    const report = await runChecks({ target: target(front.port), checks }).report
    const inconclusive = report.checks.filter((r) => r.status === 'inconclusive').map((r) => `${r.id}: ${r.summary.en}`)
    expect(inconclusive).toEqual([])
    for (const id of CERT_CHECKS) expect(report.checks.find((r) => r.id === id)?.status, id).toBe('pass')
    expect(front.refused).toBe(0)
  }, 30_000)
})

describe('the CLI against a server that keeps connections counted after they close', () => {
  it('waits for the held slots before smtp.connection-limit instead of exiting with a pending await (exit 13)', async () => {
    const front = await implicitBehind({ cap: 10, lingerMs: 300 })
    const ca = join(tmpdir(), `busy-ca-${process.pid}.pem`)
    await writeFile(ca, pki.root.cert)
    const bin = new URL('../bin/smtp-tls-lab.mjs', import.meta.url).pathname
    const args = [bin, 'check', '127.0.0.1', '--port', String(front.port), '--tls', '--servername', 'mail.domaine.tld', '--ca', ca, '--json', '--checks', 'cert.key.strength,tls.version.tls1_2.accepted,smtp.connection-limit']
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(process.execPath, args, { timeout: 60_000 }, (err, out) => resolve({ code: err ? Number((err as { code?: number }).code ?? 99) : 0, stdout: out })),
    )
    expect(code).not.toBe(13)
    const ids = (JSON.parse(stdout) as { checks: { id: string; status: string }[] }).checks.map((c) => `${c.id} ${c.status}`)
    expect(ids).toEqual(['cert.key.strength pass', 'tls.version.tls1_2.accepted pass', 'smtp.connection-limit pass'])
  }, 90_000)
})
