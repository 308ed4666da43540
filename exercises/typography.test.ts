// French learner text uses one apostrophe, the typographic ’ (issue 12: straight and curly ones were mixed).
import { describe, expect, it } from 'vitest'
import { hasStraightApostrophe, straightApostrophes } from '../core/typography.ts'
import { exercises } from './index.ts'

describe('French exercise texts, titles and hints', () => {
  it.each(exercises.map((e) => [e.id, e] as const))('%s writes ’ in its prose', async (_id, e) => {
    const text = await e.text('fr')
    const strays = straightApostrophes(text).map((f) => `text.fr.md:${f.line}: ${f.text}`)
    for (const [i, h] of e.manifest.hints.entries()) if (hasStraightApostrophe(h.fr)) strays.push(`hint ${i + 1}: ${h.fr}`)
    if (hasStraightApostrophe(e.manifest.title.fr)) strays.push(`title: ${e.manifest.title.fr}`)
    expect(strays).toEqual([])
  })
})
