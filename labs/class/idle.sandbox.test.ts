// An idle learner's sandbox on a real engine: frozen (docker pause) after the idle time, thawed by the learner's next
// visit with everything as they left it (files, and the very processes they started).
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

const paused = async (session: string): Promise<boolean[]> => {
  const { connectDocker } = await import('../../sandbox/docker.ts')
  const docker = await connectDocker()
  const list = await docker.listContainers({ all: true, filters: { name: [`stl-${session}-`] } })
  return Promise.all(list.map(async (c) => (await docker.getContainer(c.Id).inspect()).State.Paused))
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
    hostNames: servedNames('127.0.0.1'), publicHost: '127.0.0.1', prestart: true, idleAfterMs: 1_500,
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
  it('are frozen while their learner is away and thawed, as they were, when the learner comes back', async () => {
    const seat = data.cls.seats[0]!
    const lab = cls.lab.labFor(data.store.getLearner(seat.id)!)
    const handle = lab.current()!
    expect(handle).not.toBeNull()
    // Work in progress: a file, and a process started in the mail container.
    await handle.exec('mail', ['sh', '-c', 'echo kept > /root/work.txt; (sleep 600 & echo $! > /root/sleep.pid)'])
    const pid = (await handle.exec('mail', ['cat', '/root/sleep.pid'])).stdout.trim()
    expect(pid).toMatch(/^\d+$/)
    await expect.poll(() => paused(seat.session), { timeout: 30_000, interval: 500 }).toEqual(expect.not.arrayContaining([false]))
    expect((await paused(seat.session)).length).toBeGreaterThanOrEqual(5)
    expect(lab.info().paused).toBe(true)

    // The learner comes back: their page asks for the lab.
    const t0 = Date.now()
    const res = await fetch(`${cls.links.url}api/lab`, { headers: { authorization: `Bearer ${seat.token}` } })
    const info = (await res.json()) as { state: string; paused?: boolean }
    console.log(`thawed in ${Date.now() - t0} ms`)
    expect(info.state).toBe('up')
    expect(info.paused).toBeUndefined()
    expect(await paused(seat.session)).not.toContain(true)
    expect((await handle.exec('mail', ['cat', '/root/work.txt'])).stdout.trim()).toBe('kept')
    expect((await handle.exec('mail', ['sh', '-c', `kill -0 ${pid} && echo alive`])).stdout.trim()).toBe('alive')
  }, 3 * 60_000)
})
