// Commands of the exercises module, registered on the top-level CLI: list, show and prove exercises.
import type { Command } from 'commander'
import { UserError } from '../core/errors.ts'
import type { Lang } from '../checker/types.ts'
import { submissionPath, submissionPaths, submissionService } from './define.ts'
import type { Exercise } from './load.ts'
import type { GradedResult, ProofResult } from './runner.ts'
import { stripControl } from '../core/text.ts'
import type { ExerciseHint } from './define.ts'

function parseLang(v: string | undefined): Lang {
  if (v === undefined || v === 'fr' || v === 'en') return v ?? 'fr'
  throw new UserError(`--lang must be fr or en, got "${v}"`)
}

// The exercises (and the checker they use) are loaded when a command runs, not for `--help` or other commands.
async function pick(ids: readonly string[]): Promise<Exercise[]> {
  const { exercises, findExercise } = await import('./index.ts')
  if (ids.length === 0) return [...exercises]
  return ids.map((id) => {
    const ex = findExercise(id)
    if (!ex) throw new UserError(`unknown exercise "${id}"; list them with: smtp-tls-lab exercises`)
    return ex
  })
}

/** A hint as `exercises show` prints it: numbered text, then the commands it gives as a fenced block for that service. */
export function hintLines(h: ExerciseHint, i: number, lang: Lang): string[] {
  const lines = [`${i + 1}. ${h[lang]}`]
  if (h.run) lines.push('', `   \`\`\`bash run=${h.run.service}`, ...h.run.script.trimEnd().split('\n').map((l) => `   ${l}`), '   ```', '')
  return lines
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`

function proofJson(p: ProofResult) {
  const phase = (ph: ProofResult['start']) =>
    ph && {
      state: ph.report.state,
      passed: ph.report.passed,
      score: ph.report.score,
      maxScore: ph.report.maxScore,
      results: ph.report.results.map((r) => ({ key: r.key, id: r.id, status: r.status, reason: r.reason, summary: r.summary })),
    }
  return { id: p.id, ok: p.ok, problems: p.problems, timings: p.timings, start: phase(p.start), solved: phase(p.solved) }
}

export function register(program: Command): void {
  const cmd = program
    .command('exercises')
    .description('List the exercises (id, lab, title); `exercises show ID`, `exercises test [ID...]`')
  // The listing is a default subcommand so that `--json` after `show`/`test` reaches them, not the parent.
  cmd
    .command('list', { isDefault: true })
    .description('List the exercises (id, lab, title); the default of `exercises`')
    .option('--json', 'machine-readable output')
    .option('--lab <lab>', 'only the exercises of this lab (postfix|exim)')
    .option('--lang <lang>', 'title language (fr|en)', 'fr')
    .action(async (opts: { json?: boolean; lab?: string; lang?: string }) => {
      const { exercises } = await import('./index.ts')
      const lang = parseLang(opts.lang)
      if (opts.lab !== undefined && opts.lab !== 'postfix' && opts.lab !== 'exim') {
        throw new UserError(`--lab must be postfix or exim, got "${opts.lab}"`)
      }
      const list = exercises.filter((e) => !opts.lab || e.manifest.lab === opts.lab)
      if (opts.json) {
        const rows = list.map((e) => ({ id: e.id, lab: e.manifest.lab, title: e.manifest.title, checks: e.manifest.checks.map((c) => c.id) }))
        process.stdout.write(JSON.stringify(rows, null, 2) + '\n')
        return
      }
      const w = Math.max(...list.map((e) => e.id.length), 2)
      for (const e of list) process.stdout.write(`${e.id.padEnd(w)}  ${e.manifest.lab.padEnd(7)}  ${e.manifest.title[lang]}\n`)
    })

  cmd
    .command('show')
    .description("Print an exercise: its text, the checks that grade it and its hints")
    .argument('<id>', 'exercise id')
    .option('--lang <lang>', 'language (fr|en)', 'fr')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { lang?: string; json?: boolean }) => {
      const lang = parseLang(opts.lang)
      const [ex] = await pick([id])
      const m = ex!.manifest
      const text = await ex!.text(lang)
      if (opts.json) {
        process.stdout.write(JSON.stringify({ id: m.id, lab: m.lab, title: m.title, text, checks: m.checks, hints: m.hints, submission: submissionPaths(m), submissionServices: Object.fromEntries(m.submission.map((e) => [submissionPath(e), submissionService(e)])) }, null, 2) + '\n')
        return
      }
      const out = [
        `# ${m.title[lang]}  (${m.id}, lab ${m.lab})`,
        '',
        text.trimEnd(),
        '',
        lang === 'fr' ? '## Vérifications' : '## Checks',
        ...m.checks.map((c) => `- ${c.key ?? c.id}  → ${c.target.service}${c.target.port ? `:${c.target.port}` : ''}`),
        '',
        lang === 'fr' ? '## Indices' : '## Hints',
        ...m.hints.flatMap((h, i) => hintLines(h, i, lang)),
      ]
      process.stdout.write(out.join('\n') + '\n')
    })

  cmd
    .command('test')
    .description(
      'Prove exercises on fresh sandboxes: the start state fails its checks, the answer passes them ' +
        '(the scripted solution, or with --from-text the text\'s `bash run=SERVICE` blocks then the hints\' run scripts)',
    )
    .argument('[ids...]', 'exercise ids (default: all)')
    .option('--from-text', "answer with the commands the text and hints give (what a learner following them runs), not solve.sh")
    .option('--lang <lang>', 'with --from-text: the text to follow (fr|en; their run blocks must be identical)', 'fr')
    .option('--session-prefix <prefix>', 'sandbox session ids start with this (default "prove-"; a random suffix follows)')
    .option('--json', 'machine-readable output')
    .action(async (ids: string[], opts: { json?: boolean; fromText?: boolean; lang?: string; sessionPrefix?: string }) => {
      const lang = parseLang(opts.lang)
      const { isSessionId } = await import('../core/labs.ts')
      const { randomBytes } = await import('node:crypto')
      const prefix = opts.sessionPrefix ?? 'prove-'
      if (!isSessionId(`${prefix}000000`)) throw new UserError(`--session-prefix "${prefix}" would not make a valid session id (lowercase letters, digits and -, 25 characters at most)`)
      const { proveExercise } = await import('./runner.ts')
      const { proveExerciseFromText } = await import('./text-runner.ts')
      const list = await pick(ids)
      const results: ProofResult[] = []
      const say = (line: string) => {
        if (!opts.json) process.stderr.write(line + '\n')
      }
      for (const [i, ex] of list.entries()) {
        say(`[${i + 1}/${list.length}] ${ex.id}${opts.fromText ? ` (from ${lang} text)` : ''}`)
        const proofOpts = {
          session: `${prefix}${randomBytes(3).toString('hex')}`,
          log: (l: string) => say(`  ${l}`),
          onResult: (phase: 'start' | 'solved', r: GradedResult) =>
            say(`    ${phase === 'start' ? 'start ' : 'solved'} ${r.status.padEnd(12)} ${r.key}`),
        }
        const p = opts.fromText ? await proveExerciseFromText(ex, { ...proofOpts, lang }) : await proveExercise(ex, proofOpts)
        results.push(p)
        say(
          `  ${p.ok ? 'PROVED' : 'NOT PROVED'} in ${secs(p.timings.total)} (up ${secs(p.timings.up)}, setup ${secs(p.timings.setup)}, ` +
            `grade ${secs(p.timings.gradeStart)}, ${opts.fromText ? 'text' : 'solve'} ${secs(p.timings.solve)}, grade ${secs(p.timings.gradeSolved)}, down ${secs(p.timings.down)})`,
        )
        for (const pr of p.problems) say(`    ✗ ${stripControl(pr, { multiline: true }).replace(/\n/g, '\n      ')}`)
      }
      if (opts.json) process.stdout.write(JSON.stringify(results.map((r) => ({ ...proofJson(r), answer: opts.fromText ? `text.${lang}` : 'solution' })), null, 2) + '\n')
      else {
        const ok = results.filter((r) => r.ok).length
        process.stdout.write(`${ok}/${results.length} exercises proved${opts.fromText ? ` from their ${lang} text` : ''}\n`)
      }
      if (results.some((r) => !r.ok)) process.exitCode = 1
    })
}
