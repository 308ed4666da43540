// The setup check starts a real stopped Docker engine: a dockerd of its own (own socket, data and exec roots, own
// bridge, no iptables), so the shared daemon other work runs on is never stopped. Needs root, as the suite has.
// Not `--bridge none`: such a dockerd deletes the host's docker0 at start, the main engine's default bridge.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pidAlive } from '../core/process.ts'
import { ensureHost, pingDaemon } from './host-setup.ts'

const dir = mkdtempSync(path.join(os.tmpdir(), 'stl-dockerd-'))
const socketPath = path.join(dir, 'docker.sock')
const bridge = `stlh-${path.basename(dir).slice(-6).toLowerCase().replace(/[^a-z0-9]/g, 'x')}`
let started: number | undefined

beforeAll(() => {
  for (const cmd of [['ip', 'link', 'add', 'name', bridge, 'type', 'bridge'], ['ip', 'addr', 'add', '10.239.255.1/24', 'dev', bridge], ['ip', 'link', 'set', bridge, 'up']]) {
    const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`${cmd.join(' ')}: ${r.stderr}`)
  }
})

afterAll(async () => {
  if (started && pidAlive(started)) {
    process.kill(started, 'SIGTERM')
    for (let i = 0; i < 100 && pidAlive(started); i++) await new Promise((r) => setTimeout(r, 100))
  }
  // Nothing of the daemon may stay mounted before the folder goes.
  spawnSync('sh', ['-c', `grep -o " ${dir}[^ ]*" /proc/mounts | xargs -r -n1 umount -l`])
  rmSync(dir, { recursive: true, force: true })
  spawnSync('ip', ['link', 'del', bridge])
})

describe('a machine whose Docker engine is stopped', () => {
  it('gets it started (no systemd: dockerd in the background with a log), and it answers the Docker API', async () => {
    expect(await pingDaemon(socketPath)).toEqual({ state: 'down', detail: `no socket at ${socketPath}` })
    const lines: string[] = []
    const dockerd = ['dockerd', '-H', `unix://${socketPath}`, '--data-root', `${dir}/data`, '--exec-root', `${dir}/exec`, '--pidfile', `${dir}/docker.pid`]
    const r = await ensureHost({
      yes: true,
      say: (l) => lines.push(l),
      needsImages: async () => false,
      probes: {
        socketPath,
        dockerd: [...dockerd, '--bridge', bridge, '--iptables=false', '--ip-masq=false', '--ip-forward=false', '--log-level', 'warn'],
        dockerdLog: `${dir}/dockerd.log`,
        dockerdPidFile: `${dir}/docker.pid`,
        systemdDir: `${dir}/no-systemd`,
      },
    })
    started = r.startedPid
    expect(r.before.daemon).toBe('down')
    expect(r.before.docker).toMatch(/^(docker\.io|docker-ce|dockerd)$/)
    expect(r.ran).toEqual([`nohup ${dockerd.join(' ')} --bridge ${bridge} --iptables=false --ip-masq=false --ip-forward=false --log-level warn >>${dir}/dockerd.log 2>&1 &`])
    expect(r.after.daemon).toBe('up')
    expect(lines.at(-1)).toBe(`setup: Docker engine answers on ${socketPath}`)
    const v = await new Docker({ socketPath }).version()
    expect(v.ApiVersion).toMatch(/^1\.\d+$/)
    // It outlives the call that started it (detached), as it must outlive `npm start`.
    expect(pidAlive(started!)).toBe(true)
  })
})
