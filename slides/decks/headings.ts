// Compares a course document's headings with a Slidev deck: every heading must title a slide, in the document's order.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseSync } from '@slidev/parser'

export interface Heading {
  readonly level: number
  readonly text: string
  /** 1-based line in the document. */
  readonly line: number
}

const FENCE = /^\s*(`{3,}|~{3,})/
const HEADING = /^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$/

/** Markdown ATX headings (# … ######) outside fenced code and outside the leading frontmatter. */
export function extractHeadings(markdown: string): Heading[] {
  const lines = markdown.split(/\r?\n/)
  const out: Heading[] = []
  let fence: string | null = null
  let i = 0
  if (lines[0]?.trim() === '---') {
    // Frontmatter: skip to its closing line.
    for (i = 1; i < lines.length && lines[i]?.trim() !== '---'; i++);
    i += 1
  }
  for (; i < lines.length; i++) {
    const line = lines[i] ?? ''
    const f = FENCE.exec(line)
    if (f) {
      const marker = f[1] ?? ''
      if (fence === null) fence = marker
      else if (marker[0] === fence[0] && marker.length >= fence.length) fence = null
      continue
    }
    if (fence !== null) continue
    const m = HEADING.exec(line)
    if (m && m[2]) out.push({ level: (m[1] ?? '#').length, text: m[2], line: i + 1 })
  }
  return out
}

/**
 * What two headings must share to be "the same": emoji (some were lost in the document, shown as a double space),
 * inline markdown emphasis, typographic apostrophes, whitespace runs and case do not count.
 */
export function normalizeHeading(text: string): string {
  return text
    .normalize('NFC')
    .replace(/[\p{Extended_Pictographic}\u{FE0F}\u{FE0E}\u{200D}\u{20E3}\u{1F3FB}-\u{1F3FF}]/gu, ' ')
    .replace(/[*`]/g, '')
    .replace(/[\u2018\u2019\u02BC]/g, "'")
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase()
}

/** Each slide's title as Slidev computes it (frontmatter title, else its first heading), in deck order. */
export function slideTitles(deckMarkdown: string, deckPath = 'slides.md'): string[] {
  return parseSync(deckMarkdown, deckPath).slides.map((s) => s.title ?? '')
}

export interface Coverage {
  readonly headings: readonly Heading[]
  /** For each heading, the index of the slide matched to it, or -1. */
  readonly slideOf: readonly number[]
  /** Headings that no slide title contains. */
  readonly missing: readonly Heading[]
  /** Headings that some slide carries, but not after the slide of the heading before them. */
  readonly outOfOrder: readonly Heading[]
}

/**
 * Walks the document's headings in order and, for each, takes the first slide after the previous match whose
 * title contains the heading: the deck covers the document when every heading finds one.
 */
export function coverage(documentMarkdown: string, deckMarkdown: string, deckPath?: string): Coverage {
  const headings = extractHeadings(documentMarkdown)
  const titles = slideTitles(deckMarkdown, deckPath).map(normalizeHeading)
  const slideOf: number[] = []
  const missing: Heading[] = []
  const outOfOrder: Heading[] = []
  let from = 0
  for (const h of headings) {
    const want = normalizeHeading(h.text)
    const idx = titles.findIndex((t, i) => i >= from && want !== '' && t.includes(want))
    slideOf.push(idx)
    if (idx !== -1) { from = idx + 1; continue }
    if (titles.some((t) => t.includes(want))) outOfOrder.push(h)
    else missing.push(h)
  }
  return { headings, slideOf, missing, outOfOrder }
}

const here = path.dirname(fileURLToPath(import.meta.url))
export const REPO_ROOT = path.resolve(here, '..', '..')

/**
 * The course documents, copied from ../shared/seeds into slides/decks/sources/ so that a clean clone (CI) can compare
 * decks with them; SMTP_TLS_LAB_SEEDS points elsewhere (e.g. at ../shared/seeds to check a new version).
 */
export function seedPath(file: string): string {
  const dir = process.env.SMTP_TLS_LAB_SEEDS ?? path.join(REPO_ROOT, 'slides', 'decks', 'sources')
  return path.join(dir, file)
}

/** Reads a document and a deck from disk and returns their coverage. */
export function deckCoverage(documentPath: string, deckPath: string): Coverage {
  return coverage(readFileSync(documentPath, 'utf8'), readFileSync(deckPath, 'utf8'), deckPath)
}

export function describeCoverageProblems(c: Coverage): string {
  const fmt = (h: Heading): string => `  line ${h.line}: ${'#'.repeat(h.level)} ${h.text}`
  const parts: string[] = []
  if (c.missing.length) parts.push(`no slide titled with:\n${c.missing.map(fmt).join('\n')}`)
  if (c.outOfOrder.length) parts.push(`slide present but out of the document's order:\n${c.outOfOrder.map(fmt).join('\n')}`)
  return parts.join('\n')
}
