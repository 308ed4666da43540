// Benchmark: the `check` command as a user types it (`npx smtp-tls-lab check ADDR --port 25 --ca FILE`, a new process
// each run: npx, Node's start, the CLI's start and the probing) against a sandbox Postfix, vs testssl.sh's full
// `--starttls smtp` scan of the same host, same run. Also `npx smtp-tls-lab --help` (the CLI's start alone), the same
// two without npx, and npx's own start, so each part of the time can be told apart. npx is measured both where a user
// types it (a course or classroom project that depends on smtp-tls-lab) and in this repository itself, where npm's
// self-execution path loads the whole dependency tree first.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildCli } from '../bin/build.mjs'
import { freshBundle } from '../bin/compiled.mjs'
import { ensureTestssl, runTestssl } from '../checker/test-support/testssl.ts'
import { downSandbox, upLab } from '../sandbox/engine.ts'

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const ROOT_URL = new URL('../', import.meta.url)
const SESSION = process.env['BENCH_SESSION'] ?? `bench-checker-${process.pid}`
const RUNS = Number(process.env['BENCH_RUNS'] ?? 7)
/** Check IDs to leave out (comma-separated), e.g. one that a checker bug keeps from finishing: then named in the report. */
const SKIP = (process.env['BENCH_SKIP'] ?? '').split(',').filter(Boolean)
const json = process.argv.includes('--json')
const log = (s: string): void => void process.stderr.write(`${s}\n`)
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ')

interface Stats {
  median: number
  min: number
  max: number
  runs: number
}
function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b)
  return { median: Math.round(s[Math.floor(s.length / 2)]!), min: Math.round(s[0]!), max: Math.round(s.at(-1)!), runs: s.length }
}
const fmt = (s: Stats): string => `median ${s.median} ms (min ${s.min}, max ${s.max}, ${s.runs} runs)`

interface Run {
  ms: number
  code: number
  stdout: string
  compiled: boolean
}
function timed(cmd: string, args: readonly string[], cwd = ROOT): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const p = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: '1', SMTP_TLS_LAB_SHOW_BUILD: '1' } })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d) => (stdout += d))
    p.stderr.on('data', (d) => (stderr += d))
    p.on('error', reject)
    p.on('close', (code) => resolve({ ms: performance.now() - t0, code: code ?? -1, stdout, compiled: stderr.includes('running the compiled CLI') }))
  })
}

interface Subject {
  readonly label: string
  readonly cmd: string
  readonly args: readonly string[]
  readonly ok: (r: Run) => boolean
  /** Runs the CLI: must have run the compiled build, as after `npm install`. */
  readonly cli: boolean
  /** Working directory; default this repository. */
  readonly cwd?: string
}

let rebuilds = 0
/** One run of `s`; a run that found the bundle stale (someone edited a source meanwhile) is rebuilt and run again. */
async function runOnce(s: Subject): Promise<Run> {
  for (let attempt = 0; ; attempt++) {
    if (s.cli && !freshBundle(ROOT_URL)) {
      await buildCli({ quiet: true })
      rebuilds++
    }
    const r = await timed(s.cmd, s.args, s.cwd)
    if (!s.ok(r)) {
      const why = r.code === 13 ? " (Node's code for a process that ended while a promise it awaited could never settle)" : ''
      throw new Error(`${s.label}: unexpected exit ${r.code}${why}\n${r.stdout.slice(0, 2000)}`)
    }
    if (!s.cli || r.compiled) return r
    if (attempt >= 5) throw new Error(`${s.label}: the bundle keeps going stale (sources being edited): measure on a quiet tree`)
  }
}

/**
 * One warm-up round (Postfix's smtpd processes, the page cache), then RUNS rounds. Each round runs every subject once,
 * in turn, so that on a shared machine a burst of load weighs on all of them alike rather than on one.
 */
interface Measured {
  stats: Stats
  last: Run
}
async function measure<const T extends readonly Subject[]>(subjects: T): Promise<{ [K in keyof T]: Measured }> {
  const times: number[][] = subjects.map(() => [])
  const last: Run[] = []
  for (let round = 0; round <= RUNS; round++) {
    const line: string[] = []
    for (const [k, s] of subjects.entries()) {
      const r = await runOnce(s)
      if (round > 0) times[k]!.push(r.ms)
      last[k] = r
      line.push(`${s.label} ${r.ms.toFixed(0)}`)
    }
    log(`  ${round === 0 ? 'warm-up' : `round ${round}`}: ${line.join(', ')} ms (load ${load()})`)
  }
  return subjects.map((_, k) => ({ stats: stats(times[k]!), last: last[k]! })) as { [K in keyof T]: Measured }
}

ensureTestssl()
const loadStart = load()
// What `npm install` does, so the bench measures what users get.
await buildCli({ quiet: true })
log(`bench/checker: starting the postfix lab (session ${SESSION})…`)
const sb = await upLab({ lab: 'postfix', session: SESSION, fresh: true })
const tmp = mkdtempSync(path.join(tmpdir(), 'stl-bench-checker-'))
/**
 * A user's project with smtp-tls-lab among its dependencies, laid out as `npm install` leaves a local dependency: the
 * package linked under node_modules/ and its bin under node_modules/.bin/.
 */
function userProject(): string {
  const dir = path.join(tmp, 'classroom')
  mkdirSync(path.join(dir, 'node_modules', '.bin'), { recursive: true })
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'classroom', private: true, dependencies: { 'smtp-tls-lab': `file:${ROOT}` } }))
  symlinkSync(ROOT, path.join(dir, 'node_modules', 'smtp-tls-lab'))
  symlinkSync('../smtp-tls-lab/bin/smtp-tls-lab.mjs', path.join(dir, 'node_modules', '.bin', 'smtp-tls-lab'))
  return dir
}
try {
  const project = userProject()
  const host = sb.address('mail')
  // Postfix as Debian installs it serves the snakeoil certificate: trusting it is what `--ca` is for.
  const ca = path.join(tmp, 'ca.pem')
  writeFileSync(ca, await sb.readFile('mail', '/etc/ssl/certs/ssl-cert-snakeoil.pem'))
  const checkArgs = ['check', host, '--port', '25', '--ca', ca, '--servername', 'mail.domaine.tld', '--json', '--lang', 'en']
  if (SKIP.length) {
    // What `check` runs by default against a host without --dns-server, minus the skipped IDs.
    const catalog = await timed(process.execPath, ['bin/smtp-tls-lab.mjs', 'checks', '--json'])
    const ids = (JSON.parse(catalog.stdout) as { id: string; appliesTo: string[] }[])
      .filter((c) => c.appliesTo.includes('remote') && !c.id.startsWith('dns.') && !SKIP.includes(c.id))
      .map((c) => c.id)
    checkArgs.push('--checks', ids.join(','))
  }
  const audited = (r: Run): boolean => r.code === 0 || r.code === 1
  const helped = (r: Run): boolean => r.code === 0 && r.stdout.includes('check [options] <host>')

  const [npxCheck, repoCheck, nodeCheck, npxHelp, repoHelp, nodeHelp, npxAlone] = await measure([
    { label: 'npx check', cmd: 'npx', args: ['smtp-tls-lab', ...checkArgs], ok: audited, cli: true, cwd: project },
    { label: 'npx check (in this repo)', cmd: 'npx', args: ['smtp-tls-lab', ...checkArgs], ok: audited, cli: true },
    { label: 'node check', cmd: process.execPath, args: ['bin/smtp-tls-lab.mjs', ...checkArgs], ok: audited, cli: true },
    { label: 'npx --help', cmd: 'npx', args: ['smtp-tls-lab', '--help'], ok: helped, cli: true, cwd: project },
    { label: 'npx --help (in this repo)', cmd: 'npx', args: ['smtp-tls-lab', '--help'], ok: helped, cli: true },
    { label: 'node --help', cmd: process.execPath, args: ['bin/smtp-tls-lab.mjs', '--help'], ok: helped, cli: true },
    { label: 'npx alone', cmd: 'npx', args: ['--no', '--', 'node', '-e', '0'], ok: (r) => r.code === 0, cli: false },
  ])
  const report = JSON.parse(npxCheck.last.stdout) as { checks: { status: string }[]; durationMs: number }
  const counts = report.checks.reduce<Record<string, number>>((a, r) => ((a[r.status] = (a[r.status] ?? 0) + 1), a), {})
  log('  testssl.sh --starttls smtp (full scan)…')
  const ts = await runTestssl(host, 25, [], 900_000)
  const audit = npxCheck.stats
  const result = {
    host: `${host}:25 (Postfix as Debian installs it)`,
    command: `npx smtp-tls-lab ${checkArgs.join(' ')}`,
    where: "a project depending on smtp-tls-lab (node_modules/smtp-tls-lab, node_modules/.bin), as users run it",
    checks: report.checks.length,
    skipped: SKIP,
    verdicts: counts,
    auditMs: audit,
    probingMs: report.durationMs,
    inThisRepoMs: repoCheck.stats,
    withoutNpxMs: nodeCheck.stats,
    helpMs: npxHelp.stats,
    helpInThisRepoMs: repoHelp.stats,
    helpWithoutNpxMs: nodeHelp.stats,
    npxAloneMs: npxAlone.stats,
    npxOwnBinMs: npxHelp.stats.median - nodeHelp.stats.median,
    npxSelfExecutionMs: repoHelp.stats.median - nodeHelp.stats.median,
    testsslMs: ts.durationMs,
    testsslFindings: ts.findings.length,
    ratio: Number((ts.durationMs / audit.median).toFixed(1)),
    targetAuditUnder1s: audit.median < 1000,
    targetHelpUnder300ms: nodeHelp.stats.median <= 300,
    targetRatioAtLeast50: ts.durationMs / audit.median >= 50,
    bundleRebuilds: rebuilds,
    loadAverage: { start: loadStart, end: load() },
  }
  if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  else {
    process.stdout.write(
      [
        `checker full audit (${result.checks} checks${SKIP.length ? `; left out: ${SKIP.join(', ')}` : ''}): ${fmt(audit)}`,
        `  = the whole command: ${result.command}, typed in ${result.where}`,
        `  the same in this repository (npm's self-execution path): ${fmt(repoCheck.stats)}`,
        `  probing alone (last run's report): ${report.durationMs} ms; same command without npx: ${fmt(nodeCheck.stats)}`,
        `testssl.sh full --starttls smtp scan:       ${ts.durationMs} ms (${ts.findings.length} findings)`,
        `ratio testssl/checker:                      ${result.ratio}×`,
        `npx smtp-tls-lab --help:                    ${fmt(npxHelp.stats)}; in this repository ${fmt(repoHelp.stats)}`,
        `node bin/smtp-tls-lab.mjs --help:           ${fmt(nodeHelp.stats)}`,
        `npx's own start (npx --no -- node -e 0):    ${fmt(npxAlone.stats)}`,
        `npx's cost (npx --help − node --help medians): ${result.npxOwnBinMs} ms in a user's project, ${result.npxSelfExecutionMs} ms in this` +
          " repository (there npm loads the whole node_modules tree to run a package's own bin)",
        `targets: audit < 1 s ${result.targetAuditUnder1s ? 'met' : 'NOT met'}; --help ≤ 300 ms (without npx) ${result.targetHelpUnder300ms ? 'met' : 'NOT met'}; ≥ 50× ${result.targetRatioAtLeast50 ? 'met' : 'NOT met'}`,
        `load average (1, 5, 15 min): ${result.loadAverage.start} at start, ${result.loadAverage.end} at end${rebuilds ? `; bundle rebuilt ${rebuilds}× (sources edited meanwhile)` : ''}`,
        '',
      ].join('\n'),
    )
  }
} finally {
  rmSync(tmp, { recursive: true, force: true })
  await downSandbox(SESSION)
}
