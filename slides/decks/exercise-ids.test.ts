// Every exercise a deck names exists, every exercise is reachable from a deck's lab slide, and deck links land somewhere.
import { describe, expect, it } from 'vitest'
import { MANIFESTS } from '../../exercises/index.ts'
import { listDecks } from '../deck-build.ts'
import { deadLinks, labAlias, readDeckExercises } from './deck-exercises.ts'

const decks = listDecks().map((d) => ({ name: d.name, ...readDeckExercises(d.entry) }))
const exercises = MANIFESTS.map(([, m]) => ({ id: m.id, lab: m.lab }))
const known = new Set(exercises.map((e) => e.id))

describe('exercise ids in the decks', () => {
  it('reads both course decks', () => {
    expect(decks.map((d) => d.name)).toEqual(expect.arrayContaining(['01-postfix-tls', '02-acme-exim']))
  })

  for (const d of decks) {
    it(`every CheckPanel of ${d.name} grades an exercise that exists`, () => {
      const unknown = [...d.panels.keys()].filter((id) => !known.has(id))
      expect(unknown, `unknown exercise ids in ${d.name}`).toEqual([])
    })

    it(`every <Link to> of ${d.name} lands on a slide number or a routeAlias of the deck`, () => {
      expect(deadLinks(d)).toEqual([])
    })
  }

  it('every exercise is graded from a lab slide of a deck, whose routeAlias is lab-<id>', () => {
    const missing = exercises.filter((e) => !decks.some((d) => d.panels.get(e.id)?.includes(labAlias(e.id))))
    expect(missing.map((e) => e.id), 'exercises with no lab slide (routeAlias lab-<id> with its CheckPanel)').toEqual([])
  })

  it("an exercise's lab slide is in its own lab's deck (postfix → 01, exim → 02)", () => {
    const deckOfLab: Record<string, string> = { postfix: '01-postfix-tls', exim: '02-acme-exim' }
    for (const e of exercises) {
      const where = decks.filter((d) => d.panels.has(e.id)).map((d) => d.name)
      expect(where, e.id).toEqual([deckOfLab[e.lab]])
    }
  })

  it("Postfix labs sit next to their lesson: each lab slide links back to a lesson slide no more than 15 slides before it (the main.cf lesson is 13 slides long)", () => {
    const d = decks.find((x) => x.name === '01-postfix-tls')
    expect(d).toBeDefined()
    if (!d) return
    for (const s of d.slides.filter((x) => x.routeAlias?.startsWith('lab-postfix-'))) {
      const back = d.links.find((l) => l.from === s.no && l.to.startsWith('lecon-'))
      expect(back, `${s.routeAlias} has no link back to its lesson`).toBeDefined()
      const lesson = d.slides.find((x) => x.routeAlias === back?.to)
      expect(lesson, `${back?.to} is not a slide`).toBeDefined()
      const gap = s.no - (lesson?.no ?? 0)
      expect(gap, `${s.routeAlias} is ${gap} slides after its lesson ${back?.to}`).toBeGreaterThan(0)
      expect(gap, `${s.routeAlias} is ${gap} slides after its lesson ${back?.to}`).toBeLessThanOrEqual(15)
      // …and the lesson links forward to its lab.
      expect(d.links.some((l) => l.from === lesson?.no && l.to.startsWith('lab-')), `${back?.to} has no link to its lab`).toBe(true)
    }
  })

  it('each of the eight break-fix scenarios has its own lab slide, reachable from the chooser', () => {
    const d = decks.find((x) => x.name === '02-acme-exim')
    const breakFix = exercises.filter((e) => e.id.startsWith('exim-break-fix-'))
    expect(breakFix.length).toBe(8)
    const chooser = d?.slides.find((s) => s.routeAlias === 'lab-pannes')
    expect(chooser).toBeDefined()
    for (const e of breakFix) {
      expect(d?.panels.get(e.id), e.id).toEqual([labAlias(e.id)])
      expect(d?.links.some((l) => l.from === chooser?.no && l.to === labAlias(e.id)), `chooser → ${e.id}`).toBe(true)
    }
  })

  it('reports a CheckPanel naming an id that no exercise has (the old exim-break-fix)', () => {
    const fake = { slides: [], panels: new Map([['exim-break-fix', ['3']]]), links: [{ to: 'nowhere', from: 1 }] }
    expect([...fake.panels.keys()].filter((id) => !known.has(id))).toEqual(['exim-break-fix'])
    expect(deadLinks(fake)).toEqual(['slide 1 → nowhere'])
  })
})

