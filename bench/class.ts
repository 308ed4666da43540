// A class on one machine: N simulated learners against one class server, each doing what the page does (open a
// terminal, type, run a check panel), for growing N. Reports the largest N where every sandbox is up, terminal echo
// p99 <= 100 ms and check-run p50 <= 5 s while 20 % of the learners run checks at once, and memory per sandbox.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os, { tmpdir } from 'node:os'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import { promisify } from 'node:util'
import WebSocket from 'ws'
import { API, WS, type CheckStreamMessage } from '../core/lab-protocol.ts'
import { benchArgs } from './args.ts'

const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'smtp-tls-lab.mjs')

const args = benchArgs()
if (args.has('help')) {
  process.stdout.write(
    'Usage: npx tsx bench/class.ts [--learners 5,10,20,30] [--keys 60] [--exercise ID] [--settle-max S] [--check-share 0.2] [--parallel-checks N] [--all] [--json]\n' +
      'For each N: a class server with N learners and N postfix sandboxes; every learner opens a terminal and types\n' +
      '--keys keystrokes one by one (echo latency), while 20 % of them press Vérifier at once (check-run duration).\n' +
      '--parallel-checks is passed to class start (default there: CPU cores − 1).\n' +
      'Measures once the CPUs have calmed down after start-up (at most --settle-max seconds, default 180).\n' +
      'Stops at the first N that misses a target. Sessions are <SMTP_TLS_LAB_TEST_PREFIX or bench->c…, removed at the end.\n',
  )
  process.exit(0)
}
const STEPS = (args.get('learners') ?? '5,10,20,30').split(',').map(Number)
const KEYS = Number(args.get('keys') ?? 60)
const EXERCISE = args.get('exercise') ?? 'postfix-tls-main-cf'
const JSON_OUT = args.has('json')
/** Measure every step even past the first miss (where it degrades, not only where it stops). */
const KEEP_GOING = args.has('all')
const TARGET = { echoP99Ms: 100, checkP50Ms: 5_000 }
/** Share of learners pressing Vérifier during the typing; 0 measures the terminals alone (what checks cost them). */
const CHECK_SHARE = Number(args.get('check-share') ?? 0.2)
const SETTLE_MAX_MS = Number(args.get('settle-max') ?? 180) * 1000
const PARALLEL_CHECKS = args.get('parallel-checks')
const run = promisify(execFile)
const log = (s: string): void => void process.stderr.write(s + '\n')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!
}

/** A learner's terminal: types KEYS characters one at a time, each timed from send to its echo. */
async function typeAndTime(base: string, token: string): Promise<number[]> {
  const ws = new WebSocket(`${base.replace('http', 'ws')}${WS.terminal}?service=toolbox&cols=120&rows=30`, {
    headers: { authorization: `Bearer ${token}` },
    perMessageDeflate: false,
  })
  let out = ''
  let waiting: { needle: string; resolve: () => void } | null = null
  ws.on('message', (d) => {
    out += String(d)
    if (waiting && out.includes(waiting.needle)) {
      const w = waiting
      waiting = null
      w.resolve()
    }
  })
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)))
  const until = (needle: string, ms = 10_000): Promise<void> =>
    out.includes(needle)
      ? Promise.resolve()
      : new Promise((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`no "${needle}" in ${ms} ms`)), ms)
          waiting = { needle, resolve: () => (clearTimeout(t), resolve()) }
        })
  await until('# ', 30_000)
  const samples: number[] = []
  // Printable, distinct from the prompt: each key's echo is the only new output.
  for (let i = 0; i < KEYS; i++) {
    out = ''
    const ch = String.fromCharCode(97 + (i % 26))
    const t0 = performance.now()
    ws.send(Buffer.from(ch), { binary: true })
    await until(ch)
    samples.push(performance.now() - t0)
    await sleep(20 + Math.random() * 30)
  }
  ws.send(Buffer.from('\u0015'), { binary: true }) // ^U: the typed line is dropped, no command runs
  ws.close()
  return samples
}

/** Presses Vérifier: POST …/check then the run's stream to its end; returns the duration. */
async function checkRun(base: string, token: string): Promise<{ ms: number; ok: boolean }> {
  const t0 = performance.now()
  const res = await fetch(`${base}${API.exerciseCheck(EXERCISE)}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' })
  if (res.status !== 202) return { ms: performance.now() - t0, ok: false }
  const { runId } = (await res.json()) as { runId: string }
  const ws = new WebSocket(`${base.replace('http', 'ws')}${WS.checks}?run=${runId}`, { headers: { authorization: `Bearer ${token}` } })
  let ok = false
  await new Promise<void>((resolve) => {
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as CheckStreamMessage
      if (m.type === 'done') ok = Object.values(m.summary).reduce((a, b) => a + b, 0) > 0
    })
    ws.once('close', () => resolve())
    ws.once('error', () => resolve())
  })
  return { ms: performance.now() - t0, ok }
}

/** Memory of each session's containers (docker stats), in MiB. */
async function memoryPerSandbox(sessions: readonly string[]): Promise<number[]> {
  const { stdout } = await run('docker', ['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}}'], { maxBuffer: 8 << 20 })
  const unit: Record<string, number> = { B: 1 / 1048576, KiB: 1 / 1024, MiB: 1, GiB: 1024, kB: 1 / 1048.576, MB: 1 / 1.048576, GB: 953.67 }
  const bySession = new Map<string, number>()
  for (const line of stdout.split('\n')) {
    const m = /^stl-(\S+)-[a-z]+ ([\d.]+)([A-Za-z]+) \//.exec(line)
    if (!m) continue
    const s = sessions.find((x) => m[1] === x)
    if (s) bySession.set(s, (bySession.get(s) ?? 0) + Number(m[2]) * (unit[m[3]!] ?? 1))
  }
  return sessions.map((s) => bySession.get(s) ?? 0)
}

interface Step {
  n: number
  up: number
  upSeconds: number
  /** Time waited after start-up for the host's CPUs to calm down (first BIND signing, Pebble, Postfix start). */
  settleSeconds: number
  echoP50Ms: number
  echoP99Ms: number
  checks: number
  checkP50Ms: number
  checkFailures: number
  memMiBPerSandbox: number
  hostMemUsedMiB: number
  /** Host load average over the last minute at the end of the step (the machine may be shared). */
  load1: number
  ok: boolean
}

/** Share of the host's CPU time spent busy over `ms` (from /proc/stat: everything but idle and iowait). */
async function cpuBusyShare(ms: number): Promise<number> {
  const read = (): { busy: number; total: number } => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
    const total = f.reduce((a, b) => a + b, 0)
    return { busy: total - f[3]! - (f[4] ?? 0), total }
  }
  const a = read()
  await sleep(ms)
  const b = read()
  return (b.busy - a.busy) / Math.max(1, b.total - a.total)
}

/**
 * A class types once its labs are up and quiet, not while N sandboxes are still signing zones and starting daemons:
 * wait until the CPUs are under half busy for one 3-second sample (at most SETTLE_MAX_MS).
 */
async function settle(): Promise<number> {
  const t0 = Date.now()
  while (Date.now() - t0 < SETTLE_MAX_MS && (await cpuBusyShare(3_000)) >= 0.5) { /* still starting */ }
  return (Date.now() - t0) / 1000
}

async function hostUsedMiB(): Promise<number> {
  const { stdout } = await run('free', ['-m'])
  return Number(/Mem:\s+\d+\s+(\d+)/.exec(stdout)?.[1] ?? NaN)
}

/** `class start` in its own process, as an instructor runs it: the bench's clients never share its event loop. */
async function startServer(root: string, n: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [CLI, 'class', 'start', '--learners', String(n), '--host', '127.0.0.1', '--port', '0', '--no-build', '--json', '--data-dir', root, ...(PARALLEL_CHECKS ? ['--parallel-checks', PARALLEL_CHECKS] : [])],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SMTP_TLS_LAB_TEST_PREFIX: process.env.SMTP_TLS_LAB_TEST_PREFIX ?? 'bench-' } },
  )
  let err = ''
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { url: string }).url.replace(/\/$/, '')))
    child.once('exit', (code) => reject(new Error(`class start exited ${code}: ${err}`)))
  })
  return { child, url }
}

async function labState(base: string, token: string): Promise<string> {
  const res = await fetch(`${base}${API.lab}`, { headers: { authorization: `Bearer ${token}` } })
  return ((await res.json()) as { state: string }).state
}

async function step(n: number): Promise<Step> {
  const root = mkdtempSync(path.join(tmpdir(), 'stl-bench-class-'))
  const t0 = Date.now()
  const { child, url: base } = await startServer(root, n)
  const seats = (JSON.parse(readFileSync(path.join(root, 'class.json'), 'utf8')) as { seats: { id: string; token: string; session: string }[] }).seats
  try {
    const states = new Map<string, string>()
    for (const until = Date.now() + 15 * 60_000; Date.now() < until; await sleep(2_000)) {
      for (const s of seats) states.set(s.id, await labState(base, s.token))
      if ([...states.values()].every((v) => v === 'up' || v === 'error')) break
    }
    const upSeconds = (Date.now() - t0) / 1000
    const up = [...states.values()].filter((v) => v === 'up').length
    log(`N=${n}: ${up}/${n} sandboxes up in ${upSeconds.toFixed(0)} s`)
    const settleSeconds = await settle()
    log(`N=${n}: CPUs under half busy after ${settleSeconds.toFixed(0)} s more`)
    const checkers = seats.slice(0, CHECK_SHARE === 0 ? 0 : Math.max(1, Math.round(n * CHECK_SHARE)))
    // Checks and typing at the same time: what a class does when a fifth presses Vérifier together.
    const [echoes, checks] = await Promise.all([
      Promise.all(seats.map((s) => typeAndTime(base, s.token).catch((e: Error) => (log(`  terminal ${s.id}: ${e.message}`), [] as number[])))),
      Promise.all(checkers.map((s) => checkRun(base, s.token))),
    ])
    const all = echoes.flat()
    const mem = await memoryPerSandbox(seats.map((s) => s.session))
    const r: Step = {
      n,
      up,
      upSeconds,
      settleSeconds,
      echoP50Ms: quantile(all, 0.5),
      echoP99Ms: quantile(all, 0.99),
      checks: checks.length,
      checkP50Ms: quantile(checks.map((c) => c.ms), 0.5),
      checkFailures: checks.filter((c) => !c.ok).length + echoes.filter((e) => e.length < KEYS).length,
      memMiBPerSandbox: mem.reduce((a, b) => a + b, 0) / Math.max(1, mem.filter((m) => m > 0).length),
      hostMemUsedMiB: await hostUsedMiB(),
      load1: os.loadavg()[0]!,
      ok: false,
    }
    r.ok = r.up === n && r.checkFailures === 0 && r.echoP99Ms <= TARGET.echoP99Ms && (r.checks === 0 || r.checkP50Ms <= TARGET.checkP50Ms)
    log(
      `N=${n}: echo p50 ${r.echoP50Ms.toFixed(1)} ms p99 ${r.echoP99Ms.toFixed(1)} ms; ${r.checks} check run(s) p50 ${(r.checkP50Ms / 1000).toFixed(1)} s; ` +
        `${r.memMiBPerSandbox.toFixed(0)} MiB per sandbox; load ${r.load1.toFixed(1)}; ${r.ok ? 'within targets' : 'MISSES a target'}`,
    )
    return r
  } finally {
    child.kill('SIGTERM')
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)))
    log(`N=${n}: removing ${n} sandboxes…`)
    const { downSandbox } = await import('../sandbox/engine.ts')
    for (let i = 0; i < seats.length; i += 4) await Promise.all(seats.slice(i, i + 4).map((s) => downSandbox(s.session).catch(() => undefined)))
    rmSync(root, { recursive: true, force: true })
  }
}

const results: Step[] = []
for (const n of STEPS) {
  const r = await step(n)
  results.push(r)
  if (!r.ok && !KEEP_GOING) break
}
// The largest N such that it and every smaller step measured met the targets.
const firstMiss = results.findIndex((r) => !r.ok)
const reached = (firstMiss === -1 ? results : results.slice(0, firstMiss)).at(-1)?.n ?? 0
if (JSON_OUT) process.stdout.write(JSON.stringify({ reached, target: TARGET, steps: results }) + '\n')
else {
  process.stdout.write(`\nclass bench: largest N within targets = ${reached} (targets: echo p99 <= ${TARGET.echoP99Ms} ms, check p50 <= ${TARGET.checkP50Ms / 1000} s, all sandboxes up)\n`)
  for (const r of results) {
    process.stdout.write(
      `  N=${r.n}: up ${r.up}/${r.n} in ${r.upSeconds.toFixed(0)} s, settled ${r.settleSeconds.toFixed(0)} s · echo p50 ${r.echoP50Ms.toFixed(1)} / p99 ${r.echoP99Ms.toFixed(1)} ms · ` +
        `${r.checks} checks p50 ${(r.checkP50Ms / 1000).toFixed(2)} s · ${r.memMiBPerSandbox.toFixed(0)} MiB/sandbox · host used ${r.hostMemUsedMiB} MiB · load ${r.load1.toFixed(1)} · ${r.ok ? 'ok' : 'over'}\n`,
    )
  }
}
process.exit(0)
