// Presenter notes on every slide of both decks: how long to spend, and on lab slides, the mistakes to expect.
import { describe, expect, it } from 'vitest'
import { listDecks } from '../deck-build.ts'
import { deckSlides } from './deck-exercises.ts'

const DURATION = /\((\d+)(?:–(\d+))? min\)/

describe('presenter notes', () => {
  for (const d of listDecks()) {
    const slides = deckSlides(d.entry)

    it(`every slide of ${d.name} has notes that say how long to spend on it`, () => {
      const without = slides.filter((s) => !DURATION.test(s.note)).map((s) => s.title)
      expect(without).toEqual([])
    })

    it(`every lab slide of ${d.name} tells the presenter what to show and the mistakes learners make there`, () => {
      const labs = slides.filter((s) => /<CheckPanel/.test(s.content))
      expect(labs.length).toBeGreaterThan(5)
      const missing = labs.filter((s) => !/[Ee]rreurs? fréquentes?/.test(s.note) || !/(Montrer|Lancer|montrer)/.test(s.note)).map((s) => s.title)
      expect(missing).toEqual([])
    })

    it(`the notes of ${d.name} add up to a plausible session (1 to 8 hours)`, () => {
      const minutes = slides.reduce((sum, s) => sum + Number(DURATION.exec(s.note)?.[1] ?? 0), 0)
      expect(minutes).toBeGreaterThanOrEqual(60)
      expect(minutes).toBeLessThanOrEqual(480)
    })
  }
})
