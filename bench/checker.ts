// Benchmark: full checker audit of a sandbox Postfix vs testssl.sh's full `--starttls smtp` scan of the same host, same run.
import { runChecks, remoteChecks } from '../checker/runner.ts'
import { ensureTestssl, runTestssl } from '../checker/test-support/testssl.ts'
import { downSandbox, upLab } from '../sandbox/engine.ts'

const SESSION = `bench-checker-${process.pid}`
const RUNS = Number(process.env['BENCH_RUNS'] ?? 7)
const json = process.argv.includes('--json')
const log = (s: string): void => void process.stderr.write(`${s}\n`)

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

ensureTestssl()
log(`bench/checker: starting the postfix lab (session ${SESSION})…`)
const sb = await upLab({ lab: 'postfix', session: SESSION, fresh: true })
try {
  const host = sb.address('mail')
  const checks = remoteChecks().filter((c) => !c.id.startsWith('dns.'))
  const target = { host, port: 25, mode: 'starttls' as const, servername: 'mail.domaine.tld' }
  const times: number[] = []
  let last: Awaited<ReturnType<typeof runChecks>['report']> | undefined
  for (let i = 0; i <= RUNS; i++) {
    const t0 = performance.now()
    last = await runChecks({ target, checks, useCheckDefaults: true }).report
    const ms = performance.now() - t0
    if (i > 0) times.push(ms) // the first run warms up Postfix's smtpd processes and Node's JIT
    log(`  audit ${i === 0 ? 'warm-up' : `#${i}`}: ${ms.toFixed(0)} ms`)
  }
  const counts = last!.checks.reduce<Record<string, number>>((a, r) => ((a[r.status] = (a[r.status] ?? 0) + 1), a), {})
  log('  testssl.sh --starttls smtp (full scan)…')
  const ts = await runTestssl(host, 25, [], 900_000)
  const auditMedian = median(times)
  const result = {
    host: `${host}:25 (Postfix as Debian installs it)`,
    checks: checks.length,
    verdicts: counts,
    auditMs: { median: Math.round(auditMedian), min: Math.round(Math.min(...times)), max: Math.round(Math.max(...times)), runs: times.length },
    testsslMs: ts.durationMs,
    testsslFindings: ts.findings.length,
    ratio: Number((ts.durationMs / auditMedian).toFixed(1)),
    targetAuditUnder1s: auditMedian < 1000,
    targetRatioAtLeast50: ts.durationMs / auditMedian >= 50,
  }
  if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  else {
    process.stdout.write(
      [
        `checker full audit (${checks.length} checks): median ${result.auditMs.median} ms (min ${result.auditMs.min}, max ${result.auditMs.max}, ${result.auditMs.runs} runs)`,
        `testssl.sh full --starttls smtp scan:       ${ts.durationMs} ms (${ts.findings.length} findings)`,
        `ratio testssl/checker:                      ${result.ratio}×`,
        `targets: audit < 1 s ${result.targetAuditUnder1s ? 'met' : 'NOT met'}; ≥ 50× ${result.targetRatioAtLeast50 ? 'met' : 'NOT met'}`,
        '',
      ].join('\n'),
    )
  }
} finally {
  await downSandbox(SESSION)
}
