// Reads a learner's submission (directory, .tar(.gz) or .zip) into memory, refusing anything hostile, and maps it to the manifest's paths.
import { constants as fsc } from 'node:fs'
import { lstat, open, readdir, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { Transform, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createReadStream } from 'node:fs'
import { createGunzip } from 'node:zlib'
import { Parser, type ReadEntry } from 'tar'
import yauzl from 'yauzl'
import type { Localized } from '../checker/types.ts'
import type { ServiceName } from '../checker/sandbox-handle.ts'
import { submissionOwners, submissionPath, submissionService, type SubmissionEntry } from '../exercises/define.ts'

export interface IntakeLimits {
  /** Largest single file, in bytes (default 256 KiB). */
  readonly maxFileBytes: number
  /** Sum of every file's size, and of an archive's declared entry sizes (default 5 MiB). */
  readonly maxTotalBytes: number
  /** Files, folders and other entries together (default 200). */
  readonly maxEntries: number
  /** Size of the archive file itself on disk (default 5 MiB). */
  readonly maxArchiveBytes: number
  /** Folder nesting inside a directory submission (default 16). */
  readonly maxDepth: number
}

export const DEFAULT_LIMITS: IntakeLimits = Object.freeze({
  maxFileBytes: 256 * 1024,
  maxTotalBytes: 5 * 1024 * 1024,
  maxEntries: 200,
  maxArchiveBytes: 5 * 1024 * 1024,
  maxDepth: 16,
})

/** Room for tar headers, padding and end blocks on top of the content bytes, in the decompressed stream. */
const TAR_OVERHEAD_BYTES = 1024 * 1024

export type RejectCode =
  | 'not-found'
  | 'unsupported-format'
  | 'path-escapes'
  | 'absolute-path'
  | 'bad-name'
  | 'symlink'
  | 'special-file'
  | 'file-too-large'
  | 'archive-too-large'
  | 'too-many-entries'
  | 'too-deep'
  | 'duplicate'
  | 'encrypted'
  | 'corrupt'
  | 'missing-file'
  | 'ambiguous'

/** A submission refused before any sandbox starts: the learner gets `rejected: <message>`. */
export class SubmissionRejected extends Error {
  constructor(
    readonly code: RejectCode,
    readonly text: Localized,
    readonly detail?: string,
  ) {
    super(`rejected: ${text.en}`)
    this.name = 'SubmissionRejected'
  }
}

export interface SubmittedFile {
  /** Normalised relative path inside the submission (no `./`, no `..`, `/`-separated). */
  readonly rel: string
  readonly content: Buffer
  /** Permission bits carried by the submission (tar header, zip Unix attributes, directory), or null. */
  readonly mode: number | null
  /** User and group names a tar header carries (uname, gname; either may be ''); null for formats that carry none. */
  readonly owner: FileOwnerNames | null
}

export interface FileOwnerNames {
  readonly user: string
  readonly group: string
}

export type SubmissionFormat = 'directory' | 'tar' | 'tar.gz' | 'zip'

export interface SubmissionContents {
  readonly format: SubmissionFormat
  readonly files: readonly SubmittedFile[]
  /** Entries counted against the limit (files, folders). */
  readonly entries: number
  readonly totalBytes: number
}

const KiB = (n: number): string => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`)

const R = {
  notFound: (p: string) =>
    new SubmissionRejected('not-found', { fr: `la copie ${p} est introuvable`, en: `the submission ${p} does not exist` }, p),
  format: (p: string) =>
    new SubmissionRejected(
      'unsupported-format',
      { fr: `${p} n’est ni un dossier, ni une archive .tar, .tar.gz ou .zip`, en: `${p} is neither a folder nor a .tar, .tar.gz or .zip archive` },
      p,
    ),
  escapes: (p: string) =>
    new SubmissionRejected('path-escapes', { fr: `le chemin sort de la copie (${p})`, en: `path escapes the submission (${p})` }, p),
  absolute: (p: string) =>
    new SubmissionRejected('absolute-path', { fr: `chemin absolu interdit (${p})`, en: `absolute path not allowed (${p})` }, p),
  badName: (p: string) =>
    new SubmissionRejected('bad-name', { fr: `nom de fichier refusé (${p})`, en: `file name refused (${p})` }, p),
  symlink: (p: string) =>
    new SubmissionRejected('symlink', { fr: `lien symbolique ou physique interdit (${p})`, en: `symbolic or hard link not allowed (${p})` }, p),
  special: (p: string, kind: string) =>
    new SubmissionRejected(
      'special-file',
      { fr: `fichier spécial interdit (${p} : ${kind})`, en: `special file not allowed (${p}: ${kind})` },
      p,
    ),
  tooLarge: (p: string, size: number, max: number) =>
    new SubmissionRejected(
      'file-too-large',
      { fr: `${p} dépasse la taille maximale (${KiB(size)} > ${KiB(max)})`, en: `${p} is larger than the limit (${KiB(size)} > ${KiB(max)})` },
      p,
    ),
  archiveTooLarge: (what: string, max: number) =>
    new SubmissionRejected(
      'archive-too-large',
      { fr: `la copie dépasse ${KiB(max)} une fois décompressée (${what})`, en: `the submission expands past ${KiB(max)} (${what})` },
      what,
    ),
  tooMany: (max: number) =>
    new SubmissionRejected('too-many-entries', { fr: `la copie contient plus de ${max} éléments`, en: `the submission holds more than ${max} entries` }),
  tooDeep: (p: string, max: number) =>
    new SubmissionRejected('too-deep', { fr: `dossiers imbriqués sur plus de ${max} niveaux (${p})`, en: `folders nested deeper than ${max} levels (${p})` }, p),
  duplicate: (p: string) =>
    new SubmissionRejected('duplicate', { fr: `${p} apparaît deux fois dans l’archive`, en: `${p} appears twice in the archive` }, p),
  encrypted: (p: string) =>
    new SubmissionRejected('encrypted', { fr: `entrée chiffrée (${p}) : envoyez une archive sans mot de passe`, en: `encrypted entry (${p}): send an archive without a password` }, p),
  corrupt: (why: string) =>
    new SubmissionRejected('corrupt', { fr: `archive illisible : ${why}`, en: `unreadable archive: ${why}` }, why),
}

/**
 * Normalises an archive entry name to a safe relative path, or rejects it. Done by hand rather than with
 * path.normalize so that `a/../../x` is refused as written instead of silently becoming something else.
 */
export function safeRelative(name: string): string {
  if (/[\x00-\x1f\x7f]/.test(name)) throw R.badName(JSON.stringify(name))
  if (name.includes('\\')) throw R.badName(name)
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw R.absolute(name)
  const parts = name.split('/').filter((p) => p !== '' && p !== '.')
  if (parts.includes('..')) throw R.escapes(name)
  return parts.join('/')
}

/** Collects files and enforces the limits that every format shares. */
class Collector {
  readonly files = new Map<string, SubmittedFile>()
  entries = 0
  declaredBytes = 0

  constructor(readonly limits: IntakeLimits) {}

  countEntry(): void {
    if (++this.entries > this.limits.maxEntries) throw R.tooMany(this.limits.maxEntries)
  }

  /** Checks a file's announced size before any of its bytes are read. */
  announceFile(rel: string, size: number): void {
    if (size > this.limits.maxFileBytes) throw R.tooLarge(rel, size, this.limits.maxFileBytes)
    this.declaredBytes += size
    if (this.declaredBytes > this.limits.maxTotalBytes) throw R.archiveTooLarge(`${this.entries} entries so far`, this.limits.maxTotalBytes)
    if (this.files.has(rel)) throw R.duplicate(rel)
  }

  add(rel: string, content: Buffer, mode: number | null, owner: FileOwnerNames | null = null): void {
    if (content.length > this.limits.maxFileBytes) throw R.tooLarge(rel, content.length, this.limits.maxFileBytes)
    if (this.files.has(rel)) throw R.duplicate(rel)
    this.files.set(rel, { rel, content, mode: mode === null ? null : mode & 0o777, owner })
  }

  result(format: SubmissionFormat): SubmissionContents {
    const files = [...this.files.values()].sort((a, b) => a.rel.localeCompare(b.rel))
    return { format, files, entries: this.entries, totalBytes: files.reduce((s, f) => s + f.content.length, 0) }
  }
}

// ---------- directories ----------

function specialKind(st: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string | null {
  if (st.isFIFO()) return 'fifo'
  if (st.isSocket()) return 'socket'
  if (st.isCharacterDevice()) return 'character device'
  if (st.isBlockDevice()) return 'block device'
  return null
}

async function readRegular(abs: string, rel: string, c: Collector): Promise<void> {
  // O_NOFOLLOW + fstat on the opened descriptor: a file swapped for a symlink or a fifo after readdir is caught.
  const fh = await open(abs, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ELOOP') throw R.symlink(rel)
    throw err
  })
  try {
    const st = await fh.stat()
    const kind = specialKind(st)
    if (kind) throw R.special(rel, kind)
    if (!st.isFile()) throw R.special(rel, 'not a regular file')
    // Checked again on the descriptor: a name swapped for a hard link after the lstat in walk() is caught here.
    if (st.nlink > 1) throw R.symlink(rel)
    c.announceFile(rel, st.size)
    // Read at most one byte past the limit: a file growing after fstat cannot make us read more.
    const buf = Buffer.alloc(Math.min(st.size, c.limits.maxFileBytes) + 1)
    let len = 0
    for (;;) {
      const { bytesRead } = await fh.read(buf, len, buf.length - len, len)
      if (bytesRead === 0) break
      len += bytesRead
      if (len === buf.length) break
    }
    if (len > c.limits.maxFileBytes) throw R.tooLarge(rel, len, c.limits.maxFileBytes)
    c.add(rel, buf.subarray(0, len), st.mode)
  } finally {
    await fh.close()
  }
}

async function walk(root: string, relDir: string, depth: number, c: Collector): Promise<void> {
  if (depth > c.limits.maxDepth) throw R.tooDeep(relDir, c.limits.maxDepth)
  const dir = relDir ? path.join(root, relDir) : root
  const names = (await readdir(dir)).sort()
  for (const name of names) {
    const rel = relDir ? `${relDir}/${name}` : name
    if (/[\x00-\x1f\x7f\\]/.test(name)) throw R.badName(JSON.stringify(rel))
    c.countEntry()
    const st = await lstat(path.join(dir, name))
    if (st.isSymbolicLink()) throw R.symlink(rel)
    // A hard link is a regular file to lstat, and may share its bytes with a file outside the submission (a key
    // the grader's user can read): only the link count tells.
    if (st.isFile() && st.nlink > 1) throw R.symlink(rel)
    const kind = specialKind(st)
    if (kind) throw R.special(rel, kind)
    if (st.isDirectory()) await walk(root, rel, depth + 1, c)
    else if (st.isFile()) await readRegular(path.join(dir, name), rel, c)
    else throw R.special(rel, 'unknown file type')
  }
}

// ---------- tar ----------

/** Counts decompressed bytes and fails the pipeline past the limit, so a gzip bomb stops early. */
class ByteBudget extends Transform {
  seen = 0
  constructor(
    private readonly max: number,
    private readonly onExceed: () => Error,
  ) {
    super()
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length
    if (this.seen > this.max) return cb(this.onExceed())
    cb(null, chunk)
  }
}

async function readTar(file: string, gz: boolean, c: Collector): Promise<void> {
  let rejection: Error | null = null
  const reject = (e: Error): false => {
    rejection ??= e
    parser.abort(e)
    return false
  }
  const pending: Promise<void>[] = []
  const parser: Parser = new Parser({
    strict: true,
    // Our own budget below bounds expansion; tar's ratio check would reject small, highly compressible configs.
    maxDecompressionRatio: Infinity,
    filter: (_p: string, entry: unknown) => {
      if (rejection) return false
      const e = entry as ReadEntry
      try {
        c.countEntry()
        const rel = safeRelative(e.path)
        switch (e.type) {
          case 'File':
          case 'OldFile':
          case 'ContiguousFile':
            if (rel === '') throw R.badName(e.path)
            c.announceFile(rel, e.size)
            return true
          case 'Directory':
            return false
          case 'SymbolicLink':
          case 'Link':
            throw R.symlink(rel || e.path)
          case 'CharacterDevice':
            throw R.special(rel || e.path, 'character device')
          case 'BlockDevice':
            throw R.special(rel || e.path, 'block device')
          case 'FIFO':
            throw R.special(rel || e.path, 'fifo')
          default:
            throw R.special(rel || e.path, `tar entry type ${e.type}`)
        }
      } catch (err) {
        return reject(err as Error)
      }
    },
    onReadEntry: (entry: ReadEntry) => {
      const rel = safeRelative(entry.path)
      const chunks: Buffer[] = []
      let len = 0
      pending.push(
        new Promise<void>((resolve) => {
          entry.on('data', (d: Buffer) => {
            len += d.length
            // The header's size was checked; a body longer than announced is a lie worth refusing.
            if (len > c.limits.maxFileBytes) reject(R.tooLarge(rel, len, c.limits.maxFileBytes))
            else chunks.push(d)
          })
          entry.on('end', () => {
            if (!rejection) {
              try {
                // Numeric uid/gid mean nothing across machines: only the names can be matched to the lab's accounts.
                const owner = entry.uname || entry.gname ? { user: entry.uname ?? '', group: entry.gname ?? '' } : null
                c.add(rel, Buffer.concat(chunks), entry.mode ?? null, owner)
              } catch (err) {
                reject(err as Error)
              }
            }
            resolve()
          })
        }),
      )
    },
  })
  const parsed = new Promise<void>((resolve, reject2) => {
    const why = (err: Error): Error => rejection ?? (err instanceof SubmissionRejected ? err : R.corrupt(err.message))
    parser.on('error', (err: Error) => reject2(why(err)))
    parser.on('abort', (err: Error) => reject2(why(err)))
    parser.on('end', () => resolve())
    parser.on('close', () => resolve())
  })
  const budget = new ByteBudget(c.limits.maxTotalBytes + TAR_OVERHEAD_BYTES, () =>
    R.archiveTooLarge(`more than ${KiB(c.limits.maxTotalBytes + TAR_OVERHEAD_BYTES)} of tar stream`, c.limits.maxTotalBytes),
  )
  const source = createReadStream(file)
  const stages = gz ? [source, createGunzip(), budget] : [source, budget]
  const piping = (pipeline as (...s: unknown[]) => Promise<void>)(...stages, parser as unknown as NodeJS.WritableStream).catch(
    (err: Error) => {
      if (err instanceof SubmissionRejected) throw err
      if (rejection) throw rejection
      throw R.corrupt(err.message)
    },
  )
  await Promise.all([piping, parsed])
  await Promise.all(pending)
  if (rejection) throw rejection
}

// ---------- zip ----------

const S_IFMT = 0o170000
const ZIP_TYPES: Record<number, string> = {
  0o120000: 'symlink',
  0o020000: 'character device',
  0o060000: 'block device',
  0o010000: 'fifo',
  0o140000: 'socket',
}

function zipError(err: Error): SubmissionRejected {
  const m = /^(absolute path|invalid relative path|invalid characters in fileName): (.*)$/.exec(err.message)
  if (m?.[1] === 'absolute path') return R.absolute(m[2]!)
  if (m?.[1] === 'invalid relative path') return R.escapes(m[2]!)
  if (m?.[1]) return R.badName(m[2]!)
  return R.corrupt(err.message)
}

async function readZip(file: string, c: Collector): Promise<void> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: true, validateEntrySizes: true, decodeStrings: true }, (err, z) =>
      err ? reject(zipError(err)) : resolve(z),
    ),
  )
  try {
    if (zip.entryCount > c.limits.maxEntries) throw R.tooMany(c.limits.maxEntries)
    await new Promise<void>((resolve, reject) => {
      let failed = false
      const fail = (e: Error): void => {
        if (failed) return
        failed = true
        reject(e instanceof SubmissionRejected ? e : zipError(e))
      }
      zip.on('error', fail)
      zip.on('end', () => resolve())
      zip.on('entry', (entry: yauzl.Entry) => {
        try {
          c.countEntry()
          const rel = safeRelative(entry.fileName)
          const unix = entry.versionMadeBy >> 8 === 3
          const mode = unix ? (entry.externalFileAttributes >>> 16) & 0xffff : null
          const kind = mode !== null ? ZIP_TYPES[mode & S_IFMT] : undefined
          if (kind === 'symlink') throw R.symlink(rel || entry.fileName)
          if (kind) throw R.special(rel || entry.fileName, kind)
          if (entry.fileName.endsWith('/') || (mode !== null && (mode & S_IFMT) === 0o040000)) {
            zip.readEntry()
            return
          }
          if (rel === '') throw R.badName(entry.fileName)
          if (entry.isEncrypted()) throw R.encrypted(rel)
          if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) throw R.corrupt(`${rel}: compression method ${entry.compressionMethod}`)
          c.announceFile(rel, entry.uncompressedSize)
          zip.openReadStream(entry, (err, stream) => {
            if (err) return fail(err)
            const chunks: Buffer[] = []
            let len = 0
            stream.on('data', (d: Buffer) => {
              len += d.length
              if (len > c.limits.maxFileBytes) {
                stream.destroy()
                fail(R.tooLarge(rel, len, c.limits.maxFileBytes))
              } else chunks.push(d)
            })
            stream.on('error', (e: Error) => fail(e))
            stream.on('end', () => {
              if (failed) return
              try {
                c.add(rel, Buffer.concat(chunks), mode)
                zip.readEntry()
              } catch (e) {
                fail(e as Error)
              }
            })
          })
        } catch (err) {
          fail(err as Error)
        }
      })
      zip.readEntry()
    })
  } finally {
    zip.close()
  }
}

// ---------- entry point ----------

async function sniff(file: string): Promise<SubmissionFormat | null> {
  const fh = await open(file, fsc.O_RDONLY | fsc.O_NONBLOCK)
  try {
    const head = Buffer.alloc(512)
    const { bytesRead } = await fh.read(head, 0, 512, 0)
    if (bytesRead >= 4 && head.readUInt32LE(0) === 0x04034b50) return 'zip'
    // An empty zip is only its end-of-central-directory record.
    if (bytesRead >= 4 && head.readUInt32LE(0) === 0x06054b50) return 'zip'
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz'
    if (bytesRead >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar'
    return null
  } finally {
    await fh.close()
  }
}

/**
 * Reads a submission into memory. The top-level path is the operator's choice and may be a symlink;
 * nothing inside it may be. Throws SubmissionRejected for anything refused; nothing is written to disk.
 */
export async function readSubmission(p: string, limits: IntakeLimits = DEFAULT_LIMITS): Promise<SubmissionContents> {
  let real: string
  try {
    real = await realpath(p)
  } catch {
    throw R.notFound(p)
  }
  const st = await stat(real)
  const c = new Collector(limits)
  if (st.isDirectory()) {
    await walk(real, '', 0, c)
    return c.result('directory')
  }
  const kind = specialKind(st)
  if (kind) throw R.special(path.basename(p), kind)
  if (!st.isFile()) throw R.format(p)
  if (st.size > limits.maxArchiveBytes) throw R.archiveTooLarge(`${path.basename(p)} is ${KiB(st.size)}`, limits.maxArchiveBytes)
  const format = await sniff(real)
  if (format === 'zip') await readZip(real, c)
  else if (format === 'tar' || format === 'tar.gz') await readTar(real, format === 'tar.gz', c)
  else throw R.format(p)
  return c.result(format)
}

export interface MappedFile {
  /** Absolute path inside `service`, as the manifest declares it. */
  readonly target: string
  /** The sandbox service it is installed in (mail unless the manifest says otherwise). */
  readonly service: ServiceName
  /** Where it came from in the submission. */
  readonly rel: string
  readonly content: Buffer
  readonly mode: number | null
  /** Names from the submission itself (tar only), to be checked against the lab's accounts at install. */
  readonly owner?: FileOwnerNames | null
  /** `user:group` the manifest declares for this path, used when the submission carries no owner. */
  readonly declaredOwner?: string | null
}

export interface MappedSubmission {
  readonly files: readonly MappedFile[]
  /** Submitted files that the manifest does not declare: not installed. */
  readonly ignored: readonly string[]
  /** A single wrapping folder that was looked through (e.g. `alice/` in alice.zip), or ''. */
  readonly prefix: string
}

function tryMap(files: ReadonlyMap<string, SubmittedFile>, entries: readonly SubmissionEntry[], prefix: string) {
  const declared = entries.map(submissionPath)
  const owners = submissionOwners({ submission: entries })
  const services = new Map(entries.map((e) => [submissionPath(e), submissionService(e)]))
  const basenames = new Map<string, number>()
  for (const d of declared) basenames.set(path.posix.basename(d), (basenames.get(path.posix.basename(d)) ?? 0) + 1)
  const found: MappedFile[] = []
  const missing: string[] = []
  const used = new Set<string>()
  for (const target of declared) {
    const mirror = prefix + target.slice(1)
    const base = path.posix.basename(target)
    const byBase = basenames.get(base) === 1 ? prefix + base : null
    const hits = [mirror, byBase].filter((k): k is string => k !== null && files.has(k))
    if (hits.length === 2 && hits[0] !== hits[1]) {
      throw new SubmissionRejected(
        'ambiguous',
        { fr: `${hits[0]} et ${hits[1]} désignent tous deux ${target} : gardez-en un seul`, en: `${hits[0]} and ${hits[1]} both stand for ${target}: keep only one` },
        target,
      )
    }
    const hit = hits[0]
    if (!hit) {
      missing.push(target)
      continue
    }
    used.add(hit)
    const f = files.get(hit)!
    found.push({ target, service: services.get(target) ?? 'mail', rel: hit, content: f.content, mode: f.mode, owner: f.owner, declaredOwner: owners.get(target) ?? null })
  }
  return { found, missing, used }
}

/**
 * Maps submitted files to the manifest's absolute paths. A declared `/etc/postfix/main.cf` is taken from
 * `etc/postfix/main.cf` (the path mirrored) or from `main.cf` (its basename, when no other declared file shares
 * it), at the top of the submission or inside one folder wrapping everything.
 */
export function mapSubmission(contents: SubmissionContents, declared: readonly SubmissionEntry[]): MappedSubmission {
  const files = new Map(contents.files.map((f) => [f.rel, f]))
  const tops = new Set(contents.files.map((f) => (f.rel.includes('/') ? f.rel.slice(0, f.rel.indexOf('/') + 1) : '')))
  const prefixes = ['']
  if (tops.size === 1 && !tops.has('')) prefixes.push([...tops][0]!)
  let best: ReturnType<typeof tryMap> | null = null
  let bestPrefix = ''
  for (const prefix of prefixes) {
    const m = tryMap(files, declared, prefix)
    if (!best || m.found.length > best.found.length) (best = m), (bestPrefix = prefix)
    if (m.missing.length === 0) break
  }
  if (best!.missing.length > 0) {
    const list = best!.missing.map((m) => `${m} (${m.slice(1)} ou ${path.posix.basename(m)})`)
    const listEn = best!.missing.map((m) => `${m} (${m.slice(1)} or ${path.posix.basename(m)})`)
    throw new SubmissionRejected(
      'missing-file',
      { fr: `fichier attendu absent : ${list.join(', ')}`, en: `missing declared file: ${listEn.join(', ')}` },
      best!.missing.join(', '),
    )
  }
  return {
    files: best!.found,
    ignored: contents.files.map((f) => f.rel).filter((r) => !best!.used.has(r)),
    prefix: bestPrefix,
  }
}
