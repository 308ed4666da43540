// What the file.* checks share: which service and paths to read (exercise params, else the lab's usual places), and safe reads.
import { verdict } from '../../define.ts'
import type { FileStat, SandboxHandle, ServiceName } from '../../sandbox-handle.ts'
import type { CheckContext, Verdict } from '../../types.ts'

export const HESTIA_CERT = '/usr/local/hestia/ssl/certificate.crt'
export const HESTIA_KEY = '/usr/local/hestia/ssl/certificate.key'

export function serviceOf(ctx: CheckContext): ServiceName {
  return typeof ctx.params['service'] === 'string' ? ctx.params['service'] : (ctx.target.service ?? 'mail')
}

export function needSandbox(ctx: CheckContext): SandboxHandle | Verdict {
  if (ctx.sandbox) return ctx.sandbox
  return verdict.skip({
    fr: 'Vérification réservée au bac à sable : elle lit les fichiers du serveur.',
    en: 'Sandbox-only check: it reads the server’s files.',
  })
}

/**
 * Effective value of one Postfix parameter ($name references expanded, as Postfix opens the file), or null when
 * postconf cannot tell. postconf is the trusted one (sandbox/README.md, "Trusted tools"), not the container's.
 */
export async function postconfValue(sb: SandboxHandle, service: ServiceName, name: string): Promise<string | null> {
  const r = await sb.tool(service, 'postconf', ['-x', '-h', '--', name], { timeoutMs: 10_000 })
  if (r.exitCode !== 0) return null
  const v = r.stdout.trim()
  return v === '' ? null : v
}

/**
 * The file a check reads: the exercise's param, else where this lab keeps it
 * (Exim: HestiaCP's fallback pair; Postfix: what smtpd_tls_*_file points to).
 */
export async function pathFor(
  ctx: CheckContext,
  sb: SandboxHandle,
  param: string,
  kind: 'cert' | 'key',
): Promise<{ path: string; source: string } | null> {
  const p = ctx.params[param]
  if (typeof p === 'string' && p) return { path: p, source: `param ${param}` }
  if (sb.lab === 'exim') return { path: kind === 'cert' ? HESTIA_CERT : HESTIA_KEY, source: 'HestiaCP default' }
  // smtpd_tls_chain_files, when set, wins over the legacy pair; its usual form is "privkey.pem, fullchain.pem".
  const chain = (await postconfValue(sb, serviceOf(ctx), 'smtpd_tls_chain_files'))?.split(/[\s,]+/).filter(Boolean) ?? []
  if (chain.length) return { path: kind === 'key' ? chain[0]! : chain.at(-1)!, source: 'postconf smtpd_tls_chain_files' }
  const name = kind === 'cert' ? 'smtpd_tls_cert_file' : 'smtpd_tls_key_file'
  const v = await postconfValue(sb, serviceOf(ctx), name)
  return v ? { path: v, source: `postconf ${name}` } : null
}

export function noPath(what: string): Verdict {
  return verdict.inconclusive('not-applicable', {
    fr: `Je ne sais pas quel fichier lire pour ${what} : l’exercice doit le préciser (paramètre) ou Postfix doit le nommer.`,
    en: `I do not know which file to read for ${what}: the exercise must name it (parameter) or Postfix must point to it.`,
  })
}

export interface Located {
  readonly path: string
  /** The file itself when `path` is a symlink (certbot's live/ files are). */
  readonly realPath: string
  readonly stat: FileStat
  readonly lines: readonly string[]
}

/** stat that follows symlinks (the handle follows them outside the container), reporting both names; null when missing. */
export async function locate(sb: SandboxHandle, service: ServiceName, path: string): Promise<Located | null> {
  const st = await sb.stat(service, path)
  if (!st) return null
  if (!st.isSymlink) return { path, realPath: path, stat: st, lines: [] }
  // A dangling link (or a handle that cannot say where a link leads) is a missing file for the server too.
  if (!st.realPath) return null
  return { path, realPath: st.realPath, stat: st, lines: [`${path} -> ${st.realPath}`] }
}

export function octal(mode: number): string {
  return mode.toString(8).padStart(3, '0')
}

/** `ls -l`-like line for evidence. */
export function statLine(path: string, st: FileStat): string {
  return `${octal(st.mode)} ${st.user}:${st.group} (${st.uid}:${st.gid}) ${st.size} B ${path}`
}

export function missing(path: string, service: ServiceName): Verdict {
  return verdict.fail(
    { fr: `Le fichier ${path} n’existe pas sur ${service}.`, en: `The file ${path} does not exist on ${service}.` },
    { lines: [`${path}: no such file`], facts: { path, exists: false } },
  )
}

/** Reads a file that stat found; a read error here is the grader's problem, not the learner's. */
export async function readText(sb: SandboxHandle, service: ServiceName, path: string): Promise<string | Verdict> {
  try {
    return (await sb.readFile(service, path, 256 * 1024)).toString('utf8')
  } catch (e) {
    return verdict.inconclusive(
      'protocol',
      { fr: `Lecture de ${path} impossible (${(e as Error).message}).`, en: `Could not read ${path} (${(e as Error).message}).` },
      { lines: [`${path}: ${(e as Error).message}`] },
    )
  }
}
