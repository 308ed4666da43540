// The engine's edge cases against the real daemon: orphan reaping, reuse of a running session, and the errors
// a user sees for a missing image or a service that never becomes healthy.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BASE_IMAGE, LABEL_CREATED, LABEL_LAB, LABEL_OWNER_PID, LABEL_SERVICE, LABEL_SESSION } from './docker.ts'
import { downSandbox, getSandbox, listSessions, reapOrphans, upLab } from './engine.ts'
import { ownerLabels } from './owner.ts'
import { isThisRunSession, testSession } from './test-session.ts'

const docker = new Docker()
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stl-engine-test-'))
})

afterAll(async () => {
  for (const s of await listSessions()) if (isThisRunSession(s.session)) await downSandbox(s.session)
  await rm(dir, { recursive: true, force: true })
})

/**
 * A session made by hand, as a crashed `up` or a reboot would leave it: a network and one container. It is
 * stamped as just created, so that the grace period keeps other processes' `up` (which reap too) off it, and
 * the tests reap with no grace.
 */
async function fakeSession(session: string, octet: number, running: boolean, owner: Record<string, string> = {}): Promise<void> {
  const labels = { [LABEL_SESSION]: session, [LABEL_LAB]: 'postfix', ...owner }
  await docker.createNetwork({
    Name: `stl-${session}`,
    Internal: true,
    IPAM: { Driver: 'default', Config: [{ Subnet: `10.231.${octet}.0/24`, Gateway: `10.231.${octet}.1` }] },
    Labels: { ...labels, [LABEL_CREATED]: new Date().toISOString() },
  })
  const c = await docker.createContainer({
    name: `stl-${session}-dns`,
    Image: BASE_IMAGE,
    Cmd: running ? ['sleep', '600'] : ['true'],
    Labels: { ...labels, [LABEL_SERVICE]: 'dns' },
    HostConfig: { NetworkMode: `stl-${session}` },
  })
  await c.start()
  if (!running) await c.wait()
}

async function freeOctets(n: number): Promise<number[]> {
  const used = new Set<number>()
  for (const net of await docker.listNetworks())
    for (const cfg of (net.IPAM?.Config ?? []) as Array<{ Subnet?: string }>) {
      const m = /^10\.231\.(\d+)\./.exec(cfg.Subnet ?? '')
      if (m) used.add(Number(m[1]))
    }
  const free: number[] = []
  for (let i = 254; i > 0 && free.length < n; i--) if (!used.has(i)) free.push(i)
  return free
}

describe('orphan reaping', () => {
  it("removes a dead grading's session, running or not, and keeps a live grading's and a user's stopped one", async () => {
    const dead = testSession('dead')
    const alive = testSession('alive')
    const stopped = testSession('stopped')
    const [o1, o2, o3] = await freeOctets(3)
    // A pid that cannot be running: the grading that made this session was killed.
    const gone = { ...ownerLabels('grade:x'), [LABEL_OWNER_PID]: '4194304' }
    await fakeSession(dead, o1!, true, gone)
    await fakeSession(alive, o2!, true, ownerLabels('grade:y'))
    await fakeSession(stopped, o3!, false, ownerLabels('user'))
    const reaped = await reapOrphans({ only: isThisRunSession, graceMs: 0 })
    expect(reaped).toEqual([dead])
    expect(await docker.listContainers({ all: true, filters: { label: [`${LABEL_SESSION}=${dead}`] } })).toEqual([])
    expect(await docker.listNetworks({ filters: { label: [`${LABEL_SESSION}=${dead}`] } })).toEqual([])
    expect((await listSessions()).find((s) => s.session === alive)).toMatchObject({ containers: 1, running: 1, owner: { state: 'alive' } })
    expect((await listSessions()).find((s) => s.session === stopped)).toMatchObject({ containers: 1, running: 0, owner: { owner: 'user' } })
    await downSandbox(alive)
    await downSandbox(stopped)
  })

  it('spares a dead session younger than the grace period, which another process may still be creating', async () => {
    const young = testSession('young')
    const [octet] = await freeOctets(1)
    await docker.createNetwork({
      Name: `stl-${young}`,
      Internal: true,
      IPAM: { Driver: 'default', Config: [{ Subnet: `10.231.${octet}.0/24`, Gateway: `10.231.${octet}.1` }] },
      Labels: { [LABEL_SESSION]: young, [LABEL_LAB]: 'exim', [LABEL_CREATED]: new Date().toISOString() },
    })
    expect(await reapOrphans({ only: isThisRunSession })).toEqual([])
    expect(await reapOrphans({ only: isThisRunSession, graceMs: 0 })).toEqual([young])
  })
})

describe('errors a user can act on', () => {
  it('a missing image names the image and the build command', async () => {
    const file = join(dir, 'postfix.yaml')
    await writeFile(
      file,
      `name: postfix\nservices:\n  dns: { image: "smtp-tls-lab/not-built:latest", hostname: dns.lab.test, ipv4_host: 10, mem_limit: 16m, pids_limit: 16 }\n`,
    )
    await expect(upLab({ lab: 'postfix', session: testSession('noimg'), topologyFile: file })).rejects.toThrow(
      'missing image smtp-tls-lab/not-built:latest: run `npx smtp-tls-lab images build`',
    )
    expect(await getSandbox(testSession('noimg'))).toBeNull()
  })

  it('a service that never becomes healthy fails `up` with its name, why, and how to remove the session', async () => {
    const file = join(dir, 'exim.yaml')
    await writeFile(
      file,
      [
        'name: exim',
        'services:',
        '  dns:',
        `    image: "${BASE_IMAGE}"`,
        '    hostname: dns.lab.test',
        '    ipv4_host: 10',
        '    mem_limit: 16m',
        '    pids_limit: 16',
        '    healthcheck: ["sh", "-c", "echo resolver not ready >&2; exit 1"]',
        '',
      ].join('\n'),
    )
    const session = testSession('sick')
    // The base image's shell exits at once, so the container stops: the health command cannot even run.
    const err = await upLab({ lab: 'exim', session, topologyFile: file, healthTimeoutMs: 1_500 }).catch((e: Error) => e)
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).message).toMatch(new RegExp(`some services never became healthy:\\n  dns \\(stl-${session}-dns\\)`))
    expect((err as Error).message).toContain('container stopped: exited, exit code 0')
    expect((err as Error).message).toContain(`sandbox down --session ${session}`)
    await downSandbox(session)
  })
})

describe('an existing session', () => {
  it('is reused by `up` with the same lab, refused with another lab, and replaced with fresh', async () => {
    const session = testSession('reuse')
    const first = await upLab({ lab: 'exim', session })
    const again = await upLab({ lab: 'exim', session })
    expect(again.timings.reused).toBe(true)
    expect(again.subnet).toBe(first.subnet)
    expect(again.env.LAB_TSIG_SECRET).toBe(first.env.LAB_TSIG_SECRET)
    await expect(upLab({ lab: 'postfix', session })).rejects.toThrow(`session ${session} runs the exim lab`)
    const fresh = await upLab({ lab: 'exim', session, fresh: true })
    expect(fresh.timings.reused).toBe(false)
    expect(fresh.env.LAB_TSIG_SECRET).not.toBe(first.env.LAB_TSIG_SECRET)
    await downSandbox(session)
  })
})
