// French learner text writes the apostrophe one way, the typographic ’. Code (fenced blocks, inline spans), HTML and
// Vue tags and Slidev frontmatter keep what the shell or the parser needs, so only prose is looked at.
const LETTER = 'A-Za-zÀ-ÖØ-öø-ÿœŒ'
const STRAIGHT_BETWEEN_LETTERS = new RegExp(`[${LETTER}]'[${LETTER}]`)

/** Prose of one line: inline code spans and tags removed. */
const proseOf = (line: string): string => line.replace(/`[^`]*`/g, '').replace(/<[^>]*>/g, '')

/** The lines (1-based) of a markdown text whose prose has a straight apostrophe between two letters. */
export function straightApostrophes(markdown: string, opts: { slides?: boolean } = {}): { line: number; text: string }[] {
  const lines = markdown.split('\n')
  const found: { line: number; text: string }[] = []
  let fence: string | null = null
  let frontmatter = false
  lines.forEach((line, i) => {
    const t = line.trim()
    if (fence) {
      if (t.startsWith(fence)) fence = null
      return
    }
    const open = /^\s*(```+|~~~+)/.exec(line)
    if (open) {
      fence = open[1]!
      return
    }
    if (opts.slides && t === '---') {
      // A slide separator opens a frontmatter when keys follow; the next --- closes it.
      frontmatter = frontmatter ? false : /^[a-zA-Z]+:/.test(lines[i + 1] ?? '')
      return
    }
    if (frontmatter) return
    if (STRAIGHT_BETWEEN_LETTERS.test(proseOf(line))) found.push({ line: i + 1, text: line })
  })
  return found
}

/** The same rule for one short string (a hint, a title): inline code left out. */
export const hasStraightApostrophe = (text: string): boolean => STRAIGHT_BETWEEN_LETTERS.test(proseOf(text))
