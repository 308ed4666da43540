// Snapshots of a prepared service (docker commit) and fresh containers made from them, for graders that set a start state up once.
import { connectDocker, execRaw, isNotFound } from './docker.ts'
import { type DockerSandbox, type ServiceInfo, HEALTH_TIMEOUT_MS, containerConfig, waitHealthy } from './engine.ts'
import { USER_OWNER, isDisposable, ownerOf } from './owner.ts'
import { loadTopology } from './topology.ts'

/** On a snapshot image: the session it was taken from (what the reaper and `downSnapshots` look for). */
export const LABEL_SNAPSHOT_OF = 'smtp-tls-lab.snapshot-of'
const SNAPSHOT_REPO = 'smtp-tls-lab/snapshot'
/** Where the lab's daemons keep pid files and sockets that a fresh start recreates. */
const STALE_DIRS = '/run /var/spool/postfix/pid /var/spool/postfix/private /var/spool/postfix/public'
/** Deletes those pid files and sockets: what a reboot's empty /run would give a daemon starting again. */
const CLEAR_STALE = `find ${STALE_DIRS} \\( -name '*.pid' -type f -o -type s \\) -delete 2>/dev/null`

export const snapshotTag = (session: string, service: string): string => `${SNAPSHOT_REPO}:${session}-${service}`

/**
 * Commits a service's container as it is now (its files: configuration, certificates, keys), labelled with the
 * session and, through the container's own labels, with its owner, so a dead owner's snapshots are reaped too.
 */
export async function snapshotService(handle: DockerSandbox, service: string): Promise<string> {
  const docker = await connectDocker()
  const tag = snapshotTag(handle.session, service)
  const [repo, version] = tag.split(':') as [string, string]
  await docker.getContainer(handle.containerName(service)).commit({
    repo,
    tag: version,
    // The daemon is stopped for the instant of the copy: a file half-written by a server never lands in the image.
    pause: true,
    changes: `LABEL ${LABEL_SNAPSHOT_OF}=${handle.session}`,
  })
  return tag
}

/**
 * Replaces a service's container by a fresh one made from `image` (a snapshot), with the session's own
 * configuration (address, env, limits, labels), and waits until it answers its health check. Nothing of the
 * previous container survives: not a process, not a file written after the snapshot.
 */
export async function replaceService(handle: DockerSandbox, service: string, image: string, opts: { owner?: string; topologyFile?: string } = {}): Promise<ServiceInfo> {
  const t0 = Date.now()
  const docker = await connectDocker()
  const spec = (opts.topologyFile ? loadTopology(handle.lab, opts.topologyFile) : loadTopology(handle.lab)).services.find((s) => s.name === service)
  if (!spec) throw new Error(`the ${handle.lab} topology has no service ${service}`)
  const name = handle.containerName(service)
  try {
    await docker.getContainer(name).remove({ force: true, v: true })
  } catch (err) {
    if (!isNotFound(err)) throw err
  }
  const cfg = containerConfig({ ...spec, image }, handle.session, handle.lab, handle.subnet, handle.network, handle.env, opts.owner ?? USER_OWNER)
  // The snapshot was taken of running daemons: their pid files and sockets are in it. Start as after a reboot
  // (where /run is emptied): a stale dovecot pid naming a live process of the new container stops it from
  // starting, and a stale SASL socket would make the health check pass before Dovecot is there.
  const img = await docker.getImage(image).inspect()
  const entry = [...(img.Config.Entrypoint ?? []), ...(img.Config.Cmd ?? [])]
  cfg.Entrypoint = ['/bin/sh', '-c', `${CLEAR_STALE}; exec "$@"`, 'lab-reboot', ...entry]
  cfg.Cmd = []
  const c = await docker.createContainer(cfg)
  await c.start()
  const [info] = await waitHealthy(handle.withServices([{ ...handle.service(service), state: 'running', healthy: false }]), HEALTH_TIMEOUT_MS, t0)
  if (!info?.healthy) throw new Error(`${service} made from ${image} never became healthy: ${info?.healthDetail ?? 'unknown'}`)
  return info
}

/** Restarts services in place (their entrypoint runs again: the DNS zones are rendered anew) and waits until healthy. */
export async function restartServices(handle: DockerSandbox, services: readonly string[]): Promise<ServiceInfo[]> {
  const t0 = Date.now()
  const docker = await connectDocker()
  // A restart keeps /run: a stale named.pid naming a live process of the restarted container (pids start again from
  // 1) makes the init script believe named runs, and it never starts (seen: "after a restart, dns: exit 1").
  await Promise.all(services.map((s) => execRaw(docker, handle.containerName(s), ['sh', '-c', `${CLEAR_STALE}; true`], { timeoutMs: 10_000 })))
  await Promise.all(services.map((s) => docker.getContainer(handle.containerName(s)).restart({ t: 1 })))
  const infos = await waitHealthy(handle.withServices(services.map((s) => ({ ...handle.service(s), state: 'running', healthy: false }))), HEALTH_TIMEOUT_MS, t0)
  const sick = infos.filter((i) => !i.healthy)
  if (sick.length) throw new Error(`after a restart, ${sick.map((i) => `${i.name}: ${i.healthDetail ?? 'not healthy'}`).join('; ')}`)
  return infos
}

/** Removes the snapshots taken from sessions the predicate selects (a batch's, at its end or on Ctrl-C). */
export async function removeSnapshots(which: (session: string) => boolean): Promise<string[]> {
  const docker = await connectDocker()
  const removed: string[] = []
  for (const img of await docker.listImages({ filters: { label: [LABEL_SNAPSHOT_OF] } })) {
    if (!which(img.Labels?.[LABEL_SNAPSHOT_OF] ?? '')) continue
    // A snapshot retaken under the same tag leaves the old image untagged (`<none>:<none>`, which the API refuses
    // as a reference): that one goes by its id.
    const tags = (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>')
    for (const tag of tags.length ? tags : [img.Id]) {
      try {
        await docker.getImage(tag).remove({ force: true })
        removed.push(tag)
      } catch (err) {
        if (!isNotFound(err)) throw err
      }
    }
  }
  return removed
}

/** Snapshots whose owner is a dead grading process (its `kill -9` left them): removed by the reaper. */
export async function reapSnapshots(only?: (session: string) => boolean): Promise<string[]> {
  const docker = await connectDocker()
  const dead = new Set<string>()
  for (const img of await docker.listImages({ filters: { label: [LABEL_SNAPSHOT_OF] } })) {
    const session = img.Labels?.[LABEL_SNAPSHOT_OF] ?? ''
    if (only && !only(session)) continue
    const o = ownerOf(img.Labels)
    if (isDisposable(o.owner) && o.state === 'dead') dead.add(session)
  }
  return dead.size ? removeSnapshots((s) => dead.has(s)) : []
}

