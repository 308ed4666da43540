// A class folder: which entries are learners, how names are kept apart, and the postconf-like editor used to derive partial submissions.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { batchSession, defaultParallel, listClass } from './class.ts'
import { setParams } from './harvest.ts'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'stl-class-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('listing a class folder', () => {
  it('takes each folder and archive as a learner, skips hidden names and other files, keeps symlinks to refuse them', async () => {
    mkdirSync(path.join(dir, 'ana'))
    writeFileSync(path.join(dir, 'ben.tar.gz'), '')
    writeFileSync(path.join(dir, 'cleo.zip'), '')
    writeFileSync(path.join(dir, 'dan.tgz'), '')
    writeFileSync(path.join(dir, 'notes.txt'), '')
    mkdirSync(path.join(dir, '.git'))
    symlinkSync('/etc', path.join(dir, 'eve'))
    const l = await listClass(dir)
    expect(l.entries.map((e) => [e.learner, e.kind])).toEqual([
      ['ana', 'directory'],
      ['ben', 'archive'],
      ['cleo', 'archive'],
      ['dan', 'archive'],
      ['eve', 'symlink'],
    ])
    expect(l.skipped).toEqual(['.git', 'notes.txt'])
  })

  it('keeps alice/ and alice.zip apart under their full names', async () => {
    mkdirSync(path.join(dir, 'alice'))
    writeFileSync(path.join(dir, 'alice.zip'), '')
    expect((await listClass(dir)).entries.map((e) => e.learner)).toEqual(['alice', 'alice.zip'])
  })

  it('names sandbox sessions after the batch so that a Ctrl-C sweep finds them, and runs one per core by default', () => {
    expect(batchSession('b1a2b3c', 7)).toBe('b1a2b3c-007')
    expect(defaultParallel(2)).toBe(2)
    expect(defaultParallel(1)).toBe(1)
    expect(defaultParallel(64)).toBe(8)
  })
})

describe('editing main.cf like postconf -e', () => {
  const main = 'smtpd_banner = $myhostname ESMTP $mail_name\n# comment\nsmtpd_tls_exclude_ciphers = aNULL,\n    eNULL\nfast_flush_domains = x\n'
  it('replaces a parameter with its continuation lines, removes one set to null and appends a new one', () => {
    expect(setParams(main, { smtpd_tls_exclude_ciphers: 'aNULL', fast_flush_domains: null, disable_vrfy_command: 'yes' })).toBe(
      'smtpd_banner = $myhostname ESMTP $mail_name\n# comment\nsmtpd_tls_exclude_ciphers = aNULL\ndisable_vrfy_command = yes\n',
    )
  })
})
