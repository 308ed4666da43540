// Reads a lab topology (sandbox/topologies/<lab>.yaml, compose-style) into checked, typed service specs.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { UserError } from '../core/errors.ts'

export const SANDBOX_DIR = dirname(fileURLToPath(import.meta.url))
export const TOPOLOGY_DIR = join(SANDBOX_DIR, 'topologies')

export type TlsMode = 'starttls' | 'implicit' | 'none'

export interface PortSpec {
  readonly port: number
  readonly proto: 'tcp' | 'udp'
  readonly tls: TlsMode
  readonly description: string
}

export interface ServiceSpec {
  readonly name: string
  readonly image: string
  readonly hostname: string
  readonly ipv4Host: number
  /** Values still hold their ${VAR} placeholders; see substituteEnv. */
  readonly environment: Readonly<Record<string, string>>
  readonly memLimitBytes: number
  readonly pidsLimit: number
  readonly capDrop: readonly string[]
  readonly capAdd: readonly string[]
  readonly dependsOn: readonly string[]
  /** Mount point → tmpfs options ('' for the defaults). */
  readonly tmpfs: Readonly<Record<string, string>>
  /**
   * Mount point → size ("32m") of a volume on a tmpfs of its own. Unlike a plain tmpfs mount, the engine's archive
   * endpoint sees inside it, so graders' file facts still read what is there. Empty at each start, like a tmpfs.
   */
  readonly sizedVolumes: Readonly<Record<string, string>>
  readonly ports: readonly PortSpec[]
  readonly healthcheck: readonly string[]
}

export interface Topology {
  readonly name: string
  readonly file: string
  /** In start order: every service comes after those it depends on. */
  readonly services: readonly ServiceSpec[]
}

export const DEFAULT_HEALTHCHECK = ['/usr/local/bin/lab-healthy'] as const

class TopologyError extends UserError {
  constructor(file: string, key: string, problem: string) {
    super(`${file}: ${key}: ${problem}`)
  }
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** "48m", "1g", "512k", "1048576" → bytes. */
export function parseMemory(value: string | number): number | null {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : null
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$/i.exec(value.trim())
  if (!m) return null
  const unit = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'b' | 'k' | 'm' | 'g']
  const bytes = Math.round(Number(m[1]) * unit)
  return bytes > 0 ? bytes : null
}

/** Replaces ${VAR} from env; an unknown variable is an error, since a silent empty value breaks a lab subtly. */
export function substituteEnv(value: string, env: Readonly<Record<string, string>>, where = 'value'): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const v = env[name]
    if (v === undefined) throw new UserError(`${where}: unknown variable \${${name}}`)
    return v
  })
}

function stringList(file: string, key: string, v: unknown): string[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x.length > 0))
    throw new TopologyError(file, key, 'must be a list of non-empty strings')
  return v as string[]
}

function parsePorts(file: string, key: string, v: unknown): PortSpec[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw new TopologyError(file, key, 'must be a list of {port, proto, tls, description}')
  return v.map((p, i) => {
    const k = `${key}[${i}]`
    if (!isObj(p)) throw new TopologyError(file, k, 'must be a map {port, proto, tls, description}')
    const port = p.port
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
      throw new TopologyError(file, `${k}.port`, 'must be an integer from 1 to 65535')
    const proto = p.proto ?? 'tcp'
    if (proto !== 'tcp' && proto !== 'udp') throw new TopologyError(file, `${k}.proto`, 'must be tcp or udp')
    const tls = p.tls ?? 'none'
    if (tls !== 'starttls' && tls !== 'implicit' && tls !== 'none')
      throw new TopologyError(file, `${k}.tls`, 'must be starttls, implicit or none')
    const description = p.description ?? ''
    if (typeof description !== 'string') throw new TopologyError(file, `${k}.description`, 'must be a string')
    return { port, proto, tls, description }
  })
}

function parseService(file: string, name: string, v: unknown): ServiceSpec {
  const key = `services.${name}`
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(name))
    throw new TopologyError(file, key, 'service names are lowercase letters, digits and dashes')
  if (!isObj(v)) throw new TopologyError(file, key, 'must be a map')
  const str = (k: string, required = true): string => {
    const x = v[k]
    if (x === undefined && !required) return ''
    if (typeof x !== 'string' || x.length === 0) throw new TopologyError(file, `${key}.${k}`, 'must be a non-empty string')
    return x
  }
  const image = str('image')
  const hostname = str('hostname')
  const ipv4Host = v.ipv4_host
  if (typeof ipv4Host !== 'number' || !Number.isInteger(ipv4Host) || ipv4Host < 2 || ipv4Host > 254)
    throw new TopologyError(file, `${key}.ipv4_host`, 'must be an integer from 2 to 254 (.1 is the host gateway)')
  const environment: Record<string, string> = {}
  if (v.environment !== undefined && v.environment !== null) {
    if (!isObj(v.environment)) throw new TopologyError(file, `${key}.environment`, 'must be a map NAME: value')
    for (const [k, x] of Object.entries(v.environment)) {
      if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean')
        throw new TopologyError(file, `${key}.environment.${k}`, 'must be a string, number or boolean')
      environment[k] = String(x)
    }
  }
  if (v.mem_limit === undefined) throw new TopologyError(file, `${key}.mem_limit`, 'is required (e.g. "48m")')
  const memLimitBytes = parseMemory(v.mem_limit as string | number)
  if (memLimitBytes === null || memLimitBytes < 6 * 1024 * 1024)
    throw new TopologyError(file, `${key}.mem_limit`, 'must be a size of at least 6m, like "48m"')
  const pidsLimit = v.pids_limit
  if (typeof pidsLimit !== 'number' || !Number.isInteger(pidsLimit) || pidsLimit < 1)
    throw new TopologyError(file, `${key}.pids_limit`, 'is required: a positive integer')
  const tmpfs: Record<string, string> = {}
  if (Array.isArray(v.tmpfs)) {
    for (const t of stringList(file, `${key}.tmpfs`, v.tmpfs)) {
      const [path, opts = ''] = t.split(':', 2) as [string, string?]
      tmpfs[path] = opts
    }
  } else if (isObj(v.tmpfs)) {
    for (const [path, opts] of Object.entries(v.tmpfs)) {
      if (typeof opts !== 'string' && opts !== null)
        throw new TopologyError(file, `${key}.tmpfs.${path}`, 'must be a string of mount options')
      tmpfs[path] = opts ?? ''
    }
  } else if (v.tmpfs !== undefined && v.tmpfs !== null) {
    throw new TopologyError(file, `${key}.tmpfs`, 'must be a list of paths or a map path: options')
  }
  for (const path of Object.keys(tmpfs))
    if (!path.startsWith('/')) throw new TopologyError(file, `${key}.tmpfs`, `${path} is not an absolute path`)
  const sizedVolumes: Record<string, string> = {}
  if (isObj(v.sized_volumes)) {
    for (const [path, size] of Object.entries(v.sized_volumes)) {
      if (!path.startsWith('/')) throw new TopologyError(file, `${key}.sized_volumes`, `${path} is not an absolute path`)
      if (typeof size !== 'string' || !/^\d+[kmg]$/.test(size))
        throw new TopologyError(file, `${key}.sized_volumes.${path}`, 'must be a size like "32m"')
      sizedVolumes[path] = size
    }
  } else if (v.sized_volumes !== undefined && v.sized_volumes !== null) {
    throw new TopologyError(file, `${key}.sized_volumes`, 'must be a map path: size')
  }
  const healthcheck = v.healthcheck === undefined ? [...DEFAULT_HEALTHCHECK] : stringList(file, `${key}.healthcheck`, v.healthcheck)
  if (healthcheck.length === 0) throw new TopologyError(file, `${key}.healthcheck`, 'must name a command')
  return {
    name,
    image,
    hostname,
    ipv4Host,
    environment,
    memLimitBytes,
    pidsLimit,
    capDrop: stringList(file, `${key}.cap_drop`, v.cap_drop),
    capAdd: stringList(file, `${key}.cap_add`, v.cap_add),
    dependsOn: stringList(file, `${key}.depends_on`, v.depends_on),
    tmpfs,
    sizedVolumes,
    ports: parsePorts(file, `${key}.ports`, v.ports),
    healthcheck,
  }
}

/** Orders services so that each follows its dependencies; rejects unknown names and cycles. */
function startOrder(file: string, services: ServiceSpec[]): ServiceSpec[] {
  const byName = new Map(services.map((s) => [s.name, s]))
  const done = new Set<string>()
  const visiting = new Set<string>()
  const order: ServiceSpec[] = []
  const visit = (s: ServiceSpec, path: string[]) => {
    if (done.has(s.name)) return
    if (visiting.has(s.name))
      throw new TopologyError(file, `services.${s.name}.depends_on`, `cycle: ${[...path, s.name].join(' → ')}`)
    visiting.add(s.name)
    for (const d of s.dependsOn) {
      const dep = byName.get(d)
      if (!dep) throw new TopologyError(file, `services.${s.name}.depends_on`, `unknown service ${d}`)
      visit(dep, [...path, s.name])
    }
    visiting.delete(s.name)
    done.add(s.name)
    order.push(s)
  }
  for (const s of services) visit(s, [])
  return order
}

export function parseTopology(text: string, file: string): Topology {
  let doc: unknown
  try {
    // yaml loads when a topology is read, not with every command (sync: loadTopology is).
    doc = (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text)
  } catch (err) {
    throw new UserError(`${file}: not valid YAML: ${(err as Error).message}`)
  }
  if (!isObj(doc)) throw new TopologyError(file, '(top level)', 'must be a map with name and services')
  const name = doc.name
  if (typeof name !== 'string' || !/^[a-z][a-z0-9-]*$/.test(name))
    throw new TopologyError(file, 'name', 'must be a lowercase lab name such as postfix')
  if (!isObj(doc.services) || Object.keys(doc.services).length === 0)
    throw new TopologyError(file, 'services', 'must be a non-empty map of service name → definition')
  const services = Object.entries(doc.services).map(([n, v]) => parseService(file, n, v))
  const hosts = new Map<number, string>()
  for (const s of services) {
    const other = hosts.get(s.ipv4Host)
    if (other) throw new TopologyError(file, `services.${s.name}.ipv4_host`, `.${s.ipv4Host} is already taken by ${other}`)
    hosts.set(s.ipv4Host, s.name)
  }
  if (!services.some((s) => s.name === 'dns'))
    throw new TopologyError(file, 'services', 'a lab needs a dns service: every container resolves through it')
  return { name, file, services: startOrder(file, services) }
}

export function topologyFile(lab: string): string {
  return join(TOPOLOGY_DIR, `${lab}.yaml`)
}

export function loadTopology(lab: string, file = topologyFile(lab)): Topology {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`no topology for lab "${lab}": ${file} is missing`)
    throw err
  }
  const t = parseTopology(text, file)
  if (t.name !== lab) throw new TopologyError(file, 'name', `says ${t.name} but the file is for lab ${lab}`)
  return t
}
