// Runs Debian's testssl.sh against a lab container and reads its JSON findings (for agreement tests and the bench).
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestsslFinding {
  readonly id: string
  readonly severity: string
  readonly finding: string
}

/** Path of testssl.sh, installing the Debian package when it is missing (the only network use: the apt mirror). */
export function ensureTestssl(): string {
  const find = (): string | null => {
    for (const name of ['testssl', 'testssl.sh']) {
      try {
        return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || null
      } catch {
        // not this name
      }
    }
    return null
  }
  const found = find()
  if (found) return found
  execFileSync('sh', ['-c', 'flock /tmp/apt.lock apt-get install -y -q testssl.sh >/dev/null'], { stdio: 'inherit' })
  const after = find()
  if (!after) throw new Error('testssl.sh is not installed and apt-get could not install it')
  return after
}

/** testssl.sh `--starttls smtp` on host:port with the given test flags; resolves with its findings and duration. */
export function runTestssl(host: string, port: number, flags: readonly string[], timeoutMs = 600_000): Promise<{ findings: TestsslFinding[]; durationMs: number }> {
  const bin = ensureTestssl()
  const dir = mkdtempSync(join(tmpdir(), 'stl-testssl-'))
  const json = join(dir, 'out.json')
  const started = performance.now()
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      ['--quiet', '--color', '0', '--warnings', 'off', '--starttls', 'smtp', '--jsonfile', json, ...flags, `${host}:${port}`],
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (err) => {
        const durationMs = Math.round(performance.now() - started)
        try {
          const findings = JSON.parse(readFileSync(json, 'utf8')) as TestsslFinding[]
          resolve({ findings, durationMs })
        } catch (e) {
          reject(new Error(`testssl.sh produced no JSON (${err?.message ?? (e as Error).message})`))
        } finally {
          rmSync(dir, { recursive: true, force: true })
        }
      },
    )
  })
}

/** testssl.sh's verdict on one protocol: true = offered. */
export function testsslOffers(findings: readonly TestsslFinding[], id: string): boolean {
  const f = findings.find((x) => x.id === id)
  if (!f) throw new Error(`testssl.sh reported nothing for ${id}`)
  return !/not offered/i.test(f.finding) && /offered/i.test(f.finding)
}

/** Weak cipher categories of testssl.sh's standard cipher test (-s) that it found offered. */
export function testsslWeakCategories(findings: readonly TestsslFinding[]): string[] {
  // testssl 3.0 ids: cipherlist_NULL, cipherlist_aNULL, cipherlist_EXPORT, cipherlist_LOW, cipherlist_3DES_IDEA (…).
  const weak = findings.filter((f) => /^(cipherlist|std)_(NULL|aNULL|EXPORT|LOW|3DES_IDEA|3DES)$/i.test(f.id))
  if (!weak.length) throw new Error(`testssl.sh reported no cipher categories: ${findings.map((f) => f.id).join(', ')}`)
  return weak.filter((f) => !/not offered/i.test(f.finding) && /offered/i.test(f.finding)).map((f) => f.id)
}
