import { describe, expect, it } from 'vitest'
import { hasStraightApostrophe, straightApostrophes } from './typography.ts'

describe('straight apostrophes in French prose', () => {
  it('finds them in prose, not in code, tags or slide frontmatter', () => {
    const md = [
      "L'exercice commence.", // 1: prose
      "Lancez `echo 'l'essai'` puis <Link to=\"l'ancre\">lien</Link>.", // 2: code and tag only
      '```bash run=mail',
      "echo l'ancien",
      '```',
      '---',
      "title: l'ouverture",
      '---',
      'Tout va bien aujourd’hui.',
    ].join('\n')
    expect(straightApostrophes(md, { slides: true })).toEqual([{ line: 1, text: "L'exercice commence." }])
    expect(straightApostrophes(md).map((f) => f.line)).toEqual([1, 7])
  })
  it('one string: inline code is left out', () => {
    expect(hasStraightApostrophe('Lisez l’en-tête de `it\'s`')).toBe(false)
    expect(hasStraightApostrophe("Lisez l'en-tête")).toBe(true)
  })
})
