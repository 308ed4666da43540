// A fresh classroom machine: before `start`, `class start` and the sandbox tests touch Docker, make sure the engine
// (and debootstrap, which builds the base image where no registry answers) is installed from the distribution's
// packages and the daemon runs. As root it acts, after a yes/no question on a terminal or at once with --yes or
// CI=true; otherwise it prints the exact commands. Every probe is injectable, so a test points it at a machine
// state without dockerd (a socket nobody listens on, a package that does not exist) without touching the real one.
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs'
import { request } from 'node:http'
import path from 'node:path'
import { createInterface } from 'node:readline/promises'
import { UserError } from '../core/errors.ts'
import { LOCAL_SOCKET } from './docker-host.ts'
import { type CommandResult, pidAlive, runCommand, shellLine } from '../core/process.ts'

export interface HostProbes {
  /** The engine's unix socket. */
  readonly socketPath: string
  /** Any one of them installed means the engine is there (Debian's docker.io, Docker's own docker-ce). */
  readonly dockerPackages: readonly string[]
  /** What to install when none is. */
  readonly dockerInstall: string
  readonly debootstrapPackage: string
  /** The daemon, started in the background where systemd does not run (containers, CI machines). */
  readonly dockerd: readonly string[]
  /** Where the background daemon writes its log. */
  readonly dockerdLog: string
  /** The pid file the background daemon writes (a daemon still stopping keeps it until it exits). */
  readonly dockerdPidFile: string
  /** Exists when systemd is the init (sd_booted()'s own test). */
  readonly systemdDir: string
  readonly isRoot: () => boolean
  readonly run: (argv: readonly string[]) => Promise<CommandResult>
  /** Runs a long command whose output the user should see (apt-get), on stderr so that --json keeps stdout. */
  readonly runVisible: (argv: readonly string[]) => Promise<number | null>
  /** How long a started daemon may take to answer. */
  readonly startTimeoutMs: number
}

/** The engine's socket: DOCKER_HOST when it names a unix socket, else Docker's default; null for a remote engine. */
export function localSocket(env: NodeJS.ProcessEnv = process.env): string | null {
  const h = env.DOCKER_HOST
  if (!h) return LOCAL_SOCKET
  return h.startsWith('unix://') ? h.slice('unix://'.length) : null
}

export const DEFAULT_PROBES: HostProbes = {
  socketPath: LOCAL_SOCKET,
  dockerPackages: ['docker.io', 'docker-ce'],
  dockerInstall: 'docker.io',
  debootstrapPackage: 'debootstrap',
  dockerd: ['dockerd'],
  dockerdLog: '/var/log/smtp-tls-lab-dockerd.log',
  dockerdPidFile: '/var/run/docker.pid',
  systemdDir: '/run/systemd/system',
  isRoot: () => process.getuid?.() === 0,
  run: runCommand,
  runVisible: (argv) =>
    new Promise((resolve) => {
      const p = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', process.stderr, process.stderr], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
      p.on('error', () => resolve(null))
      p.on('close', resolve)
    }),
  startTimeoutMs: 60_000,
}

export type DaemonState = 'up' | 'down' | 'denied'

export interface HostState {
  /** The installed engine package, or the program found on PATH, or null. */
  readonly docker: string | null
  readonly daemon: DaemonState
  readonly daemonDetail: string
  readonly debootstrap: boolean
  readonly systemd: boolean
}

/** GET /_ping on the socket: `up` on OK, `denied` when the socket is not ours to use, `down` otherwise. */
export function pingDaemon(socketPath: string, timeoutMs = 3_000): Promise<{ state: DaemonState; detail: string }> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume()
      resolve(res.statusCode === 200 ? { state: 'up', detail: 'answers' } : { state: 'down', detail: `answers HTTP ${res.statusCode}` })
    })
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer'), { code: 'ETIMEDOUT' })))
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EACCES') resolve({ state: 'denied', detail: `permission denied on ${socketPath}` })
      else if (err.code === 'ENOENT') resolve({ state: 'down', detail: `no socket at ${socketPath}` })
      else if (err.code === 'ECONNREFUSED') resolve({ state: 'down', detail: `nobody listens on ${socketPath}` })
      else resolve({ state: 'down', detail: `${socketPath}: ${err.code ?? err.message}` })
    })
    req.end()
  })
}

/** The dpkg status of a package; on a machine without dpkg, whether a program of that name is on PATH. */
async function installed(p: HostProbes, pkg: string, program: string): Promise<boolean> {
  const r = await p.run(['dpkg-query', '-W', '--showformat=${Status}', pkg])
  if (r.code === 0 && /install ok installed/.test(r.stdout)) return true
  return onPath(program)
}

/** Whether a program is on PATH, sbin directories included (a non-root PATH often lacks them). */
export function onPath(program: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const dirs = [...(env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin']
  return dirs.some((d) => {
    try {
      return d !== '' && statSync(path.join(d, program)).isFile()
    } catch {
      return false
    }
  })
}

export async function probeHost(p: HostProbes = DEFAULT_PROBES): Promise<HostState> {
  const [ping, debootstrap, ...docker] = await Promise.all([
    pingDaemon(p.socketPath),
    installed(p, p.debootstrapPackage, p.debootstrapPackage),
    ...p.dockerPackages.map((pkg) => installed(p, pkg, pkg)),
  ])
  const pkg = p.dockerPackages.find((_, i) => docker[i]) ?? (onPath(p.dockerd[0]!) ? p.dockerd[0]! : null)
  return { docker: pkg, daemon: ping.state, daemonDetail: ping.detail, debootstrap, systemd: existsSync(p.systemdDir) }
}

export interface SetupStep {
  readonly why: string
  readonly argv: readonly string[]
  /** Started detached (the daemon where systemd does not run), not awaited. */
  readonly background?: true
  /** The same as a user types it (a background daemon needs a shell for its redirection). */
  readonly line: string
}

/** What to run to bring the machine from `s` to a running engine (and debootstrap when `needDebootstrap`). */
export function planSetup(s: HostState, p: HostProbes, needDebootstrap: boolean): SetupStep[] {
  const steps: SetupStep[] = []
  // An engine that answers is enough, however it came (rootless, a static build, another distribution's package).
  const packages = [...(s.docker || s.daemon === 'up' ? [] : [p.dockerInstall]), ...(needDebootstrap && !s.debootstrap ? [p.debootstrapPackage] : [])]
  if (packages.length) {
    const update = ['apt-get', 'update']
    const install = ['apt-get', 'install', '-y', '--no-install-recommends', ...packages]
    steps.push({ why: 'package lists', argv: update, line: shellLine(update) })
    steps.push({ why: `missing package${packages.length > 1 ? 's' : ''} ${packages.join(', ')}`, argv: install, line: shellLine(install) })
  }
  if (s.daemon === 'down') {
    if (s.systemd) {
      const argv = ['systemctl', 'start', 'docker']
      steps.push({ why: `Docker engine not running (${s.daemonDetail})`, argv, line: shellLine(argv) })
    } else {
      steps.push({
        why: `Docker engine not running (${s.daemonDetail}), no systemd here`,
        argv: p.dockerd,
        background: true,
        line: `nohup ${shellLine(p.dockerd)} >>${p.dockerdLog} 2>&1 &`,
      })
    }
  }
  return steps
}

export interface EnsureOptions {
  /** --yes: act without asking (CI=true means the same). */
  readonly yes?: boolean
  readonly say?: (line: string) => void
  /** Asked only once the daemon answers: whether some image still has to be built (debootstrap makes the base). */
  readonly needsImages?: () => Promise<boolean>
  /** The yes/no question; by default on the terminal, when stdin and stderr are one. */
  readonly ask?: ((question: string) => Promise<boolean>) | null
  readonly probes?: Partial<HostProbes>
  readonly env?: NodeJS.ProcessEnv
}

export interface EnsureReport {
  readonly before: HostState
  readonly after: HostState
  /** The commands run, in order (empty when the machine was ready). */
  readonly ran: readonly string[]
  /** The background daemon this call started (no systemd), if any. */
  readonly startedPid?: number
}

async function askOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    return /^(y|yes|o|oui)$/i.test((await rl.question(`${question} [y/N] `)).trim())
  } finally {
    rl.close()
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Starts dockerd in the background, detached from us (it outlives `npm start`), its output in a log file. */
function startBackground(p: HostProbes): { child: ChildProcess; ended: () => string | null } {
  const fd = openSync(p.dockerdLog, 'a')
  let ended: string | null = null
  try {
    const child = spawn(p.dockerd[0]!, p.dockerd.slice(1), { detached: true, stdio: ['ignore', fd, fd] })
    child.on('error', (err) => (ended = err.message))
    child.on('exit', (code, signal) => (ended = `exited (${signal ?? code})`))
    child.unref()
    return { child, ended: () => ended }
  } finally {
    closeSync(fd)
  }
}

/**
 * A daemon that was just stopped closes its socket before it exits and removes its pid file last; a new one started
 * meanwhile dies at once ("pid file found, ensure docker is not running"). Wait for the old one to go.
 */
async function waitForStoppingDaemon(p: HostProbes, say: (line: string) => void, timeoutMs = 30_000): Promise<void> {
  let pid: number
  try {
    pid = Number.parseInt(readFileSync(p.dockerdPidFile, 'utf8').trim(), 10)
  } catch {
    return
  }
  if (!Number.isInteger(pid) || pid <= 1 || !pidAlive(pid)) return
  say(`setup: waiting for the dockerd still stopping (pid ${pid}) to exit`)
  const deadline = Date.now() + timeoutMs
  while (pidAlive(pid) && Date.now() < deadline) await sleep(250)
}

function logTail(file: string, lines = 12): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}

/**
 * Makes the Docker engine usable here, or throws a UserError naming the exact commands. Nothing happens when the
 * daemon answers and nothing has to be built; a remote engine (DOCKER_HOST tcp:// or ssh://) is left alone.
 */
export async function ensureHost(opts: EnsureOptions = {}): Promise<EnsureReport> {
  const env = opts.env ?? process.env
  if (!opts.probes?.socketPath && localSocket(env) === null) {
    const s: HostState = { docker: null, daemon: 'up', daemonDetail: `remote engine ${env.DOCKER_HOST}`, debootstrap: true, systemd: false }
    return { before: s, after: s, ran: [] }
  }
  const socket = localSocket(env)
  // A daemon started for a DOCKER_HOST socket of its own must listen there, not on Docker's default.
  const custom = socket && socket !== LOCAL_SOCKET ? { socketPath: socket, dockerd: [...DEFAULT_PROBES.dockerd, '-H', `unix://${socket}`] } : {}
  const p: HostProbes = { ...DEFAULT_PROBES, ...custom, ...opts.probes }
  const say = opts.say ?? ((l: string) => void process.stderr.write(`${l}\n`))
  const before = await probeHost(p)
  if (before.daemon === 'denied')
    throw new UserError(
      `${before.daemonDetail}: run as root, or add your user to the docker group and log in again:\n  sudo usermod -aG docker ${env.USER ?? '$USER'}`,
      3,
    )
  // Before the daemon answers nobody can tell whether images are missing: on such a machine they usually are.
  const needDebootstrap = !before.debootstrap && (before.daemon !== 'up' || ((await opts.needsImages?.()) ?? false))
  const steps = planSetup(before, p, needDebootstrap)
  if (steps.length === 0) return { before, after: before, ran: [] }

  await consent(steps, p, opts, env)
  return runSteps(steps, p, before, say)
}

/** Returns when the steps may run (root, and --yes, CI=true or a "yes" on the terminal); throws with them otherwise. */
async function consent(steps: readonly SetupStep[], p: HostProbes, opts: EnsureOptions, env: NodeJS.ProcessEnv): Promise<void> {
  // Under sudo the redirection to the log is the user's shell's: the daemon's line runs in a root shell instead.
  const asRoot = (s: SetupStep) => (p.isRoot() ? s.line : s.background ? `sudo ${shellLine(['sh', '-c', s.line])}` : `sudo ${s.line}`)
  const list = steps.map((s) => `  ${asRoot(s)}    # ${s.why}`).join('\n')
  if (!p.isRoot())
    throw new UserError(`This machine is not ready for the lab's sandboxes. Run as root:\n${list}\nthen start again.`, 3)
  if (opts.yes === true || env.CI === 'true') return
  const ask = opts.ask === undefined ? (process.stdin.isTTY && process.stderr.isTTY ? askOnTerminal : null) : opts.ask
  if (!ask) throw new UserError(`This machine is not ready for the lab's sandboxes. Run:\n${list}\nor start again with --yes (CI=true does the same).`, 3)
  if (!(await ask(`This machine is not ready for the lab's sandboxes:\n${list}\nRun these commands now?`)))
    throw new UserError(`Nothing done. To do it yourself:\n${list}`, 3)
}

async function runSteps(steps: readonly SetupStep[], p: HostProbes, before: HostState, say: (line: string) => void): Promise<EnsureReport> {
  const ran: string[] = []
  let daemon: ReturnType<typeof startBackground> | null = null
  for (const step of steps) {
    say(`setup: ${step.line}    # ${step.why}`)
    ran.push(step.line)
    if (step.background) {
      await waitForStoppingDaemon(p, say)
      daemon = startBackground(p)
      continue
    }
    const code = await p.runVisible(step.argv)
    // A failed `apt-get update` (no network, one dead mirror) may still leave lists good enough to install from.
    if (code !== 0 && step.argv[1] !== 'update') throw new UserError(`setup: \`${step.line}\` failed (exit ${code ?? 'not started'})`, 3)
  }
  // apt's postinst starts the engine under systemd; where it does not, the step above did: wait for an answer.
  const deadline = Date.now() + p.startTimeoutMs
  let ping = await pingDaemon(p.socketPath)
  while (ping.state !== 'up' && Date.now() < deadline && !daemon?.ended()) {
    await sleep(250)
    ping = await pingDaemon(p.socketPath)
  }
  const after = await probeHost(p)
  if (after.daemon !== 'up')
    throw new UserError(
      `setup: the Docker engine does not answer (${after.daemonDetail})` +
        (daemon?.ended() ? `: ${p.dockerd[0]} ${daemon.ended()}.` : ` after ${p.startTimeoutMs / 1000} s.`) +
        (after.systemd ? ' See: journalctl -u docker' : `\nLast lines of ${p.dockerdLog}:\n${logTail(p.dockerdLog)}`),
      3,
    )
  say(`setup: Docker engine answers on ${p.socketPath}`)
  return { before, after, ran, ...(daemon?.child.pid ? { startedPid: daemon.child.pid } : {}) }
}

/** Whether an image build would need debootstrap: some role image is missing and so is the base they start from. */
export async function imagesNeedBootstrap(): Promise<boolean> {
  const [{ connectDocker, imageExists, BASE_IMAGE }, { missingImages }] = await Promise.all([import('./docker.ts'), import('./images.ts')])
  const docker = await connectDocker()
  return (await missingImages(docker)).length > 0 && !(await imageExists(docker, BASE_IMAGE))
}
