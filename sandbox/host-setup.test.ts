// The setup check against a machine state without dockerd: a socket nobody listens on, packages that do not exist,
// a daemon that is started for real (a small stand-in answering Docker's /_ping, so no root is needed here;
// host-setup.sandbox.test.ts starts a real dockerd the same way).
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { UserError } from '../core/errors.ts'
import { type HostProbes, ensureHost, pingDaemon, planSetup, probeHost } from './host-setup.ts'
import { DEFAULT_PROBES } from './host-setup.ts'

const dir = mkdtempSync(path.join(os.tmpdir(), 'stl-setup-'))
const socketPath = path.join(dir, 'docker.sock')
const NO_PKG = 'smtp-tls-lab-no-such-package'

/** A stand-in daemon: listens on the socket and answers GET /_ping with OK, as dockerd does. */
const fakeDockerd = path.join(dir, 'fake-dockerd.mjs')
writeFileSync(
  fakeDockerd,
  `import { createServer } from 'node:http'
import { rmSync, writeFileSync } from 'node:fs'
const [sock, pidFile] = process.argv.slice(2)
writeFileSync(pidFile, String(process.pid))
// A socket file left by a killed predecessor: dockerd removes it too before listening.
rmSync(sock, { force: true })
setTimeout(() => createServer((req, res) => res.end(req.url === '/_ping' ? 'OK' : '')).listen(sock), 300)
`,
)
const pidFile = path.join(dir, 'fake.pid')

/** A machine without dockerd: no one on the socket, no docker or debootstrap package, no systemd. */
function machine(over: Partial<HostProbes> = {}): Partial<HostProbes> & { visible: string[] } {
  const visible: string[] = []
  return {
    visible,
    socketPath,
    dockerPackages: [NO_PKG],
    dockerInstall: NO_PKG,
    debootstrapPackage: `${NO_PKG}-debootstrap`,
    dockerd: [process.execPath, fakeDockerd, socketPath, pidFile],
    dockerdLog: path.join(dir, 'dockerd.log'),
    dockerdPidFile: pidFile,
    systemdDir: path.join(dir, 'no-systemd'),
    isRoot: () => true,
    // apt-get is recorded, never run: it would reach the network for a package that does not exist.
    runVisible: async (argv) => {
      visible.push(argv.join(' '))
      return 0
    },
    startTimeoutMs: 10_000,
    ...over,
  }
}

afterAll(() => rmSync(dir, { recursive: true, force: true }))

afterEach(() => {
  try {
    process.kill(Number(readFileSync(pidFile, 'utf8')))
  } catch {
    // not started by this test
  }
})

describe('probing a machine without dockerd', () => {
  it('sees the daemon down, the missing packages, no systemd', async () => {
    const s = await probeHost({ ...DEFAULT_PROBES, ...machine() })
    expect(s).toMatchObject({ docker: null, daemon: 'down', debootstrap: false, systemd: false })
    expect(s.daemonDetail).toBe(`no socket at ${socketPath}`)
  })

  it('sees a real installed package as installed (dpkg-query; libc6 has no program of its name to find instead)', async () => {
    const s = await probeHost({ ...DEFAULT_PROBES, ...machine({ dockerPackages: [NO_PKG, 'libc6'], debootstrapPackage: 'libc6' }) })
    expect(s).toMatchObject({ docker: 'libc6', debootstrap: true })
  })

  it('installs no engine package when an engine answers anyway', () => {
    const s = { docker: null, daemon: 'up', daemonDetail: 'answers', debootstrap: false, systemd: false } as const
    expect(planSetup(s, DEFAULT_PROBES, false)).toEqual([])
    expect(planSetup(s, DEFAULT_PROBES, true).map((x) => x.line).at(-1)).toBe('apt-get install -y --no-install-recommends debootstrap')
  })

  it('plans systemctl under systemd, a logged background dockerd without it', () => {
    const s = { docker: 'docker.io', daemon: 'down', daemonDetail: 'x', debootstrap: true, systemd: true } as const
    expect(planSetup(s, DEFAULT_PROBES, false).map((x) => x.line)).toEqual(['systemctl start docker'])
    expect(planSetup({ ...s, systemd: false }, DEFAULT_PROBES, false).map((x) => x.line)).toEqual([
      'nohup dockerd >>/var/log/smtp-tls-lab-dockerd.log 2>&1 &',
    ])
  })
})

describe('ensureHost', () => {
  it('as non-root names the missing packages and the exact commands, and runs nothing', async () => {
    const m = machine({ isRoot: () => false })
    const err = await ensureHost({ probes: m, yes: true }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UserError)
    const msg = (err as Error).message
    expect(msg).toContain(`sudo apt-get install -y --no-install-recommends ${NO_PKG} ${NO_PKG}-debootstrap`)
    expect(msg).toContain(`sudo sh -c 'nohup ${process.execPath} ${fakeDockerd} ${socketPath} ${pidFile} >>${path.join(dir, 'dockerd.log')} 2>&1 &'`)
    expect(m.visible).toEqual([])
    expect((await pingDaemon(socketPath)).state).toBe('down')
  })

  it('as root without --yes nor a terminal asks for --yes; a "no" on the terminal does nothing', async () => {
    const m = machine()
    await expect(ensureHost({ probes: m, ask: null, env: {} })).rejects.toThrow(/start again with --yes \(CI=true does the same\)/)
    let asked = ''
    await expect(ensureHost({ probes: m, env: {}, ask: async (q) => ((asked = q), false) })).rejects.toThrow(/^Nothing done/)
    expect(asked).toContain(NO_PKG)
    expect(m.visible).toEqual([])
  })

  it('as root with CI=true installs the missing package and starts the stopped daemon, which then answers', async () => {
    const m = machine()
    const r = await ensureHost({ probes: m, env: { CI: 'true' }, say: () => {} })
    expect(m.visible).toEqual(['apt-get update', `apt-get install -y --no-install-recommends ${NO_PKG} ${NO_PKG}-debootstrap`])
    expect(r.before.daemon).toBe('down')
    expect(r.after.daemon).toBe('up')
    expect(r.ran.at(-1)).toMatch(/^nohup .*fake-dockerd\.mjs .* &$/)
    expect(r.startedPid).toBe(Number(readFileSync(pidFile, 'utf8')))
    // Once it answers there is nothing left to do (the packages stay "missing" here: nothing really installed them).
    expect((await ensureHost({ probes: { ...m, dockerPackages: ['dpkg'], debootstrapPackage: 'dpkg' } })).ran).toEqual([])
  })

  it('waits for a daemon still stopping (its pid file names a live process) before starting a new one', async () => {
    const stopping = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 1500)'])
    writeFileSync(pidFile, String(stopping.pid))
    const lines: string[] = []
    const t0 = Date.now()
    const r = await ensureHost({ probes: machine(), env: { CI: 'true' }, say: (l) => lines.push(l) })
    expect(lines).toContain(`setup: waiting for the dockerd still stopping (pid ${stopping.pid}) to exit`)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000)
    expect(stopping.exitCode).toBe(0)
    expect(r.after.daemon).toBe('up')
  })

  it('asks for debootstrap only when images remain to build, once the daemon answers', async () => {
    // The daemon running first (started with debootstrap counted present), then the real question.
    await ensureHost({ probes: machine({ dockerPackages: ['dpkg'], debootstrapPackage: 'dpkg' }), yes: true, say: () => {} })
    const m = machine({ dockerPackages: ['dpkg'] })
    expect((await ensureHost({ probes: m, yes: true, say: () => {}, needsImages: async () => false })).ran).toEqual([])
    expect(m.visible).toEqual([])
    const again = await ensureHost({ probes: m, yes: true, say: () => {}, needsImages: async () => true })
    expect(m.visible).toEqual(['apt-get update', `apt-get install -y --no-install-recommends ${NO_PKG}-debootstrap`])
    expect(again.ran).toHaveLength(2)
  })

  it('fails with the log when the daemon it started dies', async () => {
    const m = machine({ dockerPackages: ['dpkg'], debootstrapPackage: 'dpkg', dockerd: [process.execPath, '-e', 'console.error("failed to start daemon: boom"); process.exit(1)'] })
    await expect(ensureHost({ probes: m, yes: true, say: () => {} })).rejects.toThrow(/exited \(1\)[\s\S]*failed to start daemon: boom/)
  })
})
