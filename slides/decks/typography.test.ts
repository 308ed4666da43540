// The decks' French prose (and notes) uses one apostrophe, the typographic ’; code, tags and frontmatter keep theirs.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { straightApostrophes } from '../../core/typography.ts'
import { listDecks } from '../deck-build.ts'

const files = listDecks().flatMap((d) =>
  readdirSync(path.dirname(d.entry)).filter((f) => f.endsWith('.md')).map((f) => path.join(path.dirname(d.entry), f)),
)

describe('deck typography', () => {
  it.each(files.map((f) => [path.relative(process.cwd(), f), f] as const))('%s writes ’ in its prose', (_rel, file) => {
    const strays = straightApostrophes(readFileSync(file, 'utf8'), { slides: true }).map((f) => `${f.line}: ${f.text}`)
    expect(strays).toEqual([])
  })
})
