// The sandbox engine: one isolated Docker network of real lab servers per session, up, inspected and torn down.
import { randomBytes } from 'node:crypto'
import { posix } from 'node:path'
import type Docker from 'dockerode'
import { Header } from 'tar'
import { UserError } from '../core/errors.ts'
import type {
  ExecOptions,
  ExecResult,
  FileStat,
  LabName,
  SandboxHandle,
  ServiceName,
  TrustedTool,
} from '../checker/sandbox-handle.ts'
import {
  LABEL_CREATED,
  LABEL_LAB,
  LABEL_SERVICE,
  LABEL_SESSION,
  LABEL_SUBNET,
  connectDocker,
  execRaw,
  imageExists,
  isNotFound,
  subnetPool,
} from './docker.ts'
import { type OwnerInfo, USER_OWNER, isDisposable, ownerLabels, ownerOf } from './owner.ts'
import { reapSnapshots } from './snapshot.ts'
import { removeToolContainers } from './toolset.ts'
import { type HostEndpoint, isolateNetwork, releaseSession } from './host-firewall.ts'
export { gradingOwner } from './owner.ts'
import { FileFacts } from './file-facts.ts'
import { forgetStaging, runTool } from './toolset.ts'
import { DEFAULT_HEALTHCHECK, type PortSpec, type ServiceSpec, type Topology, loadTopology, substituteEnv } from './topology.ts'

export { LABS } from '../core/labs.ts'

/** CPU quota of each lab container (classroom mode runs 30 sandboxes on one machine). */
export const SERVICE_NANO_CPUS = 1_000_000_000
import { LABS, SESSION_ID_RE } from '../core/labs.ts'
export const DEFAULT_SESSION = 'default'
export const TSIG_NAME = 'lab-update'
/** A session younger than this is never reaped: another process may still be creating it. */
const LABEL_HOSTNAME = 'smtp-tls-lab.hostname'
const LABEL_IPV4_HOST = 'smtp-tls-lab.ipv4-host'
const LABEL_PORTS = 'smtp-tls-lab.ports'
const LABEL_HEALTHCHECK = 'smtp-tls-lab.healthcheck'
const REAP_GRACE_MS = 120_000
/** How long a started (or restarted, or snapshot-made) service may take to answer its health check: BIND signs its zones at start, slow on a loaded machine. */
export const HEALTH_TIMEOUT_MS = 120_000

/**
 * Images whose programs regain root through setuid binaries (Exim re-execs itself as root to deliver after
 * receiving as Debian-exim; Postfix's sendmail relies on setgid postdrop), which no-new-privileges would break.
 */
const SETUID_IMAGES = /\/(postfix|exim)(:|$)/

export interface ServiceInfo {
  readonly name: string
  readonly container: string
  readonly hostname: string
  readonly image: string
  readonly address: string
  readonly ports: readonly PortSpec[]
  /** Docker's view: running, exited, created… */
  readonly state: string
  readonly healthy: boolean
  /** Last output of the health command when it failed. */
  readonly healthDetail?: string
  /** After `up`: milliseconds from the start of `up` until this service answered its health check. */
  readonly healthyAfterMs?: number
}

export interface SessionEnv {
  readonly LAB_SESSION: string
  readonly LAB_SUBNET: string
  readonly LAB_DNS_IP: string
  readonly LAB_TSIG_NAME: string
  readonly LAB_TSIG_SECRET: string
  readonly LAB_LAB: string
  readonly [name: string]: string
}

export interface SessionSummary {
  readonly session: string
  readonly lab: string
  readonly subnet: string | null
  readonly network: string | null
  readonly containers: number
  readonly running: number
  readonly createdAt: string | null
  /** Who made it (`user`, `grade:<batch>`…) and whether that process still lives. */
  readonly owner: OwnerInfo
}

export function validateSession(session: string): string {
  if (!SESSION_ID_RE.test(session))
    throw new UserError(`invalid session id "${session}": use 1 to 31 lowercase letters, digits and dashes`)
  return session
}

export function validateLab(lab: string): LabName {
  if (!(LABS as readonly string[]).includes(lab)) throw new UserError(`unknown lab "${lab}": choose ${LABS.join(' or ')}`)
  return lab as LabName
}

export const containerName = (session: string, service: string): string => `stl-${session}-${service}`
export const networkName = (session: string): string => `stl-${session}`

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

function tarOneFile(name: string, content: Buffer, mode: number, uid: number, gid: number): Buffer {
  const header = Buffer.alloc(512)
  new Header({ path: name, mode, uid, gid, size: content.length, mtime: new Date(), type: 'File' }).encode(header, 0)
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512)
  return Buffer.concat([header, content, pad, Buffer.alloc(1024)])
}

/** A running (or stopped) session, reached through dockerode; implements the checker's SandboxHandle. */
export class DockerSandbox implements SandboxHandle {
  constructor(
    private readonly docker: Docker,
    readonly session: string,
    readonly lab: LabName,
    /** e.g. 10.231.7 */
    readonly subnet: string,
    readonly network: string,
    readonly env: SessionEnv,
    readonly services: readonly ServiceInfo[],
    private readonly healthchecks: ReadonlyMap<string, readonly string[]> = new Map(),
  ) {}

  /** The same session with fresher service facts. */
  withServices(services: readonly ServiceInfo[]): DockerSandbox {
    return new DockerSandbox(this.docker, this.session, this.lab, this.subnet, this.network, this.env, services, this.healthchecks)
  }

  healthCommand(service: string): readonly string[] {
    return this.healthchecks.get(service) ?? DEFAULT_HEALTHCHECK
  }

  /** @internal the engine's own Docker client, for health polling */
  get client(): Docker {
    return this.docker
  }

  /** The host side of the session bridge; containers reach only the `hostEndpoints` of `up` there (host-firewall.ts). */
  get gateway(): string {
    return `${this.subnet}.1`
  }

  service(name: ServiceName): ServiceInfo {
    const s = this.services.find((x) => x.name === name)
    if (!s)
      throw new UserError(
        `the ${this.lab} lab has no service "${name}" (it has ${this.services.map((x) => x.name).join(', ')})`,
      )
    return s
  }

  address(service: ServiceName): string {
    return this.service(service).address
  }

  containerName(service: ServiceName): string {
    return this.service(service).container
  }

  container(service: ServiceName): Docker.Container {
    return this.docker.getContainer(this.service(service).container)
  }

  async execBuffers(service: ServiceName, cmd: readonly string[], opts: ExecOptions & { maxOutputBytes?: number } = {}) {
    // A command may change the configuration a check run's trusted tools staged (toolset.ts withOneStaging).
    forgetStaging()
    return execRaw(this.docker, this.service(service).container, cmd, opts)
  }

  async exec(service: ServiceName, cmd: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const r = await this.execBuffers(service, cmd, opts)
    return { exitCode: r.exitCode, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') }
  }

  /** Facts of a service's files read through the engine (sandbox/file-facts.ts), never by the container's own programs. */
  files(service: ServiceName): FileFacts {
    return new FileFacts(this.docker, this.service(service).container, service)
  }

  async readFile(service: ServiceName, path: string, maxBytes = 1024 * 1024): Promise<Buffer> {
    return this.files(service).readFile(path, maxBytes)
  }

  /**
   * For a symbolic link, isSymlink is true and the other fields describe its target (what a server opening
   * the path sees, e.g. certbot's live/ links); a dangling link reads as a link of size 0 with mode 0.
   */
  async stat(service: ServiceName, path: string): Promise<FileStat | null> {
    return this.files(service).stat(path)
  }

  /** A trusted tool on the service's configuration, in the session's grader tools container (sandbox/toolset.ts). */
  async tool(service: ServiceName, tool: TrustedTool, args: readonly string[], opts?: { timeoutMs?: number; stdin?: string | Buffer }): Promise<ExecResult> {
    return runTool(this.docker, this.session, this.service(service).container, service, tool, args, opts)
  }

  /**
   * Writes through the archive API. An existing file keeps its owner and, unless `mode` is given, its mode,
   * so replacing a key the server reads as Debian-exim does not lock the server out of it.
   */
  async writeFile(service: ServiceName, path: string, content: string | Buffer, mode?: number): Promise<void> {
    if (!path.startsWith('/')) throw new Error(`writeFile: ${path} is not absolute`)
    forgetStaging()
    const before = await this.stat(service, path)
    const dir = posix.dirname(path)
    const data = typeof content === 'string' ? Buffer.from(content) : content
    const archive = tarOneFile(
      posix.basename(path),
      data,
      mode ?? (before?.isFile ? before.mode : 0o644),
      before?.isFile ? before.uid : 0,
      before?.isFile ? before.gid : 0,
    )
    try {
      await this.container(service).putArchive(archive, { path: dir })
    } catch (err) {
      if (isNotFound(err)) throw new Error(`${service}:${dir}: no such directory`)
      throw err
    }
  }

  /** Runs every service's health command once, in parallel. */
  async checkHealth(): Promise<ServiceInfo[]> {
    return Promise.all(this.services.map((s) => probeHealth(this.docker, s, this.healthCommand(s.name))))
  }
}

async function probeHealth(docker: Docker, s: ServiceInfo, cmd: readonly string[]): Promise<ServiceInfo> {
  if (s.state !== 'running') return { ...s, healthy: false, healthDetail: `container is ${s.state}` }
  try {
    const r = await execRaw(docker, s.container, cmd, { timeoutMs: 10_000, maxOutputBytes: 4096 })
    if (r.exitCode === 0) return { ...s, healthy: true, healthDetail: undefined }
    const detail = (r.stderr.toString() + r.stdout.toString()).trim().split('\n').slice(-3).join(' | ')
    return { ...s, healthy: false, healthDetail: `exit ${r.exitCode}${detail ? `: ${detail}` : ''}` }
  } catch (err) {
    return { ...s, healthy: false, healthDetail: (err as Error).message }
  }
}

function describeNetworkSubnet(net: Docker.NetworkInspectInfo): string | null {
  const cfg = net.IPAM?.Config?.[0] as { Subnet?: string } | undefined
  const m = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(cfg?.Subnet ?? '')
  return m ? m[1]! : null
}

async function sessionContainers(docker: Docker, session?: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [session ? `${LABEL_SESSION}=${session}` : LABEL_SESSION] } })
}

async function sessionNetworks(docker: Docker, session?: string): Promise<Docker.NetworkInspectInfo[]> {
  return docker.listNetworks({ filters: { label: [session ? `${LABEL_SESSION}=${session}` : LABEL_SESSION] } })
}

function envFromContainer(env: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const kv of env ?? []) {
    const i = kv.indexOf('=')
    if (i > 0 && kv.startsWith('LAB_')) out[kv.slice(0, i)] = kv.slice(i + 1)
  }
  return out
}

/** Rebuilds a handle from what Docker knows (labels, addresses, env); null when the session does not exist. */
async function loadSandbox(docker: Docker, session: string, opts: { health: boolean }): Promise<DockerSandbox | null> {
  const containers = await sessionContainers(docker, session)
  if (containers.length === 0) return null
  const lab = validateLab(containers[0]!.Labels[LABEL_LAB] ?? '')
  const net = networkName(session)
  let subnet: string | null = null
  try {
    subnet = describeNetworkSubnet(await docker.getNetwork(net).inspect())
  } catch (err) {
    if (!isNotFound(err)) throw err
  }
  if (!subnet) throw new UserError(`session ${session} has containers but no network ${net}: run \`sandbox down --session ${session}\``)
  const dnsContainer = containers.find((c) => c.Labels[LABEL_SERVICE] === 'dns') ?? containers[0]!
  const env = envFromContainer((await docker.getContainer(dnsContainer.Id).inspect()).Config.Env)
  const healthchecks = new Map<string, readonly string[]>()
  // What `up` knew from the topology travels in labels, so a later edit of the YAML cannot mislead status.
  const services: ServiceInfo[] = containers
    .map((c) => {
      const name = c.Labels[LABEL_SERVICE] ?? ''
      healthchecks.set(name, parseJsonLabel<string[]>(c.Labels[LABEL_HEALTHCHECK], [...DEFAULT_HEALTHCHECK]))
      return {
        name,
        container: containerName(session, name),
        hostname: c.Labels[LABEL_HOSTNAME] ?? '',
        image: c.Image,
        address: c.NetworkSettings?.Networks?.[net]?.IPAMConfig?.IPv4Address || `${subnet}.${c.Labels[LABEL_IPV4_HOST] ?? '0'}`,
        ports: parseJsonLabel<PortSpec[]>(c.Labels[LABEL_PORTS], []),
        state: c.State,
        healthy: false,
      }
    })
    .sort((x, y) => hostPart(x.address) - hostPart(y.address))
  const handle = new DockerSandbox(docker, session, lab, subnet, net, env as unknown as SessionEnv, services, healthchecks)
  return opts.health ? handle.withServices(await handle.checkHealth()) : handle
}

const hostPart = (address: string) => Number(address.split('.')[3] ?? 0)

function parseJsonLabel<T>(value: string | undefined, fallback: T): T {
  try {
    return value ? (JSON.parse(value) as T) : fallback
  } catch {
    return fallback
  }
}

export async function getSandbox(session: string, opts: { health?: boolean } = {}): Promise<DockerSandbox | null> {
  const docker = await connectDocker()
  return loadSandbox(docker, validateSession(session), { health: opts.health ?? true })
}

export async function listSessions(): Promise<SessionSummary[]> {
  const docker = await connectDocker()
  const [containers, networks] = await Promise.all([sessionContainers(docker), sessionNetworks(docker)])
  const ids = new Set<string>()
  for (const c of containers) ids.add(c.Labels[LABEL_SESSION]!)
  for (const n of networks) ids.add(n.Labels?.[LABEL_SESSION] ?? '')
  ids.delete('')
  return [...ids].sort().map((session) => {
    const cs = containers.filter((c) => c.Labels[LABEL_SESSION] === session)
    const net = networks.find((n) => n.Labels?.[LABEL_SESSION] === session) ?? null
    return {
      session,
      lab: cs[0]?.Labels[LABEL_LAB] ?? net?.Labels?.[LABEL_LAB] ?? '',
      subnet: net ? describeNetworkSubnet(net) : null,
      network: net?.Name ?? null,
      containers: cs.length,
      running: cs.filter((c) => c.State === 'running').length,
      createdAt: net?.Labels?.[LABEL_CREATED] ?? null,
      owner: ownerOf(net?.Labels ?? cs[0]?.Labels),
    }
  })
}

export interface DownReport {
  readonly session: string
  readonly containers: number
  readonly networks: number
  readonly durationMs: number
}

async function removeSession(docker: Docker, session: string): Promise<DownReport> {
  const t0 = Date.now()
  const containers = await sessionContainers(docker, session)
  await Promise.all(
    containers.map(async (c) => {
      try {
        await docker.getContainer(c.Id).remove({ force: true, v: true })
      } catch (err) {
        // Already gone (another down raced us) is the outcome we want.
        if (!isNotFound(err) && (err as { statusCode?: number }).statusCode !== 409) throw err
      }
    }),
  )
  // The grader tools containers of its services (sandbox/toolset.ts) carry no session label: they go with it.
  await removeToolContainers(docker, session).catch(() => 0)
  const networks = await sessionNetworks(docker, session)
  for (const n of networks) {
    for (let attempt = 0; ; attempt++) {
      try {
        await docker.getNetwork(n.Id).remove()
        break
      } catch (err) {
        if (isNotFound(err)) break
        // Another process removing the same session (a reaper, a second `down`) may still be detaching containers.
        if (attempt < 10 && /active endpoints/i.test((err as Error).message ?? '')) {
          await sleep(300)
          continue
        }
        throw err
      }
    }
  }
  await releaseSession(session)
  return { session, containers: containers.length, networks: networks.length, durationMs: Date.now() - t0 }
}

export async function downSandbox(session: string): Promise<DownReport> {
  const docker = await connectDocker()
  return removeSession(docker, validateSession(session))
}

export async function downAll(): Promise<DownReport[]> {
  const docker = await connectDocker()
  const sessions = await listSessions()
  return Promise.all(sessions.map((s) => removeSession(docker, s.session)))
}

/** Why the reaper would remove a session now, or null when it must stay. */
export function reapReason(s: SessionSummary, graceMs = REAP_GRACE_MS): string | null {
  // A grading's sandboxes (and other one-job sessions) are worthless once the process that made them is gone,
  // running or not: a `kill -9` of `grade --class` leaves them running.
  if (isDisposable(s.owner.owner) && s.owner.state === 'dead') return `owner ${s.owner.owner} is dead (${s.owner.why})`
  // A network without a single container holds no work; the grace spares one another process is creating now.
  if (s.containers === 0 && s.owner.state !== 'alive') {
    const created = s.createdAt ? Date.parse(s.createdAt) : NaN
    if (s.owner.state === 'dead' || !Number.isFinite(created) || Date.now() - created >= graceMs) return 'a network without containers'
  }
  // Anything else, a user's stopped sandbox above all (after a reboot or a Docker restart), keeps its work: its
  // own `up` restarts it.
  return null
}

/**
 * Removes what dead jobs left behind: the sandboxes of a grading whose process died (killed, crashed), and empty
 * networks of an interrupted `up`. A user's session, running or stopped, is never removed here.
 */
export async function reapOrphans(opts: { graceMs?: number; only?: (session: string) => boolean } = {}): Promise<string[]> {
  const docker = await connectDocker()
  const reaped: string[] = []
  for (const s of await listSessions()) {
    if (opts.only && !opts.only(s.session)) continue
    if (!reapReason(s, opts.graceMs)) continue
    try {
      await removeSession(docker, s.session)
      reaped.push(s.session)
    } catch {
      // Someone else's leftovers: a failure here (a removal racing ours) must not fail the caller's own `up`; the
      // next reaper pass tries again.
    }
  }
  for (const tag of await reapSnapshots(opts.only)) reaped.push(`image ${tag}`)
  return reaped
}

async function usedThirdOctets(docker: Docker, pool: string): Promise<Set<number>> {
  const used = new Set<number>()
  const inPool = new RegExp(`^${pool.replace(/\./g, '\\.')}\\.(\\d+)\\.\\d+/(\\d+)$`)
  for (const n of await docker.listNetworks()) {
    for (const cfg of (n.IPAM?.Config ?? []) as Array<{ Subnet?: string }>) {
      const m = inPool.exec(cfg.Subnet ?? '')
      if (m && Number(m[2]) >= 24) used.add(Number(m[1]))
      // A wider network covering the pool leaves nothing free; let Docker refuse with its own message.
    }
  }
  return used
}

/** Creates the session's internal network on the first free /24, retrying when a parallel `up` took it first. */
async function createNetwork(docker: Docker, session: string, lab: string, owner: string): Promise<{ subnet: string; id: string }> {
  // Each engine has its own /16 (docker.ts subnetPool): two engines on one machine must never route the same /24.
  const pool = subnetPool()
  for (let attempt = 0; attempt < 20; attempt++) {
    const used = await usedThirdOctets(docker, pool)
    let octet = -1
    for (let i = 1; i <= 254; i++) if (!used.has(i)) { octet = i; break }
    if (octet < 0) throw new UserError(`no free /24 left in ${pool}.0.0/16: run \`sandbox down --all\``)
    const subnet = `${pool}.${octet}`
    try {
      const net = await docker.createNetwork({
        Name: networkName(session),
        Driver: 'bridge',
        // Internal: no route out of the lab, no NAT; the host still reaches containers through the bridge address.
        Internal: true,
        CheckDuplicate: true,
        Attachable: false,
        IPAM: { Driver: 'default', Config: [{ Subnet: `${subnet}.0/24`, Gateway: `${subnet}.1` }] },
        Labels: {
          [LABEL_SESSION]: session,
          [LABEL_LAB]: lab,
          [LABEL_SUBNET]: subnet,
          [LABEL_CREATED]: new Date().toISOString(),
          ...ownerLabels(owner),
        },
      })
      return { subnet, id: net.id }
    } catch (err) {
      const msg = (err as Error).message ?? ''
      if (/overlap|already exists|in use/i.test(msg) && !/already exists/i.test(msg)) {
        await sleep(50 + Math.random() * 200)
        continue
      }
      if (/already exists/i.test(msg))
        throw new UserError(`a network ${networkName(session)} already exists: run \`sandbox down --session ${session}\``)
      throw err
    }
  }
  throw new UserError('could not find a free subnet after 20 attempts (many sessions starting at once?)')
}

export function containerConfig(
  spec: ServiceSpec,
  session: string,
  lab: string,
  subnet: string,
  net: string,
  env: SessionEnv,
  owner: string = USER_OWNER,
): Docker.ContainerCreateOptions {
  const environment: Record<string, string> = { ...env }
  for (const [k, v] of Object.entries(spec.environment))
    environment[k] = substituteEnv(v, env, `${spec.name}.environment.${k}`)
  const address = `${subnet}.${spec.ipv4Host}`
  return {
    name: containerName(session, spec.name),
    Image: spec.image,
    Hostname: spec.hostname,
    Env: Object.entries(environment).map(([k, v]) => `${k}=${v}`),
    Labels: {
      [LABEL_SESSION]: session,
      [LABEL_SERVICE]: spec.name,
      [LABEL_LAB]: lab,
      [LABEL_HOSTNAME]: spec.hostname,
      [LABEL_IPV4_HOST]: String(spec.ipv4Host),
      [LABEL_PORTS]: JSON.stringify(spec.ports),
      [LABEL_HEALTHCHECK]: JSON.stringify(spec.healthcheck),
      ...ownerLabels(owner),
    },
    HostConfig: {
      NetworkMode: net,
      Memory: spec.memLimitBytes,
      // Equal to Memory: no swap on top of the limit, so the limit is what a sandbox really costs.
      MemorySwap: spec.memLimitBytes,
      PidsLimit: spec.pidsLimit,
      // One core at most per service: a learner's runaway loop cannot starve the class sharing this machine.
      NanoCpus: SERVICE_NANO_CPUS,
      CapDrop: [...spec.capDrop],
      CapAdd: [...spec.capAdd],
      Privileged: false,
      SecurityOpt: SETUID_IMAGES.test(spec.image) ? [] : ['no-new-privileges'],
      Dns: [env.LAB_DNS_IP],
      // "." is Docker's spelling of "no search domain": the host's search list must not leak in.
      DnsSearch: ['.'],
      Tmpfs: Object.keys(spec.tmpfs).length ? { ...spec.tmpfs } : undefined,
      // Anonymous volumes: `remove({ v: true })` takes them with the container.
      Mounts: Object.keys(spec.sizedVolumes).length
        ? Object.entries(spec.sizedVolumes).map(([target, size]) => ({
            Type: 'volume' as const,
            Source: '',
            Target: target,
            VolumeOptions: {
              // The entrypoint lays the directory out itself; the label lets a leaked volume be traced to its session.
              NoCopy: true,
              Labels: { [LABEL_SESSION]: session },
              DriverConfig: { Name: 'local', Options: { type: 'tmpfs', device: 'tmpfs', o: `size=${size}` } },
            },
          }))
        : undefined,
      LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '1' } },
      RestartPolicy: { Name: 'no' },
    },
    NetworkingConfig: {
      EndpointsConfig: { [net]: { IPAMConfig: { IPv4Address: address } } },
    },
  }
}

/** Why a container is not running (its exit code, an OOM kill), or null while it runs. */
async function stoppedReason(docker: Docker, container: string): Promise<string | null> {
  try {
    const st = (await docker.getContainer(container).inspect()).State
    if (st.Running) return null
    return `container stopped: ${st.Status}, exit code ${st.ExitCode}${st.OOMKilled ? ', killed for exceeding its memory limit' : ''}${st.Error ? `, ${st.Error}` : ''}`
  } catch (err) {
    if (isNotFound(err)) return 'container was removed'
    throw err
  }
}

export async function waitHealthy(handle: DockerSandbox, timeoutMs: number, t0: number): Promise<ServiceInfo[]> {
  const deadline = Date.now() + timeoutMs
  const docker = handle.client
  // Each service is polled on its own so one slow server does not delay noticing the others.
  return Promise.all(
    handle.services.map(async (s) => {
      const cmd = handle.healthCommand(s.name)
      let last = s
      for (let delay = 50; ; delay = Math.min(delay * 1.5, 300)) {
        last = await probeHealth(docker, { ...s, state: 'running' }, cmd)
        if (last.healthy) return { ...last, healthyAfterMs: Date.now() - t0 }
        // A stopped container, or a health command missing from the image (126/127): waiting will not help.
        const stopped = await stoppedReason(docker, s.container)
        if (stopped) return { ...last, state: 'exited', healthDetail: stopped }
        if (Date.now() > deadline || /^exit 12[67]/.test(last.healthDetail ?? '')) return last
        await sleep(delay)
      }
    }),
  )
}

export interface UpOptions {
  readonly lab: LabName | string
  readonly session?: string
  /** Remove an existing session of that id first instead of reusing it. */
  readonly fresh?: boolean
  readonly healthTimeoutMs?: number
  /** A topology file other than sandbox/topologies/<lab>.yaml (tests, development). */
  readonly topologyFile?: string
  readonly onProgress?: (message: string) => void
  /**
   * `user` (default): kept until `sandbox down`, restarted by its own `up` after a reboot. `grade:<batch>` or
   * `job:<name>`: removed by anybody's `up` once this process is gone (see sandbox/owner.ts).
   */
  readonly owner?: string
  /**
   * Host ports the containers may open on the gateway (the lab itself needs none: a test serving ACME HTTP-01 from
   * the host does). Every other connection from the lab to the host is refused (sandbox/host-firewall.ts).
   */
  readonly hostEndpoints?: readonly HostEndpoint[]
}

export interface UpHandle extends DockerSandbox {
  readonly timings: { readonly createdMs: number; readonly healthyMs: number; readonly totalMs: number; readonly reused: boolean }
}

/** Starts a session (or reuses a running one of the same lab) and resolves when every service is healthy. */
export async function upLab(opts: UpOptions): Promise<DockerSandbox & { timings: UpHandle['timings'] }> {
  const t0 = Date.now()
  const lab = validateLab(opts.lab)
  const session = validateSession(opts.session ?? DEFAULT_SESSION)
  const say = opts.onProgress ?? (() => {})
  const docker = await connectDocker()
  const topology: Topology = opts.topologyFile ? loadTopology(lab, opts.topologyFile) : loadTopology(lab)

  const missing: string[] = []
  for (const img of new Set(topology.services.map((s) => s.image))) if (!(await imageExists(docker, img))) missing.push(img)
  if (missing.length)
    throw new UserError(`missing image${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: run \`npx smtp-tls-lab images build\``)

  const reaped = await reapOrphans()
  if (reaped.length) say(`removed leftovers of dead sessions: ${reaped.join(', ')}`)

  if (opts.fresh) await removeSession(docker, session)
  const existing = await sessionContainers(docker, session)
  if (existing.length) {
    const existingLab = existing[0]!.Labels[LABEL_LAB]
    if (existingLab !== lab)
      throw new UserError(`session ${session} runs the ${existingLab} lab: run \`sandbox down --session ${session}\` first, or pick another --session`)
    if (existing.length === topology.services.length) {
      say(`session ${session} exists: reusing it`)
      // Host firewall rules do not survive a reboot, the session's network does: put them back (replaced, not doubled).
      for (const n of await sessionNetworks(docker, session))
        await isolateNetwork(n, session, `${n.Labels?.[LABEL_SUBNET] ?? ''}.1`, opts.hostEndpoints, say)
      // A user's stopped sandbox (a reboot, a Docker restart) comes back with its work, dns first as at creation.
      const order = (c: Docker.ContainerInfo) => topology.services.findIndex((s) => s.name === c.Labels[LABEL_SERVICE])
      const stopped = existing.filter((c) => c.State !== 'running').sort((a, b) => order(a) - order(b))
      if (stopped.length) say(`restarting ${stopped.length} stopped container(s) of session ${session}`)
      for (const c of stopped) await docker.getContainer(c.Id).start()
      const handle = await loadSandbox(docker, session, { health: false })
      if (!handle) throw new Error(`session ${session} vanished while being reused`)
      const services = await waitHealthy(handle, opts.healthTimeoutMs ?? HEALTH_TIMEOUT_MS, t0)
      return finish(docker, handle, services, { createdMs: 0, t0, reused: true })
    }
    // A half-made session (an interrupted up) is not worth repairing.
    await removeSession(docker, session)
  }

  say(`creating network for session ${session}`)
  const owner = opts.owner ?? USER_OWNER
  const { subnet, id: netId } = await createNetwork(docker, session, lab, owner)
  const net = networkName(session)
  await isolateNetwork({ Id: netId }, session, `${subnet}.1`, opts.hostEndpoints, say)
  const dns = topology.services.find((s) => s.name === 'dns')!
  const env: SessionEnv = {
    LAB_SESSION: session,
    LAB_SUBNET: subnet,
    LAB_DNS_IP: `${subnet}.${dns.ipv4Host}`,
    LAB_TSIG_NAME: TSIG_NAME,
    LAB_TSIG_SECRET: randomBytes(32).toString('base64'),
    LAB_LAB: lab,
  }
  try {
    say(`creating and starting ${topology.services.length} containers`)
    // Each container starts as soon as it exists and the services it depends on have started (compose's
    // depends_on: start order only). Health is awaited at the end: the servers cope with peers arriving late.
    const started = new Map<string, Promise<void>>()
    for (const s of topology.services) {
      const created = docker.createContainer(containerConfig(s, session, lab, subnet, net, env, owner))
      const deps = s.dependsOn.map((d) => started.get(d)!)
      started.set(
        s.name,
        Promise.all([created, ...deps]).then(async ([c]) => {
          await c.start()
        }),
      )
    }
    const results = await Promise.allSettled(started.values())
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  } catch (err) {
    await removeSession(docker, session).catch(() => {})
    throw err
  }
  const createdMs = Date.now() - t0
  say('waiting for every service to answer')
  const services: ServiceInfo[] = topology.services.map((spec) => ({
    name: spec.name,
    container: containerName(session, spec.name),
    hostname: spec.hostname,
    image: spec.image,
    address: `${subnet}.${spec.ipv4Host}`,
    ports: spec.ports,
    state: 'running',
    healthy: false,
  }))
  const handle = new DockerSandbox(docker, session, lab, subnet, net, env, services, new Map(topology.services.map((s) => [s.name, s.healthcheck])))
  const healthy = await waitHealthy(handle, opts.healthTimeoutMs ?? HEALTH_TIMEOUT_MS, t0)
  return finish(docker, handle, healthy, { createdMs, t0, reused: false })
}

async function finish(
  docker: Docker,
  handle: DockerSandbox,
  services: ServiceInfo[],
  t: { createdMs: number; t0: number; reused: boolean },
): Promise<DockerSandbox & { timings: UpHandle['timings'] }> {
  const sick = services.filter((s) => !s.healthy)
  if (sick.length) {
    const lines = await Promise.all(
      sick.map(async (s) => {
        let logs = ''
        try {
          const buf = (await docker.getContainer(s.container).logs({ stdout: true, stderr: true, tail: 8 })) as unknown as Buffer
          logs = demuxLogText(buf)
        } catch {
          // the container may be gone; the health detail is enough then
        }
        return `  ${s.name} (${s.container}): ${s.healthDetail ?? 'not healthy'}${logs ? `\n    last logs: ${logs.split('\n').join('\n    ')}` : ''}`
      }),
    )
    throw new UserError(
      `session ${handle.session} started but some services never became healthy:\n${lines.join('\n')}\n` +
        `Inspect with \`sandbox status --session ${handle.session}\`, remove with \`sandbox down --session ${handle.session}\`.`,
    )
  }
  const out = handle.withServices(services)
  const totalMs = Date.now() - t.t0
  return Object.assign(out, { timings: { createdMs: t.createdMs, healthyMs: totalMs - t.createdMs, totalMs, reused: t.reused } })
}

/** Logs of a non-TTY container come multiplexed (8-byte frame headers); keep the text. */
function demuxLogText(buf: Buffer): string {
  const parts: Buffer[] = []
  let i = 0
  while (i + 8 <= buf.length && (buf[i] === 1 || buf[i] === 2) && buf[i + 1] === 0) {
    const len = buf.readUInt32BE(i + 4)
    parts.push(buf.subarray(i + 8, i + 8 + len))
    i += 8 + len
  }
  return (parts.length ? Buffer.concat(parts) : buf).toString('utf8').trim()
}
