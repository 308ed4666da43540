// Helpers of the end-to-end course test: the real `start` and `grade` commands as child processes, docker exec, deck slides.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { parseSync } from '@slidev/parser'

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const CLI = path.join(REPO, 'bin', 'smtp-tls-lab.mjs')
const run = promisify(execFile)

/** The line `start --json` prints once the course is served (labs/cli.ts). */
export interface StartedCourse {
  readonly url: string
  readonly origin: string
  readonly port: number
  readonly token: string
  readonly dataDir: string
  readonly session: string
  readonly sandbox: boolean
  readonly lab: string | null
  readonly state: string
  readonly decks: readonly { readonly name: string; readonly title: string; readonly url: string }[]
  readonly pid: number
}

export interface CourseProcess {
  readonly child: ChildProcess
  readonly ready: Promise<StartedCourse>
  /** Everything the server wrote on stderr so far (progress lines, errors): shown when something fails. */
  stderr(): string
  /** SIGTERM, then SIGKILL if it has not exited after graceMs. */
  stop(graceMs?: number): Promise<void>
}

export function startCourse(args: readonly string[]): CourseProcess {
  const child = spawn(process.execPath, [CLI, 'start', '--json', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  child.stderr!.on('data', (d: Buffer) => void (err += d.toString()))
  const ready = new Promise<StartedCourse>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const nl = out.indexOf('\n')
      if (nl === -1) return
      try {
        resolve(JSON.parse(out.slice(0, nl)) as StartedCourse)
      } catch (e) {
        reject(new Error(`start --json printed a line that is not JSON: ${out.slice(0, nl)} (${String(e)})\n${err}`))
      }
    })
    child.once('exit', (code, signal) => reject(new Error(`start exited (${code ?? signal}) before it was ready:\n${err}`)))
  })
  ready.catch(() => undefined)
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
  return {
    child,
    ready,
    stderr: () => err,
    async stop(graceMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(timer)
    },
  }
}

export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs `smtp-tls-lab <args>` to the end; a non-zero exit is returned, not thrown (callers assert on it). */
export async function cli(args: readonly string[], opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<CliResult> {
  try {
    const r = await run(process.execPath, [CLI, ...args], {
      cwd: REPO,
      timeout: opts.timeoutMs ?? 15 * 60_000,
      maxBuffer: 32 * 1024 * 1024,
      ...(opts.signal ? { signal: opts.signal } : {}),
    })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string; message: string }
    if (typeof err.code !== 'number') throw new Error(`smtp-tls-lab ${args.join(' ')}: ${err.message}\n${err.stderr ?? ''}`)
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' }
  }
}

/** `docker exec CONTAINER ARGS…` as an operator would type it: the reference the browser terminal is compared with. */
export async function dockerExec(container: string, args: readonly string[]): Promise<string> {
  const r = await run('docker', ['exec', container, ...args], { timeout: 60_000, maxBuffer: 8 * 1024 * 1024 })
  return r.stdout
}

export const DECKS_DIR = path.join(REPO, 'slides', 'decks')
export const DIST_DIR = path.join(REPO, 'slides', 'dist')

export interface DeckSlide {
  /** 1-based, as in the deck's `#/<n>` route. */
  readonly n: number
  readonly title: string
}

/** The first slide of a deck whose source holds every given snippet (e.g. a CheckPanel with its exercise). */
export function findSlide(deck: string, ...snippets: readonly string[]): DeckSlide {
  const file = path.join(DECKS_DIR, deck, 'slides.md')
  const slides = parseSync(readFileSync(file, 'utf8'), file).slides
  const s = slides.find((x) => snippets.every((snip) => x.content.includes(snip)))
  if (!s) throw new Error(`no slide of ${deck} holds ${snippets.map((x) => JSON.stringify(x)).join(' and ')}`)
  return { n: s.index + 1, title: s.title ?? '' }
}

/** A deck whose build is missing or older than its source or the lab addon: `start` only builds missing decks. */
export function deckIsStale(deck: string): boolean {
  const built = path.join(DIST_DIR, deck, 'index.html')
  if (!existsSync(built)) return false // `start` builds it
  const builtAt = statSync(built).mtimeMs
  const addon = path.join(REPO, 'slides', 'addon-lab')
  const sources = [path.join(DECKS_DIR, deck, 'slides.md')]
  for (const dir of [addon, path.join(addon, 'components'), path.join(addon, 'setup')]) {
    if (!existsSync(dir)) continue
    for (const f of readdirSync(dir)) if (/\.(vue|ts)$/.test(f) && !/\.test\.ts$/.test(f)) sources.push(path.join(dir, f))
  }
  return sources.some((f) => statSync(f).mtimeMs > builtAt)
}

/** Text as a person reads it: whitespace runs (xterm pads rows with spaces) collapsed. */
export const squash = (s: string): string => s.replace(/\s+/g, ' ').trim()
