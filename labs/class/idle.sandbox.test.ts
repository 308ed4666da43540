// An idle learner's sandbox on a real engine: stopped after the idle time (its DNS and ACME CA kept running), started
// again by the learner's next visit with their files and configuration, every service answering.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_SESSION_PREFIX, testRunId } from '../../sandbox/test-session.ts'
import { staticCatalog } from '../exercise-catalog.ts'
import type { SandboxEngine } from '../lab-controller.ts'
import { openClassDir, type OpenedClassDir } from './class-dir.ts'
import { startClassServer, type ClassServer } from './class-server.ts'
import { servedNames } from './hosts.ts'
import { anonymousSeats } from './roster.ts'

let root: string
let data: OpenedClassDir
let engine: SandboxEngine
let cls: ClassServer

/** Running state of each container of the session, by service. */
const running = async (session: string): Promise<Record<string, boolean>> => {
  const { connectDocker } = await import('../../sandbox/docker.ts')
  const docker = await connectDocker()
  const list = await docker.listContainers({ all: true, filters: { name: [`stl-${session}-`] } })
  return Object.fromEntries(list.map((c) => [c.Names[0]!.replace(`/stl-${session}-`, ''), c.State === 'running']))
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'stl-class-idle-'))
  data = openClassDir(root, anonymousSeats(1), { sessionPrefix: `${TEST_SESSION_PREFIX}${testRunId()}-` })
  const { dockerEngine } = await import('../engine-adapter.ts')
  engine = dockerEngine()
  const catalog = staticCatalog([], async () => {
    throw new Error('no checks here')
  })
  cls = await startClassServer({
    data, lab: 'postfix', host: '127.0.0.1', port: 0, engine, catalog, distDir: path.join(root, 'dist'),
    hostNames: servedNames('127.0.0.1'), publicHost: '127.0.0.1', prestart: true, idleAfterMs: 4_000,
  })
  await cls.sandboxesReady
}, 5 * 60_000)

afterAll(async () => {
  await cls?.close()
  if (engine) await engine.down(data.cls.seats[0]!.session).catch(() => undefined)
  data?.release()
  rmSync(root, { recursive: true, force: true })
}, 2 * 60_000)

describe('idle sandboxes', () => {
  it('are stopped while their learner is away and started again, with their work, when the learner comes back', async () => {
    const seat = data.cls.seats[0]!
    const lab = cls.lab.labFor(data.store.getLearner(seat.id)!)
    await lab.wake()
    const handle = lab.current()!
    expect(handle).not.toBeNull()
    // Work in progress: the learner's configuration in the mail container.
    await handle.exec('mail', ['sh', '-c', 'postconf -e smtpd_banner=kept-while-idle && echo kept > /root/work.txt'])
    const stopped = { mail: false, toolbox: false, partners: false, attacker: false, dns: true, acme: true }
    await expect.poll(() => running(seat.session), { timeout: 60_000, interval: 1_000 }).toEqual(stopped)
    expect(lab.info().paused).toBe(true)

    // The learner comes back: their page asks for the lab.
    const t0 = Date.now()
    const res = await fetch(`${cls.links.url}api/lab`, { headers: { authorization: `Bearer ${seat.token}` } })
    const info = (await res.json()) as { state: string; paused?: boolean; services: { name: string; healthy: boolean }[] }
    console.log(`resumed in ${Date.now() - t0} ms`)
    expect(info.state).toBe('up')
    expect(info.paused).toBeUndefined()
    expect(info.services.every((x) => x.healthy)).toBe(true)
    expect(Object.values(await running(seat.session))).not.toContain(false)
    expect((await handle.exec('mail', ['cat', '/root/work.txt'])).stdout.trim()).toBe('kept')
    expect((await handle.exec('mail', ['postconf', '-h', 'smtpd_banner'])).stdout.trim()).toBe('kept-while-idle')
  }, 3 * 60_000)
})
