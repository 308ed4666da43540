// Every heading of each course document has its slide in the deck that mirrors it, in the document's order.
import { describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { coverage, deckCoverage, describeCoverageProblems, extractHeadings, normalizeHeading, REPO_ROOT, seedPath } from './headings.ts'

/** One line per document/deck pair; the Exim deck adds its own. */
const DECKS: ReadonlyArray<{ readonly document: string; readonly deck: string; readonly minHeadings: number }> = [
  { document: '002_b623605447b092b6.txt', deck: '01-postfix-tls', minHeadings: 60 },
]

describe('heading extraction', () => {
  it('ignores # lines inside fenced code and the frontmatter', () => {
    const doc = ['---', 'layout: x', '---', '# Vrai titre', '```bash', '# Ubuntu/Debian', '```', '## Sous-titre', '#pas-un-titre'].join('\n')
    expect(extractHeadings(doc).map((h) => h.text)).toEqual(['Vrai titre', 'Sous-titre'])
  })

  it('treats a lost emoji, an emoji, case and spacing as the same heading', () => {
    expect(normalizeHeading('###  SMTPS (port 465)'.replace(/^#+/, ''))).toBe('smtps (port 465)')
    expect(normalizeHeading('📬 Submission (port 587)')).toBe(normalizeHeading('submission  (port 587)'))
    expect(normalizeHeading('⚙ Configuration')).toBe('configuration')
    expect(normalizeHeading('♻ Recharger Postfix')).toBe('recharger postfix')
    expect(normalizeHeading('Let’s Encrypt (Gratuit !)')).toBe("let's encrypt (gratuit !)")
  })

  it('reports a heading that only appears before the previous match as out of order', () => {
    const doc = '# Alpha\n# Beta\n'
    const deck = '# Beta\n\n---\n\n# Alpha\n'
    const c = coverage(doc, deck)
    expect(c.missing).toEqual([])
    expect(c.outOfOrder.map((h) => h.text)).toEqual(['Beta'])
  })

  it('reports a heading no slide carries as missing', () => {
    const c = coverage('# Alpha\n## Gamma\n', '# Alpha\n')
    expect(c.missing.map((h) => h.text)).toEqual(['Gamma'])
  })
})

for (const { document, deck, minHeadings } of DECKS) {
  describe(`the deck ${deck}`, () => {
    const docPath = seedPath(document)
    const deckPath = path.join(REPO_ROOT, 'slides', 'decks', deck, 'slides.md')

    it(`has a slide for every heading of ${document}, in the document's order`, () => {
      expect(existsSync(docPath), `course document not found at ${docPath}`).toBe(true)
      const c = deckCoverage(docPath, deckPath)
      expect(c.headings.length).toBeGreaterThanOrEqual(minHeadings)
      expect(describeCoverageProblems(c)).toBe('')
      expect(c.slideOf.every((i, k) => i > (c.slideOf[k - 1] ?? -1))).toBe(true)
    })
  })
}
