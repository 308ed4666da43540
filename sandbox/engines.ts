// Several Docker engines for one class: which engine a new sandbox goes to (the one with the most memory promised to
// nobody), and the lab's images carried from the local engine to the others (no registry: images are built here).
import { readFileSync } from 'node:fs'
import os from 'node:os'
import type Docker from 'dockerode'
import { UserError } from '../core/errors.ts'
import { DEFAULT_POOL, type EngineScope, LABEL_SESSION, connectEngine, imageExists } from './docker.ts'
import { type DockerEndpoint, LOCAL_SOCKET, defaultEndpoint, parseDockerHost } from './docker-host.ts'

export interface Engine extends EngineScope {
  /** The endpoint's URL: how the engine is named in messages and in a class's placement record. */
  readonly name: string
}

/**
 * The engines of `--docker-host` (none given: the default engine alone). The local socket keeps the default pool
 * 10.231; the others take 10.232, 10.233… in the order given, so that engines sharing a machine never route the
 * same subnet (keep the order from one start to the next: sessions keep the subnet they were made with).
 */
export function engineSet(specs: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): Engine[] {
  const endpoints: DockerEndpoint[] = specs.length ? specs.map((s) => parseDockerHost(s, env)) : [defaultEndpoint(env)]
  const seen = new Set<string>()
  for (const e of endpoints) {
    if (seen.has(e.url)) throw new UserError(`--docker-host ${e.url} is given twice`)
    seen.add(e.url)
  }
  if (endpoints.length > 23) throw new UserError(`at most 23 Docker engines (${endpoints.length} given)`)
  let next = 232
  return endpoints.map((endpoint) => {
    const isDefault = specs.length === 0 || endpoint.url === `unix://${LOCAL_SOCKET}`
    return { endpoint, name: endpoint.url, pool: isDefault ? DEFAULT_POOL : `10.${next++}` }
  })
}

/** MemAvailable (what can be used without swapping), not MemFree: the page cache counts as available. */
export function availableMemory(): number {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))
    if (m) return Number(m[1]) * 1024
  } catch {
    // Not Linux: os.freemem() is the best there is.
  }
  return os.freemem()
}

export interface EngineMemory {
  /** The engine's machine (docker info MemTotal). */
  readonly totalBytes: number
  /** Σ memory limits of its lab containers (running or stopped: a stopped sandbox comes back) and of its other running containers. */
  readonly committedBytes: number
  /** For an engine on this machine: MemAvailable now. */
  readonly availableBytes: number | null
  /** totalBytes − committedBytes, and no more than availableBytes. */
  readonly freeBytes: number
  readonly sessions: number
}

/**
 * Memory an engine has promised to nobody. Limits rather than usage: a sandbox grows towards its limit under
 * load (certbot, fail2ban, a learner's loop), so usage measured while a class is quiet would overbook the engine;
 * this is what a Kubernetes scheduler does with requests against allocatable memory. A container without a limit
 * promises nothing and is not counted (the lab's containers all have one). `limits` caches each container's limit
 * by id (it cannot change for a container), so a measurement is two API calls plus one inspect per new container.
 */
export async function measureEngine(docker: Docker, local: boolean, limits: Map<string, number>): Promise<EngineMemory> {
  const [info, containers] = await Promise.all([docker.info() as Promise<{ MemTotal: number }>, docker.listContainers({ all: true })])
  let committed = 0
  const sessions = new Set<string>()
  const alive = new Set<string>()
  await Promise.all(
    containers.map(async (c) => {
      const session = c.Labels?.[LABEL_SESSION]
      if (!session && c.State !== 'running') return
      alive.add(c.Id)
      if (session) sessions.add(session)
      let limit = limits.get(c.Id)
      if (limit === undefined) {
        limit = await docker
          .getContainer(c.Id)
          .inspect()
          .then((i) => i.HostConfig.Memory ?? 0)
          .catch(() => 0)
        limits.set(c.Id, limit)
      }
      committed += limit
    }),
  )
  for (const id of limits.keys()) if (!alive.has(id)) limits.delete(id)
  const availableBytes = local ? availableMemory() : null
  const freeBytes = Math.min(info.MemTotal - committed, availableBytes ?? Infinity)
  return { totalBytes: info.MemTotal, committedBytes: committed, availableBytes, freeBytes, sessions: sessions.size }
}

export interface EngineState {
  readonly engine: Engine
  readonly memory: EngineMemory | null
  /** Why the engine could not be measured (unreachable): it gets no new sandbox meanwhile. */
  readonly error?: string
  /** Memory of sandboxes being started there, not yet in its containers. */
  readonly reservedBytes: number
}

/** Free memory after reservations; an engine that could not be measured has none. */
const freeOf = (s: EngineState): number => (s.memory ? s.memory.freeBytes - s.reservedBytes : -Infinity)

/** The engine for a new sandbox: the most free memory, ties to the one listed first. Null when none answers. */
export function pickEngine(states: readonly EngineState[]): Engine | null {
  let best: EngineState | null = null
  for (const s of states) if (s.memory && (!best || freeOf(s) > freeOf(best))) best = s
  return best?.engine ?? null
}

/**
 * The class's view of its engines' memory: measured on demand (at most every `maxAgeMs`), with reservations for
 * sandboxes placed but not started yet, so that sandboxes started together spread instead of piling on one engine.
 */
export class Placement {
  private readonly states = new Map<string, EngineState>()
  private readonly limits = new Map<string, Map<string, number>>()
  private measuredAt = 0
  private measuring: Promise<void> | null = null

  constructor(
    readonly engines: readonly Engine[],
    private readonly maxAgeMs = 5_000,
  ) {
    for (const e of engines) {
      this.states.set(e.name, { engine: e, memory: null, reservedBytes: 0 })
      this.limits.set(e.name, new Map())
    }
  }

  /** Measures every engine now (in parallel); an engine that does not answer is noted, not thrown. */
  refresh(): Promise<void> {
    this.measuring ??= Promise.all(
      this.engines.map(async (e) => {
        const prev = this.states.get(e.name)!
        try {
          const memory = await measureEngine(await connectEngine(e.endpoint), e.endpoint.local, this.limits.get(e.name)!)
          this.states.set(e.name, { ...this.states.get(e.name)!, memory, error: undefined })
        } catch (err) {
          this.states.set(e.name, { ...prev, memory: null, error: (err as Error).message })
        }
      }),
    ).then(() => {
      this.measuredAt = Date.now()
      this.measuring = null
    })
    return this.measuring
  }

  /** The largest free memory of any engine, from the last measurement (refreshed in the background when old). */
  bestFree(): number {
    if (Date.now() - this.measuredAt > this.maxAgeMs) void this.refresh()
    const frees = [...this.states.values()].map(freeOf)
    return frees.length ? Math.max(...frees) : 0
  }

  /** Chooses an engine for a sandbox costing `bytes` and reserves them there until `done` is called. */
  async place(bytes: number): Promise<{ engine: Engine; done: () => void }> {
    await this.refresh()
    const engine = pickEngine([...this.states.values()])
    if (!engine) {
      const why = [...this.states.values()].map((s) => `${s.engine.name}: ${s.error ?? 'not measured'}`).join('; ')
      throw new UserError(`no Docker engine answers (${why})`)
    }
    this.reserve(engine.name, bytes)
    let released = false
    return {
      engine,
      done: () => {
        if (released) return
        released = true
        this.reserve(engine.name, -bytes)
        void this.refresh()
      },
    }
  }

  snapshot(): EngineState[] {
    return [...this.states.values()]
  }

  private reserve(name: string, bytes: number): void {
    const s = this.states.get(name)!
    this.states.set(name, { ...s, reservedBytes: Math.max(0, s.reservedBytes + bytes) })
  }
}

/**
 * Brings `tags` on `to` to the same image ids as on `from` (returns the tags copied), in one `docker save | docker
 * load` (layers shared between the images travel once), straight from stream to stream. Measured on this machine for the exim lab's four images
 * (765 MB unpacked): 20 s, against minutes for `images build --offline` (debootstrap, then every role).
 */
export async function copyImages(from: Docker, to: Docker, tags: readonly string[], say: (m: string) => void = () => {}): Promise<string[]> {
  const missing: string[] = []
  for (const t of tags) {
    const source = await imageExists(from, t)
    if (!source) throw new UserError(`image ${t} is missing on the source engine too: run \`npx smtp-tls-lab images build\``)
    // save/load keeps the image id (a digest of its content): a different id there is an older build.
    if ((await imageExists(to, t))?.Id !== source.Id) missing.push(t)
  }
  if (!missing.length) return []
  const t0 = Date.now()
  say(`copying ${missing.length} image(s) to the other engine: ${missing.join(', ')}`)
  // dockerode has getImages (GET /images/get?names=…) but its typings do not.
  const tar = (await (from as Docker & { getImages(o: { names: string[] }): Promise<NodeJS.ReadableStream> }).getImages({ names: missing }))
  const progress = (await to.loadImage(tar, { quiet: true })) as NodeJS.ReadableStream
  await new Promise<void>((resolve, reject) => {
    let text = ''
    progress.on('data', (d: Buffer) => (text += d.toString()))
    progress.on('end', () => {
      const err = /"error(?:Detail)?":\s*("(?:[^"\\]|\\.)*")/.exec(text)
      if (err) reject(new Error(`docker load: ${JSON.parse(err[1]!) as string}`))
      else resolve()
    })
    progress.on('error', reject)
    tar.on('error', reject)
  })
  for (const t of missing) if (!(await imageExists(to, t))) throw new Error(`docker load ended without ${t}`)
  say(`images copied in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  return missing
}
