// File facts (type, mode, owner, size, link target, bytes) read through the Docker engine's archive endpoint,
// never by programs inside the container: a learner's hook running as root can replace stat, cat or sh there.
import { posix } from 'node:path'
import type Docker from 'dockerode'
import { Parser, type ReadEntry } from 'tar'
import type { FileStat } from '../checker/sandbox-handle.ts'
import { isNotFound } from './docker.ts'

/** Linux gives up after 40 links; a lab path never needs more than a few (certbot's live/ → archive/). */
export const MAX_LINK_HOPS = 16

/** Go's os.FileMode bits, as the X-Docker-Container-Path-Stat header carries them. */
const GO_MODE_DIR = 2 ** 31
const GO_MODE_SYMLINK = 2 ** 27
const GO_MODE_TYPE = GO_MODE_DIR | GO_MODE_SYMLINK | 2 ** 26 | 2 ** 25 | 2 ** 24 | 2 ** 21 | 2 ** 19

/** What HEAD /containers/{id}/archive says of a path (the path itself: a final symlink is not followed). */
export interface PathStat {
  readonly name: string
  readonly size: number
  /** Go FileMode: type bits high, permission bits low. */
  readonly mode: number
  readonly mtime: string
  readonly linkTarget: string
}

/** One tar header, as the engine wrote it for the path itself. */
export interface EntryFacts {
  readonly type: string
  readonly mode: number
  readonly uid: number
  readonly gid: number
  readonly size: number
  readonly linkpath: string
}

export const isSymlinkMode = (goMode: number): boolean => (goMode & GO_MODE_SYMLINK) !== 0
export const isRegularMode = (goMode: number): boolean => (goMode & GO_MODE_TYPE) === 0

const REGULAR = new Set(['File', 'OldFile', 'ContiguousFile'])

/** A link's target as the kernel would resolve it: relative targets start from the link's own directory. */
export function linkDestination(linkPath: string, target: string): string {
  return posix.normalize(target.startsWith('/') ? target : posix.join(posix.dirname(linkPath), target))
}

/** `name:x:id:…` files (/etc/passwd, /etc/group) → id → name; the first name of an id wins, as getpwuid does. */
export function parseIdNames(text: string): Map<number, string> {
  const out = new Map<number, string>()
  for (const line of text.split('\n')) {
    const f = line.split(':')
    const id = Number(f[2])
    if (f.length > 2 && f[0] && /^\d+$/.test(f[2] ?? '') && !out.has(id)) out.set(id, f[0])
  }
  return out
}

/** The engine refuses a path whose links loop ("evalSymlinksInScope: too many links"): to the kernel, ELOOP. */
export class LinkLoopError extends Error {}

function engineError(err: unknown, label: string, path: string): unknown {
  const e = err as { statusCode?: number; message?: string }
  if (e?.statusCode === 500 && /too many links/i.test(e.message ?? '')) return new LinkLoopError(`${label}:${path}: too many levels of symbolic links`)
  return err
}

interface NameCache {
  readonly key: string
  readonly users: Map<number, string>
  readonly groups: Map<number, string>
}
const nameCaches = new Map<string, NameCache>()

export class FileFacts {
  constructor(
    private readonly docker: Docker,
    /** Container name or id. */
    private readonly container: string,
    /** How messages name the place, e.g. "mail". */
    private readonly label: string,
  ) {}

  private get c(): Docker.Container {
    return this.docker.getContainer(this.container)
  }

  /** A 404 means "no such path" only while the container exists; otherwise it is the grader's problem. */
  private async notFound(path: string): Promise<null> {
    try {
      await this.c.inspect()
    } catch (err) {
      if (isNotFound(err)) throw new Error(`${this.label}: container ${this.container} does not exist (reading ${path})`)
      throw err
    }
    return null
  }

  /** HEAD: type, mode and size of the path itself, without a byte of content; null when it does not exist. */
  async head(path: string): Promise<PathStat | null> {
    let res: NodeJS.ReadableStream & { headers?: Record<string, string | string[] | undefined> }
    try {
      res = (await this.c.infoArchive({ path })) as typeof res
    } catch (err) {
      if (isNotFound(err)) return this.notFound(path)
      // A HEAD error has no body to say why: the same path through GET does (a link loop, typically).
      if ((err as { statusCode?: number }).statusCode === 500) await this.entry(path)
      throw engineError(err, this.label, path)
    }
    res.resume()
    const raw = res.headers?.['x-docker-container-path-stat']
    if (typeof raw !== 'string') throw new Error(`${this.label}:${path}: the engine sent no path stat header`)
    const s = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as Partial<PathStat>
    return { name: String(s.name ?? ''), size: Number(s.size ?? 0), mode: Number(s.mode ?? 0), mtime: String(s.mtime ?? ''), linkTarget: String(s.linkTarget ?? '') }
  }

  /**
   * GET: the first tar header of the path (the path itself) and, when asked, its bytes. The stream is cut as
   * soon as what is needed arrived, so a directory is never walked and a large file never read whole.
   */
  async entry(path: string, body?: { maxBytes: number }): Promise<{ facts: EntryFacts; bytes?: Buffer } | null> {
    let stream: NodeJS.ReadableStream & { destroy?: () => void }
    try {
      stream = (await this.c.getArchive({ path })) as typeof stream
    } catch (err) {
      if (isNotFound(err)) return this.notFound(path)
      throw engineError(err, this.label, path)
    }
    return new Promise((resolve, reject) => {
      const parser = new Parser()
      let done = false
      const finish = (err: Error | null, value?: { facts: EntryFacts; bytes?: Buffer }) => {
        if (done) return
        done = true
        stream.unpipe?.(parser as unknown as NodeJS.WritableStream)
        stream.destroy?.()
        if (err) reject(err)
        else if (value) resolve(value)
        else reject(new Error(`${this.label}:${path}: the engine sent an empty archive`))
      }
      parser.on('entry', (e: ReadEntry) => {
        if (done) return e.resume()
        const facts: EntryFacts = {
          type: e.type,
          mode: (e.mode ?? 0) & 0o7777,
          uid: e.uid ?? 0,
          gid: e.gid ?? 0,
          size: e.size,
          linkpath: e.linkpath ?? '',
        }
        if (!body || !REGULAR.has(e.type)) return finish(null, { facts })
        // The header comes before the bytes: a file that grew since HEAD is refused here, unread.
        if (e.size > body.maxBytes) return finish(new Error(`${this.label}:${path}: larger than ${body.maxBytes} bytes (${e.size} bytes)`))
        const chunks: Buffer[] = []
        e.on('data', (d: Buffer) => chunks.push(d))
        e.on('end', () => finish(null, { facts, bytes: Buffer.concat(chunks) }))
      })
      parser.on('error', (err: Error) => finish(err))
      parser.on('end', () => finish(null))
      stream.on('error', (err: Error) => finish(err))
      stream.pipe(parser as unknown as NodeJS.WritableStream)
    })
  }

  /**
   * Follows symbolic links from `path` on this side (relative targets against the link's directory, at most
   * MAX_LINK_HOPS): the final path and its header, or `dangling` when a link leads nowhere (or loops).
   */
  async resolve(path: string): Promise<{ self: EntryFacts; realPath: string; target: EntryFacts | null; hops: readonly string[] } | null> {
    let p = posix.normalize(path)
    const self = await this.entry(p)
    if (!self) return null
    let cur = self.facts
    const hops: string[] = []
    while (cur.type === 'SymbolicLink') {
      if (hops.length >= MAX_LINK_HOPS) return { self: self.facts, realPath: p, target: null, hops }
      p = linkDestination(p, cur.linkpath)
      hops.push(p)
      const next = await this.entry(p)
      if (!next) return { self: self.facts, realPath: p, target: null, hops }
      cur = next.facts
    }
    return { self: self.facts, realPath: p, target: cur, hops }
  }

  /** uid/gid → names from the container's own /etc/passwd and /etc/group, read the same way; cached while they do not change. */
  async names(): Promise<NameCache> {
    const [pw, gr] = await Promise.all([this.head('/etc/passwd'), this.head('/etc/group')])
    const key = JSON.stringify([pw, gr])
    const cached = nameCaches.get(this.container)
    if (cached?.key === key) return cached
    const read = (p: string) => this.readFile(p, 4 * 1024 * 1024).then((b) => b.toString('utf8'), () => '')
    const [users, groups] = await Promise.all([read('/etc/passwd'), read('/etc/group')])
    const fresh = { key, users: parseIdNames(users), groups: parseIdNames(groups) }
    nameCaches.set(this.container, fresh)
    return fresh
  }

  private async toStat(e: EntryFacts, isSymlink: boolean, realPath: string | undefined): Promise<FileStat> {
    const { users, groups } = await this.names()
    return {
      mode: e.mode,
      uid: e.uid,
      gid: e.gid,
      user: users.get(e.uid) ?? String(e.uid),
      group: groups.get(e.gid) ?? String(e.gid),
      size: REGULAR.has(e.type) ? e.size : 0,
      isFile: REGULAR.has(e.type),
      isSymlink,
      ...(realPath !== undefined ? { realPath } : {}),
    }
  }

  /**
   * For a symbolic link, isSymlink is true and the other fields describe its target (what a server opening
   * the path sees); a dangling link reads as a link of size 0 with mode 0. null when the path does not exist.
   */
  async stat(path: string): Promise<FileStat | null> {
    let r
    try {
      r = await this.resolve(path)
    } catch (err) {
      if (err instanceof LinkLoopError) return { mode: 0, uid: 0, gid: 0, user: '', group: '', size: 0, isFile: false, isSymlink: true }
      throw err
    }
    if (!r) return null
    if (r.self.type !== 'SymbolicLink') return this.toStat(r.self, false, undefined)
    if (!r.target) return { mode: 0, uid: 0, gid: 0, user: '', group: '', size: 0, isFile: false, isSymlink: true }
    return this.toStat(r.target, true, r.realPath)
  }

  /** The bytes of a regular file (links followed); refused before any byte moves when larger than maxBytes. */
  async readFile(path: string, maxBytes: number): Promise<Buffer> {
    let p = posix.normalize(path)
    for (let hop = 0; ; hop++) {
      const h = await this.head(p)
      if (!h) throw new Error(`${this.label}:${path}: no such file`)
      if (isSymlinkMode(h.mode)) {
        if (hop >= MAX_LINK_HOPS) throw new Error(`${this.label}:${path}: too many levels of symbolic links`)
        const link = await this.entry(p)
        if (!link || link.facts.type !== 'SymbolicLink') continue // replaced meanwhile: look again
        p = linkDestination(p, link.facts.linkpath)
        continue
      }
      if (!isRegularMode(h.mode)) throw new Error(`${this.label}:${path}: not a regular file`)
      if (h.size > maxBytes) throw new Error(`${this.label}:${path}: larger than ${maxBytes} bytes (${h.size} bytes)`)
      const got = await this.entry(p, { maxBytes })
      if (!got) throw new Error(`${this.label}:${path}: no such file`)
      if (!got.bytes) throw new Error(`${this.label}:${path}: not a regular file`)
      return got.bytes
    }
  }

  /** The engine's tar of a path (a directory with its content), refused past maxBytes: for copying a configuration out. */
  async readTar(path: string, maxBytes: number): Promise<Buffer | null> {
    let stream: NodeJS.ReadableStream & { destroy?: () => void }
    try {
      stream = (await this.c.getArchive({ path })) as typeof stream
    } catch (err) {
      if (isNotFound(err)) return this.notFound(path)
      throw err
    }
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > maxBytes) {
        stream.destroy?.()
        throw new Error(`${this.label}:${path}: archive larger than ${maxBytes} bytes`)
      }
      chunks.push(chunk)
    }
    return Buffer.concat(chunks)
  }
}
