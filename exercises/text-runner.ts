// Exercise texts as runnable answers: the `bash run=SERVICE` blocks of text.fr.md / text.en.md and the hints' `run`
// scripts, in the order a learner meets them. `exercises test --from-text` proves an exercise with them instead of
// solve.sh, so a text that leaves out a step (or gives a command that fails) fails its proof.
import MarkdownIt from 'markdown-it'
import path from 'node:path'
import type { SandboxHandle, ServiceName } from '../checker/sandbox-handle.ts'
import { fenceInfo } from '../core/run-blocks.ts'
import type { Lang } from '../checker/types.ts'
import { labServices, type Exercise } from './load.ts'
import { proveExercise, runScriptIn, type Log, type ProofOptions, type ProofResult } from './runner.ts'

/** One command block a learner pastes into a service's terminal. */
export interface RunBlock {
  readonly service: ServiceName
  readonly script: string
  /** Where it comes from, for errors: `text.fr.md` or `hint 3`. */
  readonly source: string
  /** 1-based rank among the run blocks of its source (always 1 for a hint). */
  readonly index: number
  /** 1-based line of the opening fence in the text; absent for a hint. */
  readonly line?: number
}

/** A `run=` block the runner cannot use: names the file, the line and what is wrong. */
export class TextFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TextFormatError'
  }
}

const SERVICE_RE = /^[a-z][a-z0-9-]*$/
const md = new MarkdownIt()

/**
 * The `bash run=SERVICE` fenced blocks of a markdown text, in document order (lists and quotes included).
 * Other fences are illustrations and are skipped. A `run=` on anything but bash, an empty or repeated `run=`, or a
 * service outside `services` (when given) is a mistake of the text's author and throws.
 */
export function extractRunBlocks(markdown: string, source: string, services?: readonly string[]): RunBlock[] {
  const blocks: RunBlock[] = []
  for (const tok of md.parse(markdown, {})) {
    if (tok.type !== 'fence') continue
    const { language, runs } = fenceInfo(tok.info)
    if (runs.length === 0) continue
    const line = (tok.map?.[0] ?? 0) + 1
    const where = `${source}:${line}`
    if (language !== 'bash') throw new TextFormatError(`${where}: a run= block must be \`bash run=SERVICE\`, got "${tok.info.trim()}"`)
    if (runs.length > 1) throw new TextFormatError(`${where}: one run= per block, got "${tok.info.trim()}"`)
    const service = runs[0]!
    if (!SERVICE_RE.test(service)) throw new TextFormatError(`${where}: run= needs a service name, got "run=${service}"`)
    if (services && !services.includes(service)) {
      throw new TextFormatError(`${where}: run=${service} names no service of the lab (it has ${services.join(', ')})`)
    }
    if (tok.content.trim() === '') throw new TextFormatError(`${where}: the run=${service} block is empty`)
    blocks.push({ service, script: tok.content, source, index: blocks.length + 1, line })
  }
  return blocks
}

/** The text file of an exercise in a language, as named in errors (`text.fr.md`). */
export function textFileName(exercise: Exercise, lang: Lang): string {
  const rel = lang === 'en' && exercise.manifest.textEn ? exercise.manifest.textEn : exercise.manifest.text
  return path.posix.basename(rel)
}

/** The hints' `run` scripts as blocks, in hint order. */
export function hintRunBlocks(exercise: Exercise): RunBlock[] {
  return exercise.manifest.hints.flatMap((h, i) =>
    h.run ? [{ service: h.run.service, script: h.run.script, source: `hint ${i + 1}`, index: 1 }] : [],
  )
}

/** Everything a learner following the text runs: the text's blocks in order, then the hints' scripts. */
export async function textSolution(exercise: Exercise, lang: Lang = 'fr', services?: readonly string[]): Promise<RunBlock[]> {
  const text = await exercise.text(lang)
  return [...extractRunBlocks(text, textFileName(exercise, lang), services), ...hintRunBlocks(exercise)]
}

/** How a block is named in logs and errors: `text.fr.md block 2 (run=mail, line 14)`, `hint 3 (run=toolbox)`. */
export function blockLabel(b: RunBlock): string {
  return b.line === undefined ? `${b.source} (run=${b.service})` : `${b.source} block ${b.index} (run=${b.service}, line ${b.line})`
}

/**
 * Runs the text's blocks then the hints' scripts in a live sandbox, each as a fresh `bash -euo pipefail` script as
 * root in /root (where the lab's terminal opens). The first failing block throws a StepError naming the exercise,
 * the file, the block and the service, with the block's stripped stderr.
 */
export async function applyTextSolution(handle: SandboxHandle, exercise: Exercise, log: Log = () => {}, lang: Lang = 'fr'): Promise<void> {
  const blocks = await textSolution(exercise, lang, labServices(exercise.manifest.lab))
  if (blocks.length === 0) throw new TextFormatError(`${exercise.id}: ${textFileName(exercise, lang)} has no \`bash run=SERVICE\` block and no hint has a run script`)
  for (const b of blocks) {
    const label = blockLabel(b)
    log(`${b.service}: ${exercise.folder}/${label}`)
    await runScriptIn(handle, b.service, TERMINAL_PREAMBLE + b.script, {
      exerciseId: exercise.id,
      label: `${exercise.id}: ${label}`,
      bashOptions: ['-euo', 'pipefail'],
      workdir: '/root',
      env: { LANG: 'C.UTF-8' },
    })
  }
}

/**
 * The lab's terminal is a login shell (`bash -l`, labs/terminal-bridge.ts): it reads /etc/profile, whose lab part
 * exports /etc/lab/env (LAB_DNS_IP, …) and the CA bundle certbot needs. A block runs in that same environment, or a
 * text could rely on something the learner's terminal lacks (or the reverse). Profiles are not written for -eu.
 */
// On the block's first line, so that bash's "line N" in an error is the block's own line N.
export const TERMINAL_PREAMBLE = 'set +euo pipefail; for f in /etc/profile "$HOME/.profile"; do [ -r "$f" ] && . "$f"; done; set -euo pipefail; '

/** The proof with the text as the answer: fresh sandbox, setup, start fails, text + hints pass every check. */
export function proveExerciseFromText(exercise: Exercise, opts: ProofOptions & { readonly lang?: Lang } = {}): Promise<ProofResult> {
  const { lang, ...rest } = opts
  return proveExercise(exercise, { ...rest, solve: (handle, log) => applyTextSolution(handle, exercise, log, lang ?? 'fr') })
}

/** Differences between the run blocks of the French and English texts (count, order, content); empty when equal. */
export function runBlockDifferences(fr: readonly RunBlock[], en: readonly RunBlock[]): string[] {
  const out: string[] = []
  if (fr.length !== en.length) out.push(`${fr.length} run blocks in French, ${en.length} in English`)
  for (let i = 0; i < Math.min(fr.length, en.length); i++) {
    const a = fr[i]!
    const b = en[i]!
    if (a.service !== b.service || a.script !== b.script) out.push(`block ${i + 1} differs (fr line ${a.line}, en line ${b.line})`)
  }
  return out
}
