// The `grade` command without Docker: usage errors and refused submissions exit 2 and say why, JUnit included.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { gzip, tarArchive } from './test-support/archives.ts'

const ROOT = path.resolve(import.meta.dirname, '..')
let dir: string

function grade(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/smtp-tls-lab.mjs', 'grade', ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
  })
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'stl-grade-cli-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('grade on the command line', () => {
  it('needs exactly one of --submission and --class', async () => {
    const r = await grade(['--exercise', 'postfix-hardening'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('give exactly one of --submission PATH or --class DIR')
  })

  it('names the exercises when the id is unknown', async () => {
    const r = await grade(['--exercise', 'nope', '--submission', dir])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('unknown exercise "nope"')
  })

  it('refuses an exercise whose manifest declares no submission file', async () => {
    const r = await grade(['--exercise', 'exim-issue-wildcard-ecc', '--submission', dir])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('declares no submission file')
  })

  it('a tar.gz smuggling ../ is refused with exit 2, a JUnit failure and no sandbox', async () => {
    const p = path.join(dir, 'eve.tar.gz')
    writeFileSync(p, gzip(tarArchive([{ path: 'main.cf', content: 'x' }, { path: 'master.cf', content: 'x' }, { path: '../../../root/.ssh/authorized_keys', content: 'ssh-ed25519 AAAA' }])))
    const junit = path.join(dir, 'eve.xml')
    const r = await grade(['--exercise', 'postfix-hardening', '--submission', p, '--junit', junit, '--no-store', '--lang', 'en'])
    expect(r.code, r.stderr).toBe(2)
    expect(r.stdout).toContain('rejected: path escapes the submission (../../../root/.ssh/authorized_keys)')
    expect(r.stderr).not.toContain('fresh postfix sandbox')
    const xml = readFileSync(junit, 'utf8')
    expect(xml).toContain('tests="1" failures="1"')
    expect(xml).toContain('type="rejected/path-escapes"')
  })

  it('a folder missing master.cf is refused as JSON with the file named', async () => {
    mkdirSync(path.join(dir, 'ana'))
    writeFileSync(path.join(dir, 'ana', 'main.cf'), 'smtpd_banner = $myhostname ESMTP\n')
    const r = await grade(['--exercise', 'postfix-hardening', '--submission', path.join(dir, 'ana'), '--json', '--no-store', '--lang', 'en'])
    expect(r.code).toBe(2)
    const j = JSON.parse(r.stdout) as { verdict: string; rejectCode: string; reason: string; learner: string }
    expect(j).toMatchObject({ learner: 'ana', verdict: 'rejected', rejectCode: 'missing-file' })
    expect(j.reason).toContain('/etc/postfix/master.cf')
  })
})
