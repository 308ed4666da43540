// The sandbox engine (sandbox/engine.ts) seen through the small port the lab runtime needs.
import type { LabName, SandboxHandle, ServiceName } from '../checker/sandbox-handle.ts'
import { containerName, downSandbox, getSandbox, upLab, type DockerSandbox } from '../sandbox/engine.ts'
import type { ServiceHealth } from '../core/lab-protocol.ts'
import type Docker from 'dockerode'
import { connectDocker } from '../sandbox/docker.ts'
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
      await eachContainer(handle, (c) => c.pause())
    },
    async unpause(handle: SandboxHandle) {
      await eachContainer(handle, (c) => c.unpause())
    },
  }
}

/** Runs `op` on every container of the sandbox; a container already in the wanted state is not an error (409). */
async function eachContainer(handle: SandboxHandle, op: (c: Docker.Container) => Promise<unknown>): Promise<void> {
  const docker = await connectDocker()
  const h = handle as DockerSandbox
  await Promise.all(
    h.services.map((s) =>
      op(docker.getContainer(containerName(h.session, s.name))).catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 409) throw err
      }),
    ),
  )
}
