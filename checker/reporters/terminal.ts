// Human-readable report for a terminal: one line per check, then what to fix and the evidence for failures.
import type { CheckResult, Lang, RunReport, Status } from '../types.ts'
import { stripControl } from '../../core/text.ts'
import { countByStatus } from './json.ts'

export interface TerminalOptions {
  readonly lang: Lang
  readonly color: boolean
  /** Evidence for every check, not only for failures and warnings. */
  readonly verbose?: boolean
  /** Evidence lines shown per check. */
  readonly maxEvidenceLines?: number
}

const LABEL: Record<Status, string> = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', inconclusive: '????', skip: 'SKIP' }
const COLOR: Record<Status, string> = { pass: '32', fail: '31', warn: '33', inconclusive: '35', skip: '90' }

function paint(on: boolean, code: string, s: string): string {
  return on ? `\x1b[${code}m${s}\x1b[0m` : s
}

// Summaries quote servers, evidence is what they sent, endpoints and hosts may come from DNS: everything printed
// is stripped before our own colours are added, so only those escapes reach the terminal.
const clean = (s: string): string => stripControl(s)

/** The line printed as soon as a check completes (progress while the run goes on). */
export function formatResultLine(r: CheckResult, o: TerminalOptions): string {
  const label = paint(o.color, COLOR[r.status], `[${LABEL[r.status]}]`)
  return `${label} ${clean(r.id).padEnd(30)} ${clean(r.summary[o.lang])} ${paint(o.color, '90', `(${r.durationMs} ms)`)}`
}

export function formatResultDetails(r: CheckResult, o: TerminalOptions): string[] {
  const show = o.verbose || r.status === 'fail' || r.status === 'warn' || r.status === 'inconclusive'
  if (!show) return []
  const out: string[] = []
  out.push(`${paint(o.color, '1', clean(r.id))} — ${clean(r.title[o.lang])}${r.endpoint ? `  [${clean(r.endpoint)}]` : ''}`)
  out.push(`  ${clean(r.summary[o.lang])}`)
  if ((r.status === 'fail' || r.status === 'warn') && r.remedy) {
    out.push(`  ${o.lang === 'fr' ? 'Correctif' : 'Fix'} Postfix : ${clean(r.remedy.postfix)}`)
    out.push(`  ${o.lang === 'fr' ? 'Correctif' : 'Fix'} Exim    : ${clean(r.remedy.exim)}`)
  }
  const max = o.maxEvidenceLines ?? 30
  const lines = r.evidence.lines
  for (const l of lines.slice(0, max)) out.push(paint(o.color, '90', `    ${clean(l)}`))
  if (lines.length > max) out.push(paint(o.color, '90', `    … ${lines.length - max} ${o.lang === 'fr' ? 'lignes de plus (--json pour tout voir)' : 'more lines (--json shows all)'}`))
  return out
}

export function formatSummary(report: RunReport, o: TerminalOptions): string {
  const c = countByStatus(report.checks)
  const parts = (Object.keys(c) as Status[]).filter((s) => c[s]).map((s) => paint(o.color, COLOR[s], `${c[s]} ${s}`))
  const t = report.target
  return `${clean(t.host)}:${t.port} — ${parts.join(', ')} — ${report.durationMs} ms`
}

/** The whole report at once (what `check` prints after the streamed lines, without repeating them). */
export function formatTerminal(report: RunReport, o: TerminalOptions, includeLines = true): string {
  const out: string[] = []
  if (includeLines) for (const r of report.checks) out.push(formatResultLine(r, o))
  const details = report.checks.flatMap((r) => {
    const d = formatResultDetails(r, o)
    return d.length ? ['', ...d] : []
  })
  out.push(...details, '', formatSummary(report, o))
  return `${out.join('\n')}\n`
}
