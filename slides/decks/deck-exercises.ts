// Reads what a deck promises about exercises: which ids its CheckPanels grade, on which slide, and where its links go.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parseSync } from '@slidev/parser'

export interface DeckSlide {
  /** 1-based slide number, as Slidev routes it (#/N). */
  readonly no: number
  readonly file: string
  readonly title: string
  readonly routeAlias: string | null
  readonly layout: string | null
  readonly content: string
  readonly note: string
}

export interface DeckExercises {
  readonly slides: readonly DeckSlide[]
  /** exercise id → aliases (or numbers) of the slides whose CheckPanel grades it, in deck order. */
  readonly panels: ReadonlyMap<string, readonly string[]>
  /** Every `<Link to="…">` target, with the slide it sits on. */
  readonly links: ReadonlyArray<{ readonly to: string; readonly from: number }>
}

const PANEL = /<CheckPanel\s+exercise="([^"]+)"/g
const LINK = /<Link\s+to="([^"]+)"/g

/**
 * The slides of a deck in Slidev's order, following `src:` imports (a slide whose frontmatter names another file
 * is replaced by that file's slides), so an included file's exercises count for the deck that includes it.
 */
export function deckSlides(entry: string, seen: ReadonlySet<string> = new Set()): Array<Omit<DeckSlide, 'no'>> {
  if (seen.has(entry)) throw new Error(`src: cycle through ${entry}`)
  const parsed = parseSync(readFileSync(entry, 'utf8'), entry)
  const out: Array<Omit<DeckSlide, 'no'>> = []
  for (const s of parsed.slides) {
    const fm = (s.frontmatter ?? {}) as Record<string, unknown>
    if (typeof fm.src === 'string') {
      const sub = path.resolve(path.dirname(entry), fm.src)
      if (!existsSync(sub)) throw new Error(`${entry}: src ${fm.src} does not exist`)
      out.push(...deckSlides(sub, new Set([...seen, entry])))
      continue
    }
    out.push({
      file: entry,
      title: s.title ?? '',
      routeAlias: typeof fm.routeAlias === 'string' ? fm.routeAlias : null,
      layout: typeof fm.layout === 'string' ? fm.layout : null,
      content: s.content ?? '',
      note: s.note ?? '',
    })
  }
  return out
}

export function readDeckExercises(entry: string): DeckExercises {
  const slides = deckSlides(entry).map((s, i) => ({ ...s, no: i + 1 }))
  const panels = new Map<string, string[]>()
  const links: Array<{ to: string; from: number }> = []
  for (const s of slides) {
    for (const m of s.content.matchAll(PANEL)) {
      const id = m[1] ?? ''
      panels.set(id, [...(panels.get(id) ?? []), s.routeAlias ?? String(s.no)])
    }
    for (const m of s.content.matchAll(LINK)) links.push({ to: m[1] ?? '', from: s.no })
  }
  return { slides, panels, links }
}

/** Slidev resolves `<Link to>` against slide numbers and routeAliases; anything else is a dead link. */
export function deadLinks(d: DeckExercises): string[] {
  const targets = new Set<string>([...d.slides.map((s) => String(s.no)), ...d.slides.flatMap((s) => (s.routeAlias ? [s.routeAlias] : []))])
  return d.links.filter((l) => !targets.has(l.to)).map((l) => `slide ${l.from} → ${l.to}`)
}

/** The slide a course map links to for an exercise: its lab slide, by the `lab-<id>` alias. */
export function labAlias(exerciseId: string): string {
  return `lab-${exerciseId}`
}

/** What the course map shows of a deck: its sections in order, and in each the exercises whose lab slide is there. */
export interface DeckOutline {
  readonly deck: string
  readonly title: string
  readonly sections: ReadonlyArray<{ readonly title: string; readonly slide: number; readonly exercises: readonly string[] }>
}

/** Sections in deck order, each with the exercises whose lab slide follows it (listed once). */
export function deckOutline(deck: string, title: string, entry: string): DeckOutline {
  const parsed = deckSlides(entry)
  const sections: Array<{ title: string; slide: number; exercises: string[] }> = []
  const seen = new Set<string>()
  parsed.forEach((s, i) => {
    // A part of the course: a section slide, a lesson the labs link back to, or a numbered chapter of the guide.
    const chapter = /^(\d+)\. /.exec(s.title)?.[1]
    const sameChapter = chapter !== undefined && chapter === /^(\d+)\. /.exec(sections[sections.length - 1]?.title ?? '')?.[1]
    const isSection = i === 0 || s.layout === 'section' || !!s.routeAlias?.startsWith('lecon-') || (chapter !== undefined && !sameChapter)
    if (isSection) sections.push({ title: s.title, slide: i + 1, exercises: [] })
    for (const m of s.content.matchAll(PANEL)) {
      const id = m[1] ?? ''
      if (seen.has(id) || s.routeAlias !== labAlias(id)) continue
      seen.add(id)
      sections[sections.length - 1]?.exercises.push(id)
    }
  })
  // The title slide is the module itself: listed only if a lab sits before the first section.
  return { deck, title, sections: sections.filter((x, k) => k > 0 || x.exercises.length > 0) }
}
