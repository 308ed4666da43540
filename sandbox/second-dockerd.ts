// A second Docker engine on this machine for tests (root only): its own socket, data root, exec root, pid file and
// default bridge, leaving the main engine's interfaces and iptables chains alone, and always removed at the end.
//
// Measured, and why each flag:
// - `--bridge none` is not an option: at start such a daemon deletes the interface named docker0, which is the
//   MAIN engine's default bridge (`docker run` without --network then fails there: "could not find bridge
//   docker0"). The engine gets a bridge of its own, made here, instead (`--bridge NAME`).
// - `--iptables=false`: with iptables on, a starting dockerd removes and recreates the DOCKER and
//   DOCKER-ISOLATION chains, which hold the main engine's rules (its internal networks' isolation among them).
//   The price: this engine installs no rule at all, and the host's FORWARD chain (policy DROP under the main
//   engine) then drops even traffic between containers of one lab network (br_netfilter passes bridged frames
//   through FORWARD). So the rules its lab networks need are added here, for its subnet pool only: accept frames
//   bridged inside one network, drop anything else forwarded from or to the pool (no egress, no other network).
// - `--ip-masq=false --ip-forward=false`: no NAT for lab networks (they have no egress) and no sysctl change.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'

export interface SecondDockerd {
  /** unix:///…/docker.sock */
  readonly url: string
  readonly dir: string
  readonly bridge: string
  readonly startMs: number
  /** Stops the daemon and removes its bridge, rules and data root (idempotent). */
  stop(): Promise<void>
}

const run = (argv: string[]): { code: number | null; out: string } => {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' })
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() }
}

function killGroup(pid: number, signal: NodeJS.Signals = 'SIGTERM'): void {
  try {
    process.kill(-pid, signal)
  } catch {
    // already gone
  }
}

function must(argv: string[]): void {
  const r = run(argv)
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.out}`)
}

/** The lab pool's FORWARD rules, in the order they stand at the top of the chain. */
function forwardRules(pool: string, tag: string): string[][] {
  const net = `${pool}.0.0/16`
  const c = ['-m', 'comment', '--comment', tag]
  return [
    ['-m', 'physdev', '--physdev-is-bridged', '-s', net, '-d', net, ...c, '-j', 'ACCEPT'],
    ['-d', net, ...c, '-j', 'DROP'],
    ['-s', net, ...c, '-j', 'DROP'],
  ]
}

export async function startSecondDockerd(opts: { prefix: string; pool: string; timeoutMs?: number; sizeMiB?: number }): Promise<SecondDockerd> {
  const t0 = Date.now()
  // Short: containerd's sockets live under the exec root and a unix socket path is at most 107 bytes.
  const dir = mkdtempSync(path.join('/tmp', `${opts.prefix}-dockerd-`))
  const id = randomBytes(2).toString('hex')
  const bridge = `stl2-${id}`
  const tag = `smtp-tls-lab-second-engine-${id}`
  const socket = path.join(dir, 'docker.sock')
  let child: ChildProcess | null = null
  let stopped = false

  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    if (child?.pid && child.exitCode === null) {
      const exited = new Promise<void>((r) => child!.once('exit', () => r()))
      child.kill('SIGTERM')
      // Measured: a clean shutdown takes ~25 s (dockerd waits for its containerd); everything is being deleted anyway.
      const timer = setTimeout(() => killGroup(child!.pid!, 'SIGKILL'), 3_000)
      await exited
      clearTimeout(timer)
    }
    // Its own containerd (a child in its process group) goes too, even when dockerd had to be killed.
    if (child?.pid) killGroup(child.pid)
    for (const r of forwardRules(opts.pool, tag)) run(['iptables', '-w', '-D', 'FORWARD', ...r])
    run(['ip', 'link', 'del', bridge])
    // A daemon killed hard can leave its containers' overlay mounts behind: unmount before removing the files.
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(`${dir}/`))
    for (const m of mounts.sort((a, b) => b.length - a.length)) run(['umount', '-l', m])
    // Lazily: its containerd may still be exiting with files open; the memory goes back once it has.
    run(['umount', '-l', dir])
    rmSync(dir, { recursive: true, force: true })
  }

  try {
    // In memory: this disk (ext4 mounted with discard) took 17 s to delete 320 MB of image layers; a tmpfs goes at once.
    must(['mount', '-t', 'tmpfs', '-o', `size=${opts.sizeMiB ?? 3072}m,mode=0700`, 'stl-second-engine', dir])
    must(['ip', 'link', 'add', 'name', bridge, 'type', 'bridge'])
    must(['ip', 'addr', 'add', `${opts.pool}.255.1/24`, 'dev', bridge])
    must(['ip', 'link', 'set', bridge, 'up'])
    for (const r of forwardRules(opts.pool, tag).reverse()) must(['iptables', '-w', '-I', 'FORWARD', '1', ...r])
    const log = openSync(path.join(dir, 'dockerd.log'), 'a')
    child = spawn(
      'dockerd',
      [
        '--host', `unix://${socket}`,
        '--data-root', path.join(dir, 'data'),
        '--exec-root', path.join(dir, 'exec'),
        '--pidfile', path.join(dir, 'docker.pid'),
        '--bridge', bridge,
        '--iptables=false', '--ip-masq=false', '--ip-forward=false',
        '--log-level', 'warn',
      ],
      // Its own process group: the daemon and the containerd it starts are stopped together, by that group's id.
      { stdio: ['ignore', log, log], detached: true },
    )
    const { default: Dockerode } = await import('dockerode')
    const client = new Dockerode({ socketPath: socket })
    for (const until = Date.now() + (opts.timeoutMs ?? 30_000); ; await new Promise((r) => setTimeout(r, 200))) {
      if (child.exitCode !== null) throw new Error(`dockerd exited (${child.exitCode}): ${readFileSync(path.join(dir, 'dockerd.log'), 'utf8').slice(-2000)}`)
      if (await client.ping().then(() => true, () => false)) break
      if (Date.now() > until) throw new Error(`dockerd did not answer on ${socket} within ${opts.timeoutMs ?? 30_000} ms`)
    }
  } catch (err) {
    await stop()
    throw err
  }
  // A test runner that dies before its afterAll must not leave the daemon running.
  process.once('exit', () => child?.pid && killGroup(child.pid, 'SIGKILL'))
  return { url: `unix://${socket}`, dir, bridge, startMs: Date.now() - t0, stop }
}
