// Deck discovery and the Slidev command lines the slides CLI runs.
import { describe, expect, it } from 'vitest'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { buildArgs, deckBase, headmatterTitle, listDecks, selectDecks, slidevBin } from './deck-build.ts'

function decksIn(names: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'decks-'))
  for (const n of names) {
    mkdirSync(path.join(dir, n))
    writeFileSync(path.join(dir, n, 'slides.md'), `---\ntitle: 'Deck ${n}'\n---\n\n# A\n`)
  }
  mkdirSync(path.join(dir, 'not-a-deck'))
  return dir
}

describe('the course decks', () => {
  it('include the Postfix deck, titled from its headmatter', () => {
    const d = listDecks().find((x) => x.name === '01-postfix-tls')
    expect(d?.title).toBe('TLS et Sécurité — Postfix')
  })

  it('are the NN-name folders holding a slides.md, sorted by name', () => {
    const decks = listDecks(decksIn(['02-b', '01-a']))
    expect(decks.map((d) => `${d.name}=${d.title}`)).toEqual(['01-a=Deck 01-a', '02-b=Deck 02-b'])
  })
})

describe('choosing a deck', () => {
  const decks = listDecks(decksIn(['01-postfix-tls', '02-acme-exim']))

  it('accepts a full name or a unique prefix', () => {
    expect(selectDecks(decks, '02').map((d) => d.name)).toEqual(['02-acme-exim'])
    expect(selectDecks(decks, '01-postfix-tls').map((d) => d.name)).toEqual(['01-postfix-tls'])
    expect(selectDecks(decks).length).toBe(2)
  })

  it('refuses an unknown or ambiguous name with the list of decks', () => {
    expect(() => selectDecks(decks, '03')).toThrow(/unknown deck "03"; decks: 01-postfix-tls, 02-acme-exim/)
    expect(() => selectDecks(decks, '0')).toThrow(/ambiguous/)
  })
})

describe('the static build', () => {
  it('puts assets under /decks/<deck>/, where the lab server serves them', () => {
    const [deck] = listDecks(decksIn(['01-x']))
    expect(deckBase('01-x')).toBe('/decks/01-x/')
    expect(buildArgs(deck!, '/tmp/out/01-x')).toEqual(['build', deck!.entry, '--out', '/tmp/out/01-x', '--base', '/decks/01-x/'])
  })

  it('runs the Slidev CLI installed with the project', () => {
    expect(slidevBin()).toMatch(/@slidev[\\/]cli[\\/]bin[\\/]slidev\.mjs$/)
  })

  it('reads quoted and unquoted titles from the headmatter only', () => {
    expect(headmatterTitle('---\ntitle: "A « b »"\n---\n# x')).toBe('A « b »')
    expect(headmatterTitle('# no headmatter\ntitle: x')).toBeNull()
  })
})
