// Turns a web page stored as flat text (its title on line 2, numbered sections like "5.3 Commande…") into ATX headings.
// The guide 000 lost its markup when it was stored: its headings survive only as numbered lines, some without the
// space after the number ("1.1Pourquoi…"). Rewriting them as `#`/`##` lets the shared heading coverage test read it.

/** A numbered section line: "12. Titre" (level 1) or "12.3 Titre" / "1.1Titre" (level 2); it must contain a letter. */
const NUMBERED = /^(\d{1,2})\.(\d{1,2})?[ \t]*(\S.*?)\s*$/

export interface FlatHeading {
  readonly level: number
  /** The heading as the deck must show it: its number, one space, its text ("1.1 Pourquoi …"). */
  readonly text: string
  readonly line: number
}

/**
 * The page title (first non-empty line other than "Publié le : …") and every numbered section line.
 * A bare number ("25", "465": port lists broken across lines) is not a heading: a heading has a letter in it.
 */
export function flatHeadings(text: string): FlatHeading[] {
  const lines = text.split(/\r?\n/)
  const out: FlatHeading[] = []
  const titleIdx = lines.findIndex((l) => l.trim() !== '' && !/^Publié le/i.test(l.trim()))
  if (titleIdx !== -1) out.push({ level: 1, text: (lines[titleIdx] ?? '').trim(), line: titleIdx + 1 })
  lines.forEach((raw, i) => {
    if (i === titleIdx) return
    const m = NUMBERED.exec(raw)
    if (!m || !/\p{L}/u.test(m[3] ?? '')) return
    const number = m[2] === undefined ? `${m[1]}.` : `${m[1]}.${m[2]}`
    out.push({ level: m[2] === undefined ? 1 : 2, text: `${number} ${m[3]}`, line: i + 1 })
  })
  return out
}

/**
 * The same headings as a markdown document: each heading as an ATX heading on its own line number, every other line
 * left blank, so that a coverage report's line numbers point into the original page.
 */
export function flatToMarkdown(text: string): string {
  const lines = text.split(/\r?\n/).map(() => '')
  for (const h of flatHeadings(text)) lines[h.line - 1] = `${'#'.repeat(h.level)} ${h.text}`
  return lines.join('\n')
}
