// Installs submitted files into the mail service and reloads it the way each lab's MTA expects, keeping its own log as evidence.
import { connect } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import path from 'node:path'
import type { LabName, SandboxHandle, ServiceName } from '../checker/sandbox-handle.ts'
import { stripControl } from '../core/text.ts'
import type { MappedFile } from './intake.ts'
import { idsByName, planInstall, type Accounts } from './ownership.ts'

interface ServiceProfile {
  /** What the learner would type, shown in the evidence. */
  readonly command: string
  /** Exit 0 when the service accepted the configuration and (re)started. */
  readonly reload: string
  /** The service's own logs, whose new lines become evidence. */
  readonly logs: readonly string[]
}

const PROFILES: Record<LabName, ServiceProfile> = {
  postfix: {
    command: 'postfix check && postfix reload',
    // A stopped master (a previous bad config) is started instead of reloaded, so each grade starts from "running".
    // Postfix commands log to syslog unless stderr is a terminal, so a fatal main.cf error would be invisible:
    // postconf always writes to stderr, and `script` gives `postfix check` the terminal it wants.
    reload: [
      'postconf -n 2>&1 >/dev/null | sed "s/^/(postconf -n) /"',
      'postconf -M 2>&1 >/dev/null | sed "s/^/(postconf -M) /"',
      'if command -v script >/dev/null; then out=$(script -qec "postfix check" /dev/null 2>&1); rc=$?; out=$(printf "%s" "$out" | tr -d "\\r"); else out=$(postfix check 2>&1); rc=$?; fi',
      '[ -n "$out" ] && printf "%s\\n" "$out"',
      '[ "$rc" -eq 0 ] || { echo "postfix check: exit $rc"; exit 10; }',
      'if postfix status >/dev/null 2>&1; then postfix reload 2>&1 || exit 11; else postfix start 2>&1 || exit 12; fi',
    ].join('\n'),
    logs: ['/var/log/mail.log'],
  },
  exim: {
    command: 'systemctl restart exim4',
    reload: 'systemctl restart exim4 2>&1',
    logs: ['/var/log/exim4/paniclog', '/var/log/exim4/mainlog'],
  },
}

const SERVICE = 'mail'
/** How long a reloaded daemon gets to listen again before we call it down. */
const START_TIMEOUT_MS = 20_000
/** How long extra ports the exercise probes (587, 465) get to appear; their absence is for the checks to judge. */
const PORT_WAIT_MS = 5_000
/** Ports where the labs' servers speak TLS from the first byte (Exim's tls_on_connect_ports, Postfix's smtps). */
const IMPLICIT_TLS_PORTS: ReadonlySet<number> = new Set([465])

export type LogMark = ReadonlyMap<string, number>

/** Largest log read back for evidence; a fresh grading sandbox's logs are a few KiB. */
const LOG_MAX_BYTES = 32 * 1024 * 1024

/** Current size of each log file (read through the engine, not the container's stat), so that later only what the grading caused is shown. */
export async function markLogs(handle: SandboxHandle): Promise<LogMark> {
  const logs = PROFILES[handle.lab].logs
  const sizes = await Promise.all(logs.map(async (f) => (await handle.stat(SERVICE, f))?.size ?? 0))
  return new Map(logs.map((f, i) => [f, sizes[i] ?? 0]))
}

/** Lines appended to the service's logs since `mark` (the last `max` of them, those matching `grep` when given), each file introduced by its name. */
export async function newLogLines(handle: SandboxHandle, mark: LogMark, opts: { max?: number; grep?: string } = {}): Promise<string[]> {
  const out: string[] = []
  const filter = opts.grep ? new RegExp(opts.grep, 'i') : null
  // The grader's own "is port 25 answering" connections (from the bridge gateway) are not the learner's evidence.
  const gateway = `[${handle.address(SERVICE).replace(/\.\d+$/, '.1')}]`
  const ours = (l: string) => l.includes(gateway) && /connect(ion)? from|closed by QUIT|lost connection|lost after/i.test(l)
  for (const [file, size] of mark) {
    const st = await handle.stat(SERVICE, file)
    if (!st?.isFile) continue
    // A log rotated or truncated since the mark is new from its first byte.
    const from = st.size >= size ? size : 0
    let text: string
    try {
      text = (await handle.readFile(SERVICE, file, LOG_MAX_BYTES)).subarray(from).toString('utf8')
    } catch {
      continue
    }
    const lines = text.split('\n').filter((l) => l.trim() !== '' && !ours(l) && (!filter || filter.test(l))).slice(-(opts.max ?? 40))
    if (lines.length) out.push(`--- ${file}`, ...lines)
  }
  return out
}

/** The container's accounts, from its /etc/passwd and /etc/group read through the engine (never its own programs). */
async function readAccounts(handle: SandboxHandle, service: ServiceName): Promise<Accounts> {
  const read = (p: string) => handle.readFile(service, p, 1024 * 1024).then((b) => b.toString('utf8'), () => '')
  const [passwd, group] = await Promise.all([read('/etc/passwd'), read('/etc/group')])
  return { users: idsByName(passwd), groups: idsByName(group) }
}

/**
 * Writes the files with the mode and owner grading/ownership.ts decides (see grading/README.md, "Modes and
 * owners"), then reads both back through the engine for the evidence.
 */
export async function installFiles(handle: SandboxHandle, files: readonly MappedFile[]): Promise<string[]> {
  const lines: string[] = []
  const accounts = new Map<ServiceName, Promise<Accounts>>()
  for (const f of files) {
    const service = f.service
    if (!accounts.has(service)) accounts.set(service, readAccounts(handle, service))
    const before = await handle.stat(service, f.target)
    const dir = path.posix.dirname(f.target)
    const mk = await handle.exec(service, ['mkdir', '-p', dir])
    if (mk.exitCode !== 0) throw new Error(`mkdir -p ${dir} failed in ${service}: ${mk.stderr.trim()}`)
    const plan = planInstall(f, before, await accounts.get(service)!)
    await handle.writeFile(service, f.target, f.content, plan.mode)
    let after = await handle.stat(service, f.target)
    if (after && (after.uid !== plan.uid || after.gid !== plan.gid)) {
      // writeFile keeps an existing file's owner: change it by number (no name lookup inside the container), on the
      // start state's own image before any learner code has run, then check it through the engine.
      const ch = await handle.exec(service, ['chown', '-h', `${plan.uid}:${plan.gid}`, '--', f.target])
      if (ch.exitCode !== 0) throw new Error(`chown ${plan.owner} ${f.target} failed in ${service}: ${ch.stderr.trim()}`)
      after = await handle.stat(service, f.target)
    }
    if (!after || after.uid !== plan.uid || after.gid !== plan.gid || after.mode !== plan.mode) {
      throw new Error(`${f.target} installed as ${after ? `${after.mode.toString(8)} ${after.uid}:${after.gid}` : 'nothing'}, not ${plan.mode.toString(8)} ${plan.uid}:${plan.gid}`)
    }
    const refused = plan.refused !== undefined ? `; owner ${stripControl(plan.refused)} from the archive ignored` : ''
    lines.push(
      `${f.rel} → ${service === SERVICE ? '' : `${service}:`}${f.target} (${f.content.length} bytes, ${after.mode.toString(8)} ${after.user}:${after.group} from the ${plan.ownerFrom}${refused}${before?.isFile ? ', replaced' : ', new'})`,
    )
  }
  return lines
}

/** Postfix reads indexed maps (hash:, lmdb:…) from their compiled form: compile the submitted ones, as `postmap` would. */
async function compileMaps(handle: SandboxHandle, given: readonly MappedFile[]): Promise<string[]> {
  const files = given.filter((f) => f.service === SERVICE)
  // main.cf and master.cf are never maps: most submissions need no postconf call at all.
  if (handle.lab !== 'postfix' || files.every((f) => /^\/etc\/postfix\/(main|master)\.cf$/.test(f.target))) return []
  // Which maps the configuration names comes from the trusted postconf; compiling stays the server's own postmap,
  // since the compiled map is what the live server reads and the probes judge its behaviour, not postmap's word.
  const [main, master] = await Promise.all([handle.tool(SERVICE, 'postconf', ['-n']), handle.tool(SERVICE, 'postconf', ['-P'])])
  const submitted = new Set(files.map((f) => f.target))
  const maps = new Set<string>()
  for (const m of `${main.stdout}\n${master.stdout}`.matchAll(/\b(hash|btree|cdb|lmdb|dbm):(\/[^\s,]+)/g)) if (submitted.has(m[2]!)) maps.add(`${m[1]}:${m[2]}`)
  const lines: string[] = []
  for (const map of maps) {
    const r = await handle.exec(SERVICE, ['postmap', map])
    lines.push(`$ postmap ${map}${r.exitCode ? ` → exit ${r.exitCode}` : ''}`, ...`${r.stdout}${r.stderr}`.split('\n').filter(Boolean))
  }
  return lines
}

export interface ReloadOutcome {
  readonly started: boolean
  /** The commands run and what they printed, then the service's new log lines. */
  readonly lines: readonly string[]
  readonly exitCode: number
  readonly durationMs: number
}

/**
 * Whether a port answers from the host: a TCP connection is accepted and, with `greeting`, an SMTP greeting
 * (any reply code: a 421 or 554 banner is still a running server) arrives. Decided outside the container,
 * so a replaced `postfix status` or `pidof` cannot fake a running server.
 */
export function portAnswers(host: string, port: number, opts: { greeting: boolean; tls?: boolean; timeoutMs?: number }): Promise<boolean> {
  if (opts.tls) return tlsPortAnswers(host, port, opts.timeoutMs ?? 3_000)
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    let buf = ''
    let settled = false
    const done = (ok: boolean, quit = false) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      // A polite QUIT keeps the server's log to "disconnect … quit=1" rather than a lost connection.
      if (quit) {
        socket.end('QUIT\r\n')
        setTimeout(() => socket.destroy(), 2_000).unref()
      } else socket.destroy()
      resolve(ok)
    }
    const timer = setTimeout(() => done(false), opts.timeoutMs ?? 3_000)
    socket.on('error', () => done(false))
    socket.on('close', () => done(false))
    socket.on('connect', () => {
      if (!opts.greeting) done(true)
    })
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1')
      if (/^\d{3}[ -]/.test(buf)) done(true, true)
      else if (buf.includes('\n') || buf.length > 512) done(false)
    })
  })
}

/**
 * On an implicit-TLS port a bare connect-and-close is an aborted handshake, which Exim logs as a TLS error
 * (and exim.log.no-tls-errors then blames the learner): finish the handshake and close cleanly instead. A port that
 * accepts but whose handshake fails still answers; the checks judge the handshake.
 */
function tlsPortAnswers(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let connected = false
    let settled = false
    // Only whether the port is up matters here, never who the server claims to be.
    const socket = tlsConnect({ host, port, rejectUnauthorized: false, servername: 'mail.domaine.tld' })
    const done = (ok: boolean) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(ok)
    }
    const timer = setTimeout(() => (socket.destroy(), done(connected)), timeoutMs)
    socket.on('connect', () => (connected = true))
    socket.on('secureConnect', () => {
      done(true)
      // A polite QUIT after the (encrypted) banner, as on port 25, so the log holds a plain "quit", no lost connection.
      const bye = setTimeout(() => socket.end(), 2_000)
      bye.unref()
      let buf = ''
      let quit = false
      socket.on('data', (d: Buffer) => {
        buf += d.toString('latin1')
        if (!quit && /^\d{3} /m.test(buf)) {
          quit = true
          socket.write('QUIT\r\n')
        }
      })
      socket.on('end', () => (clearTimeout(bye), socket.end()))
    })
    socket.on('error', () => done(connected))
    socket.on('close', () => done(connected))
  })
}

async function poll(test: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (let delay = 200; ; delay = Math.min(delay * 1.5, 1000)) {
    if (await test()) return true
    if (Date.now() > deadline) return false
    await new Promise((res) => setTimeout(res, delay))
  }
}

/** Compiles submitted maps, reloads the service and waits for it to listen again; never throws for a learner's mistake. */
export async function reloadService(handle: SandboxHandle, files: readonly MappedFile[], mark: LogMark, extraPorts: readonly number[]): Promise<ReloadOutcome> {
  const t0 = Date.now()
  const profile = PROFILES[handle.lab]
  const lines = await compileMaps(handle, files)
  const r = await handle.exec(SERVICE, ['sh', '-c', profile.reload], { timeoutMs: 60_000 })
  lines.push(`$ ${profile.command}${r.exitCode ? `  → exit ${r.exitCode}` : ''}`, ...`${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() !== ''))
  const host = handle.address(SERVICE)
  const smtpAnswers = () => portAnswers(host, 25, { greeting: true })
  let started = r.exitCode === 0 && (await poll(smtpAnswers, START_TIMEOUT_MS))
  if (r.exitCode === 0 && !started) lines.push(`(${handle.lab === 'postfix' ? 'Postfix' : 'Exim'} ne répond pas sur le port 25 après ${START_TIMEOUT_MS / 1000} s / not listening on port 25 after ${START_TIMEOUT_MS / 1000} s)`)
  if (started) {
    const ports = [...new Set(extraPorts.filter((p) => p !== 25))]
    if (ports.length) await poll(async () => (await Promise.all(ports.map((p) => portAnswers(host, p, { greeting: false, tls: IMPLICIT_TLS_PORTS.has(p) })))).every(Boolean), PORT_WAIT_MS)
    // A reload that "worked" but whose daemon died right after (a fatal error at start-up) is a failure too.
    started = await smtpAnswers()
  }
  lines.push(...(await newLogLines(handle, mark, { max: started ? 20 : 60 })))
  return { started, lines, exitCode: r.exitCode, durationMs: Date.now() - t0 }
}
