// The `grade` command: one submission (text, JSON or JUnit; exit code for CI) or a whole class (CSV, JSON, SQLite).
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { Option, type Command } from 'commander'
import cliProgress from 'cli-progress'
import { UserError } from '../core/errors.ts'
import type { Lang } from '../checker/types.ts'
import type { Exercise } from '../exercises/load.ts'
import { DEFAULT_DATA_DIR } from '../labs/data-dir.ts'
import { ProgressStore } from '../labs/progress-store.ts'
import type { ClassResult } from './class.ts'
import type { SubmissionGrade } from './grade.ts'
import { DEFAULT_LIMITS, type IntakeLimits } from './intake.ts'
import { stripControl } from '../core/text.ts'
// The grader (exercises, checker, sandboxes) loads when `grade` runs, not for `--help` or the other commands.

interface GradeCliOptions {
  exercise?: string
  submission?: string
  class?: string
  learner?: string
  parallel?: string
  /** commander sets false for --no-prepared */
  prepared?: boolean
  out?: string
  json?: boolean
  junit?: string
  lang: Lang
  dataDir: string
  store: boolean
  batch?: string
  maxFileKib?: string
  maxTotalKib?: string
  maxEntries?: string
  /** --trust-ca, repeatable: roots of labs that ran on another machine. */
  trustCa: string[]
}

/** Adds the roots of each --trust-ca file to this run's trust (grading's lab CA bundle, sandbox/lab-roots.ts). */
async function trustGivenRoots(files: readonly string[]): Promise<void> {
  if (!files.length) return
  const [{ readFileSync }, { trustExtraRoots }] = await Promise.all([import('node:fs'), import('../sandbox/lab-roots.ts')])
  for (const f of files) {
    let text: string
    try {
      text = readFileSync(f, 'utf8')
    } catch (e) {
      throw new UserError(`--trust-ca: cannot read ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
    }
    if (trustExtraRoots(text) === 0) throw new UserError(`--trust-ca: ${f} holds no self-signed CA certificate (PEM), e.g. a Pebble root from a learner's /etc/lab/pebble-root.pem`)
  }
}

function positiveInt(v: string | undefined, name: string, max: number): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UserError(`${name} must be a whole number between 1 and ${max}, got "${v}"`)
  return n
}

function limitsFrom(o: GradeCliOptions): IntakeLimits {
  const file = positiveInt(o.maxFileKib, '--max-file-kib', 64 * 1024)
  const total = positiveInt(o.maxTotalKib, '--max-total-kib', 1024 * 1024)
  const entries = positiveInt(o.maxEntries, '--max-entries', 100_000)
  return {
    ...DEFAULT_LIMITS,
    ...(file ? { maxFileBytes: file * 1024 } : {}),
    ...(total ? { maxTotalBytes: total * 1024, maxArchiveBytes: total * 1024 } : {}),
    ...(entries ? { maxEntries: entries } : {}),
  }
}

async function pickExercise(id: string | undefined): Promise<Exercise> {
  const { exercises, findExercise } = await import('../exercises/index.ts')
  if (!id) throw new UserError(`--exercise is required; one of: ${exercises.map((e) => e.id).join(', ')}`)
  const ex = findExercise(id)
  if (!ex) throw new UserError(`unknown exercise "${id}"; list them with: smtp-tls-lab exercises`)
  if (ex.manifest.submission.length === 0) {
    const gradable = exercises.filter((e) => e.manifest.submission.length > 0).map((e) => e.id)
    throw new UserError(`exercise ${id} declares no submission file: it is graded in the learner's own lab, not from a submission (gradable: ${gradable.join(', ')})`)
  }
  return ex
}

function openStore(o: GradeCliOptions): ProgressStore | null {
  if (!o.store) return null
  try {
    return new ProgressStore(path.resolve(o.dataDir))
  } catch (err) {
    throw new UserError(`cannot open the grades store in ${o.dataDir}: ${(err as Error).message} (use --no-store to grade without it)`)
  }
}

/**
 * Ctrl-C (or SIGTERM) stops starting new sandboxes, removes the running ones (by session, then by the batch's
 * prefix to catch one still being created) and exits 130. A second Ctrl-C exits at once.
 */
function trapInterrupts(controller: AbortController, active: Set<string>, prefix: string, say: (l: string) => void): () => void {
  let count = 0
  const onSignal = (signal: NodeJS.Signals): void => {
    count++
    if (count > 1) process.exit(130)
    say(`\n${signal}: stopping, removing ${active.size} sandbox(es)…`)
    controller.abort()
    void (async () => {
      const { downSandbox } = await import('../sandbox/engine.ts')
      const { downSessionsWithPrefix } = await import('./class.ts')
      await Promise.all([...active].map((s) => downSandbox(s).catch(() => undefined)))
      // A sandbox being created right now shows up a moment later: sweep the prefix twice.
      await new Promise((r) => setTimeout(r, 1500))
      await downSessionsWithPrefix(prefix).catch(() => [])
      await new Promise((r) => setTimeout(r, 1500))
      const late = await downSessionsWithPrefix(prefix).catch(() => [])
      say(`removed${late.length ? ` (late: ${late.join(', ')})` : ''}; no sandbox of this run is left`)
      process.exit(130)
    })()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return () => {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

async function gradeOne(o: GradeCliOptions, exercise: Exercise): Promise<void> {
  const [{ gradeSubmission, GradingAborted, newSession }, { exitCodeFor, formatGradeText, gradeJson, gradeJunit, toGradeInput }] = await Promise.all([import('./grade.ts'), import('./report.ts')])
  const lang = o.lang
  const source = o.submission!
  const learner = o.learner ?? path.basename(path.resolve(source)).replace(/\.(tar\.gz|tgz|tar|zip)$/i, '')
  const machine = o.json === true
  // Progress names learners and files and relays the grader's log (service output): never a raw control sequence.
  const say = (l: string): void => void process.stderr.write(`${stripControl(l, { multiline: true })}\n`)
  const store = openStore(o)
  const controller = new AbortController()
  // --batch names the sandboxes of a single submission too, as its help says (CI runs can tell theirs apart).
  if (o.batch !== undefined && !/^[a-z0-9][a-z0-9-]{0,20}$/.test(o.batch)) throw new UserError(`--batch must be 1 to 21 lowercase letters, digits and dashes (it names the sandboxes), got "${o.batch}"`)
  const session = newSession(o.batch ? `${o.batch}-` : 'g')
  const active = new Set<string>()
  const untrap = trapInterrupts(controller, active, session, say)
  let g: SubmissionGrade
  try {
    g = await gradeSubmission(exercise, source, {
      learner,
      lang,
      limits: limitsFrom(o),
      session,
      signal: controller.signal,
      onSession: (s) => active.add(s),
      log: (l) => {
        if (!machine || process.stderr.isTTY) say(l)
      },
    })
  } catch (err) {
    if (err instanceof GradingAborted) return new Promise(() => {}) // the signal handler exits
    throw err
  } finally {
    untrap()
  }
  if (store) {
    store.recordGrade(toGradeInput(g, o.batch, lang))
    store.close()
  }
  if (o.junit) {
    writeFileSync(o.junit, gradeJunit(g, lang))
    say(`JUnit: ${o.junit}`)
  }
  if (machine) process.stdout.write(`${JSON.stringify(gradeJson(g, lang), null, 2)}\n`)
  else process.stdout.write(formatGradeText(g, { lang, color: process.stdout.isTTY === true }))
  process.exitCode = exitCodeFor(g)
  if (g.verdict === 'graded' && g.state === 'incomplete')
    say(
      lang === 'fr'
        ? `note incomplète (problème du correcteur, pas de l’apprenant) : corrigez de nouveau la même copie (code de sortie 3)`
        : `incomplete grade (the grader's trouble, not the learner's): grade the same submission again (exit code 3)`,
    )
}

async function gradeMany(o: GradeCliOptions, exercise: Exercise): Promise<void> {
  const [{ batchSession, defaultParallel, gradeClass, newBatch }, { classJson, scoreText, toGradeInput }, { writeClassCsv, writeClassJson }] = await Promise.all([
    import('./class.ts'),
    import('./report.ts'),
    import('./export.ts'),
  ])
  const lang = o.lang
  const dir = path.resolve(o.class!)
  const parallel = positiveInt(o.parallel, '--parallel', 16) ?? defaultParallel()
  const batch = o.batch ?? newBatch()
  if (!/^[a-z0-9][a-z0-9-]{0,20}$/.test(batch)) throw new UserError(`--batch must be 1 to 21 lowercase letters, digits and dashes (it names the sandboxes), got "${batch}"`)
  const outDir = path.resolve(o.out ?? `${dir.replace(/\/+$/, '')}-grades`)
  // Progress names learners and files and relays the grader's log (service output): never a raw control sequence.
  const say = (l: string): void => void process.stderr.write(`${stripControl(l, { multiline: true })}\n`)
  const store = openStore(o)
  const controller = new AbortController()
  const active = new Set<string>()
  const untrap = trapInterrupts(controller, active, `${batch}-`, say)
  const fancy = process.stderr.isTTY === true && !o.json
  let bar: cliProgress.SingleBar | null = null
  let done = 0
  let total = 0
  const line = (g: SubmissionGrade): string => stripControl(`${g.learner}: ${scoreText(g, lang)}${g.reason ? ` — ${g.reason[lang]}` : ''}`)
  say(`grading ${exercise.id} for ${dir} with ${parallel} sandbox(es) at once (batch ${batch}, sessions ${batchSession(batch, 0)}…)`)
  let result: ClassResult
  try {
    result = await gradeClass({
      exercise,
      dir,
      parallel,
      prepared: o.prepared !== false,
      lang,
      limits: limitsFrom(o),
      batch,
      signal: controller.signal,
      onSession: (s, on) => (on ? active.add(s) : active.delete(s)),
      onGrade: (g) => store?.recordGrade(toGradeInput(g, batch, lang)),
      onEvent: (e) => {
        if (e.type === 'listed') {
          total = e.total
          if (e.skipped.length) say(`not submissions (skipped): ${e.skipped.join(', ')}`)
          if (fancy) {
            bar = new cliProgress.SingleBar({ format: ' {bar} {value}/{total} graded | {last}', hideCursor: true }, cliProgress.Presets.shades_classic)
            bar.start(total, 0, { last: '' })
          }
        } else if (e.type === 'rejected' || e.type === 'done') {
          done++
          if (bar) (bar as cliProgress.SingleBar).update(done, { last: line(e.grade).slice(0, 60) })
          else say(`[${done}/${total}] ${line(e.grade)}`)
        } else if (e.type === 'start' && !fancy) say(`  ${e.learner}: started (session ${e.session})`)
      },
    })
  } finally {
    if (bar) (bar as cliProgress.SingleBar).stop()
    untrap()
    store?.close()
  }
  // Interrupted: the signal handler is removing the sandboxes and will exit 130; a half batch written as class.csv
  // would read like a finished one, so nothing is written and this waits for that exit.
  if (controller.signal.aborted) await new Promise<never>(() => undefined)
  mkdirSync(outDir, { recursive: true })
  const meta = { exercise: exercise.id, batch, parallel, startedAt: result.startedAt, durationMs: result.durationMs }
  const json = classJson(result.grades, meta, lang)
  writeClassCsv(path.join(outDir, 'class.csv'), result.grades, meta, lang)
  writeClassJson(path.join(outDir, 'class.json'), json)
  if (o.json) process.stdout.write(`${JSON.stringify({ ...json, learners: undefined, out: outDir }, null, 2)}\n`)
  else {
    for (const g of result.grades) process.stdout.write(`${line(g)}\n`)
    const c = json.counts
    const perMin = result.durationMs > 0 ? ((c.graded * 60_000) / result.durationMs).toFixed(1) : '-'
    process.stdout.write(
      `\n${c.submissions} submissions: ${c.graded} graded (${c.passed} full marks, ${c.incomplete} incomplete), ${c.rejected} rejected, ${c.error} grader errors — ` +
        `${(result.durationMs / 1000).toFixed(0)} s, ${perMin} graded/min with ${parallel} sandboxes\n` +
        `results: ${path.join(outDir, 'class.csv')}, ${path.join(outDir, 'class.json')}${store ? `, store ${path.resolve(o.dataDir)} (batch ${batch}: /instructor)` : ''}\n`,
    )
  }
  // Grader errors and incomplete grades have no final score: 3 tells the instructor to grade them again.
  process.exitCode = json.counts.error > 0 || json.counts.incomplete > 0 ? 3 : 0
}

export function register(program: Command): void {
  program
    .command('grade')
    .description('Grade submissions on fresh sandboxes: one (--submission, exit code for CI) or a whole class (--class)')
    .requiredOption('--exercise <id>', 'exercise id (see `exercises`)')
    .option('--submission <path>', 'a folder, .tar.gz or .zip holding the files the exercise declares')
    .option('--class <dir>', 'a folder with one subfolder or archive per learner')
    .option('--learner <name>', 'name recorded for --submission (default: the file or folder name)')
    .option('--no-prepared', 'with --class: a whole fresh sandbox and setup per learner instead of one prepared start state per worker (slower; for comparison)')
    .option('--parallel <n>', 'sandboxes graded at once with --class (default: one per core, measured in bench/grading.ts)')
    .option('--out <dir>', 'where --class writes class.csv and class.json (default: <dir>-grades)')
    .option('--json', 'print the result as JSON')
    .option('--junit <file>', 'write a JUnit XML report of --submission (one test case per criterion)')
    .addOption(new Option('--lang <lang>', 'language of the report').choices(['fr', 'en']).default('fr'))
    .option('--data-dir <dir>', 'lab data directory whose SQLite store receives the grades (read by /instructor)', DEFAULT_DATA_DIR)
    .option('--no-store', 'do not record grades in the SQLite store')
    .option('--batch <name>', 'batch name in the store (and sandbox session prefix)')
    .option('--max-file-kib <n>', `largest file accepted (default ${DEFAULT_LIMITS.maxFileBytes / 1024})`)
    .option('--max-total-kib <n>', `largest submission once expanded (default ${DEFAULT_LIMITS.maxTotalBytes / 1024})`)
    .option('--max-entries <n>', `most entries in a submission (default ${DEFAULT_LIMITS.maxEntries})`)
    .option(
      '--trust-ca <file>',
      'also trust the Pebble root(s) in this PEM file, for labs that ran on another machine (repeatable; the roots of this machine\'s labs are trusted already)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .addHelpText(
      'after',
      `
Files: a declared /etc/postfix/main.cf is taken from main.cf (its basename) or etc/postfix/main.cf (the path
mirrored), at the top of the submission or inside a single wrapping folder. Other files are ignored.
Score: pass = full weight, warning = half, fail = 0; an inconclusive criterion (the grader's trouble) is never
dropped: the grade is "incomplete", without a final score, and the submission is to be graded again.
Exit codes (--submission): 0 every criterion passed, 1 graded below full marks, 2 usage error or submission
rejected, 3 no final score (grader error or incomplete: grade again). (--class): 0 batch done, 3 some grader
errors or incomplete grades, 130 interrupted.`,
    )
    .action(async (o: GradeCliOptions) => {
      const exercise = await pickExercise(o.exercise)
      if (!!o.submission === !!o.class) throw new UserError('give exactly one of --submission PATH or --class DIR')
      if (o.class && o.junit) throw new UserError('--junit applies to --submission; --class writes class.csv and class.json')
      if (o.submission && o.parallel) throw new UserError('--parallel applies to --class')
      await trustGivenRoots(o.trustCa)
      try {
        return await (o.submission ? gradeOne(o, exercise) : gradeMany(o, exercise))
      } catch (err) {
        // A crash of the grader itself leaves no final score: exit 3 (grade again), never 2, which means "rejected".
        if (err instanceof UserError) throw err
        throw Object.assign(err instanceof Error ? err : new Error(String(err)), { exitCode: 3 })
      }
    })
}
