// Runs exercises against a sandbox: start state and scripted solution, grading through the checker, and proofs.
import { readFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import type { SandboxHandle, ServiceName } from '../checker/sandbox-handle.ts'
import type { CheckDefinition, CheckResult, Lang, Target, TransportMode } from '../checker/types.ts'
import { scoreOf, type Score } from '../core/score.ts'
import type { ExerciseCheck, ExerciseTarget } from './define.ts'
import { checkKey, type Exercise, type ResolvedStep } from './load.ts'
import { runExerciseChecks } from './check-bridge.ts'
import { recordLabRoot, trustBundle } from '../sandbox/lab-roots.ts'
import { stripControl } from '../core/text.ts'
import { withOneStaging } from '../sandbox/toolset.ts'

export type Log = (line: string) => void

/** A setup or solution step failed: carries the script's output so an author can see why. */
export class StepError extends Error {
  constructor(
    message: string,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message)
    this.name = 'StepError'
  }
}

const STEP_TIMEOUT_MS = 240_000

function tail(s: string, lines = 25): string {
  return s.trimEnd().split('\n').slice(-lines).join('\n')
}

async function runStep(handle: SandboxHandle, exercise: Exercise, step: ResolvedStep, log: Log): Promise<void> {
  if (step.kind === 'copy') {
    const { from, to, mode, owner } = step.copy
    log(`copy ${from.service}:${from.path} → ${to.service}:${to.path}`)
    const content = await handle.readFile(from.service, from.path, 4 * 1024 * 1024)
    await handle.exec(to.service, ['mkdir', '-p', to.path.replace(/\/[^/]*$/, '') || '/'])
    await handle.writeFile(to.service, to.path, content, mode ?? 0o644)
    if (owner) {
      const r = await handle.exec(to.service, ['chown', owner, to.path])
      if (r.exitCode !== 0) throw new StepError(`chown ${owner} ${to.path} failed in ${to.service}`, r.stdout, r.stderr)
    }
    return
  }
  const source = await readFile(step.file, 'utf8')
  log(`${step.service}: ${exercise.folder}/${step.name}`)
  await runScriptIn(handle, step.service, source, { args: step.args, exerciseId: exercise.id, label: `${exercise.id}: ${step.name}` })
}

export interface ScriptRunOptions {
  readonly args?: readonly string[]
  readonly exerciseId: string
  /** Names the script in the error (e.g. `ex: solve.sh`, `ex: text.fr.md block 2 (run=mail)`). */
  readonly label: string
  /** Options given to bash before the script (the text's blocks run under `-euo pipefail` like a learner's paste). */
  readonly bashOptions?: readonly string[]
  readonly workdir?: string
  readonly env?: Readonly<Record<string, string>>
}

/** Copies a script into a service, runs it as root with bash, removes it; a non-zero exit throws StepError. */
export async function runScriptIn(handle: SandboxHandle, service: ServiceName, source: string, opts: ScriptRunOptions): Promise<void> {
  // A random name so a learner cannot find the solution lying around, and the file goes away after the run.
  // Not /tmp: it may be a tmpfs mount, which the archive API (writeFile) cannot write into.
  const remote = `/var/tmp/.stl-step-${randomBytes(6).toString('hex')}.sh`
  await handle.writeFile(service, remote, source, 0o700)
  let r
  try {
    r = await handle.exec(service, ['bash', ...(opts.bashOptions ?? []), remote, ...(opts.args ?? [])], {
      timeoutMs: STEP_TIMEOUT_MS,
      env: { ...opts.env, LAB_EXERCISE: opts.exerciseId },
      ...(opts.workdir ? { workdir: opts.workdir } : {}),
    })
  } finally {
    await handle.exec(service, ['rm', '-f', remote]).catch(() => undefined)
  }
  if (r.exitCode !== 0) {
    // The output comes from a learner-reachable machine: stripped before it reaches a terminal or a report.
    const out = stripControl(tail(r.stderr || r.stdout), { multiline: true })
    throw new StepError(`${opts.label} failed in ${service} (exit ${r.exitCode})\n${out}`, r.stdout, r.stderr)
  }
}

async function runSteps(handle: SandboxHandle, exercise: Exercise, which: 'setup' | 'solution' | 'publish', log: Log): Promise<void> {
  for (const step of exercise.steps(which)) await runStep(handle, exercise, step, log)
}

export function applySetup(handle: SandboxHandle, exercise: Exercise, log: Log = () => {}): Promise<void> {
  return runSteps(handle, exercise, 'setup', log)
}

export function applySolution(handle: SandboxHandle, exercise: Exercise, log: Log = () => {}): Promise<void> {
  return runSteps(handle, exercise, 'solution', log)
}

/** Grading's own steps that put submitted files in service (manifest `publish`); throws StepError when one fails. */
export function applyPublish(handle: SandboxHandle, exercise: Exercise, log: Log = () => {}): Promise<void> {
  return runSteps(handle, exercise, 'publish', log)
}

/** What grading needs to know about a sandbox beyond addresses. */
export interface LabTrust {
  /**
   * The roots grading trusts (PEM bundle): the running Pebble's, then every Pebble root this machine's labs have used
   * (sandbox/lab-roots.ts) and the instructor's `--trust-ca` ones. Pebble makes a new root at every start, so a
   * certificate obtained in the learner's sandbox never chains to the grading sandbox's own root.
   */
  readonly ca?: string
  /** The running Pebble's root alone. */
  readonly root?: string
  readonly dnsServer: string
}

const trustCache = new WeakMap<SandboxHandle, Promise<LabTrust>>()

/** GET over HTTP(S) from the host to a lab address; the lab names never go through the host resolver. */
function fetchText(url: string, opts: { ca?: string; servername?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const u = new URL(url)
    const mod = u.protocol === 'https:' ? https : http
    const req = mod.get(
      url,
      { timeout: 10_000, ...(opts.ca ? { ca: opts.ca } : {}), ...(opts.servername ? { servername: opts.servername } : {}) },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (body += c))
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: HTTP ${res.statusCode}`))))
      },
    )
    req.on('timeout', () => req.destroy(new Error(`${url}: timeout`)))
    req.on('error', reject)
  })
}

async function fetchLabTrust(handle: SandboxHandle): Promise<LabTrust> {
  const dnsServer = handle.address('dns')
  // From the host, straight to the acme container (the checks probe from the host too): the lab CA over plain HTTP,
  // then Pebble's root over HTTPS checked against it. Not through the toolbox: learners have a root shell there, and a
  // root fetched here is recorded and trusted by later gradings (sandbox/lab-roots.ts).
  const acme = handle.address('acme')
  const httpsCa = await fetchText(`http://${acme}:14080/https-ca.pem`)
  const root = await fetchText(`https://${acme}:15000/roots/0`, { ca: httpsCa, servername: 'acme.lab.test' })
  if (!root.includes('BEGIN CERTIFICATE')) throw new Error(`Pebble at ${acme} did not return its root certificate`)
  try {
    recordLabRoot(root)
  } catch {
    // An unwritable record costs later gradings this root, not this one.
  }
  return { ca: trustBundle(root), root, dnsServer }
}

export function labTrust(handle: SandboxHandle): Promise<LabTrust> {
  let p = trustCache.get(handle)
  if (!p) {
    p = fetchLabTrust(handle)
    trustCache.set(handle, p)
    p.catch(() => trustCache.delete(handle))
  }
  return p
}

/**
 * What a sandbox's first grading would otherwise pay for (~150 ms of the machine's CPU, most of it in the engine):
 * the lab's roots fetched and the mail service's trusted-tools container made. Grades nothing.
 */
export async function prepareGrading(handle: SandboxHandle): Promise<void> {
  await labTrust(handle)
  // Both labs grade a `mail` service.
  await handle.tool('mail', 'openssl', ['version'], { timeoutMs: 30_000 })
}

const DEFAULT_PORT: Record<string, number> = { mail: 25, dns: 53, toolbox: 443, acme: 14000, partners: 25 }

export function defaultMode(port: number): TransportMode {
  if (port === 465 || port === 443 || port === 993 || port === 995 || port === 14000) return 'tls'
  if (port === 25 || port === 587) return 'starttls'
  return 'plain'
}

export function buildTarget(handle: SandboxHandle, t: ExerciseTarget, trust: LabTrust): Target {
  const port = t.port ?? DEFAULT_PORT[t.service] ?? 25
  const servername = t.servername ?? (t.service === 'mail' ? 'mail.domaine.tld' : undefined)
  return {
    host: handle.address(t.service),
    port,
    mode: t.mode ?? defaultMode(port),
    service: t.service as ServiceName,
    dnsServer: trust.dnsServer,
    domain: t.domain ?? 'domaine.tld',
    ...(servername ? { servername } : {}),
    ...(t.ehloName ? { ehloName: t.ehloName } : {}),
    ...(trust.ca ? { ca: trust.ca } : {}),
  }
}

export interface GradedResult extends CheckResult {
  /** The manifest's key for this check (its ID unless the manifest set one). */
  readonly key: string
  readonly weight: number
  readonly target: Target
}

/** The checks' results and their score under the course's one rule (core/score.ts): `passed` decides everywhere. */
export interface GradeReport extends Score {
  readonly exercise: string
  readonly results: readonly GradedResult[]
  readonly durationMs: number
}

export interface GradeOptions {
  readonly lang?: Lang
  readonly onResult?: (result: GradedResult) => void
  readonly signal?: AbortSignal
}

export interface PlannedCheck {
  readonly key: string
  readonly check: ExerciseCheck<string>
  readonly target: Target
  readonly weight: number
  readonly local?: CheckDefinition<string>
}

export async function planChecks(handle: SandboxHandle, exercise: Exercise): Promise<PlannedCheck[]> {
  const trust = await labTrust(handle)
  const locals = new Map((exercise.manifest.localChecks ?? []).map((d) => [d.id, d]))
  return exercise.manifest.checks.map((c) => {
    const local = locals.get(c.id)
    return {
      key: checkKey(c),
      check: c,
      target: buildTarget(handle, c.target, trust),
      weight: c.weight ?? 1,
      ...(local ? { local } : {}),
    }
  })
}

export async function gradeExercise(handle: SandboxHandle, exercise: Exercise, opts: GradeOptions = {}): Promise<GradeReport> {
  const started = Date.now()
  const planned = await planChecks(handle, exercise)
  const results: GradedResult[] = []
  // One copy of each graded configuration for the whole run (sandbox/toolset.ts).
  await withOneStaging(() => runExerciseChecks(handle, planned, {
    lang: opts.lang ?? 'fr',
    ...(opts.signal ? { signal: opts.signal } : {}),
    onResult: (p, r) => {
      const g: GradedResult = { ...r, key: p.key, weight: p.weight, target: p.target }
      results.push(g)
      opts.onResult?.(g)
    },
  }))
  // Report in manifest order whatever the completion order was.
  const order = new Map(planned.map((p, i) => [p.key, i]))
  results.sort((a, b) => (order.get(a.key) ?? 0) - (order.get(b.key) ?? 0))
  // A planned check without a result is the grader's loss, never a free pass: it counts as inconclusive.
  const byKey = new Map(results.map((r) => [r.key, r]))
  const score = scoreOf(planned.map((p) => ({ key: p.key, status: byKey.get(p.key)?.status ?? 'inconclusive', weight: p.weight })))
  return { exercise: exercise.id, results, ...score, durationMs: Date.now() - started }
}

export interface ProofPhase {
  readonly report: GradeReport
  readonly ms: number
}

export interface ProofResult {
  readonly id: string
  readonly session: string
  /** Start state fails at least one check and solution passes them all. */
  readonly ok: boolean
  readonly problems: readonly string[]
  readonly start?: ProofPhase
  readonly solved?: ProofPhase
  readonly timings: Readonly<Record<'up' | 'setup' | 'gradeStart' | 'solve' | 'gradeSolved' | 'down' | 'total', number>>
  readonly error?: string
}

export interface ProofOptions {
  readonly log?: Log
  readonly onResult?: (phase: 'start' | 'solved', result: GradedResult) => void
  /** Runs after each grading, on the live sandbox (e.g. to compare the checker with openssl s_client). */
  readonly onPhase?: (phase: 'start' | 'solved', handle: SandboxHandle, report: GradeReport) => Promise<void>
  readonly session?: string
  /** A topology other than the lab's own (development of a lab). */
  readonly topologyFile?: string
  /**
   * A sandbox already in the exercise's start state (setup applied): the proof grades it, applies the answer and
   * grades again, and leaves it up for the caller (who reads the files or grades them further).
   */
  readonly sandbox?: SandboxHandle
  /** What brings the start state to the answer; default the manifest's scripted solution (solve.sh). */
  readonly solve?: (handle: SandboxHandle, log: Log) => Promise<void>
}

/** Keys of the checks an exercise is about: they must not pass in the start state. */
export function mustFailAtStart(exercise: Exercise): readonly string[] {
  return exercise.manifest.startFails ?? exercise.manifest.checks.map((c) => checkKey(c))
}

/** Fresh sandbox → setup → checks must not all pass → solution → all must pass; the sandbox always goes down. */
export async function proveExercise(exercise: Exercise, opts: ProofOptions = {}): Promise<ProofResult> {
  const log = opts.log ?? (() => {})
  const { upLab, downSandbox } = await import('../sandbox/engine.ts')
  const session = opts.session ?? `prove-${randomBytes(3).toString('hex')}`
  const t: Record<'up' | 'setup' | 'gradeStart' | 'solve' | 'gradeSolved' | 'down' | 'total', number> = {
    up: 0, setup: 0, gradeStart: 0, solve: 0, gradeSolved: 0, down: 0, total: 0,
  }
  const t0 = Date.now()
  let mark = t0
  const lap = (k: keyof typeof t) => {
    const now = Date.now()
    t[k] = now - mark
    mark = now
  }
  const problems: string[] = []
  let start: ProofPhase | undefined
  let solved: ProofPhase | undefined
  let error: string | undefined
  try {
    let handle: SandboxHandle
    if (opts.sandbox) {
      handle = opts.sandbox
    } else {
      log(`${exercise.id}: starting a fresh ${exercise.manifest.lab} sandbox (session ${session})`)
      handle = await upLab({
        lab: exercise.manifest.lab,
        session,
        fresh: true,
        // A killed proof leaves a dead owner: the next `up` or `grade` removes its sandbox.
        owner: 'job:prove',
        ...(opts.topologyFile ? { topologyFile: opts.topologyFile } : {}),
        onProgress: (m) => log(`  ${m}`),
      })
      lap('up')
      await applySetup(handle, exercise, log)
    }
    lap('setup')
    log(`${exercise.id}: grading the start state`)
    const startReport = await gradeExercise(handle, exercise, { onResult: (r) => opts.onResult?.('start', r) })
    lap('gradeStart')
    start = { report: startReport, ms: t.gradeStart }
    await opts.onPhase?.('start', handle, startReport)
    if (startReport.passed) problems.push('the start state already passes every check')
    for (const key of mustFailAtStart(exercise)) {
      const r = startReport.results.find((x) => x.key === key)
      if (r?.status === 'pass') problems.push(`start state: ${key} passes but the exercise is about it`)
    }
    await (opts.solve ? opts.solve(handle, log) : applySolution(handle, exercise, log))
    lap('solve')
    log(`${exercise.id}: grading the solution`)
    const solvedReport = await gradeExercise(handle, exercise, { onResult: (r) => opts.onResult?.('solved', r) })
    lap('gradeSolved')
    solved = { report: solvedReport, ms: t.gradeSolved }
    await opts.onPhase?.('solved', handle, solvedReport)
    if (!solvedReport.passed) {
      problems.push(`solution: not passed (${solvedReport.state}, ${solvedReport.score}/${solvedReport.maxScore})`)
      for (const r of solvedReport.results) {
        if (r.status !== 'pass' && r.status !== 'skip') problems.push(`solution: ${r.key} is ${r.status}${r.reason ? ` (${r.reason})` : ''}: ${r.summary.en}`)
      }
    }
  } catch (err) {
    error = err instanceof Error ? err.message : String(err)
    problems.push(`error: ${error}`)
  } finally {
    mark = Date.now()
    if (!opts.sandbox) await downSandbox(session).catch((err: unknown) => problems.push(`down failed: ${String(err)}`))
    lap('down')
    t.total = Date.now() - t0
  }
  return {
    id: exercise.id,
    session: opts.sandbox?.session ?? session,
    ok: problems.length === 0,
    problems,
    ...(start ? { start } : {}),
    ...(solved ? { solved } : {}),
    timings: t,
    ...(error ? { error } : {}),
  }
}
