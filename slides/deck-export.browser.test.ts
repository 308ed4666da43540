// `slides export`: each deck becomes a PDF handout with one page per slide, and a notes handout; the test opens the
// PDFs and counts their pages.
import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { listDecks } from './deck-build.ts'
import { countPdfPages, exportDeck } from './deck-export.ts'
import { deckSlides } from './decks/deck-exercises.ts'

const out = mkdtempSync(path.join(tmpdir(), 'deck-export-'))
afterAll(() => rmSync(out, { recursive: true, force: true }))

describe('slides export', () => {
  it('counts the pages of a PDF Chromium wrote, not its page-tree nodes', () => {
    const fake = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Pages /Kids [2 0 R 3 0 R] >>\n2 0 obj << /Type /Page >>\n3 0 obj <</Type/Page/Parent 1 0 R>>\n')
    expect(countPdfPages(fake)).toBe(2)
  })

  for (const name of ['01-postfix-tls', '02-acme-exim']) {
    it(`writes ${name}.pdf with one page per slide, and ${name}-notes.pdf with the presenter notes`, async () => {
      const deck = listDecks().find((d) => d.name === name)
      expect(deck).toBeDefined()
      const expected = deckSlides(deck!.entry).length
      const slides = await exportDeck(deck!, { outDir: out })
      const pdf = readFileSync(slides.pdf)
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-')
      expect(countPdfPages(pdf)).toBe(expected)
      expect(slides.pages).toBe(expected)

      const notes = await exportDeck(deck!, { outDir: out, notes: true })
      expect(path.basename(notes.pdf)).toBe(`${name}-notes.pdf`)
      // Notes of every slide, several slides to a page: fewer pages than slides, but more than a title page.
      expect(notes.slides).toBe(expected)
      expect(notes.pages).toBeGreaterThan(3)
      expect(notes.pages).toBeLessThan(expected)
    }, 240_000)
  }
})
