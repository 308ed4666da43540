// Resolves exercise manifests to their folders: validates them and turns script paths into safe absolute paths.
import { readFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Lang } from '../checker/types.ts'
import type { ServiceName } from '../checker/sandbox-handle.ts'
import { isCopyStep, submissionPath, type AnyExercise, type CopyStep, type StepsSpec } from './define.ts'
import { loadTopology } from '../sandbox/topology.ts'

export const EXERCISES_DIR = path.dirname(fileURLToPath(import.meta.url))
export const SHARED_DIR = path.join(EXERCISES_DIR, 'shared')

export interface ResolvedScript {
  readonly kind: 'script'
  readonly service: ServiceName
  /** Absolute path on the host, inside the exercise folder. */
  readonly file: string
  readonly name: string
  readonly args: readonly string[]
}

export type ResolvedStep = ResolvedScript | (CopyStep & { readonly kind: 'copy' })

export interface Exercise {
  readonly manifest: AnyExercise
  readonly id: string
  /** Folder name, `NN-<id>`. */
  readonly folder: string
  readonly dir: string
  readonly order: number
  text(lang: Lang): Promise<string>
  steps(which: 'setup' | 'solution' | 'publish'): ResolvedStep[]
}

const ID_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/
const FOLDER_RE = /^(\d{2})-([a-z0-9-]+)$/
const SERVICE_HEADER_RE = /^#\s*service:\s*([a-z][a-z0-9-]*)\s*$/m

/** Resolves a manifest-relative path, refusing anything that could leave the exercise folder. */
export function resolveInside(dir: string, rel: string): string {
  if (!rel.startsWith('./')) throw new Error(`path "${rel}" must start with ./`)
  if (rel.includes('\\') || rel.includes('\0')) throw new Error(`path "${rel}" has a forbidden character`)
  const parts = rel.slice(2).split('/')
  if (parts.some((p) => p === '..' || p === '.' || p === '')) throw new Error(`path "${rel}" must not contain .., . or empty segments`)
  const abs = path.resolve(dir, rel)
  const rootWithSep = dir.endsWith(path.sep) ? dir : dir + path.sep
  if (!abs.startsWith(rootWithSep)) throw new Error(`path "${rel}" leaves ${dir}`)
  return abs
}

/** The service a script runs in, from its `# service: NAME` header (first lines only); mail by default. */
export function scriptService(source: string): ServiceName {
  const head = source.split('\n').slice(0, 10).join('\n')
  return (SERVICE_HEADER_RE.exec(head)?.[1] ?? 'mail') as ServiceName
}

function resolveSteps(dir: string, spec: StepsSpec): ResolvedStep[] {
  if (typeof spec === 'string') {
    const file = resolveInside(dir, spec)
    return [{ kind: 'script', service: scriptService(readFileSync(file, 'utf8')), file, name: spec.slice(2), args: [] }]
  }
  return spec.map((step): ResolvedStep => {
    if (isCopyStep(step)) {
      for (const end of [step.copy.from, step.copy.to]) {
        if (!path.posix.isAbsolute(end.path) || end.path.split('/').includes('..')) {
          throw new Error(`copy path "${end.path}" must be absolute without ..`)
        }
      }
      return { kind: 'copy', ...step }
    }
    const shared = step.script.startsWith('shared:')
    const rel = shared ? `./${step.script.slice('shared:'.length)}` : step.script
    const file = resolveInside(shared ? SHARED_DIR : dir, rel)
    readFileSync(file)
    return { kind: 'script', service: step.service, file, name: shared ? step.script : rel.slice(2), args: step.args ?? [] }
  })
}

const servicesCache = new Map<string, readonly string[]>()

/** The service names of a lab, from its topology (sandbox/topologies/<lab>.yaml). */
export function labServices(lab: string): readonly string[] {
  let s = servicesCache.get(lab)
  if (!s) {
    s = Object.freeze(loadTopology(lab).services.map((x) => x.name))
    servicesCache.set(lab, s)
  }
  return s
}

/** Validates a manifest against its folder; throws with the exercise named on any mistake. */
export function loadExercise(folder: string, manifest: AnyExercise, root = EXERCISES_DIR): Exercise {
  const fail = (msg: string): never => {
    throw new Error(`exercise ${folder}: ${msg}`)
  }
  const m = FOLDER_RE.exec(folder) ?? fail('folder must be named NN-<id>')
  if (!ID_RE.test(manifest.id)) fail(`id "${manifest.id}" must be kebab-case`)
  if (m[2] !== manifest.id) fail(`folder slug "${m[2]}" differs from id "${manifest.id}"`)
  if (!manifest.title.fr || !manifest.title.en) fail('title needs fr and en')
  if (manifest.checks.length === 0) fail('no checks')
  const keys = new Set<string>()
  for (const c of manifest.checks) {
    const key = c.key ?? c.id
    if (keys.has(key)) fail(`check key "${key}" used twice (set distinct \`key\`s)`)
    keys.add(key)
    if (c.weight !== undefined && !(c.weight > 0)) fail(`check ${key}: weight must be > 0`)
  }
  for (const k of manifest.startFails ?? []) if (!keys.has(k)) fail(`startFails names unknown check key "${k}"`)
  for (const e of manifest.submission) {
    const p = submissionPath(e)
    if (!path.posix.isAbsolute(p) || p.split('/').includes('..')) fail(`submission path "${p}" must be absolute without ..`)
    if (typeof e !== 'string' && e.owner !== undefined && !/^[A-Za-z_][\w.-]*:[A-Za-z_][\w.-]*$/.test(e.owner)) fail(`submission ${p}: owner "${e.owner}" must be user:group`)
  }
  // A submitted file is found by its path or basename: a path declared twice could not say which service it is for.
  const paths = manifest.submission.map(submissionPath)
  if (new Set(paths).size !== paths.length) fail('a submission path is declared twice')
  const dir = path.join(root, folder)
  // Resolve everything now so a bad path fails at load time, not in the middle of a proof.
  const setup = resolveSteps(dir, manifest.setup)
  const solution = resolveSteps(dir, manifest.solution)
  const publish = manifest.publish ? resolveSteps(dir, manifest.publish) : []
  // A step, copy or hint script aimed at a service the lab lacks would only fail in the middle of a proof.
  const services = labServices(manifest.lab)
  const known = (what: string, service: string) => {
    if (!services.includes(service)) fail(`${what} runs in "${service}", which the ${manifest.lab} lab lacks (it has ${services.join(', ')})`)
  }
  for (const [which, steps] of [['setup', setup], ['solution', solution], ['publish', publish]] as const) {
    for (const st of steps) {
      if (st.kind === 'script') known(`${which} ${st.name}`, st.service)
      else for (const end of [st.copy.from, st.copy.to]) known(`${which} copy ${end.path}`, end.service)
    }
  }
  manifest.hints.forEach((h, i) => {
    if (!h.run) return
    known(`hint ${i + 1}`, h.run.service)
    if (h.run.script.trim() === '') fail(`hint ${i + 1}: run.script is empty`)
  })
  if (publish.length && manifest.submission.length === 0) fail('publish steps need a submission')
  const textFr = resolveInside(dir, manifest.text)
  const textEn = manifest.textEn ? resolveInside(dir, manifest.textEn) : undefined
  readFileSync(textFr)
  if (textEn) readFileSync(textEn)
  return Object.freeze({
    manifest,
    id: manifest.id,
    folder,
    dir,
    order: Number(m[1]),
    text: async (lang: Lang) => readFile(lang === 'en' && textEn ? textEn : textFr, 'utf8'),
    steps: (which: 'setup' | 'solution' | 'publish') => (which === 'setup' ? setup : which === 'solution' ? solution : publish),
  })
}

/** Key under which a check's result is reported (its ID unless the manifest gave a key). */
export function checkKey(c: { readonly id: string; readonly key?: string }): string {
  return c.key ?? c.id
}
