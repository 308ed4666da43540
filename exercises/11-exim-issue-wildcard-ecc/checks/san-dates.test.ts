// Unit tests of file.cert.san-dates on real certificate files made with openssl in a directory-backed sandbox.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createProbeCache, runOne } from '../../../checker/runner.ts'
import { dirSandbox, type DirSandbox } from '../../../checker/checks/file/test-sandbox.ts'
import sanDates from './san-dates.ts'

const work = mkdtempSync(join(tmpdir(), 'stl-san-dates-'))
const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] })

/** A CA, and leaves it signs: one wildcard ECC P-256, one RSA without the wildcard, one about to expire. */
function makeCerts(): void {
  ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30', '-subj', '/CN=Test Root', '-keyout', 'ca.key', '-out', 'ca.pem')
  // The SAN goes through an extension file, the portable way for `openssl x509 -req`.
  const sign = (name: string, keyArgs: string[], san: string, days: string) => {
    ossl('req', '-new', '-nodes', ...keyArgs, '-subj', '/CN=domaine.tld', '-keyout', `${name}.key`, '-out', `${name}.csr`)
    execFileSync('sh', ['-c', `printf 'subjectAltName=%s\\n' "$1" > "$2.ext" && openssl x509 -req -in "$2.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days "$3" -extfile "$2.ext" -out "$2.pem" 2>/dev/null`, 'sh', san, name, days], { cwd: work })
  }
  sign('wild', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'DNS:domaine.tld,DNS:*.domaine.tld', '25')
  sign('rsa', ['-newkey', 'rsa:2048'], 'DNS:domaine.tld', '25')
  sign('short', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'DNS:domaine.tld,DNS:*.domaine.tld', '5')
}

let sb: DirSandbox
const ca = () => readFileSync(join(work, 'ca.pem'), 'utf8')

async function place(name: string): Promise<string> {
  const path = `/etc/letsencrypt/live/${name}/fullchain.pem`
  await sb.writeFile('toolbox', path, readFileSync(join(work, `${name}.pem`), 'utf8') + ca())
  return path
}

async function grade(path: string, withCa = true) {
  return runOne(
    sanDates,
    {
      target: { host: '127.0.0.1', port: 443, mode: 'tls', service: 'toolbox', ...(withCa ? { ca: ca() } : {}) },
      params: { path, names: ['domaine.tld', '*.domaine.tld'], key: 'ec-256', minDays: 20 },
    },
    { cache: createProbeCache(), sandbox: sb },
  )
}

beforeAll(async () => {
  makeCerts()
  sb = await dirSandbox('exim')
})
afterAll(async () => {
  await sb.dispose()
  rmSync(work, { recursive: true, force: true })
})

describe('file.cert.san-dates', () => {
  it('passes a wildcard ECC P-256 certificate for domaine.tld and *.domaine.tld with 25 days left, chained to the given root', async () => {
    const r = await grade(await place('wild'))
    expect(r.status, r.summary.en).toBe('pass')
    expect(r.evidence.facts?.['san']).toEqual(['domaine.tld', '*.domaine.tld'])
  })

  it('fails an RSA certificate without the wildcard, naming the missing name and the key type', async () => {
    const r = await grade(await place('rsa'))
    expect(r.status).toBe('fail')
    expect(r.summary.en).toContain('*.domaine.tld')
    expect(r.summary.en).toMatch(/RSA 2048 key instead of ECDSA P-256/)
  })

  it('fails a certificate with 5 days left against a 20-day minimum', async () => {
    const r = await grade(await place('short'))
    expect(r.status).toBe('fail')
    expect(r.summary.en).toMatch(/expires in [45] day\(s\) \(fewer than 20\)/)
  })

  it('fails a certificate that does not chain to the lab root it is given', async () => {
    const path = await place('wild')
    const other = execFileSync('sh', ['-c', 'openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=Other -keyout /dev/null 2>/dev/null'], { encoding: 'utf8' })
    const r = await runOne(
      sanDates,
      { target: { host: '127.0.0.1', port: 443, mode: 'tls', service: 'toolbox', ca: other }, params: { path, names: ['domaine.tld'] } },
      { cache: createProbeCache(), sandbox: sb },
    )
    expect(r.status).toBe('fail')
    expect(r.summary.en).toContain('not issued by the lab ACME CA')
  })

  it('fails when the file is missing', async () => {
    const r = await grade('/etc/letsencrypt/live/nothing/fullchain.pem')
    expect(r.status).toBe('fail')
    expect(r.summary.en).toContain('does not exist')
  })
})
