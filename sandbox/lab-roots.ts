// The Pebble roots this machine's lab sandboxes have used. Pebble makes a new root at every start (Debian's pebble
// cannot load a saved root key), so a certificate a learner obtained in one sandbox is graded in another whose Pebble
// never saw it: grading trusts the live root plus these. Only roots the grader fetched itself from a lab Pebble are
// recorded (exercises/runner.ts), never anything from a submission or from a container learner code can change.
import { randomBytes, X509Certificate } from 'node:crypto'
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs'
import { homedir } from 'node:os'
import path from 'node:path'

/** Overrides where the record lives (tests use a temporary directory). */
export const LAB_ROOTS_ENV = 'SMTP_TLS_LAB_ROOTS_DIR'
/** Oldest roots are forgotten beyond this: a machine that started 500 labs since no longer grades the first. */
export const MAX_ROOTS = 500

const PEM_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/**
 * Per user, not per lab data directory: `start` and `grade` may run from different folders, and both must see the
 * same record. One file per root, named by its SHA-256 fingerprint: dedupe for free, no read-modify-write race between
 * two processes recording at once.
 */
export function labRootsDir(): string {
  const env = process.env[LAB_ROOTS_ENV]
  if (env) return path.resolve(env)
  const state = process.env['XDG_STATE_HOME'] || path.join(homedir(), '.local', 'state')
  return path.join(state, 'smtp-tls-lab', 'pebble-roots')
}

const fileName = (fp: string): string => `${fp.replace(/:/g, '').toLowerCase()}.pem`

/** The certificates of a PEM text that parse; others are skipped (one bad block does not hide the rest). */
export function parsePems(text: string): X509Certificate[] {
  const out: X509Certificate[] = []
  for (const pem of text.match(PEM_RE) ?? []) {
    try {
      out.push(new X509Certificate(pem))
    } catch {
      // Not a certificate: skipped.
    }
  }
  return out
}

/** A root is a self-signed CA certificate; anything else (a leaf, an intermediate) never becomes a trust anchor here. */
function isRoot(c: X509Certificate): boolean {
  return c.ca && c.checkIssued(c) && c.verify(c.publicKey)
}

/** Records a root fetched from a lab Pebble. Returns its fingerprint, or null when the text holds no root. */
export function recordLabRoot(pem: string, dir = labRootsDir(), max = MAX_ROOTS): string | null {
  const root = parsePems(pem).find(isRoot)
  if (!root) return null
  const fp = root.fingerprint256
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const dest = path.join(dir, fileName(fp))
  if (existsSync(dest)) {
    // Already known: refresh its time so the bound below forgets the roots not seen for longest.
    const now = new Date()
    try {
      utimesSync(dest, now, now)
    } catch {
      // Read-only record: the root is known all the same.
    }
    return fp
  }
  // Temporary file, fsync, rename: a reader never sees half a certificate.
  const tmp = path.join(dir, `.${fileName(fp)}.${randomBytes(4).toString('hex')}.tmp`)
  const fd = openSync(tmp, 'w', 0o644)
  try {
    writeSync(fd, root.toString())
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, dest)
  prune(dir, max)
  return fp
}

function prune(dir: string, max: number): void {
  const files = readdirSync(dir).filter((f) => /^[0-9a-f]{64}\.pem$/.test(f))
  if (files.length <= max) return
  const byAge = files
    .map((f) => {
      try {
        return { f, t: statSync(path.join(dir, f)).mtimeMs }
      } catch {
        return { f, t: 0 }
      }
    })
    .sort((a, b) => a.t - b.t)
  for (const { f } of byAge.slice(0, files.length - max)) rmSync(path.join(dir, f), { force: true })
}

/** Every recorded root, checked again on reading (a file whose content does not match its name is ignored). */
export function listLabRoots(dir = labRootsDir()): X509Certificate[] {
  let files: string[]
  try {
    files = readdirSync(dir).filter((f) => /^[0-9a-f]{64}\.pem$/.test(f)).sort()
  } catch {
    return []
  }
  const out: X509Certificate[] = []
  for (const f of files) {
    let text: string
    try {
      text = readFileSync(path.join(dir, f), 'utf8')
    } catch {
      continue
    }
    const root = parsePems(text).find(isRoot)
    if (root && fileName(root.fingerprint256) === f) out.push(root)
  }
  return out
}

/** Roots an instructor gave for this run (`grade --trust-ca FILE`): labs that ran on another machine. */
const extra = new Map<string, X509Certificate>()

/** Adds the roots of a PEM text to this process's trust; returns how many it held. Only self-signed CAs count. */
export function trustExtraRoots(pem: string): number {
  const roots = parsePems(pem).filter(isRoot)
  for (const r of roots) extra.set(r.fingerprint256, r)
  return roots.length
}

/** The live root first, then the recorded and the instructor's ones, once each: a PEM bundle for Node's `ca`. */
export function trustBundle(liveRoot: string | undefined, dir = labRootsDir()): string | undefined {
  const seen = new Set<string>()
  const out: string[] = []
  const add = (c: X509Certificate): void => {
    if (seen.has(c.fingerprint256)) return
    seen.add(c.fingerprint256)
    out.push(c.toString().trim())
  }
  for (const c of parsePems(liveRoot ?? '')) add(c)
  for (const c of listLabRoots(dir)) add(c)
  for (const c of extra.values()) add(c)
  return out.length ? out.join('\n') + '\n' : undefined
}
