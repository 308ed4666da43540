// Commands of the checker module: `check HOST` audits any mail server, `checks` prints the catalog.
import { readFileSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { Option, type Command } from 'commander'
import { UserError } from '../core/errors.ts'
import type { CheckId } from './registry.ts'
import type { CheckRequest } from './runner.ts'
import type { Lang, RunReport, Target, TransportMode } from './types.ts'

/** The checker proper, loaded when `check` or `checks` runs: `--help` and the other commands never pay for it. */
async function checker() {
  const [registry, runner, tls, hello, json, junit, terminal] = await Promise.all([
    import('./registry.ts'),
    import('./runner.ts'),
    import('./probes/tls.ts'),
    import('./probes/tls-hello.ts'),
    import('./reporters/json.ts'),
    import('./reporters/junit.ts'),
    import('./reporters/terminal.ts'),
  ])
  return { ...registry, ...runner, ...tls, ...hello, ...json, ...junit, ...terminal }
}

interface CheckCliOptions {
  port?: string
  starttls?: boolean
  tls?: boolean
  servername?: string
  ca?: string
  checks?: string
  lang: Lang
  json?: boolean
  junit?: string
  dnsServer?: string
  domain?: string
  ehlo?: string
  stepTimeout?: string
  verbose?: boolean
  enumerate?: boolean
}

/** Every suite accepted per accepted version, one handshake per suite: the detailed cipher report. */
async function enumeration(target: Target): Promise<Record<string, string[]>> {
  const { createConnectionGate, enumerateCiphers, probeVersion, VERSION_LABELS } = await checker()
  const gate = createConnectionGate(4)
  const ep = { ...target, gate }
  const out: Record<string, string[]> = {}
  for (const v of ['ssl3', 'tls1.0', 'tls1.1', 'tls1.2', 'tls1.3'] as const) {
    const r = await probeVersion(ep, v).catch(() => null)
    if (!r?.accepted) continue
    out[VERSION_LABELS[v]] = (await enumerateCiphers(ep, v)).map((s) => `${s.name} (${s.openssl})${s.weaknesses.length ? ` [${s.weaknesses.join(', ')}]` : ''}`)
  }
  return out
}

function parsePort(s: string): number {
  const n = Number(s)
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UserError(`--port: not a TCP port: ${s}`)
  return n
}

/** Exit code: 1 when a check failed, 2 when nothing could be probed at all, else 0. */
export function exitCodeOf(report: RunReport): number {
  if (report.checks.some((r) => r.status === 'fail')) return 1
  if (!report.checks.some((r) => r.status === 'pass' || r.status === 'warn')) return 2
  return 0
}

export async function parseCheckList(list: string): Promise<CheckId[]> {
  const { isCheckId } = await import('./registry.ts')
  const ids = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const unknown = ids.filter((id) => !isCheckId(id))
  if (unknown.length) throw new UserError(`unknown check ID(s): ${unknown.join(', ')} — see \`smtp-tls-lab checks\``)
  if (!ids.length) throw new UserError('--checks: give at least one check ID')
  return ids as CheckId[]
}

async function checkCommand(host: string, o: CheckCliOptions): Promise<void> {
  const { registry, runChecks, formatJson, toJson, formatJunit, formatResultLine, formatTerminal } = await checker()
  if (o.starttls && o.tls) throw new UserError('--starttls and --tls exclude each other')
  if (o.json && o.junit) throw new UserError('--json and --junit exclude each other')
  if (!/^[A-Za-z0-9.:_-]+$/.test(host)) throw new UserError(`not a host name or address: ${host}`)
  if (o.dnsServer && !net.isIP(o.dnsServer.replace(/:\d+$/, ''))) throw new UserError(`--dns-server: give an IP address (optionally ip:port), not ${o.dnsServer}`)
  const mode: TransportMode = o.tls ? 'tls' : 'starttls'
  const port = o.port ? parsePort(o.port) : mode === 'tls' ? 465 : 25
  let ca: string | undefined
  if (o.ca) {
    try {
      ca = readFileSync(o.ca, 'utf8')
    } catch (e) {
      throw new UserError(`--ca: cannot read ${o.ca}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new UserError(`--ca: ${o.ca} holds no PEM certificate`)
  }
  const stepMs = o.stepTimeout ? Number(o.stepTimeout) : undefined
  if (stepMs !== undefined && !(stepMs > 0)) throw new UserError('--step-timeout: give milliseconds > 0')
  const target: Target = {
    host,
    port,
    mode,
    ...(o.servername ? { servername: o.servername } : {}),
    ...(ca ? { ca } : {}),
    ...(o.ehlo ? { ehloName: o.ehlo } : {}),
    ...(o.dnsServer ? { dnsServer: o.dnsServer } : {}),
    ...(o.domain ? { domain: o.domain } : {}),
    ...(stepMs ? { timeouts: { connectMs: stepMs, greetingMs: stepMs, replyMs: stepMs, tlsMs: stepMs } } : {}),
  }
  const checks: CheckRequest[] | undefined = o.checks
    ? (await parseCheckList(o.checks)).map((id) => ({ id }))
    : (Object.keys(registry) as CheckId[])
        .filter((id) => registry[id].appliesTo.includes('remote'))
        // DNS checks need a resolver the learner names: never the host's own for lab names.
        .filter((id) => !id.startsWith('dns.') || o.dnsServer)
        .map((id) => ({ id }))
  const lang = o.lang
  const color = !!process.stdout.isTTY && !process.env['NO_COLOR']
  const machine = o.json || !!o.junit
  if (!machine) process.stdout.write(`${lang === 'fr' ? 'Audit de' : 'Auditing'} ${host}:${port} (${mode}) — ${checks.length} ${lang === 'fr' ? 'contrôles' : 'checks'}\n`)
  const run = runChecks({
    target,
    checks,
    lang,
    // Without --port the audit covers the whole mail host: 25, 465 and 587 as each check needs.
    useCheckDefaults: !o.port,
    onResult: (r) => {
      if (!machine) process.stdout.write(`${formatResultLine(r, { lang, color })}\n`)
      else if (process.stderr.isTTY) process.stderr.write(`${r.status.padEnd(12)} ${r.id}\n`)
    },
  })
  const report = await run.report
  const suites = o.enumerate ? await enumeration(target) : undefined
  if (o.json) process.stdout.write(suites ? `${JSON.stringify({ ...toJson(report, lang), enumeration: suites }, null, 2)}\n` : formatJson(report, lang))
  else if (o.junit) {
    writeFileSync(o.junit, formatJunit(report, lang))
    process.stderr.write(`JUnit: ${o.junit}\n`)
  } else {
    process.stdout.write(formatTerminal(report, { lang, color, ...(o.verbose ? { verbose: true } : {}) }, false))
    for (const [v, list] of Object.entries(suites ?? {})) process.stdout.write(`\n${v}:\n${list.map((l) => `  ${l}`).join('\n')}\n`)
  }
  process.exitCode = exitCodeOf(report)
}

async function catalog(o: { json?: boolean; lang: Lang }): Promise<void> {
  const { registry } = await import('./registry.ts')
  const ids = Object.keys(registry) as CheckId[]
  if (o.json) {
    const list = ids.map((id) => {
      const c = registry[id]
      return { id, title: c.title, explain: c.explain, remedy: c.remedy, appliesTo: c.appliesTo, ...(c.defaultTarget ? { defaultTarget: c.defaultTarget } : {}) }
    })
    process.stdout.write(`${JSON.stringify(list, null, 2)}\n`)
    return
  }
  for (const id of ids) {
    const c = registry[id]
    process.stdout.write(`${id.padEnd(32)} ${c.appliesTo.includes('remote') ? 'remote ' : 'sandbox'}  ${c.title[o.lang]}\n`)
  }
}

export function register(program: Command): void {
  program
    .command('check')
    .description('Audit the SMTP/TLS setup of a mail server (any host you are allowed to probe)')
    .argument('<host>', 'host name or IP address of the mail server')
    .option('--port <n>', 'port to audit (default 25, or 465 with --tls); without it 465/587 checks use their own ports')
    .option('--starttls', 'plain SMTP then STARTTLS (default)')
    .option('--tls', 'implicit TLS from the first byte (port 465)')
    .option('--servername <name>', 'name sent in SNI and expected in the certificate')
    .option('--ca <file>', 'PEM file of trusted roots (e.g. Pebble’s); default: the public roots')
    .option('--checks <ids>', 'comma-separated check IDs (see `checks`)')
    .addOption(new Option('--lang <lang>', 'language of the report').choices(['fr', 'en']).default('fr'))
    .option('--json', 'print the report as JSON')
    .option('--junit <file>', 'write the report as JUnit XML')
    .option('--dns-server <ip>', 'DNS server for dns.* checks (required to run them)')
    .option('--domain <domain>', 'mail domain for dns.* and ETRN checks')
    .option('--ehlo <name>', 'name sent in EHLO')
    .option('--step-timeout <ms>', 'bound for each step: connect, greeting, reply, handshake')
    .option('-v, --verbose', 'show evidence for every check')
    .option('--enumerate', 'also list every accepted cipher suite per version (one handshake per suite: slower)')
    .action(checkCommand)
  program
    .command('checks')
    .description('List the checks the grader knows')
    .option('--json', 'print the catalog as JSON')
    .addOption(new Option('--lang <lang>', 'language').choices(['fr', 'en']).default('fr'))
    .action(catalog)
}
