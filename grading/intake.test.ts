// Submission intake: what a learner may hand in, and every hostile shape of archive or folder that is refused.
import { execFileSync } from 'node:child_process'
import { linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS, mapSubmission, readSubmission, safeRelative, SubmissionRejected, type RejectCode } from './intake.ts'
import { gzip, tarArchive, zipArchive } from './test-support/archives.ts'

const DECLARED = ['/etc/postfix/main.cf', '/etc/postfix/master.cf']
const MAIN = 'smtpd_tls_security_level = may\n'
const MASTER = 'smtp inet n - y - - smtpd\n'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'stl-intake-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const put = (name: string, data: string | Buffer): string => {
  const p = path.join(dir, name)
  mkdirSync(path.dirname(p), { recursive: true })
  writeFileSync(p, data)
  return p
}

async function rejection(p: string, limits = DEFAULT_LIMITS): Promise<SubmissionRejected> {
  try {
    const contents = await readSubmission(p, limits)
    mapSubmission(contents, DECLARED)
  } catch (err) {
    if (err instanceof SubmissionRejected) return err
    throw err
  }
  throw new Error(`${p} was accepted`)
}

async function expectRejected(p: string, code: RejectCode, mentions?: string): Promise<void> {
  const r = await rejection(p)
  expect(r.code, r.message).toBe(code)
  expect(r.message).toMatch(/^rejected: /)
  if (mentions) expect(r.text.en + r.text.fr).toContain(mentions)
}

describe('accepted submissions', () => {
  it('a folder holding main.cf and master.cf maps them by basename to /etc/postfix', async () => {
    put('sub/main.cf', MAIN)
    put('sub/master.cf', MASTER)
    put('sub/README.md', 'notes')
    const m = mapSubmission(await readSubmission(path.join(dir, 'sub')), DECLARED)
    expect(m.files.map((f) => [f.target, f.rel, f.content.toString()])).toEqual([
      ['/etc/postfix/main.cf', 'main.cf', MAIN],
      ['/etc/postfix/master.cf', 'master.cf', MASTER],
    ])
    expect(m.ignored).toEqual(['README.md'])
  })

  it('a .tar.gz mirroring the absolute paths keeps the modes written in the archive', async () => {
    const p = put(
      'a.tar.gz',
      gzip(
        tarArchive([
          { path: 'etc/', type: 'Directory' },
          { path: 'etc/postfix/main.cf', content: MAIN, mode: 0o640 },
          { path: './etc/postfix/master.cf', content: MASTER, mode: 0o4755 },
        ]),
      ),
    )
    const c = await readSubmission(p)
    expect(c.format).toBe('tar.gz')
    const m = mapSubmission(c, DECLARED)
    expect(m.files.map((f) => [f.target, f.rel, f.mode])).toEqual([
      ['/etc/postfix/main.cf', 'etc/postfix/main.cf', 0o640],
      // setuid never survives the intake
      ['/etc/postfix/master.cf', 'etc/postfix/master.cf', 0o755],
    ])
  })

  it('a .zip whose files sit in one wrapping folder (alice/main.cf) is looked through', async () => {
    const p = put(
      'alice.zip',
      zipArchive([
        { name: 'alice/', unixMode: 0o040755 },
        { name: 'alice/main.cf', content: MAIN, deflate: true, unixMode: 0o100600 },
        { name: 'alice/master.cf', content: MASTER },
      ]),
    )
    const m = mapSubmission(await readSubmission(p), DECLARED)
    expect(m.prefix).toBe('alice/')
    expect(m.files.map((f) => [f.target, f.content.toString(), f.mode])).toEqual([
      ['/etc/postfix/main.cf', MAIN, 0o600],
      ['/etc/postfix/master.cf', MASTER, null],
    ])
  })

  it('a plain .tar is read too, and safeRelative drops ./ and empty segments only', async () => {
    const p = put('plain.tar', tarArchive([{ path: 'main.cf', content: MAIN }, { path: 'master.cf', content: MASTER }]))
    expect((await readSubmission(p)).format).toBe('tar')
    expect(safeRelative('./a//b/./c')).toBe('a/b/c')
  })
})

describe('modes and owners carried by each format', () => {
  const KEY = '/usr/local/hestia/ssl/certificate.key'
  const CRT = '/usr/local/hestia/ssl/certificate.crt'
  const ENTRIES = [{ path: KEY, owner: 'root:Debian-exim' }, CRT] as const
  const facts = (m: ReturnType<typeof mapSubmission>) => m.files.map((f) => [f.target, f.mode, f.owner, f.declaredOwner])

  it('a tar entry carries its mode and its uname/gname; the manifest owner travels alongside', async () => {
    const p = put(
      'o.tar.gz',
      gzip(
        tarArchive([
          { path: 'certificate.key', content: 'k', mode: 0o2640, uname: 'root', gname: 'Debian-exim' },
          { path: 'certificate.crt', content: 'c', mode: 0o644, uname: 'evil', gname: 'evil' },
        ]),
      ),
    )
    expect(facts(mapSubmission(await readSubmission(p), ENTRIES))).toEqual([
      [KEY, 0o640, { user: 'root', group: 'Debian-exim' }, 'root:Debian-exim'],
      [CRT, 0o644, { user: 'evil', group: 'evil' }, null],
    ])
  })

  it('a tar entry without owner names carries none', async () => {
    const p = put('n.tar', tarArchive([{ path: 'certificate.key', content: 'k', mode: 0o600 }, { path: 'certificate.crt', content: 'c' }]))
    expect(facts(mapSubmission(await readSubmission(p), ENTRIES))).toEqual([
      [KEY, 0o600, null, 'root:Debian-exim'],
      [CRT, 0o644, null, null],
    ])
  })

  it('a zip carries its Unix mode (or none from Windows) and never an owner', async () => {
    const p = put('o.zip', zipArchive([{ name: 'certificate.key', content: 'k', unixMode: 0o104640 }, { name: 'certificate.crt', content: 'c' }]))
    expect(facts(mapSubmission(await readSubmission(p), ENTRIES))).toEqual([
      [KEY, 0o640, null, 'root:Debian-exim'],
      [CRT, null, null, null],
    ])
  })

  it('a folder carries each file mode and no owner (the grader cannot tell a learner account from a lab one)', async () => {
    put('f/certificate.key', 'k')
    put('f/certificate.crt', 'c')
    execFileSync('chmod', ['640', path.join(dir, 'f/certificate.key')])
    execFileSync('chmod', ['660', path.join(dir, 'f/certificate.crt')])
    expect(facts(mapSubmission(await readSubmission(path.join(dir, 'f')), ENTRIES))).toEqual([
      [KEY, 0o640, null, 'root:Debian-exim'],
      [CRT, 0o660, null, null],
    ])
  })
})

describe('refused submissions', () => {
  it('a tar entry climbing out with ../ is rejected as escaping the submission', async () => {
    const p = put('x.tar.gz', gzip(tarArchive([{ path: 'main.cf', content: MAIN }, { path: 'x/../../etc/cron.d/evil', content: '* * * * * root sh' }])))
    await expectRejected(p, 'path-escapes', '../../etc/cron.d/evil')
  })

  it('a zip entry climbing out with ../ is rejected as escaping the submission', async () => {
    await expectRejected(put('x.zip', zipArchive([{ name: '../main.cf', content: MAIN }])), 'path-escapes', '../main.cf')
  })

  it('an absolute path in a tar or a zip is rejected', async () => {
    await expectRejected(put('abs.tar', tarArchive([{ path: '/etc/postfix/main.cf', content: MAIN }])), 'absolute-path', '/etc/postfix/main.cf')
    await expectRejected(put('abs.zip', zipArchive([{ name: '/etc/postfix/main.cf', content: MAIN }])), 'absolute-path')
  })

  it('a symlink in a folder is rejected, even when it points at a harmless-looking file', async () => {
    put('sub/master.cf', MASTER)
    symlinkSync('/etc/passwd', path.join(dir, 'sub/main.cf'))
    await expectRejected(path.join(dir, 'sub'), 'symlink', 'main.cf')
  })

  it('a hard link in a folder is rejected: its bytes may be a file outside the submission', async () => {
    // A hard link to a file outside the folder (here a "secret" next to it) is a regular file to lstat; only its
    // link count tells it apart. Both names of the pair are refused, whichever the walk meets.
    const secret = put('secret.key', '-----BEGIN PRIVATE KEY-----\n')
    put('sub/master.cf', MASTER)
    linkSync(secret, path.join(dir, 'sub/main.cf'))
    await expectRejected(path.join(dir, 'sub'), 'symlink', 'main.cf')
    // Two names inside the submission for one inode are refused too (the file is the same, its names are not).
    rmSync(secret)
    rmSync(path.join(dir, 'sub/main.cf'))
    put('sub2/main.cf', MAIN)
    linkSync(path.join(dir, 'sub2/main.cf'), path.join(dir, 'sub2/master.cf'))
    await expectRejected(path.join(dir, 'sub2'), 'symlink')
  })

  it('symlinks and hard links in archives are rejected', async () => {
    await expectRejected(put('l.tar', tarArchive([{ path: 'main.cf', type: 'SymbolicLink', linkpath: '/etc/shadow' }])), 'symlink')
    await expectRejected(put('h.tar', tarArchive([{ path: 'master.cf', content: MASTER }, { path: 'main.cf', type: 'Link', linkpath: '/etc/shadow' }])), 'symlink')
    await expectRejected(put('l.zip', zipArchive([{ name: 'main.cf', content: '/etc/shadow', unixMode: 0o120777 }])), 'symlink')
  })

  it('device files in a tar or a zip are rejected', async () => {
    await expectRejected(put('d.tar', tarArchive([{ path: 'main.cf', type: 'CharacterDevice' }])), 'special-file', 'character device')
    await expectRejected(put('b.tar', tarArchive([{ path: 'main.cf', type: 'BlockDevice' }])), 'special-file', 'block device')
    await expectRejected(put('d.zip', zipArchive([{ name: 'main.cf', unixMode: 0o020644 }])), 'special-file', 'character device')
  })

  it('a device node, a fifo or a socket in a folder is rejected without blocking on it', async () => {
    put('dev/master.cf', MASTER)
    execFileSync('mknod', [path.join(dir, 'dev/main.cf'), 'c', '1', '3'])
    await expectRejected(path.join(dir, 'dev'), 'special-file', 'character device')
    put('fifo/master.cf', MASTER)
    execFileSync('mkfifo', [path.join(dir, 'fifo/main.cf')])
    await expectRejected(path.join(dir, 'fifo'), 'special-file', 'fifo')
    put('sock/master.cf', MASTER)
    const server = createServer()
    await new Promise<void>((r) => server.listen(path.join(dir, 'sock/main.cf'), r))
    try {
      await expectRejected(path.join(dir, 'sock'), 'special-file', 'socket')
    } finally {
      server.close()
    }
  })

  it('a file over 256 KiB is rejected, in a folder, a tar (from its header) or a zip (from its directory)', async () => {
    const big = Buffer.alloc(DEFAULT_LIMITS.maxFileBytes + 1, 'a')
    put('big/main.cf', big)
    put('big/master.cf', MASTER)
    await expectRejected(path.join(dir, 'big'), 'file-too-large', 'main.cf')
    await expectRejected(put('big.tar.gz', gzip(tarArchive([{ path: 'main.cf', content: big }]))), 'file-too-large')
    await expectRejected(put('big.zip', zipArchive([{ name: 'main.cf', content: big, deflate: true }])), 'file-too-large')
  })

  it('a tar whose header lies about a small size is still bounded by what it really holds', async () => {
    // Header says 10 bytes, body is 300 KiB: the parser reads 10 bytes, then meets garbage where a header should be.
    const r = await rejection(put('lie.tar', tarArchive([{ path: 'main.cf', content: Buffer.alloc(300 * 1024, 'a'), size: 10 }])))
    expect(['corrupt', 'missing-file']).toContain(r.code)
  })

  it('a tar.gz bomb (many files adding up past 5 MiB) is refused while streaming', async () => {
    const files = Array.from({ length: 30 }, (_, i) => ({ path: `f${i}`, content: Buffer.alloc(200 * 1024) }))
    const bomb = gzip(tarArchive(files))
    expect(bomb.length).toBeLessThan(100 * 1024)
    await expectRejected(put('bomb.tar.gz', bomb), 'archive-too-large')
  })

  it('a gzip stream that keeps expanding after the tar end is cut at the budget', async () => {
    const bomb = gzip(tarArchive([{ path: 'main.cf', content: MAIN }, { path: 'master.cf', content: MASTER }], { trailingZeros: 40 * 1024 * 1024 }))
    expect(bomb.length).toBeLessThan(200 * 1024)
    const r = await rejection(put('zeros.tar.gz', bomb))
    expect(r.code).toBe('archive-too-large')
  })

  it('a tar or a zip with more than 200 entries is refused', async () => {
    const many = Array.from({ length: 201 }, (_, i) => ({ path: `d${i}/`, type: 'Directory' as const }))
    await expectRejected(put('many.tar', tarArchive(many)), 'too-many-entries')
    await expectRejected(put('many.zip', zipArchive(Array.from({ length: 201 }, (_, i) => ({ name: `f${i}`, content: 'x' })))), 'too-many-entries')
  })

  it('a zip bomb (a deflated entry expanding to 20 MiB) is refused before inflating it', async () => {
    const zip = zipArchive([{ name: 'main.cf', content: Buffer.alloc(20 * 1024 * 1024), deflate: true }])
    expect(zip.length).toBeLessThan(100 * 1024)
    await expectRejected(put('bomb.zip', zip), 'file-too-large')
  })

  it('a zip entry that inflates to more than its directory announces is refused', async () => {
    const zip = zipArchive([{ name: 'main.cf', content: Buffer.alloc(1024 * 1024), deflate: true, declaredSize: 100 }])
    const r = await rejection(put('liar.zip', zip))
    expect(['corrupt', 'file-too-large']).toContain(r.code)
  })

  it('an encrypted zip entry is refused', async () => {
    await expectRejected(put('enc.zip', zipArchive([{ name: 'main.cf', content: MAIN, encrypted: true, deflate: true }])), 'encrypted')
  })

  it('an archive file over 5 MiB is refused without being read', async () => {
    const r = await rejection(put('huge.zip', Buffer.alloc(DEFAULT_LIMITS.maxArchiveBytes + 1)))
    expect(r.code).toBe('archive-too-large')
  })

  it('a missing declared file is named in the rejection, with both accepted spellings', async () => {
    put('only-main/main.cf', MAIN)
    await expectRejected(path.join(dir, 'only-main'), 'missing-file', '/etc/postfix/master.cf (etc/postfix/master.cf or master.cf)')
  })

  it('two files standing for the same declared path are refused as ambiguous', async () => {
    put('amb/main.cf', MAIN)
    put('amb/etc/postfix/main.cf', MAIN)
    put('amb/master.cf', MASTER)
    await expectRejected(path.join(dir, 'amb'), 'ambiguous')
  })

  it('a duplicate entry in a tar is refused', async () => {
    await expectRejected(put('dup.tar', tarArchive([{ path: 'main.cf', content: MAIN }, { path: './main.cf', content: 'x' }])), 'duplicate')
  })

  it('something that is not an archive, and a path that does not exist, are refused', async () => {
    await expectRejected(put('notes.txt', 'hello'), 'unsupported-format')
    await expectRejected(path.join(dir, 'nope'), 'not-found')
  })

  it('refusing never writes anything next to the submission', async () => {
    put('x.tar.gz', gzip(tarArchive([{ path: '../../evil', content: 'x' }])))
    await rejection(path.join(dir, 'x.tar.gz'))
    expect(readdirSync(dir)).toEqual(['x.tar.gz'])
  })
})
