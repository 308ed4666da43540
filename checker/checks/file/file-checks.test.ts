// Unit tests of the file.* checks on real files, modes and owners in a temporary directory.
import { chown, symlink, mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import keyPermissions, { expectedFor, parseMode } from './key-permissions.ts'
import fullchain from './cert-fullchain.ts'
import keyMatches from './key-matches-cert.ts'
import { dirSandbox, type DirSandbox } from './test-sandbox.ts'
import { runCheck } from '../dns/test-context.ts'
import { makeTestPki, type TestPki } from '../../probes/test-pki.ts'
import { fileURLToPath } from 'node:url'

// Stand-in postconf reading the temp sandbox's main.cf (checker/checks/config/test-bin).
const BIN = fileURLToPath(new URL('../config/test-bin', import.meta.url))

const KEY = '/usr/local/hestia/ssl/mail/mail.domaine.tld.key'
const CRT = '/usr/local/hestia/ssl/mail/mail.domaine.tld.crt'

let pki: TestPki
let leaf: Awaited<ReturnType<TestPki['leaf']>>
let sb: DirSandbox

beforeAll(async () => {
  pki = await makeTestPki()
  leaf = await pki.leaf(['mail.domaine.tld'])
})
beforeEach(async () => {
  await sb?.dispose()
  sb = await dirSandbox('exim')
})
afterAll(() => sb?.dispose())

const ownAs = (path: string, uid: number, gid: number) => chown(sb.hostPath(path), uid, gid)

describe('key permission parameters', () => {
  it('reads modes written the ways exercises write them', () => {
    expect(parseMode(0o640)).toBe(0o640)
    expect(parseMode('640')).toBe(0o640)
    expect(parseMode('0640')).toBe(0o640)
    expect(parseMode('0o600')).toBe(0o600)
    expect(parseMode('rw-r-----')).toBeNull()
  })

  it('defaults to the course’s 640 root:Debian-exim for Exim and 600 root:root for Postfix', () => {
    expect(expectedFor('exim', {})).toEqual({ mode: 0o640, user: 'root', group: 'Debian-exim' })
    expect(expectedFor('postfix', {})).toEqual({ mode: 0o600, user: 'root', group: 'root' })
  })
})

describe('file.key.permissions', () => {
  it('passes for a key in 640 owned root:mail when that is what the exercise asks', async () => {
    await sb.writeFile('mail', KEY, leaf.key, 0o640)
    await ownAs(KEY, 0, 8)
    const v = await runCheck(keyPermissions, { sandbox: sb, params: { path: KEY, mode: '640', owner: 'root:mail' } })
    expect(v.status).toBe('pass')
    expect(v.evidence.lines.join('\n')).toMatch(/^640 root:mail \(0:8\)/m)
  })

  it('fails for a world-readable key in 644 and says so', async () => {
    await sb.writeFile('mail', KEY, leaf.key, 0o644)
    await ownAs(KEY, 0, 8)
    const v = await runCheck(keyPermissions, { sandbox: sb, params: { path: KEY, mode: '640', owner: 'root:mail' } })
    expect(v.status).toBe('fail')
    expect(v.summary.fr).toMatch(/mode 644 au lieu de 640 \(trop ouvert : lisible par tous\)/)
  })

  it('fails for a key in 600 that Exim’s group could not read', async () => {
    await sb.writeFile('mail', KEY, leaf.key, 0o600)
    await ownAs(KEY, 0, 8)
    const v = await runCheck(keyPermissions, { sandbox: sb, params: { path: KEY, mode: 0o640, owner: 'root:mail' } })
    expect(v.status).toBe('fail')
    expect(v.summary.en).toMatch(/too closed/)
  })

  it('fails for a key left in group root when Debian-exim is expected (the Exim lab default)', async () => {
    await sb.writeFile('mail', KEY, leaf.key, 0o640)
    await ownAs(KEY, 0, 0)
    const v = await runCheck(keyPermissions, { sandbox: sb, params: { path: KEY } })
    expect(v.status).toBe('fail')
    expect(v.summary.en).toMatch(/group root instead of Debian-exim/)
  })

  it('judges the file a symlink points to, as certbot’s live/ links', async () => {
    const real = '/etc/letsencrypt/archive/mail.example.com/privkey1.pem'
    const link = '/etc/letsencrypt/live/mail.example.com/privkey.pem'
    await sb.writeFile('mail', real, leaf.key, 0o600)
    await ownAs(real, 0, 0)
    await mkdir(dirname(sb.hostPath(link)), { recursive: true })
    await symlink('../../archive/mail.example.com/privkey1.pem', sb.hostPath(link))
    const v = await runCheck(keyPermissions, { sandbox: sb, params: { path: link, mode: '600', owner: 'root:root' } })
    expect(v.status).toBe('pass')
    expect(v.evidence.lines).toContain(`${link} -> ${real}`)
  })

  it('fails when the key file does not exist', async () => {
    const v = await runCheck(keyPermissions, { sandbox: sb, params: { path: KEY } })
    expect(v.status).toBe('fail')
    expect(v.evidence.facts?.['exists']).toBe(false)
  })

  it('is skipped when there is no sandbox to read from', async () => {
    expect((await runCheck(keyPermissions, { params: { path: KEY } })).status).toBe('skip')
  })
})

describe('file.cert.fullchain', () => {
  it('passes for the leaf followed by its intermediate', async () => {
    await sb.writeFile('mail', CRT, leaf.fullchain, 0o644)
    const v = await runCheck(fullchain, { sandbox: sb, params: { path: CRT } })
    expect(v.status).toBe('pass')
    expect(v.evidence.facts).toMatchObject({ certificates: 2, ordered: true })
  })

  it('fails for the leaf alone, the cert.pem-instead-of-fullchain.pem mistake', async () => {
    await sb.writeFile('mail', CRT, leaf.cert, 0o644)
    const v = await runCheck(fullchain, { sandbox: sb, params: { path: CRT } })
    expect(v.status).toBe('fail')
    expect(v.summary.en).toMatch(/only the leaf/)
  })

  it('fails for the intermediate placed before the leaf', async () => {
    await sb.writeFile('mail', CRT, `${pki.intermediate.cert}${leaf.cert}`, 0o644)
    const v = await runCheck(fullchain, { sandbox: sb, params: { path: CRT } })
    expect(v.status).toBe('fail')
    expect(v.summary.en).toMatch(/first certificate .* is a CA/)
  })

  it('fails for a leaf followed by an intermediate of another CA', async () => {
    const other = await makeTestPki('Other')
    await sb.writeFile('mail', CRT, `${leaf.cert}${other.intermediate.cert}`, 0o644)
    const v = await runCheck(fullchain, { sandbox: sb, params: { path: CRT } })
    expect(v.status).toBe('fail')
    expect(v.summary.en).toMatch(/Broken chain/)
  })

  it('fails for a chain with the root between leaf and intermediate', async () => {
    await sb.writeFile('mail', CRT, `${leaf.cert}${pki.root.cert}${pki.intermediate.cert}`, 0o644)
    const v = await runCheck(fullchain, { sandbox: sb, params: { path: CRT } })
    expect(v.status).toBe('fail')
    expect(v.summary.en).toMatch(/out of order/)
  })

  it('reads HestiaCP’s fallback certificate when the exercise names no file', async () => {
    await sb.writeFile('mail', '/usr/local/hestia/ssl/certificate.crt', `${leaf.fullchain}${pki.root.cert}`, 0o644)
    const v = await runCheck(fullchain, { sandbox: sb })
    expect(v.status).toBe('pass')
    expect(v.summary.en).toMatch(/included root is useless but harmless/)
  })
})

describe('file.key.matches-cert', () => {
  it('passes for a key and certificate from the same issuance', async () => {
    await sb.writeFile('mail', KEY, leaf.key, 0o640)
    await sb.writeFile('mail', CRT, leaf.fullchain, 0o644)
    const v = await runCheck(keyMatches, { sandbox: sb, params: { keyPath: KEY, certPath: CRT } })
    expect(v.status).toBe('pass')
    expect(v.evidence.facts?.['keySpkiSha256']).toBe(v.evidence.facts?.['certSpkiSha256'])
  })

  it('fails for a renewed certificate copied next to the old key', async () => {
    const renewed = await pki.leaf(['mail.domaine.tld'])
    await sb.writeFile('mail', KEY, leaf.key, 0o640)
    await sb.writeFile('mail', CRT, renewed.fullchain, 0o644)
    const v = await runCheck(keyMatches, { sandbox: sb, params: { keyPath: KEY, certPath: CRT } })
    expect(v.status).toBe('fail')
    expect(v.summary.fr).toMatch(/n’est pas celle du certificat/)
  })

  it('fails for a key file that holds no key', async () => {
    await sb.writeFile('mail', KEY, leaf.cert, 0o640)
    await sb.writeFile('mail', CRT, leaf.fullchain, 0o644)
    const v = await runCheck(keyMatches, { sandbox: sb, params: { keyPath: KEY, certPath: CRT } })
    expect(v.status).toBe('fail')
    expect(v.summary.en).toMatch(/holds no PEM private key/)
  })

  it('uses HestiaCP’s certificate.crt/.key pair by default in the Exim lab', async () => {
    await sb.writeFile('mail', '/usr/local/hestia/ssl/certificate.key', leaf.key, 0o640)
    await sb.writeFile('mail', '/usr/local/hestia/ssl/certificate.crt', leaf.fullchain, 0o644)
    expect((await runCheck(keyMatches, { sandbox: sb })).status).toBe('pass')
  })
})

describe('the files Postfix names', () => {
  it('reads the pair from smtpd_tls_chain_files, which wins over the legacy cert/key parameters', async () => {
    const pf = await dirSandbox('postfix', { binDirs: [BIN] })
    try {
      const live = '/etc/letsencrypt/live/mail.domaine.tld'
      await pf.writeFile('mail', `${live}/privkey.pem`, leaf.key, 0o600)
      await pf.writeFile('mail', `${live}/fullchain.pem`, leaf.fullchain, 0o644)
      await pf.writeFile(
        'mail',
        '/etc/postfix/main.cf',
        `smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem\nsmtpd_tls_chain_files = ${live}/privkey.pem, ${live}/fullchain.pem\n`,
      )
      const v = await runCheck(keyMatches, { sandbox: pf })
      expect(v.status, v.summary.en).toBe('pass')
      expect(v.evidence.lines).toContain(`# key ${live}/privkey.pem (postconf smtpd_tls_chain_files)`)
    } finally {
      await pf.dispose()
    }
  })
})

