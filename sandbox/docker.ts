// Thin layer over dockerode: one shared client, errors a user can act on when Docker is unavailable,
// and exec with demultiplexed output, stdin and a time bound.
import type Docker from 'dockerode'
import { AsyncLocalStorage } from 'node:async_hooks'
import { Writable } from 'node:stream'
import { UserError } from '../core/errors.ts'
import { LOCAL_SOCKET, type DockerEndpoint } from './docker-host.ts'

export const LABEL_SESSION = 'smtp-tls-lab.session'
export const LABEL_SERVICE = 'smtp-tls-lab.service'
export const LABEL_LAB = 'smtp-tls-lab.lab'
export const LABEL_SUBNET = 'smtp-tls-lab.subnet'
export const LABEL_CREATED = 'smtp-tls-lab.created'
export const LABEL_CONTEXT_HASH = 'smtp-tls-lab.context-hash'
export const LABEL_ROLE = 'smtp-tls-lab.role'
/** Who made a session: `user` (kept until `sandbox down`) or `grade:<batch>` / `job:<name>` (removed once its process is gone). */
export const LABEL_OWNER = 'smtp-tls-lab.owner'
/** The owning process, told apart from a later process with the same pid by its start time and the host's boot id. */
export const LABEL_OWNER_PID = 'smtp-tls-lab.owner-pid'
export const LABEL_OWNER_START = 'smtp-tls-lab.owner-start'
export const LABEL_OWNER_BOOT = 'smtp-tls-lab.owner-boot'
export const LABEL_OWNER_HOST = 'smtp-tls-lab.owner-host'

export const BASE_IMAGE = 'smtp-tls-lab/base:bookworm'
export const roleImage = (role: string): string => `smtp-tls-lab/${role}:latest`

let client: Docker | null = null
let reachable: Promise<Docker> | null = null

function dockerErrorHelp(err: unknown, endpoint?: DockerEndpoint): string {
  const e = err as NodeJS.ErrnoException
  // An engine named by --docker-host is not "Docker missing here": say which one does not answer.
  if (endpoint && endpoint.url !== `unix://${LOCAL_SOCKET}`)
    return `The Docker engine at ${endpoint.url} does not answer (${e?.message ?? String(err)}): check that it runs and that this machine reaches it (\`docker -H ${endpoint.url} info\`).`
  const where = endpoint?.options.socketPath ?? process.env.DOCKER_HOST ?? LOCAL_SOCKET
  const fix =
    'Install the Docker engine and start it, e.g. on Debian: `apt-get install -y docker.io` then ' +
    '`systemctl start docker` (or run `dockerd &` where there is no systemd).'
  if (e?.code === 'ENOENT') return `Docker is not installed or not running: no Docker socket at ${where}. ${fix}`
  if (e?.code === 'ECONNREFUSED') return `Docker is not running: ${where} refuses connections. ${fix}`
  if (e?.code === 'EACCES')
    return `Permission denied on ${where}: run as root or add your user to the \`docker\` group (then log in again).`
  return `Docker is not reachable at ${where} (${e?.message ?? String(err)}). ${fix}`
}

/**
 * Which engine the sandbox calls made inside `onEngine` reach, and the /16 their session networks come from.
 * An async scope rather than a client passed down: the engine's entry points (up, find, down, the reaper,
 * snapshots) then reach the chosen engine without threading a client through each of them.
 */
export interface EngineScope {
  readonly endpoint: DockerEndpoint
  /** First two octets of the session subnets made there: engines on one machine must not share routes. */
  readonly pool: string
}

/** Session networks of the default engine come from 10.231.0.0/16. */
export const DEFAULT_POOL = '10.231'
const engineScope = new AsyncLocalStorage<EngineScope>()
const engines = new Map<string, Promise<Docker>>()

export function onEngine<T>(engine: EngineScope, fn: () => Promise<T>): Promise<T> {
  return engineScope.run(engine, fn)
}

/** The subnet pool of the engine in scope (the default engine's outside any scope). */
export function subnetPool(): string {
  return engineScope.getStore()?.pool ?? DEFAULT_POOL
}

/** A client of one endpoint, after one successful ping (one client per endpoint for the process). */
export function connectEngine(endpoint: DockerEndpoint): Promise<Docker> {
  const known = engines.get(endpoint.url)
  if (known) return known
  const p = import('dockerode').then(async ({ default: Dockerode }) => {
    const c = new Dockerode(endpoint.options)
    try {
      await c.ping()
    } catch (err) {
      engines.delete(endpoint.url)
      throw new UserError(dockerErrorHelp(err, endpoint), 3)
    }
    return c
  })
  engines.set(endpoint.url, p)
  return p
}

/** The shared client, after one successful ping; a UserError explains how to get Docker running otherwise. */
export function connectDocker(): Promise<Docker> {
  const scoped = engineScope.getStore()
  if (scoped) return connectEngine(scoped.endpoint)
  if (reachable) return reachable
  // dockerode (with its ssh and grpc dependencies, ~0.1 s to load) comes with the first client, not with every command.
  reachable = import('dockerode').then(async ({ default: Dockerode }) => {
    const c = (client ??= new Dockerode())
    try {
      await c.ping()
    } catch (err) {
      reachable = null
      throw new UserError(dockerErrorHelp(err), 3)
    }
    return c
  })
  return reachable
}

export function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number })?.statusCode === 404
}

export async function imageExists(docker: Docker, tag: string): Promise<Docker.ImageInspectInfo | null> {
  try {
    return await docker.getImage(tag).inspect()
  } catch (err) {
    if (isNotFound(err)) return null
    throw err
  }
}

export interface RawExecOptions {
  readonly timeoutMs?: number
  readonly stdin?: string | Buffer
  readonly user?: string
  readonly env?: Readonly<Record<string, string>>
  readonly workdir?: string
  /** Output beyond this many bytes per stream is dropped (the command still runs to its end). */
  readonly maxOutputBytes?: number
}

export interface RawExecResult {
  readonly exitCode: number
  readonly stdout: Buffer
  readonly stderr: Buffer
  readonly timedOut: boolean
}

class Collector extends Writable {
  readonly chunks: Buffer[] = []
  size = 0
  truncated = false
  constructor(private readonly max: number) {
    super()
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    const room = this.max - this.size
    if (room > 0) {
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room)
      this.chunks.push(part)
      this.size += part.length
    }
    if (chunk.length > room) this.truncated = true
    cb()
  }
  get buffer(): Buffer {
    return Buffer.concat(this.chunks)
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/**
 * Runs a command in a running container. The Docker API has no way to kill an exec'd process, so the command
 * runs under coreutils `timeout` inside the container; a host-side timer is the backstop if even that hangs.
 * A timed-out command yields exit code 124, as `timeout` does.
 */
export async function execRaw(
  docker: Docker,
  container: string,
  cmd: readonly string[],
  opts: RawExecOptions = {},
): Promise<RawExecResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000
  const seconds = Math.max(0.1, timeoutMs / 1000).toFixed(1)
  const hasStdin = opts.stdin !== undefined
  const started = Date.now()
  const exec = await docker.getContainer(container).exec({
    Cmd: ['timeout', '-k', '2', seconds, ...cmd],
    AttachStdout: true,
    AttachStderr: true,
    AttachStdin: hasStdin,
    Tty: false,
    User: opts.user,
    WorkingDir: opts.workdir,
    Env: opts.env ? Object.entries(opts.env).map(([k, v]) => `${k}=${v}`) : undefined,
  })
  const stream = (await exec.start({ hijack: true, stdin: hasStdin })) as NodeJS.ReadWriteStream & {
    destroy?: () => void
  }
  const max = opts.maxOutputBytes ?? 16 * 1024 * 1024
  const out = new Collector(max)
  const err = new Collector(max)
  docker.modem.demuxStream(stream, out, err)
  let timedOut = false
  const ended = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve)
    stream.on('close', resolve)
    stream.on('error', reject)
  })
  if (hasStdin) {
    stream.write(typeof opts.stdin === 'string' ? Buffer.from(opts.stdin) : (opts.stdin as Buffer))
    // Half-closing the hijacked connection is how the daemon learns that stdin reached its end.
    stream.end()
  }
  const backstop = setTimeout(() => {
    timedOut = true
    stream.destroy?.()
  }, timeoutMs + 5_000)
  try {
    await ended
  } finally {
    clearTimeout(backstop)
  }
  if (timedOut) return { exitCode: 124, stdout: out.buffer, stderr: err.buffer, timedOut }
  // The stream can close a moment before the daemon records the exit code.
  for (let i = 0; i < 100; i++) {
    const info = await exec.inspect()
    if (!info.Running && info.ExitCode !== null && info.ExitCode !== undefined) {
      const code = info.ExitCode
      // 137 is also what an OOM kill gives: only the clock tells a timeout's SIGKILL apart.
      const killed = code === 124 || (code === 137 && Date.now() - started >= timeoutMs)
      return { exitCode: killed ? 124 : code, stdout: out.buffer, stderr: err.buffer, timedOut: killed }
    }
    await sleep(i < 10 ? 5 : 50)
  }
  throw new Error(`exec in ${container}: the daemon never reported an exit code for ${cmd.join(' ')}`)
}
