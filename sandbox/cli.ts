// Commands of the sandbox module, registered on the top-level CLI: `images build` and `sandbox up|status|exec|shell|down`.
import { spawn, spawnSync } from 'node:child_process'
import cliProgress from 'cli-progress'
import type { Command } from 'commander'
import { UserError } from '../core/errors.ts'
import { connectDocker } from './docker.ts'
import {
  DEFAULT_SESSION,
  type DockerSandbox,
  LABS,
  downAll,
  downSandbox,
  getSandbox,
  listSessions,
  type SessionSummary,
  upLab,
  validateLab,
  validateSession,
} from './engine.ts'
import { registerFaults } from './faults.ts'
import { type BuildEvent, buildImages } from './images.ts'
import { isDisposable } from './owner.ts'

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`
const out = (text: string): void => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
const err = (text: string): void => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`)
const json = (value: unknown): void => out(JSON.stringify(value, null, 2))

function sessionJson(h: DockerSandbox) {
  return {
    session: h.session,
    lab: h.lab,
    network: h.network,
    subnet: `${h.subnet}.0/24`,
    gateway: h.gateway,
    dns: h.env.LAB_DNS_IP,
    healthy: h.services.every((s) => s.healthy),
    services: h.services.map((s) => ({
      name: s.name,
      container: s.container,
      hostname: s.hostname,
      address: s.address,
      state: s.state,
      healthy: s.healthy,
      ...(s.healthy ? {} : { detail: s.healthDetail ?? null }),
      ports: s.ports,
    })),
  }
}

/** Who made the session, whether that process lives, and how many of its containers run. */
function ownerJson(s: SessionSummary | undefined) {
  if (!s) return {}
  return {
    owner: { name: s.owner.owner, pid: s.owner.pid, alive: s.owner.state === 'alive' ? true : s.owner.state === 'dead' ? false : null, detail: s.owner.why },
    containers: s.containers,
    running: s.running,
  }
}

function ownerText(s: SessionSummary): string {
  const who = s.owner.owner ?? 'unknown owner'
  const life = s.owner.state === 'alive' ? 'alive' : s.owner.state === 'dead' ? 'dead' : 'unknown'
  // A dead grading's session is garbage; a user's outlives the process that started it (kept until `sandbox down`).
  const fate = s.owner.state !== 'dead' ? '' : isDisposable(s.owner.owner) ? ', removed by the next up' : ', kept'
  return `owner ${who} (${life}: ${s.owner.why}${fate}) — ${s.running}/${s.containers} containers running`
}

function printSession(h: DockerSandbox, summary?: SessionSummary): void {
  const ok = h.services.every((s) => s.healthy)
  out(`session ${h.session} — lab ${h.lab} — network ${h.network} ${h.subnet}.0/24 (host side ${h.gateway}) — ${ok ? 'healthy' : 'NOT healthy'}`)
  if (summary) out(`  ${ownerText(summary)}`)
  const rows = h.services.map((s) => [
    s.name,
    s.container,
    s.address,
    s.healthy ? 'healthy' : `unhealthy${s.state !== 'running' ? ` (${s.state})` : ''}`,
    s.ports.map((p) => `${p.port}/${p.proto}${p.tls !== 'none' ? ` ${p.tls}` : ''}`).join(', '),
  ])
  const head = ['SERVICE', 'CONTAINER', 'ADDRESS', 'HEALTH', 'PORTS']
  const widths = head.map((hd, i) => Math.max(hd.length, ...rows.map((r) => r[i]!.length)))
  for (const r of [head, ...rows]) out('  ' + r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd())
  for (const s of h.services) if (!s.healthy && s.healthDetail) out(`  ${s.name}: ${s.healthDetail}`)
}

async function requireSession(session: string): Promise<DockerSandbox> {
  const h = await getSandbox(validateSession(session), { health: false })
  if (!h) throw new UserError(`no sandbox session "${session}": start one with \`sandbox up --lab postfix --session ${session}\``)
  return h
}

function progressReporter(useBar: boolean): { onEvent: (e: BuildEvent) => void; stop: () => void } {
  let bar: cliProgress.SingleBar | null = null
  const stopBar = () => {
    bar?.stop()
    bar = null
  }
  const onEvent = (e: BuildEvent) => {
    switch (e.kind) {
      case 'base':
        if (e.action === 'present') err('base image present')
        else if (e.action === 'pulling') err('base image missing: trying the registry (debian:bookworm-slim)')
        else if (e.action === 'bootstrapping') err('base image: debootstrap from the machine apt mirror (a few minutes)')
        else err(`base image ${e.action}`)
        break
      case 'base-log':
        if (/^(I: Retrieving|I: Validating)/.test(e.line)) break
        err(`  ${e.line}`)
        break
      case 'role-start':
        if (useBar) {
          bar = new cliProgress.SingleBar(
            { format: `{role} [{bar}] {value}/{total} steps {duration}s {text}`, hideCursor: true, clearOnComplete: false, stream: process.stderr },
            cliProgress.Presets.shades_classic,
          )
          bar.start(1, 0, { role: e.role.padEnd(9), text: '' })
        } else {
          err(`[${e.index + 1}/${e.count}] ${e.role}`)
        }
        break
      case 'role-step':
        if (bar) {
          bar.setTotal(e.total)
          bar.update(e.step - 1, { text: e.text.slice(0, 50) })
        } else err(`  step ${e.step}/${e.total}: ${e.text.slice(0, 100)}`)
        break
      case 'role-log':
        break
      case 'acme-sh':
        err(`acme.sh: ${e.origin === 'option' ? '--acme-sh' : e.origin === 'vendor' ? 'vendored copy' : 'downloaded'} ${e.from} (checksums verified)`)
        break
      case 'role-skipped':
        stopBar()
        err(`  ${e.role}: NOT BUILT — ${e.reason}`)
        break
      case 'role-done':
        if (bar) {
          bar.update(bar.getTotal(), { text: e.action })
          stopBar()
        }
        err(`  ${e.role}: ${e.action} in ${secs(e.durationMs)}`)
        break
    }
  }
  return { onEvent, stop: stopBar }
}

/** A command's output, streamed as it comes, with the command's exit code. */
async function streamExec(h: DockerSandbox, service: string, cmd: string[], opts: { user?: string; interactive: boolean }): Promise<number> {
  const docker = await connectDocker()
  const exec = await docker.getContainer(h.containerName(service)).exec({
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
    AttachStdin: opts.interactive,
    Tty: false,
    User: opts.user,
  })
  const stream = await exec.start({ hijack: true, stdin: opts.interactive })
  docker.modem.demuxStream(stream, process.stdout, process.stderr)
  if (opts.interactive) process.stdin.pipe(stream)
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve)
    stream.on('close', resolve)
    stream.on('error', reject)
  })
  if (opts.interactive) {
    process.stdin.unpipe(stream)
    process.stdin.pause()
  }
  for (;;) {
    const info = await exec.inspect()
    if (!info.Running) return info.ExitCode ?? 1
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** An interactive shell: the docker CLI does TTY handling best; dockerode with a raw stdin when it is absent. */
async function shell(h: DockerSandbox, service: string, user?: string): Promise<number> {
  const container = h.containerName(service)
  const cmd = ['bash', '-l']
  const hasCli = spawnSync('docker', ['--version'], { stdio: 'ignore' }).status === 0
  if (hasCli) {
    const args = ['exec', '-it', ...(user ? ['-u', user] : []), container, ...cmd]
    return new Promise((resolve, reject) => {
      const child = spawn('docker', args, { stdio: 'inherit' })
      child.on('error', reject)
      child.on('close', (code) => resolve(code ?? 1))
    })
  }
  if (!process.stdin.isTTY) throw new UserError('sandbox shell needs a terminal; use `sandbox exec SERVICE -- CMD...` in scripts')
  const docker = await connectDocker()
  const exec = await docker.getContainer(container).exec({
    Cmd: cmd,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: true,
    User: user,
    Env: [`TERM=${process.env.TERM ?? 'xterm'}`],
  })
  const stream = await exec.start({ hijack: true, stdin: true, Tty: true })
  const resize = () => void exec.resize({ h: process.stdout.rows ?? 24, w: process.stdout.columns ?? 80 }).catch(() => {})
  process.stdin.setRawMode(true)
  process.stdin.resume()
  process.stdin.pipe(stream)
  stream.pipe(process.stdout)
  process.stdout.on('resize', resize)
  resize()
  await new Promise<void>((resolve) => {
    stream.on('end', resolve)
    stream.on('close', resolve)
  })
  process.stdout.off('resize', resize)
  process.stdin.unpipe(stream)
  process.stdin.setRawMode(false)
  process.stdin.pause()
  return (await exec.inspect()).ExitCode ?? 0
}

export function register(program: Command): void {
  const images = program.command('images').description('Lab container images (base, dns, acme, postfix, exim, toolbox, partners, attacker)')
  images
    .command('build')
    .description(
      'Build every role image that is missing or out of date; the Debian base comes from a registry, or with --offline ' +
        '(automatic when no registry answers) from debootstrap over this machine\'s apt mirror',
    )
    .option('--offline', 'never ask an image registry: bootstrap the base image with debootstrap')
    .option('--role <role...>', 'only these roles (and the roles they are built from)')
    .option('--no-cache', 'rebuild every layer, even of images that are up to date')
    .option('--acme-sh <file>', 'acme.sh 3.1.3 release tarball for the exim image (default: the vendor folder, else upstream when online)')
    .option('--vendor-dir <dir>', 'folder holding acme.sh-3.1.3.tar.gz (default $SMTP_TLS_LAB_VENDOR_DIR, else ../shared/vendor)')
    .option('--json', 'print a JSON report on stdout')
    .action(async (o: { offline?: boolean; role?: string[]; json?: boolean; cache: boolean; acmeSh?: string; vendorDir?: string }) => {
      const t0 = Date.now()
      const progress = progressReporter(Boolean(process.stderr.isTTY) && !o.json)
      try {
        const report = await buildImages({
          offline: o.offline,
          roles: o.role,
          noCache: !o.cache,
          acmeSh: o.acmeSh,
          vendorDir: o.vendorDir,
          onEvent: progress.onEvent,
        })
        if (o.json) json(report)
        const built = report.roles.filter((r) => r.action === 'built').length
        const skipped = report.roles.filter((r) => r.action === 'skipped')
        err(
          `images build: ${built} built, ${report.roles.length - built - skipped.length} up to date, ` +
            `${skipped.length ? `${skipped.length} NOT built (${skipped.map((r) => r.role).join(', ')}), ` : ''}` +
            `base ${report.base.action} — ${secs(Date.now() - t0)}`,
        )
        for (const r of skipped) err(`${r.role}: ${r.reason}`)
        if (skipped.length) process.exitCode = 1
      } finally {
        progress.stop()
      }
    })

  const sandbox = program.command('sandbox').description('Start, inspect, enter and remove lab sandboxes (one isolated network per session)')
  sandbox
    .command('up')
    .description('Start a lab sandbox (or reuse the running session) and wait until every service is healthy')
    .requiredOption('--lab <lab>', `lab to start: ${LABS.join(' | ')}`)
    .option('--session <id>', 'session id', DEFAULT_SESSION)
    .option('--fresh', 'remove the session first if it exists')
    .option('--json', 'print the session as JSON on stdout')
    .action(async (o: { lab: string; session: string; fresh?: boolean; json?: boolean }) => {
      const t0 = Date.now()
      const h = await upLab({
        lab: validateLab(o.lab),
        session: o.session,
        fresh: o.fresh,
        onProgress: (m) => err(`[${secs(Date.now() - t0)}] ${m}`),
      })
      if (o.json) json({ ...sessionJson(h), timings: h.timings })
      else {
        printSession(h)
        out(`ready in ${secs(h.timings.totalMs)}${h.timings.reused ? ' (reused)' : ''}`)
      }
    })

  sandbox
    .command('status')
    .description(
      'Per session: its owner (`user`, or the `grade:<batch>` that made it) and whether that process is alive; per service: ' +
        'name, container, address, health, ports (every session unless --session)',
    )
    .option('--session <id>', 'only this session')
    .option('--json', 'print JSON on stdout: {"sessions":[{…, "owner": {"name", "pid", "alive"}, "containers", "running"}]}')
    .action(async (o: { session?: string; json?: boolean }) => {
      const summaries = await listSessions()
      const ids = o.session ? [validateSession(o.session)] : summaries.map((s) => s.session)
      const found: { h: DockerSandbox | null; s: SessionSummary | undefined; problem?: string }[] = []
      for (const id of ids) {
        const s = summaries.find((x) => x.session === id)
        // A half-removed session (containers without a network, or a network alone) is still shown, with its owner.
        const h = await getSandbox(id, { health: true }).catch((e: Error) => {
          if (!s) throw e
          return e
        })
        if (h instanceof Error) found.push({ h: null, s, problem: h.message })
        else if (h) found.push({ h, s })
        else if (s) found.push({ h: null, s, problem: 'no container' })
        else if (o.session) throw new UserError(`no sandbox session "${o.session}"`)
      }
      if (o.json)
        return json({
          sessions: found.map(({ h, s, problem }) =>
            h ? { ...sessionJson(h), ...ownerJson(s) } : { session: s!.session, lab: s!.lab, network: s!.network, healthy: false, problem, services: [], ...ownerJson(s) },
          ),
        })
      if (found.length === 0) return out('no sandbox session is running (start one with `sandbox up --lab postfix`)')
      for (const { h, s, problem } of found) {
        if (h) printSession(h, s)
        else out(`session ${s!.session} — lab ${s!.lab || '?'} — ${problem}\n  ${ownerText(s!)}`)
      }
      if (found.some(({ h }) => !h || h.services.some((x) => !x.healthy))) process.exitCode = 1
    })

  sandbox
    .command('exec')
    .description('Run a command in a service of a session, e.g. `sandbox exec mail -- postconf -n`; exits with its code')
    .argument('<service>', 'service name: mail, dns, acme, toolbox, partners, attacker')
    .argument('<cmd...>', 'the command and its arguments, after --')
    .option('--session <id>', 'session id', DEFAULT_SESSION)
    .option('-u, --user <user>', 'run as this user')
    .option('-i, --interactive', 'forward this process\'s stdin to the command')
    .action(async (service: string, cmd: string[], o: { session: string; user?: string; interactive?: boolean }) => {
      const h = await requireSession(o.session)
      h.service(service)
      process.exitCode = await streamExec(h, service, cmd, { user: o.user, interactive: Boolean(o.interactive) })
    })

  sandbox
    .command('shell')
    .description('Open an interactive shell (bash -l) in a service of a session')
    .argument('<service>', 'service name: mail, dns, acme, toolbox, partners, attacker')
    .option('--session <id>', 'session id', DEFAULT_SESSION)
    .option('-u, --user <user>', 'log in as this user')
    .action(async (service: string, o: { session: string; user?: string }) => {
      const h = await requireSession(o.session)
      h.service(service)
      process.exitCode = await shell(h, service, o.user)
    })

  registerFaults(sandbox)

  sandbox
    .command('down')
    .description('Remove a session\'s containers and network (or every session with --all); nothing is left behind')
    .option('--session <id>', 'session id', DEFAULT_SESSION)
    .option('--all', 'remove every session')
    .option('--json', 'print a JSON report on stdout')
    .action(async (o: { session: string; all?: boolean; json?: boolean }) => {
      const t0 = Date.now()
      const reports = o.all ? await downAll() : [await downSandbox(o.session)]
      if (o.json) return json({ removed: reports, durationMs: Date.now() - t0 })
      if (reports.every((r) => r.containers === 0 && r.networks === 0)) return out(o.all ? 'no session to remove' : `no session "${o.session}"`)
      for (const r of reports) out(`removed session ${r.session}: ${r.containers} containers, ${r.networks} network(s)`)
      out(`done in ${secs(Date.now() - t0)}`)
    })
}
