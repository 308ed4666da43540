// An exercise as the learner reads it in the deck: its markdown text rendered to HTML that cannot carry markup of its
// own, its `bash run=SERVICE` blocks labelled with the terminal they go to, and its hints revealed one at a time.
import MarkdownIt from 'markdown-it'
import { fenceInfo } from '../../core/run-blocks.ts'
import { escapeHtml, stripControl } from '../../core/text.ts'
import type { Lang } from '../../core/i18n.ts'
import type { ExerciseDetail, ExerciseHintView } from '../../core/lab-protocol.ts'
import type { KeyValueStore } from './lab-client.ts'

export const EXERCISE_TEXTS = {
  open: { fr: 'Énoncé', en: 'Instructions' },
  close: { fr: 'Fermer', en: 'Close' },
  loading: { fr: 'Chargement de l’énoncé…', en: 'Loading the instructions…' },
  failed: { fr: 'L’énoncé n’a pas pu être chargé :', en: 'The instructions could not be loaded:' },
  hints: { fr: 'Indices', en: 'Hints' },
  noHints: { fr: 'Pas d’indice pour cet exercice.', en: 'No hint for this exercise.' },
  allHints: { fr: 'Tous les indices sont affichés.', en: 'Every hint is shown.' },
} as const

/** "Indice suivant (2/3)": the hint the button will reveal, out of how many. */
export function nextHintLabel(revealed: number, total: number, lang: Lang): string {
  const n = Math.min(revealed + 1, total)
  return lang === 'en' ? `Next hint (${n}/${total})` : `Indice suivant (${n}/${total})`
}

/** "dans le terminal mail": where a command block is to be pasted. */
export function runLabel(service: string, lang: Lang): string {
  return lang === 'en' ? `in the ${service} terminal` : `dans le terminal ${service}`
}

/** A service name from the text's info string, kept to the characters a service name has. */
function serviceName(raw: string): string {
  return raw.replace(/[^a-z0-9-]/gi, '').slice(0, 40)
}

/** The `run=SERVICE` of a fence's info string (`bash run=mail`), or null for an illustration block. */
export function runService(info: string): string | null {
  const first = fenceInfo(info).runs[0]
  return (first && serviceName(first)) || null
}

/** A command block: its terminal named above the code, so the learner knows where to paste it. */
export function runBlockHtml(service: string, code: string, lang: Lang): string {
  const name = serviceName(service)
  return `<div class="exercise-run" data-service="${escapeHtml(name)}">`
    + `<div class="exercise-run__label">${escapeHtml(runLabel(name, lang))}</div>`
    + `<pre><code class="language-bash">${escapeHtml(stripControl(code, { multiline: true, replacement: 'none' }))}</code></pre></div>`
}

function createMarkdown(lang: Lang): MarkdownIt {
  // html: false — raw HTML in the text shows as text; links keep markdown-it's default URL check (no javascript:).
  const md = new MarkdownIt({ html: false, linkify: false, typographer: false })
  md.renderer.rules.fence = (tokens, idx) => {
    const t = tokens[idx]!
    const service = runService(t.info)
    if (service) return runBlockHtml(service, t.content, lang)
    return `<pre><code>${escapeHtml(t.content)}</code></pre>\n`
  }
  md.renderer.rules.code_block = (tokens, idx) => `<pre><code>${escapeHtml(tokens[idx]!.content)}</code></pre>\n`
  return md
}

/** The exercise's markdown text as HTML safe to put in the page (control characters stripped first). */
export function renderExerciseText(markdown: string, lang: Lang): string {
  return createMarkdown(lang).render(stripControl(markdown, { multiline: true, replacement: 'none' }))
}

export interface HintView {
  /** Inline HTML of the hint's sentence (its `code` spans kept). */
  readonly html: string
  /** The hint's commands as a labelled block, if it gives any. */
  readonly runHtml: string | null
}

export function hintView(hint: ExerciseHintView, lang: Lang): HintView {
  const text = (lang === 'en' ? hint.en : undefined) ?? hint.fr
  return {
    html: createMarkdown(lang).renderInline(stripControl(text, { replacement: 'none' })),
    runHtml: hint.run ? runBlockHtml(hint.run.service, hint.run.script, lang) : null,
  }
}

/** The title in the interface's language, as plain text. */
export function exerciseTitle(ex: Pick<ExerciseDetail, 'title' | 'id'>, lang: Lang): string {
  return stripControl((lang === 'en' ? ex.title.en : undefined) ?? ex.title.fr ?? ex.id)
}

export const HINTS_STORAGE_PREFIX = 'smtp-tls-lab.hints.'

/** How many hints of this exercise the learner has revealed in this tab (0 when unknown), within [0, total]. */
export function loadRevealed(storage: KeyValueStore | undefined, exerciseId: string, total: number): number {
  let raw: string | null = null
  try { raw = storage?.getItem(HINTS_STORAGE_PREFIX + exerciseId) ?? null } catch { raw = null }
  const n = raw === null ? 0 : Number.parseInt(raw, 10)
  return Number.isFinite(n) ? Math.max(0, Math.min(n, total)) : 0
}

/** Reveals one more hint (never past the last) and remembers it for the tab; returns the new count. */
export function revealNext(storage: KeyValueStore | undefined, exerciseId: string, revealed: number, total: number): number {
  const next = Math.min(revealed + 1, total)
  try { storage?.setItem(HINTS_STORAGE_PREFIX + exerciseId, String(next)) } catch { /* storage disabled: this view still shows it */ }
  return next
}
