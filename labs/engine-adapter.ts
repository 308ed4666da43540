// The sandbox engine (sandbox/engine.ts) seen through the small port the lab runtime needs.
import type { LabName, SandboxHandle, ServiceName } from '../checker/sandbox-handle.ts'
import { containerName, downSandbox, getSandbox, upLab, type DockerSandbox } from '../sandbox/engine.ts'
import type { ServiceHealth } from '../core/lab-protocol.ts'
import type Docker from 'dockerode'
import type { SandboxEngine } from './lab-controller.ts'

/** Health probes exec into every container: the page polls often, so answers are reused for a few seconds. */
const HEALTH_CACHE_MS = 5_000

export function dockerEngine(opts: { onProgress?: (message: string) => void } = {}): SandboxEngine {
  const cache = new WeakMap<SandboxHandle, { at: number; services: ServiceHealth[] }>()
  const shape = (h: DockerSandbox): ServiceHealth[] =>
    h.services.map((s) => ({ name: s.name as ServiceName, address: s.address, healthy: s.healthy }))
  const remember = (h: DockerSandbox): DockerSandbox => {
    cache.set(h, { at: Date.now(), services: shape(h) })
    return h
  }
  return {
    async up(lab: LabName, session: string) {
      return remember(await upLab({ lab, session, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) }))
    },
    async find(session: string) {
      const h = await getSandbox(session, { health: true })
      return h ? remember(h) : null
    },
    async down(session: string) {
      await downSandbox(session)
    },
    async services(handle: SandboxHandle) {
      const hit = cache.get(handle)
      if (hit && Date.now() - hit.at < HEALTH_CACHE_MS) return hit.services
      const h = handle as DockerSandbox
      const services = (await h.checkHealth()).map((s) => ({ name: s.name as ServiceName, address: s.address, healthy: s.healthy }))
      cache.set(handle, { at: Date.now(), services })
      return services
    },
    containerName,
    async pause(handle: SandboxHandle) {
      await eachContainer(handle, (c) => c.stop({ t: 5 }), 304)
    },
    async unpause(handle: SandboxHandle) {
      await eachContainer(handle, (c) => c.start(), 304)
      // The entrypoints start the daemons again (stale pid files cleared): wait until every service answers.
      const h = handle as DockerSandbox
      for (const until = Date.now() + 90_000; ; await new Promise((r) => setTimeout(r, 1_000))) {
        const services = await h.checkHealth()
        if (services.every((x) => x.healthy)) {
          cache.set(handle, { at: Date.now(), services: services.map((x) => ({ name: x.name as ServiceName, address: x.address, healthy: x.healthy })) })
          return
        }
        if (Date.now() > until) throw new Error(`services not healthy after resuming: ${services.filter((x) => !x.healthy).map((x) => x.name).join(', ')}`)
      }
    },
  }
}

/**
 * Services an idle sandbox keeps running: the lab's DNS and ACME CA hold state the learner's work depends on (Pebble
 * makes a new root at each start, which would orphan certificates already issued); both are small.
 */
const KEPT_WHILE_IDLE = new Set(['dns', 'acme'])

/** Runs `op` on the containers an idle sandbox stops; `already` is the status of "already in that state". */
async function eachContainer(handle: SandboxHandle, op: (c: Docker.Container) => Promise<unknown>, already: number): Promise<void> {
  const h = handle as DockerSandbox
  // The handle's own client: in a class spread over several engines, the one its sandbox lives on.
  const docker = h.client
  await Promise.all(
    h.services
      .filter((s) => !KEPT_WHILE_IDLE.has(s.name))
      .map((s) =>
        op(docker.getContainer(containerName(h.session, s.name))).catch((err: { statusCode?: number }) => {
          if (err.statusCode !== already) throw err
        }),
      ),
  )
}
