// Reference submissions read back from a real sandbox (start state, scripted solution), and a postconf-like editor to derive partial ones.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { submissionPath, submissionService } from '../exercises/define.ts'
import type { Exercise } from '../exercises/load.ts'
import { applySetup, applySolution, labTrust } from '../exercises/runner.ts'
import { newSession } from './grade.ts'

/** Declared path → content. */
export type SubmissionFiles = ReadonlyMap<string, Buffer>

/** Declared path → permission bits, as `ls -l` shows them in the sandbox (a key's 600 must travel with it). */
export type SubmissionModes = ReadonlyMap<string, number>

export interface Harvest {
  readonly start: SubmissionFiles
  readonly solution: SubmissionFiles
  readonly startModes: SubmissionModes
  readonly solutionModes: SubmissionModes
  /** Phases of the one harvesting sandbox, in ms. */
  readonly timings: Readonly<Record<'up' | 'setup' | 'solve' | 'down', number>>
  readonly durationMs: number
}

/** The declared files present in a live sandbox, with their modes. */
export async function readDeclared(handle: import('../checker/sandbox-handle.ts').SandboxHandle, exercise: Exercise): Promise<{ files: SubmissionFiles; modes: SubmissionModes }> {
  const files = new Map<string, Buffer>()
  const modes = new Map<string, number>()
  for (const e of exercise.manifest.submission) {
    const p = submissionPath(e)
    const st = await handle.stat(submissionService(e), p)
    if (!st?.isFile) continue
    files.set(p, await handle.readFile(submissionService(e), p, 256 * 1024))
    modes.set(p, st.mode)
  }
  return { files, modes }
}

/** What the declared files hold in the start state and after the scripted solution, on one fresh sandbox. */
export async function harvest(exercise: Exercise, opts: { log?: (l: string) => void; session?: string } = {}): Promise<Harvest> {
  const t0 = Date.now()
  const { upLab, downSandbox } = await import('../sandbox/engine.ts')
  const session = opts.session ?? newSession('h')
  const log = opts.log ?? (() => {})
  const timings = { up: 0, setup: 0, solve: 0, down: 0 }
  let mark = t0
  const lap = (k: keyof typeof timings): void => {
    const now = Date.now()
    timings[k] = now - mark
    mark = now
  }
  try {
    const handle = await upLab({ lab: exercise.manifest.lab, session, fresh: true })
    // Records this sandbox's Pebble root (sandbox/lab-roots.ts), as a learner's lab does when it checks progress:
    // the certificates harvested here are graded in another sandbox, under another Pebble root.
    await labTrust(handle)
    lap('up')
    await applySetup(handle, exercise, log)
    const start = await readDeclared(handle, exercise)
    lap('setup')
    await applySolution(handle, exercise, log)
    const solution = await readDeclared(handle, exercise)
    lap('solve')
    mark = Date.now()
    await downSandbox(session).catch(() => undefined)
    lap('down')
    return { start: start.files, solution: solution.files, startModes: start.modes, solutionModes: solution.modes, timings, durationMs: Date.now() - t0 }
  } catch (err) {
    await downSandbox(session).catch(() => undefined)
    throw err
  }
}

/** Writes a submission folder (files by basename, as a learner would hand them in), with their modes when given. */
export function writeSubmission(dir: string, files: SubmissionFiles, modes?: SubmissionModes): string {
  mkdirSync(dir, { recursive: true })
  for (const [p, content] of files) {
    const dest = path.join(dir, path.posix.basename(p))
    writeFileSync(dest, content)
    const mode = modes?.get(p)
    if (mode !== undefined) chmodSync(dest, mode)
  }
  return dir
}

/** `postconf -e` on text: replaces a parameter's line (continuations included) or appends it; null removes it. */
export function setParams(mainCf: string, params: Readonly<Record<string, string | null>>): string {
  const lines = mainCf.split('\n')
  const out: string[] = []
  const done = new Set<string>()
  for (let i = 0; i < lines.length; i++) {
    const m = /^([A-Za-z0-9_]+)\s*=/.exec(lines[i]!)
    const name = m?.[1]
    if (name !== undefined && name in params) {
      while (i + 1 < lines.length && /^[ \t]+\S/.test(lines[i + 1]!)) i++
      if (!done.has(name) && params[name] !== null) out.push(`${name} = ${params[name]}`)
      done.add(name)
      continue
    }
    out.push(lines[i]!)
  }
  while (out.length && out[out.length - 1] === '') out.pop()
  for (const [k, v] of Object.entries(params)) if (!done.has(k) && v !== null) out.push(`${k} = ${v}`)
  return `${out.join('\n')}\n`
}

/** A copy of `files` with main.cf edited. */
export function withMainCf(files: SubmissionFiles, params: Readonly<Record<string, string | null>>): SubmissionFiles {
  const out = new Map(files)
  const main = out.get('/etc/postfix/main.cf')
  if (!main) throw new Error('no /etc/postfix/main.cf in these files')
  out.set('/etc/postfix/main.cf', Buffer.from(setParams(main.toString('utf8'), params)))
  return out
}
