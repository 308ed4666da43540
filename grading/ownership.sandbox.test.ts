// A submitted key reaches the graded Exim with the mode the learner gave it and the owner Exim needs: a zip (no owner
// in the format) gets the manifest's root:Debian-exim, a tar's owner names count only when they are lab accounts.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { connect } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SubmissionEntry } from '../exercises/define.ts'
import { downSandbox, upLab } from '../sandbox/engine.ts'
import { testSession } from '../sandbox/test-session.ts'
import { mapSubmission, readSubmission } from './intake.ts'
import { installFiles, markLogs, reloadService } from './service.ts'
import { gzip, tarArchive, zipArchive } from './test-support/archives.ts'

// The pair Exim picks for SNI mail.domaine.tld; a fresh lab has none, so the zip below installs new files.
const DIR = '/usr/local/hestia/ssl/mail'
const ENTRIES: readonly SubmissionEntry[] = [
  { path: `${DIR}/mail.domaine.tld.crt`, owner: 'root:root' },
  { path: `${DIR}/mail.domaine.tld.key`, owner: 'root:Debian-exim' },
]
const session = testSession('own')
let work: string
let handle: Awaited<ReturnType<typeof upLab>>
let crt: Buffer
let key: Buffer

/** The TLS handshake on 465 as any client makes it: resolves with the outcome, an alert included. */
function handshake(host: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port: 465, servername: 'mail.domaine.tld', rejectUnauthorized: false })
    const t = setTimeout(() => (s.destroy(), resolve('timeout')), 10_000)
    s.on('secureConnect', () => (clearTimeout(t), s.end(), resolve(`ok ${s.getProtocol()}`)))
    s.on('error', (e) => (clearTimeout(t), resolve(`error ${e.message}`)))
  })
}

async function install(file: string): Promise<{ lines: string[]; tls: string }> {
  const m = mapSubmission(await readSubmission(file), ENTRIES)
  const mark = await markLogs(handle)
  const lines = await installFiles(handle, m.files)
  const r = await reloadService(handle, m.files, mark, [465])
  lines.push(...r.lines)
  return { lines, tls: await handshake(handle.address('mail')) }
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'stl-own-'))
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30', '-subj', '/CN=mail.domaine.tld',
    '-keyout', path.join(work, 'k.pem'), '-out', path.join(work, 'c.pem')], { stdio: 'ignore' })
  key = readFileSync(path.join(work, 'k.pem'))
  crt = readFileSync(path.join(work, 'c.pem'))
  handle = await upLab({ lab: 'exim', session, fresh: true })
}, 300_000)

afterAll(async () => {
  await downSandbox(session).catch(() => undefined)
  rmSync(work, { recursive: true, force: true })
})

describe('installing a submitted key for Exim', () => {
  it('a zip with a 0640 key (no owner in the format) gets the declared root:Debian-exim: Exim serves TLS', async () => {
    const zip = path.join(work, 'alice.zip')
    writeFileSync(zip, zipArchive([
      { name: 'alice/mail.domaine.tld.crt', content: crt, unixMode: 0o100644 },
      { name: 'alice/mail.domaine.tld.key', content: key, unixMode: 0o100640 },
    ]))
    expect(await handle.stat('mail', `${DIR}/mail.domaine.tld.key`), 'a fresh lab has no such key').toBeNull()
    const { lines, tls } = await install(zip)
    // Before: the new key went in as 640 root:root, Exim (Debian-exim) could not read it, every handshake ended in alert 80.
    expect(tls, lines.join('\n')).toMatch(/^ok TLSv1\.[23]/)
    const st = await handle.stat('mail', `${DIR}/mail.domaine.tld.key`)
    expect([st?.mode, st?.user, st?.group], lines.join('\n')).toEqual([0o640, 'root', 'Debian-exim'])
  }, 120_000)

  it('a tar entry naming an account off the allow-list (uname=evil) falls back: to the manifest owner, else the start state one', async () => {
    const tar = path.join(work, 'bob.tar.gz')
    writeFileSync(tar, gzip(tarArchive([
      { path: 'mail.domaine.tld.crt', content: crt, mode: 0o644, uname: 'evil', gname: 'evil' },
      { path: 'mail.domaine.tld.key', content: key, mode: 0o600, uname: 'evil', gname: 'evil' },
    ])))
    const { lines, tls } = await install(tar)
    const k = await handle.stat('mail', `${DIR}/mail.domaine.tld.key`)
    expect([k?.mode, k?.user, k?.group], lines.join('\n')).toEqual([0o600, 'root', 'Debian-exim'])
    expect(lines.join('\n')).toContain('owner evil:evil from the archive ignored')
    // 600 root:Debian-exim is the learner's own mistake, and it shows: Exim cannot read the key.
    expect(tls).toMatch(/alert number 80|internal error/i)

    // With no declared owner, the refused names leave the start state's owner (the previous install's root:Debian-exim).
    const m = mapSubmission(await readSubmission(tar), ENTRIES.map((e) => (typeof e === 'string' ? e : e.path)))
    await installFiles(handle, m.files)
    const again = await handle.stat('mail', `${DIR}/mail.domaine.tld.key`)
    expect([again?.mode, again?.user, again?.group]).toEqual([0o600, 'root', 'Debian-exim'])
  }, 120_000)

  it('a tar entry naming lab accounts (root:mail, root:Debian-exim) is installed as such, over the manifest', async () => {
    const tar = path.join(work, 'carol.tar')
    writeFileSync(tar, tarArchive([
      { path: 'mail.domaine.tld.crt', content: crt, mode: 0o644, uname: 'root', gname: 'mail' },
      { path: 'mail.domaine.tld.key', content: key, mode: 0o640, uname: 'root', gname: 'Debian-exim' },
    ]))
    const { lines, tls } = await install(tar)
    const c = await handle.stat('mail', `${DIR}/mail.domaine.tld.crt`)
    expect([c?.mode, c?.user, c?.group], lines.join('\n')).toEqual([0o644, 'root', 'mail'])
    expect(tls, lines.join('\n')).toMatch(/^ok TLSv1\.[23]/)
  }, 120_000)
})
