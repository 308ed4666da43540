// Type-level and runtime tests of defineExercise: check IDs are typed against the checker registry.
import { describe, expect, it } from 'vitest'
import { defineCheck, verdict } from '../checker/define.ts'
import { defineExercise } from './define.ts'

const base = {
  id: 'demo-exercise',
  lab: 'postfix',
  title: { fr: 'Démo', en: 'Demo' },
  text: './text.fr.md',
  setup: './setup.sh',
  solution: './solve.sh',
  submission: ['/etc/postfix/main.cf'],
  hints: [{ fr: 'indice', en: 'hint' }],
} as const

describe('defineExercise', () => {
  it('accepts a manifest whose checks are all in the checker registry', () => {
    const m = defineExercise({ ...base, checks: [{ id: 'tls.version.tls1_2.accepted', target: { service: 'mail', port: 25 } }] })
    expect(m.checks[0]!.id).toBe('tls.version.tls1_2.accepted')
    expect(Object.isFrozen(m)).toBe(true)
  })

  it('makes tsc reject a check ID the registry does not know', () => {
    const m = defineExercise({
      ...base,
      checks: [
        {
          // @ts-expect-error — not a registered check: `tsc --noEmit` fails if this line ever type-checks.
          id: 'tls.version.tls0_9.accepted',
          target: { service: 'mail' },
        },
      ],
    })
    expect(m.checks).toHaveLength(1)
  })

  it('accepts an exercise-local check ID only when the manifest brings its definition', () => {
    const local = defineCheck({
      id: 'demo.local',
      title: { fr: 'local', en: 'local' },
      explain: { fr: '…', en: '…' },
      remedy: { postfix: '…', exim: '…' },
      appliesTo: ['sandbox'],
      run: async () => verdict.pass({ fr: 'ok', en: 'ok' }, { lines: [] }),
    })
    const m = defineExercise({ ...base, localChecks: [local], checks: [{ id: 'demo.local', target: { service: 'mail' } }] })
    expect(m.localChecks?.[0]?.id).toBe('demo.local')
    defineExercise({
      ...base,
      // @ts-expect-error — a local ID without its definition is as unknown as a misspelt one.
      checks: [{ id: 'demo.local', target: { service: 'mail' } }],
    })
  })
})
