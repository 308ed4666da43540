// Installs submitted files into the mail service and reloads it the way each lab's MTA expects, keeping its own log as evidence.
import path from 'node:path'
import type { LabName, SandboxHandle } from '../checker/sandbox-handle.ts'
import type { MappedFile } from './intake.ts'

interface ServiceProfile {
  /** What the learner would type, shown in the evidence. */
  readonly command: string
  /** Exit 0 when the service accepted the configuration and (re)started. */
  readonly reload: string
  /** Exit 0 once the daemon runs and listens on 25. */
  readonly running: string
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
    running: 'postfix status >/dev/null 2>&1 && lab-listening 25',
    logs: ['/var/log/mail.log'],
  },
  exim: {
    command: 'systemctl restart exim4',
    reload: 'systemctl restart exim4 2>&1',
    running: 'pidof exim4 >/dev/null 2>&1 && lab-listening 25',
    logs: ['/var/log/exim4/paniclog', '/var/log/exim4/mainlog'],
  },
}

const SERVICE = 'mail'
/** How long a reloaded daemon gets to listen again before we call it down. */
const START_TIMEOUT_MS = 20_000
/** How long extra ports the exercise probes (587, 465) get to appear; their absence is for the checks to judge. */
const PORT_WAIT_MS = 5_000

export type LogMark = ReadonlyMap<string, number>

/** Current size of each log file, so that later only what the grading caused is shown. */
export async function markLogs(handle: SandboxHandle): Promise<LogMark> {
  const logs = PROFILES[handle.lab].logs
  const r = await handle.exec(SERVICE, ['sh', '-c', 'for f in "$@"; do stat -c %s "$f" 2>/dev/null || echo 0; done', 'sh', ...logs])
  const sizes = r.stdout.trim().split('\n')
  return new Map(logs.map((f, i) => [f, Number(sizes[i]) || 0]))
}

/** Lines appended to the service's logs since `mark` (the last `max` of them), each file introduced by its name. */
export async function newLogLines(handle: SandboxHandle, mark: LogMark, opts: { max?: number; grep?: string } = {}): Promise<string[]> {
  const out: string[] = []
  for (const [file, size] of mark) {
    const filter = opts.grep ? ` | grep -E -i ${shellQuote(opts.grep)}` : ''
    const r = await handle.exec(SERVICE, ['sh', '-c', `[ -f "$1" ] && tail -c +$(($2 + 1)) "$1"${filter} | tail -n ${opts.max ?? 40}`, 'sh', file, String(size)])
    const lines = r.stdout.split('\n').filter((l) => l.trim() !== '')
    if (lines.length) out.push(`--- ${file}`, ...lines)
  }
  return out
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

/**
 * Writes the files. A file that exists in the start state keeps its owner and mode (the service must still be able
 * to read it); a new one gets the mode the submission carried (setuid and friends stripped), else 0755 for a script
 * (#!) and 0644 otherwise, owned by root:root.
 */
export async function installFiles(handle: SandboxHandle, files: readonly MappedFile[]): Promise<string[]> {
  const lines: string[] = []
  for (const f of files) {
    const before = await handle.stat(SERVICE, f.target)
    const dir = path.posix.dirname(f.target)
    const mk = await handle.exec(SERVICE, ['mkdir', '-p', dir])
    if (mk.exitCode !== 0) throw new Error(`mkdir -p ${dir} failed in ${SERVICE}: ${mk.stderr.trim()}`)
    // A zip made on Windows carries no mode: a script (#!) must still be runnable by the hook that calls it.
    const fallback = f.content.subarray(0, 2).toString('latin1') === '#!' ? 0o755 : 0o644
    const mode = before?.isFile ? undefined : (f.mode ?? fallback) & 0o777
    await handle.writeFile(SERVICE, f.target, f.content, mode)
    const after = await handle.stat(SERVICE, f.target)
    lines.push(
      `${f.rel} → ${f.target} (${f.content.length} bytes, ${after ? `${after.mode.toString(8)} ${after.user}:${after.group}` : '?'}${before?.isFile ? ', replaced' : ', new'})`,
    )
  }
  return lines
}

/** Postfix reads indexed maps (hash:, lmdb:…) from their compiled form: compile the submitted ones, as `postmap` would. */
async function compileMaps(handle: SandboxHandle, files: readonly MappedFile[]): Promise<string[]> {
  if (handle.lab !== 'postfix' || files.length === 0) return []
  const conf = await handle.exec(SERVICE, ['sh', '-c', 'postconf -n 2>/dev/null; postconf -P 2>/dev/null'])
  const submitted = new Set(files.map((f) => f.target))
  const maps = new Set<string>()
  for (const m of conf.stdout.matchAll(/\b(hash|btree|cdb|lmdb|dbm):(\/[^\s,]+)/g)) if (submitted.has(m[2]!)) maps.add(`${m[1]}:${m[2]}`)
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

async function poll(handle: SandboxHandle, script: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (let delay = 200; ; delay = Math.min(delay * 1.5, 1000)) {
    const r = await handle.exec(SERVICE, ['sh', '-c', script], { timeoutMs: 10_000 })
    if (r.exitCode === 0) return true
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
  let started = r.exitCode === 0 && (await poll(handle, profile.running, START_TIMEOUT_MS))
  if (r.exitCode === 0 && !started) lines.push(`(${handle.lab === 'postfix' ? 'Postfix' : 'Exim'} ne répond pas sur le port 25 après ${START_TIMEOUT_MS / 1000} s / not listening on port 25 after ${START_TIMEOUT_MS / 1000} s)`)
  if (started) {
    const ports = [...new Set(extraPorts.filter((p) => p !== 25))]
    if (ports.length) await poll(handle, `lab-listening ${ports.join(' ')}`, PORT_WAIT_MS)
    // A reload that "worked" but whose daemon died right after (a fatal error at start-up) is a failure too.
    started = (await handle.exec(SERVICE, ['sh', '-c', profile.running])).exitCode === 0
  }
  lines.push(...(await newLogLines(handle, mark, { max: started ? 20 : 60 })))
  return { started, lines, exitCode: r.exitCode, durationMs: Date.now() - t0 }
}
