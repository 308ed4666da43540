import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPki, fullchain, type TestPki } from './test-support/pki.ts'
import { scriptedSmtp, type RunningServer } from './test-support/smtp-servers.ts'

const BIN = new URL('../bin/smtp-tls-lab.mjs', import.meta.url).pathname

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1' } })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d) => (stdout += d))
    p.stderr.on('data', (d) => (stderr += d))
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })
}

let pki: TestPki
let good: RunningServer
let weak: RunningServer
let dir: string
beforeAll(async () => {
  pki = await createPki()
  const leaf = await pki.leaf(['mail.domaine.tld'])
  const tls = { key: leaf.key, cert: fullchain(leaf, pki) }
  good = await scriptedSmtp({ tls: { ...tls, minVersion: 'TLSv1.2' } })
  weak = await scriptedSmtp({ tls: { ...tls, minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' } })
  dir = mkdtempSync(join(tmpdir(), 'stl-cli-'))
  writeFileSync(join(dir, 'ca.pem'), pki.root.cert)
})
afterAll(async () => {
  await good.close()
  await weak.close()
})

const TLS_CHECKS = 'tls.version.tls1_0.rejected,tls.version.tls1_2.accepted,cert.trusted,cert.name.matches'

describe('smtp-tls-lab check', () => {
  it('a well-configured server exits 0 and --json prints target, checks and duration', async () => {
    const r = await cli(['check', good.host, '--port', String(good.port), '--servername', 'mail.domaine.tld', '--ca', join(dir, 'ca.pem'), '--checks', TLS_CHECKS, '--json', '--lang', 'en'])
    expect(r.code).toBe(0)
    const j = JSON.parse(r.stdout)
    expect(j.target).toMatchObject({ host: '127.0.0.1', port: good.port, mode: 'starttls' })
    expect(j.checks.map((c: { id: string; status: string }) => [c.id, c.status])).toEqual(TLS_CHECKS.split(',').map((id) => [id, 'pass']))
    expect(j.checks[0]).toHaveProperty('evidence')
    expect(typeof j.durationMs).toBe('number')
  })

  it('a server accepting TLS 1.0 exits 1, and the French report says so', async () => {
    const r = await cli(['check', weak.host, '--port', String(weak.port), '--checks', 'tls.version.tls1_0.rejected'])
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('Votre serveur accepte encore TLS 1.0')
    expect(r.stdout).toContain('Correctif Exim')
  })

  it('--enumerate lists every accepted suite per version, one handshake each', async () => {
    const r = await cli(['check', good.host, '--port', String(good.port), '--checks', 'tls.version.tls1_2.accepted', '--enumerate', '--json'])
    expect(r.code).toBe(0)
    const e = JSON.parse(r.stdout).enumeration as Record<string, string[]>
    expect(Object.keys(e)).toEqual(['TLSv1.2', 'TLSv1.3'])
    expect(e['TLSv1.3']).toContain('TLS_AES_256_GCM_SHA384 (TLS_AES_256_GCM_SHA384)')
  })

  it('--junit writes a JUnit file', async () => {
    const file = join(dir, 'out.xml')
    const r = await cli(['check', weak.host, '--port', String(weak.port), '--checks', 'tls.version.tls1_1.rejected', '--junit', file])
    expect(r.code).toBe(1)
    expect(readFileSync(file, 'utf8')).toContain('<failure')
  })

  it('an unknown check ID is a usage error (exit 2)', async () => {
    const r = await cli(['check', good.host, '--checks', 'tls.nope'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('unknown check ID(s): tls.nope')
  })

  it('a port where nothing listens exits 2: nothing could be probed', async () => {
    const closed = await scriptedSmtp({})
    const port = closed.port
    await closed.close()
    const r = await cli(['check', '127.0.0.1', '--port', String(port), '--checks', 'smtp.starttls.offered,tls.version.tls1_2.accepted', '--json'])
    expect(r.code).toBe(2)
    expect(JSON.parse(r.stdout).checks.every((c: { status: string }) => c.status === 'inconclusive')).toBe(true)
  })
})

describe('smtp-tls-lab checks', () => {
  it('lists the catalog as JSON with both languages and both remedies', async () => {
    const r = await cli(['checks', '--json'])
    expect(r.code).toBe(0)
    const list = JSON.parse(r.stdout) as { id: string; title: { fr: string; en: string }; remedy: { postfix: string; exim: string } }[]
    expect(list.find((c) => c.id === 'tls.version.tls1_0.rejected')).toMatchObject({ title: { fr: 'TLS 1.0 refusé', en: 'TLS 1.0 rejected' } })
  })
})
