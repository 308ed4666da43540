// A `grade --class` killed with SIGKILL mid-batch: what it left (sandboxes, networks, snapshots) goes at the next
// `grade` or `start`, which run the reaper first; its owner labels tell them that the process is dead.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Docker from 'dockerode'
import { afterAll, describe, expect, it } from 'vitest'
import { LABEL_SESSION } from '../sandbox/docker.ts'
import { downSandbox, listSessions, reapOrphans } from '../sandbox/engine.ts'
import { LABEL_SNAPSHOT_OF, removeSnapshots } from '../sandbox/snapshot.ts'
import { LABEL_TOOLS_FOR } from '../sandbox/toolset.ts'

const REPO = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const docker = new Docker()
// Keeps to the h6 prefix on the shared machine (SMTP_TLS_LAB_TEST_PREFIX overrides it).
const batch = `${process.env.SMTP_TLS_LAB_TEST_PREFIX ?? 'h6'}k${randomBytes(2).toString('hex')}`
const ofBatch = (s: string): boolean => s.startsWith(`${batch}-`)
const work = mkdtempSync(path.join(os.tmpdir(), 'stl-class-crash-'))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

afterAll(async () => {
  for (const s of await listSessions()) if (ofBatch(s.session)) await downSandbox(s.session)
  await removeSnapshots(ofBatch)
  rmSync(work, { recursive: true, force: true })
})

async function batchLeftovers() {
  const [containers, tools, networks, images] = await Promise.all([
    docker.listContainers({ all: true, filters: { label: [LABEL_SESSION] } }),
    docker.listContainers({ all: true, filters: { label: [LABEL_TOOLS_FOR] } }),
    docker.listNetworks({ filters: { label: [LABEL_SESSION] } }),
    docker.listImages({ filters: { label: [LABEL_SNAPSHOT_OF] } }),
  ])
  return {
    containers: containers.filter((c) => ofBatch(c.Labels[LABEL_SESSION] ?? '')).length,
    tools: tools.filter((c) => ofBatch(c.Labels[LABEL_TOOLS_FOR] ?? '')).length,
    networks: networks.filter((n) => ofBatch(n.Labels?.[LABEL_SESSION] ?? '')).length,
    images: images.filter((i) => ofBatch(i.Labels?.[LABEL_SNAPSHOT_OF] ?? '')).length,
  }
}

describe('grade --class killed with SIGKILL', () => {
  it('leaves none of its sandboxes, networks or snapshots once the next grade has run its reaper', async () => {
    const dir = path.join(work, 'class')
    for (const learner of ['ann', 'bob', 'cat', 'dan']) {
      mkdirSync(path.join(dir, learner), { recursive: true })
      writeFileSync(path.join(dir, learner, 'main.cf'), 'smtpd_banner = $myhostname ESMTP\n')
      writeFileSync(path.join(dir, learner, 'master.cf'), 'smtp inet n - y - - smtpd\n')
    }
    const child = spawn(
      process.execPath,
      ['bin/smtp-tls-lab.mjs', 'grade', '--exercise', 'postfix-hardening', '--class', dir, '--batch', batch, '--no-store', '--parallel', '2', '--out', path.join(work, 'out')],
      { cwd: REPO, env: { ...process.env, SMTP_TLS_LAB_FROM_SOURCE: '1' }, stdio: ['ignore', 'ignore', 'pipe'] },
    )
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))

    // Mid-batch: its sandboxes run and a worker has snapshotted its start state.
    const deadline = Date.now() + 240_000
    for (;;) {
      const left = await batchLeftovers()
      const running = (await listSessions()).some((s) => ofBatch(s.session) && s.running > 0)
      if (running && left.images > 0) break
      if (child.exitCode !== null) throw new Error(`grade exited before the kill:\n${stderr}`)
      if (Date.now() > deadline) throw new Error(`the batch never got going:\n${stderr}`)
      await sleep(500)
    }
    child.kill('SIGKILL')
    await exited

    const before = await batchLeftovers()
    expect(before.containers).toBeGreaterThan(0)
    expect(before.networks).toBeGreaterThan(0)
    const sessions = (await listSessions()).filter((s) => ofBatch(s.session))
    for (const s of sessions) expect(s.owner).toMatchObject({ owner: `grade:${batch}`, pid: child.pid, state: 'dead' })

    // What the next `grade` (gradeClass, upLab) and `start` run first; filtered to this batch on a shared machine.
    const reaped = await reapOrphans({ only: ofBatch })
    expect(reaped.filter((r) => !r.startsWith('image ')).sort()).toEqual(sessions.map((s) => s.session).sort())
    expect(await batchLeftovers()).toEqual({ containers: 0, tools: 0, networks: 0, images: 0 })
  })
})
