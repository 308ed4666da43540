// Where the image build takes acme.sh from. No package registry carries it, and it is not the project's code, so it
// stays outside the tree, unmodified: a file the user names, else the vendored copy beside the repository, else the
// release tag from upstream when the machine is online. The main scripts' checksums are verified in every case.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { access, mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { UserError } from '../core/errors.ts'

export const ACME_SH_VERSION = '3.1.3'
export const ACME_SH_TARBALL = `acme.sh-${ACME_SH_VERSION}.tar.gz`
export const ACME_SH_URL = `https://github.com/acmesh-official/acme.sh/archive/refs/tags/${ACME_SH_VERSION}.tar.gz`
/** sha256 of the unpacked scripts, as published in the vendor README (a tarball's own bytes differ between archivers). */
export const ACME_SH_SHA256: Readonly<Record<string, string>> = {
  'acme.sh': '66171c3113f2e36569572edb1656962d63c72862a57e03cbd2a066adaad5e588',
  'dnsapi/dns_cf.sh': '9628ee8238cb3f9cfa1b1a985c0e9593436a3e4f8a9d65a6f775b981be9e76c8',
}
/** The vendored copy's folder: `../shared/vendor` beside the repository, or SMTP_TLS_LAB_VENDOR_DIR. */
export const VENDOR_DIR_ENV = 'SMTP_TLS_LAB_VENDOR_DIR'

export type AcmeShOrigin = 'option' | 'vendor' | 'download'

export interface AcmeShSource {
  readonly origin: AcmeShOrigin
  /** The tarball file or URL it came from. */
  readonly from: string
  /** The unpacked release folder (holds acme.sh, dnsapi/, deploy/, notify/); removed by `dispose`. */
  readonly dir: string
  readonly dispose: () => Promise<void>
}

export interface AcmeShOptions {
  /** `images build --acme-sh FILE`. */
  readonly file?: string
  /** Folder holding acme.sh-3.1.3.tar.gz; default SMTP_TLS_LAB_VENDOR_DIR, else ../shared/vendor beside the repository. */
  readonly vendorDir?: string
  readonly offline?: boolean
  /** Repository root, to find ../shared/vendor. */
  readonly repoDir: string
}

/** acme.sh cannot be had: the roles that need it are skipped, the others still build. */
export class AcmeShUnavailable extends UserError {}

export function defaultVendorDir(repoDir: string): string {
  return resolve(process.env[VENDOR_DIR_ENV] || join(repoDir, '..', 'shared', 'vendor'))
}

const exists = (p: string) => access(p).then(() => true, () => false)

function untar(file: string, into: string): Promise<void> {
  return new Promise((res, rej) => {
    const child = spawn('tar', ['-xzf', file, '-C', into], { stdio: ['ignore', 'ignore', 'pipe'] })
    let errText = ''
    child.stderr.on('data', (b: Buffer) => (errText += b.toString()))
    child.on('error', (e) => rej(new UserError(`cannot run tar: ${e.message}`)))
    child.on('close', (code) => (code === 0 ? res() : rej(new UserError(`${file}: not a readable .tar.gz (tar: ${errText.trim()})`))))
  })
}

/** Unpacks a release tarball and checks its scripts; the unpacked folder is returned only when every checksum matches. */
export async function unpackVerified(file: string): Promise<{ dir: string; root: string }> {
  const root = await mkdtemp(join(tmpdir(), 'stl-acme-sh-'))
  try {
    await untar(file, root)
    const top = (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory())
    if (top.length !== 1) throw new UserError(`${file}: expected one top folder (acme.sh-${ACME_SH_VERSION}/), found ${top.length}`)
    const dir = join(root, top[0]!.name)
    for (const [rel, want] of Object.entries(ACME_SH_SHA256)) {
      let got: string
      try {
        got = createHash('sha256').update(await readFile(join(dir, rel))).digest('hex')
      } catch {
        throw new UserError(`${file}: ${rel} is missing: not the acme.sh ${ACME_SH_VERSION} release`)
      }
      if (got !== want)
        throw new UserError(`${file}: checksum mismatch for ${rel} (sha256 ${got}, expected ${want}): not the unmodified acme.sh ${ACME_SH_VERSION}`)
    }
    return { dir, root }
  } catch (err) {
    await rm(root, { recursive: true, force: true })
    throw err
  }
}

async function download(url: string, to: string): Promise<void> {
  const res = await fetch(url, { signal: AbortSignal.timeout(60_000), redirect: 'follow' })
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`)
  await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(to))
}

const WHAT_TO_DO =
  `acme.sh ${ACME_SH_VERSION} is needed by the exim image (no package registry carries it). Either give the release ` +
  `tarball: \`images build --acme-sh /path/to/${ACME_SH_TARBALL}\` (the tag's archive from ` +
  `github.com/acmesh-official/acme.sh), or put it in the vendor folder (${VENDOR_DIR_ENV}, default ../shared/vendor), ` +
  `or build without --offline on a machine that reaches github.com.`

/** Finds, verifies and unpacks acme.sh, in the order: the user's file, the vendor folder, upstream (online only). */
export async function resolveAcmeSh(opts: AcmeShOptions): Promise<AcmeShSource> {
  const wrap = async (origin: AcmeShOrigin, from: string, file: string, extra?: string): Promise<AcmeShSource> => {
    const { dir, root } = await unpackVerified(file)
    return { origin, from, dir, dispose: () => rm(extra ?? root, { recursive: true, force: true }).then(() => rm(root, { recursive: true, force: true })) }
  }
  if (opts.file) {
    const file = resolve(opts.file)
    if (!(await exists(file))) throw new UserError(`--acme-sh ${opts.file}: no such file`)
    return wrap('option', file, file)
  }
  const vendorDir = opts.vendorDir ? resolve(opts.vendorDir) : defaultVendorDir(opts.repoDir)
  const vendored = join(vendorDir, ACME_SH_TARBALL)
  if (await exists(vendored)) return wrap('vendor', vendored, vendored)
  if (opts.offline) throw new AcmeShUnavailable(`offline and no ${vendored}. ${WHAT_TO_DO}`)
  const dl = await mkdtemp(join(tmpdir(), 'stl-acme-sh-dl-'))
  const file = join(dl, ACME_SH_TARBALL)
  try {
    await download(ACME_SH_URL, file)
  } catch (err) {
    await rm(dl, { recursive: true, force: true })
    throw new AcmeShUnavailable(`no ${vendored}, and ${ACME_SH_URL} could not be downloaded (${(err as Error).message}). ${WHAT_TO_DO}`)
  }
  try {
    return await wrap('download', ACME_SH_URL, file, dl)
  } catch (err) {
    await rm(dl, { recursive: true, force: true })
    throw err
  }
}
