// Runs one command block of guide 000 in a lab session (with its plumbing and probes) and renders the results as markdown.
import { posix } from 'node:path'
import type { SandboxHandle } from '../../../../checker/sandbox-handle.ts'
import type { DocCommand } from './commands.ts'
import { type CommandEntry, type CopyStep, type Expectation, type LabService, labCommand } from './commands-table.ts'

export interface StepResult {
  readonly label: string
  readonly service: LabService
  readonly command: string
  readonly exitCode: number
  readonly output: string
  readonly durationMs: number
  readonly problems: readonly string[]
}

export type RunMode = 'as written' | 'substituted' | 'covered'

export interface BlockResult {
  readonly doc: DocCommand
  readonly entry: CommandEntry
  readonly mode: RunMode
  readonly main: StepResult | null
  readonly steps: readonly StepResult[]
  readonly durationMs: number
  readonly problems: readonly string[]
  /** documentError entries confirmed in the lab: whether the evidence string was seen. */
  readonly evidenceSeen: boolean | null
}

export const modeOf = (e: CommandEntry): RunMode => (e.coveredBy ? 'covered' : e.substitution ? 'substituted' : 'as written')

/** What is wrong with a result against an expectation (empty when it meets it). */
export function checkExpectation(expect: Expectation | undefined, exitCode: number, output: string): string[] {
  const problems: string[] = []
  const want = expect?.exitCode ?? 0
  if (exitCode !== want) problems.push(`exit ${exitCode}, expected ${want}`)
  for (const re of expect?.output ?? []) if (!re.test(output)) problems.push(`output lacks ${re}`)
  for (const re of expect?.notOutput ?? []) if (re.test(output)) problems.push(`output has ${re}`)
  return problems
}

async function execStep(h: SandboxHandle, label: string, service: LabService, command: string, expect: Expectation | undefined, timeoutMs = 60_000): Promise<StepResult> {
  const t0 = Date.now()
  const r = await h.exec(service, ['bash', '-c', command], { timeoutMs })
  const output = `${r.stdout}${r.stderr ? (r.stdout && !r.stdout.endsWith('\n') ? '\n' : '') + r.stderr : ''}`
  return { label, service, command, exitCode: r.exitCode, output, durationMs: Date.now() - t0, problems: checkExpectation(expect, r.exitCode, output) }
}

async function copyStep(h: SandboxHandle, step: CopyStep): Promise<StepResult> {
  const t0 = Date.now()
  const { from, to, mode, owner } = step.copy
  const label = `copy ${from[0]}:${from[1]} → ${to[0]}:${to[1]}`
  const problems: string[] = []
  try {
    const data = await h.readFile(from[0], from[1])
    const mk = await h.exec(to[0], ['mkdir', '-p', posix.dirname(to[1])])
    if (mk.exitCode !== 0) problems.push(`mkdir: ${mk.stderr.trim()}`)
    await h.writeFile(to[0], to[1], data, mode)
    const ch = await h.exec(to[0], ['chown', owner, to[1]])
    if (ch.exitCode !== 0) problems.push(`chown: ${ch.stderr.trim()}`)
  } catch (err) {
    problems.push((err as Error).message)
  }
  return { label, service: to[0], command: label, exitCode: problems.length ? 1 : 0, output: '', durationMs: Date.now() - t0, problems }
}

/** Runs a block as the table says, then its plumbing steps and probes; never throws for a failing command. */
export async function runBlock(h: SandboxHandle, doc: DocCommand, entry: CommandEntry): Promise<BlockResult> {
  const t0 = Date.now()
  const mode = modeOf(entry)
  const problems: string[] = []
  const steps: StepResult[] = []
  let main: StepResult | null = null
  if (entry.writeTo) {
    try {
      await h.writeFile(entry.service, entry.writeTo.path, `${doc.text}\n`, entry.writeTo.mode)
    } catch (err) {
      problems.push(`writing ${entry.writeTo.path}: ${(err as Error).message}`)
    }
  }
  const command = labCommand(doc, entry)
  if (command !== null && problems.length === 0) {
    main = await execStep(h, doc.id, entry.service, command, entry.expect, entry.timeoutMs)
    problems.push(...main.problems)
  }
  // Plumbing runs even after an expected failure: it is what puts the lab back (template restored, files staged).
  for (const step of entry.then ?? []) {
    const r = 'copy' in step ? await copyStep(h, step) : await execStep(h, `then: ${step.what.en}`, step.service, step.command, step.expect)
    steps.push(r)
    problems.push(...r.problems.map((p) => `${r.label}: ${p}`))
  }
  for (const p of entry.probe ?? []) {
    const r = await execStep(h, `probe: ${p.what.en}`, p.service, p.command, p.expect)
    // A probe's exit code only matters when the table names one: some probes show a failing command on purpose.
    const probeProblems = p.expect?.exitCode === undefined ? r.problems.filter((x) => !x.startsWith('exit ')) : r.problems
    const fixed = { ...r, problems: probeProblems }
    steps.push(fixed)
    problems.push(...probeProblems.map((x) => `${r.label}: ${x}`))
  }
  let evidenceSeen: boolean | null = null
  if (entry.documentError && (entry.confirmedIn ?? 'lab') === 'lab') {
    const all = [main?.output ?? '', ...steps.map((s) => s.output)].join('\n')
    evidenceSeen = !!entry.evidence && all.includes(entry.evidence)
    if (!evidenceSeen) problems.push(`document error evidence not seen: ${entry.evidence}`)
  }
  return { doc, entry, mode, main, steps, durationMs: Date.now() - t0, problems, evidenceSeen }
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ')
const short = (s: string, n = 70): string => {
  const one = s.split('\n')[0] ?? ''
  return one.length > n || s.includes('\n') ? `${one.slice(0, n)}…` : one
}
const fence = (s: string): string => {
  const ticks = s.includes('```') ? '````' : '```'
  return `${ticks}\n${s}\n${ticks}`
}
function excerpt(output: string, maxLines = 10): string {
  const lines = output.replace(/\s+$/, '').split('\n').map((l) => (l.length > 160 ? `${l.slice(0, 160)}…` : l))
  if (lines.length <= maxLines) return lines.join('\n')
  return [...lines.slice(0, maxLines - 3), `… (${lines.length - maxLines + 1} more lines)`, ...lines.slice(-2)].join('\n')
}

export interface RunSummary {
  readonly session: string
  readonly startedAt: Date
  readonly upMs: number
  readonly totalMs: number
  readonly command: string
}

/** RESULTS.md: one row per command of the guide, then each block's command, reason, outcome and output. */
export function renderResults(results: readonly BlockResult[], summary: RunSummary): string {
  const sorted = [...results].sort((a, b) => a.doc.line - b.doc.line)
  const blocks = sorted.filter((r) => !r.doc.inline || r.mode !== 'covered')
  const count = (f: (r: BlockResult) => boolean) => sorted.filter(f).length
  const out: string[] = []
  out.push('# Guide 000 command blocks in the exim lab')
  out.push('')
  out.push(`Generated by \`${summary.command}\` (slides/decks/02-acme-exim/commands/commands.sandbox.test.ts); do not edit by hand.`)
  out.push('')
  out.push(
    `Run of ${summary.startedAt.toISOString()}, session \`${summary.session}\` (lab exim: Exim 4.96 GnuTLS in a HestiaCP layout, Pebble, BIND, toolbox), ` +
      `lab up in ${(summary.upMs / 1000).toFixed(1)} s, every block in ${(summary.totalMs / 1000).toFixed(1)} s.`,
  )
  out.push('')
  out.push(
    `- ${count(() => true)} commands found: ${count((r) => !r.doc.inline)} blocks and ${count((r) => r.doc.inline)} mentioned inline in a sentence.` +
      ` Blocks run as written: ${count((r) => !r.doc.inline && r.mode === 'as written')}; with a lab substitution: ${count((r) => !r.doc.inline && r.mode === 'substituted')}.` +
      ` Inline mentions run as written: ${count((r) => r.doc.inline && r.mode === 'as written')}; with a substitution: ${count((r) => r.doc.inline && r.mode === 'substituted')}; covered by a block that ran: ${count((r) => r.mode === 'covered')}.` +
      ` Commands run as the guide prints them (blocks, inline, and inline mentions covered by an as-written block): ${count((r) => r.mode === 'as written' || (r.mode === 'covered' && sorted.find((c) => c.doc.id === r.entry.coveredBy)?.mode === 'as written'))} of ${count(() => true)}.`,
  )
  out.push(
    `- Outcome as expected: ${count((r) => r.problems.length === 0)} of ${sorted.length}.` +
      ` Document errors confirmed in the lab: ${count((r) => r.evidenceSeen === true)}; known from the tool's source only: ${count((r) => !!r.entry.documentError && r.entry.confirmedIn === 'source')}.`,
  )
  out.push('')
  out.push('| Id | § | Kind | Runs in | How | Outcome | Exit | Duration | Document error |')
  out.push('|---|---|---|---|---|---|---|---|---|')
  for (const r of sorted) {
    const outcome = r.problems.length === 0 ? (r.mode === 'covered' ? `covered by ${r.entry.coveredBy}` : 'as expected') : `**FAILED**: ${cell(r.problems.join('; '))}`
    const de = r.entry.documentError ? (r.entry.confirmedIn === 'source' ? 'yes (source only)' : r.evidenceSeen ? 'yes, confirmed' : 'yes, NOT confirmed') : ''
    out.push(
      `| ${r.doc.id}${r.doc.endLine > r.doc.line ? `–${r.doc.endLine}` : ''} | ${r.doc.section} | ${r.doc.kind}${r.doc.inline ? ' (inline)' : ''}${r.doc.commented ? ' (commented)' : ''} | ${r.entry.service} | ${r.mode} | ${outcome} | ${r.main ? r.main.exitCode : '—'} | ${(r.durationMs / 1000).toFixed(1)} s | ${de} |`,
    )
  }
  out.push('')
  out.push('## Blocks')
  for (const r of blocks) {
    out.push('')
    out.push(`### ${r.doc.id} — §${r.doc.section} ${r.doc.sectionTitle} (${r.mode})`)
    out.push('')
    out.push('Document:')
    out.push('')
    out.push(fence(r.doc.text))
    if (r.entry.substitution) {
      out.push('')
      out.push(`Lab substitution (${r.entry.service}):`)
      out.push('')
      out.push(fence(r.entry.substitution.command))
      out.push('')
      out.push(`Why: ${r.entry.substitution.why.en}`)
      out.push('')
      out.push(`Pourquoi : ${r.entry.substitution.why.fr}`)
    } else if (r.entry.writeTo) {
      out.push('')
      out.push(`Written verbatim to \`${r.entry.writeTo.path}\` (mode ${r.entry.writeTo.mode.toString(8)}) on ${r.entry.service}, then:`)
      out.push('')
      out.push(fence(r.entry.apply ?? ''))
    }
    if (r.entry.writeTo && r.entry.substitution) out.push('', `(The block's text is first written verbatim to \`${r.entry.writeTo.path}\`.)`)
    const e = r.entry.expect
    out.push('')
    out.push(
      `Expected: exit ${e.exitCode ?? 0}${(e.output ?? []).length ? `; output matches ${(e.output ?? []).map((x) => `\`${x}\``).join(', ')}` : ''}${(e.notOutput ?? []).length ? `; output does not match ${(e.notOutput ?? []).map((x) => `\`${x}\``).join(', ')}` : ''}.`,
    )
    if (r.main) {
      out.push('')
      out.push(`Got: exit ${r.main.exitCode} in ${(r.main.durationMs / 1000).toFixed(1)} s${r.main.output.trim() ? ':' : ', no output.'}`)
      if (r.main.output.trim()) out.push('', fence(excerpt(r.main.output)))
    }
    for (const s of r.steps) {
      out.push('')
      out.push(`- ${s.label} (${s.service}): exit ${s.exitCode}, ${(s.durationMs / 1000).toFixed(1)} s${s.problems.length ? ` — **${cell(s.problems.join('; '))}**` : ''}`)
      if (s.label.startsWith('probe:')) out.push('', fence(`$ ${short(s.command, 200)}\n${excerpt(s.output, 8)}`))
    }
    if (r.entry.documentError) {
      out.push('')
      out.push(`**Document error** (${r.entry.confirmedIn === 'source' ? 'known from the source; acme.sh is not in the lab' : r.evidenceSeen ? 'confirmed in the lab' : 'NOT confirmed'}): evidence \`${r.entry.evidence}\`.`)
      if (r.entry.finding) out.push('', `${r.entry.finding.en}`, '', `${r.entry.finding.fr}`)
    }
    if (r.entry.note) out.push('', `Note: ${r.entry.note.en}`)
    if (r.problems.length) out.push('', `**Problems:** ${r.problems.join('; ')}`)
  }
  out.push('')
  return out.join('\n')
}
