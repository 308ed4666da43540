// Builds the lab images: the Debian base (pulled, or debootstrapped offline) then each role from its folder.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cp, lstat, mkdir, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve, sep } from 'node:path'
import type Docker from 'dockerode'
import { UserError } from '../core/errors.ts'
import { type AcmeShOrigin, type AcmeShSource, AcmeShUnavailable, resolveAcmeSh } from './acme-sh-source.ts'
import { BASE_IMAGE, LABEL_CONTEXT_HASH, LABEL_ROLE, connectDocker, imageExists, roleImage } from './docker.ts'
import { SANDBOX_DIR } from './topology.ts'

export const IMAGES_DIR = join(SANDBOX_DIR, 'images')
export const REPO_DIR = dirname(SANDBOX_DIR)
const BOOTSTRAP = join(IMAGES_DIR, 'base', 'bootstrap.sh')
const ONLINE_BASE = 'debian:bookworm-slim'

export type BuildEvent =
  | { kind: 'base'; action: 'present' | 'pulling' | 'pulled' | 'bootstrapping' | 'bootstrapped'; line?: string }
  | { kind: 'base-log'; line: string }
  | { kind: 'role-start'; role: string; index: number; count: number }
  | { kind: 'role-step'; role: string; step: number; total: number; text: string }
  | { kind: 'role-log'; role: string; line: string }
  | { kind: 'role-done'; role: string; action: 'built' | 'up-to-date'; durationMs: number }
  | { kind: 'acme-sh'; origin: AcmeShOrigin; from: string }
  | { kind: 'role-skipped'; role: string; reason: string }

export interface BuildOptions {
  readonly offline?: boolean
  /** Where role folders live (sandbox/images); tests point it at a scratch folder. */
  readonly imagesDir?: string
  /** Image tag of a role (smtp-tls-lab/<role>:latest). */
  readonly tagFor?: (role: string) => string
  /** Only these roles (and the roles they are built FROM); every role when absent. */
  readonly roles?: readonly string[]
  readonly onEvent?: (e: BuildEvent) => void
  /** Rebuild every layer even when the context is unchanged (a clean build, e.g. to pick up Debian updates). */
  readonly noCache?: boolean
  /** The acme.sh release tarball to use (`images build --acme-sh FILE`), before the vendor folder and upstream. */
  readonly acmeSh?: string
  /** Folder of the vendored acme.sh tarball (default SMTP_TLS_LAB_VENDOR_DIR, else ../shared/vendor). */
  readonly vendorDir?: string
}

export interface RoleBuild {
  readonly role: string
  readonly tag: string
  /** skipped: a third-party tool the role needs (acme.sh) could not be had; `reason` says what to do. */
  readonly action: 'built' | 'up-to-date' | 'skipped'
  readonly reason?: string
  readonly contextHash: string
  readonly durationMs: number
}

export interface BuildReport {
  readonly base: { readonly tag: string; readonly action: 'present' | 'pulled' | 'bootstrapped'; readonly durationMs: number }
  readonly roles: readonly RoleBuild[]
  /** Where acme.sh came from, when a role needed it and it was found. */
  readonly acmeSh?: { readonly origin: AcmeShOrigin; readonly from: string }
  readonly durationMs: number
}

/** Role folders under sandbox/images that hold a Dockerfile, sorted. */
export async function listRoles(imagesDir = IMAGES_DIR): Promise<string[]> {
  const entries = await readdir(imagesDir, { withFileTypes: true })
  const roles: string[] = []
  for (const e of entries) {
    if (!e.isDirectory() || e.name === 'base') continue
    try {
      await stat(join(imagesDir, e.name, 'Dockerfile'))
      roles.push(e.name)
    } catch {
      // a folder without a Dockerfile is not a role (yet)
    }
  }
  return roles.sort()
}

/** Image tags every known role should have, and which of them are missing. */
export async function missingImages(docker: Docker, roles?: readonly string[]): Promise<string[]> {
  const wanted = roles ?? (await listRoles())
  const missing: string[] = []
  for (const r of wanted) if (!(await imageExists(docker, roleImage(r)))) missing.push(roleImage(r))
  return missing
}

interface Where {
  readonly imagesDir: string
  readonly tagFor: (role: string) => string
  readonly all: readonly string[]
}

const withTag = (ref: string) => (/:[^/]+$/.test(ref) ? ref : `${ref}:latest`)

/** Images named by the FROM lines of a role's Dockerfile (build stages named with AS excluded). */
async function fromImages(where: Where, role: string): Promise<string[]> {
  const text = await readFile(join(where.imagesDir, role, 'Dockerfile'), 'utf8')
  const stages = new Set<string>()
  const refs: string[] = []
  for (const m of text.matchAll(/^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/gim)) {
    if (!stages.has(m[1]!.toLowerCase())) refs.push(withTag(m[1]!))
    if (m[2]) stages.add(m[2].toLowerCase())
  }
  return refs
}

/** Roles this role is built FROM: they must be built first. */
async function parentRoles(where: Where, role: string): Promise<string[]> {
  const refs = await fromImages(where, role)
  return where.all.filter((r) => refs.includes(withTag(where.tagFor(r))))
}

async function buildOrder(where: Where, requested: readonly string[]): Promise<string[]> {
  const order: string[] = []
  const seen = new Set<string>()
  const visit = async (r: string, path: string[]): Promise<void> => {
    if (seen.has(r)) return
    if (path.includes(r)) throw new UserError(`images: FROM cycle ${[...path, r].join(' → ')}`)
    if (!where.all.includes(r)) throw new UserError(`images: unknown role ${r} (known: ${where.all.join(', ')})`)
    for (const p of await parentRoles(where, r)) await visit(p, [...path, r])
    seen.add(r)
    order.push(r)
  }
  for (const r of requested) await visit(r, [])
  return order
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) await walk(p)
      else out.push(relative(dir, p).split(sep).join('/'))
    }
  }
  await walk(dir)
  return out.sort()
}

/** Copies the role folder and the repository files named in its context.json into a fresh directory. */
/** A verified third-party tree (today only acme.sh) for a role's context.json `vendor` entry, found once per build. */
type VendorTree = (name: string) => Promise<AcmeShSource>

async function stageContext(imagesDir: string, role: string, vendor?: VendorTree): Promise<string> {
  const src = join(imagesDir, role)
  const dir = await mkdtemp(join(tmpdir(), `stl-ctx-${role}-`))
  await cp(src, dir, { recursive: true, filter: (p) => relative(src, p) !== 'context.json' })
  let extra: { copy?: Record<string, string>; vendor?: Record<string, string> } = {}
  try {
    extra = JSON.parse(await readFile(join(src, 'context.json'), 'utf8')) as typeof extra
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new UserError(`${join(src, 'context.json')}: ${(err as Error).message}`)
  }
  for (const [from, to] of Object.entries(extra.copy ?? {})) {
    const source = resolve(REPO_DIR, from)
    const target = resolve(dir, to)
    if (!source.startsWith(REPO_DIR + sep) || !target.startsWith(dir + sep))
      throw new UserError(`${join(src, 'context.json')}: copy ${from} → ${to} leaves the repository or the context`)
    try {
      await mkdir(dirname(target), { recursive: true })
      // Dereferenced, as `cp -L` would: a symlink in the repository becomes the file it points to.
      await cp(source, target, { recursive: true, dereference: true })
    } catch (err) {
      throw new UserError(`${join(src, 'context.json')}: cannot copy ${from}: ${(err as Error).message}`)
    }
  }
  try {
    for (const [name, to] of Object.entries(extra.vendor ?? {})) {
      if (name !== 'acme.sh' || !vendor) throw new UserError(`${join(src, 'context.json')}: unknown vendor entry ${name}`)
      const target = resolve(dir, to)
      if (!target.startsWith(dir + sep)) throw new UserError(`${join(src, 'context.json')}: vendor ${name} → ${to} leaves the context`)
      await cp((await vendor(name)).dir, target, { recursive: true })
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw err
  }
  return dir
}

/** Hash of every file (path, executable bit, bytes) plus the parent images' IDs, so a rebuilt base rebuilds roles. */
async function contextHash(dir: string, files: readonly string[], parentIds: readonly string[]): Promise<string> {
  const h = createHash('sha256')
  for (const id of parentIds) h.update(`parent ${id}\n`)
  for (const f of files) {
    const p = join(dir, f)
    const st = await lstat(p)
    h.update(`${f}\0${st.mode & 0o111 ? 'x' : '-'}\0`)
    h.update(st.isSymbolicLink() ? `link` : await readFile(p))
    h.update('\0')
  }
  return h.digest('hex')
}

function runBootstrap(onLine: (line: string) => void): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [BOOTSTRAP, BASE_IMAGE], { stdio: ['ignore', 'pipe', 'pipe'] })
    let tail: string[] = []
    const feed = (buf: Buffer) => {
      for (const line of buf.toString().split('\n')) {
        if (!line.trim()) continue
        tail = [...tail.slice(-30), line]
        onLine(line)
      }
    }
    child.stdout.on('data', feed)
    child.stderr.on('data', feed)
    child.on('error', (err) => reject(new UserError(`cannot run ${BOOTSTRAP}: ${err.message}`)))
    child.on('close', (code) => {
      if (code === 0) resolvePromise()
      else reject(new UserError(`building the base image offline failed (exit ${code}):\n${tail.join('\n')}`))
    })
  })
}

/** Pulls the slim Debian image, bounded in time: on a machine without a registry this fails fast. */
async function tryPull(docker: Docker): Promise<boolean> {
  try {
    const stream = await Promise.race([
      docker.pull(ONLINE_BASE),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 20_000)),
    ])
    await new Promise<void>((res, rej) =>
      docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => {
        const failed = err ?? out.find((o) => o.error)?.error
        if (failed) rej(failed instanceof Error ? failed : new Error(failed))
        else res()
      }),
    )
    await docker.getImage(ONLINE_BASE).tag({ repo: BASE_IMAGE.split(':')[0]!, tag: BASE_IMAGE.split(':')[1]! })
    return true
  } catch {
    return false
  }
}

async function ensureBase(docker: Docker, opts: BuildOptions): Promise<BuildReport['base']> {
  const t0 = Date.now()
  const emit = opts.onEvent ?? (() => {})
  if (await imageExists(docker, BASE_IMAGE)) {
    emit({ kind: 'base', action: 'present' })
    return { tag: BASE_IMAGE, action: 'present', durationMs: Date.now() - t0 }
  }
  if (!opts.offline) {
    emit({ kind: 'base', action: 'pulling' })
    if (await tryPull(docker)) {
      emit({ kind: 'base', action: 'pulled' })
      return { tag: BASE_IMAGE, action: 'pulled', durationMs: Date.now() - t0 }
    }
  }
  emit({ kind: 'base', action: 'bootstrapping' })
  await runBootstrap((line) => emit({ kind: 'base-log', line }))
  if (!(await imageExists(docker, BASE_IMAGE))) throw new UserError(`${BOOTSTRAP} ended but ${BASE_IMAGE} does not exist`)
  emit({ kind: 'base', action: 'bootstrapped' })
  return { tag: BASE_IMAGE, action: 'bootstrapped', durationMs: Date.now() - t0 }
}

/** IDs of the images a role is built FROM; a missing one is an error here, before the daemon would try a registry. */
async function parentIds(docker: Docker, where: Where, role: string): Promise<string[]> {
  const ids: string[] = []
  for (const ref of await fromImages(where, role)) {
    const info = await imageExists(docker, ref)
    if (!info)
      throw new UserError(
        `${join(where.imagesDir, role, 'Dockerfile')}: FROM ${ref}, which is not on this machine ` +
          `(only the lab base and role images can be used where no registry answers)`,
      )
    ids.push(info.Id)
  }
  return ids
}

interface StreamEvent {
  stream?: string
  error?: string
  errorDetail?: { message?: string }
  aux?: { ID?: string }
}

async function buildRole(
  docker: Docker,
  role: string,
  where: Where,
  emit: (e: BuildEvent) => void,
  noCache = false,
  vendor?: VendorTree,
): Promise<RoleBuild> {
  const t0 = Date.now()
  const tag = where.tagFor(role)
  let dir: string
  try {
    dir = await stageContext(where.imagesDir, role, vendor)
  } catch (err) {
    // Only this role needs the missing tool: say what to do and let the other roles build.
    if (!(err instanceof AcmeShUnavailable)) throw err
    emit({ kind: 'role-skipped', role, reason: err.message })
    return { role, tag, action: 'skipped', reason: err.message, contextHash: '', durationMs: Date.now() - t0 }
  }
  try {
    const files = await listFiles(dir)
    const hash = await contextHash(dir, files, await parentIds(docker, where, role))
    const existing = await imageExists(docker, tag)
    if (!noCache && existing?.Config?.Labels?.[LABEL_CONTEXT_HASH] === hash) {
      const r = { role, tag, action: 'up-to-date' as const, contextHash: hash, durationMs: Date.now() - t0 }
      emit({ kind: 'role-done', role, action: r.action, durationMs: r.durationMs })
      return r
    }
    const stream = await docker.buildImage(
      { context: dir, src: files },
      {
        t: tag,
        labels: { [LABEL_CONTEXT_HASH]: hash, [LABEL_ROLE]: role },
        rm: true,
        forcerm: true,
        // The base image is local: asking the daemon to pull it would fail where no registry answers.
        pull: false,
        nocache: noCache,
        version: '1',
      },
    )
    const tail: string[] = []
    const events = await new Promise<StreamEvent[]>((res, rej) =>
      docker.modem.followProgress(
        stream,
        (err: Error | null, out: StreamEvent[]) => (err ? rej(err) : res(out)),
        (ev: StreamEvent) => {
          for (const line of (ev.stream ?? '').split('\n')) {
            if (!line.trim()) continue
            tail.push(line)
            if (tail.length > 40) tail.shift()
            const step = /^Step (\d+)\/(\d+) : (.*)$/.exec(line)
            if (step) emit({ kind: 'role-step', role, step: Number(step[1]), total: Number(step[2]), text: step[3]! })
            else emit({ kind: 'role-log', role, line })
          }
        },
      ),
    )
    const failed = events.find((e) => e.error)
    if (failed) {
      throw new UserError(
        `building ${tag} failed: ${failed.errorDetail?.message ?? failed.error}\n--- last build output ---\n${tail.join('\n')}`,
      )
    }
    const r = { role, tag, action: 'built' as const, contextHash: hash, durationMs: Date.now() - t0 }
    emit({ kind: 'role-done', role, action: r.action, durationMs: r.durationMs })
    return r
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Builds what is missing or out of date, one image at a time (the machine is small and shared). */
export async function buildImages(opts: BuildOptions = {}): Promise<BuildReport> {
  const t0 = Date.now()
  const docker = await connectDocker()
  const emit = opts.onEvent ?? (() => {})
  const imagesDir = opts.imagesDir ?? IMAGES_DIR
  const all = await listRoles(imagesDir)
  if (all.length === 0) throw new UserError(`no role images to build: no ${imagesDir}/<role>/Dockerfile`)
  const where: Where = { imagesDir, tagFor: opts.tagFor ?? roleImage, all }
  const order = await buildOrder(where, opts.roles?.length ? opts.roles : all)
  const base = await ensureBase(docker, opts)
  const roles: RoleBuild[] = []
  let acmeSh: Promise<AcmeShSource> | undefined
  const vendor: VendorTree = () => {
    acmeSh ??= resolveAcmeSh({ file: opts.acmeSh, vendorDir: opts.vendorDir, offline: opts.offline, repoDir: REPO_DIR }).then((s) => {
      emit({ kind: 'acme-sh', origin: s.origin, from: s.from })
      return s
    })
    return acmeSh
  }
  try {
    for (const [i, role] of order.entries()) {
      emit({ kind: 'role-start', role, index: i, count: order.length })
      roles.push(await buildRole(docker, role, where, emit, opts.noCache, vendor))
    }
  } finally {
    await acmeSh?.then((s) => s.dispose(), () => {})
  }
  const used = await acmeSh?.catch(() => undefined)
  return { base, roles, ...(used ? { acmeSh: { origin: used.origin, from: used.from } } : {}), durationMs: Date.now() - t0 }
}
