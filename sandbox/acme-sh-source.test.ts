// The acme.sh source order and its checksum gate, on real tarballs made with tar (no network, no Docker).
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ACME_SH_TARBALL, AcmeShUnavailable, defaultVendorDir, resolveAcmeSh, unpackVerified } from './acme-sh-source.ts'
import { REPO_DIR } from './images.ts'

let scratch: string
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'stl-acme-sh-test-'))
})
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

async function fakeRelease(name: string, acmeSh: string): Promise<string> {
  const src = join(scratch, name, 'acme.sh-3.1.3')
  await mkdir(join(src, 'dnsapi'), { recursive: true })
  await writeFile(join(src, 'acme.sh'), acmeSh)
  await writeFile(join(src, 'dnsapi', 'dns_cf.sh'), '#!/bin/sh\n')
  const file = join(scratch, name, ACME_SH_TARBALL)
  execFileSync('tar', ['-czf', file, '-C', join(scratch, name), 'acme.sh-3.1.3'])
  return file
}

describe('acme.sh source', () => {
  it('refuses a tarball whose acme.sh is not the 3.1.3 release, naming the file and both checksums', async () => {
    const file = await fakeRelease('tampered', '#!/bin/sh\necho not acme.sh\n')
    await expect(unpackVerified(file)).rejects.toThrow(/checksum mismatch for acme\.sh \(sha256 [0-9a-f]{64}, expected 66171c31/)
    // The same check guards the --acme-sh path.
    await expect(resolveAcmeSh({ file, repoDir: REPO_DIR, offline: true })).rejects.toThrow(/checksum mismatch/)
  })

  it('offline with no vendored copy: AcmeShUnavailable saying what to do, and no download attempted', async () => {
    const empty = join(scratch, 'empty-vendor')
    await mkdir(empty, { recursive: true })
    const err = await resolveAcmeSh({ vendorDir: empty, repoDir: REPO_DIR, offline: true }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AcmeShUnavailable)
    expect((err as Error).message).toContain(`offline and no ${join(empty, ACME_SH_TARBALL)}`)
    expect((err as Error).message).toContain('--acme-sh /path/to/acme.sh-3.1.3.tar.gz')
  })

  it('a missing --acme-sh file is a clear error, not a fallback to another source', async () => {
    await expect(resolveAcmeSh({ file: join(scratch, 'nope.tar.gz'), repoDir: REPO_DIR, offline: true })).rejects.toThrow(/no such file/)
  })

  // The vendored release is beside the repository on the lab's build machine only (a user's machine has no ../shared).
  // Where Docker is required (CI), the Exim image cannot be built without it either: then its absence fails here too.
  const vendored = join(defaultVendorDir(REPO_DIR), ACME_SH_TARBALL)
  it.runIf(existsSync(vendored) || process.env['SMTP_TLS_LAB_REQUIRE_DOCKER'] === '1')('takes the vendored 3.1.3 release and verifies it', async () => {
    const s = await resolveAcmeSh({ repoDir: REPO_DIR, offline: true })
    try {
      expect(s.origin).toBe('vendor')
      expect(s.from).toBe(vendored)
      expect(existsSync(join(s.dir, 'dnsapi', 'dns_cf.sh'))).toBe(true)
    } finally {
      await s.dispose()
    }
    expect(existsSync(s.dir)).toBe(false)
  })
})
