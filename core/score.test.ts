// The one scoring rule: weights, half credit for a warning, inconclusive never dropped, skips left out but never a free pass.
import { describe, expect, it } from 'vitest'
import { criterionPoints, isPassed, RULE_TEXT, scoreOf, type Scorable, type ScoredStatus } from './score.ts'

const c = (key: string, status: ScoredStatus, weight = 1): Scorable => ({ key, status, weight })

describe('the score of a submission', () => {
  it('a server passing a weight-2 criterion and failing a weight-1 one scores 2/3, complete and not passed', () => {
    const s = scoreOf([c('service.starts', 'pass', 0), c('a', 'pass', 2), c('b', 'fail')])
    expect(s).toMatchObject({ state: 'complete', score: 2, maxScore: 3, percent: 66.7, passed: false, failed: ['b'] })
  })

  it('a warning earns half its weight and keeps the exercise from being passed', () => {
    const s = scoreOf([c('a', 'warn', 2), c('b', 'pass')])
    expect(s).toMatchObject({ state: 'complete', score: 2, maxScore: 3, passed: false, warned: ['a'] })
    expect(criterionPoints('warn', 3)).toEqual({ points: 1.5, counted: true })
  })

  it('an inconclusive criterion stays in the denominator: the score is incomplete, without a percentage', () => {
    const s = scoreOf([c('a', 'pass'), c('b', 'inconclusive'), c('c', 'pass')])
    expect(s).toMatchObject({ state: 'incomplete', score: 2, maxScore: 3, percent: null, passed: false, inconclusive: ['b'] })
  })

  it('an inconclusive criterion never raises a score: the typo that made every TLS criterion inconclusive does not reach 1/1', () => {
    const broken = scoreOf([c('config.effective', 'pass'), ...['cert.trusted', 'tls.version.tls1_2.accepted'].map((k) => c(k, 'inconclusive'))])
    const honest = scoreOf([c('config.effective', 'pass'), ...['cert.trusted', 'tls.version.tls1_2.accepted'].map((k) => c(k, 'fail'))])
    expect(broken.maxScore).toBe(honest.maxScore)
    expect(broken.score).toBe(honest.score)
    expect(broken.passed).toBe(false)
    expect(broken.percent).toBeNull()
  })

  it('a not-applicable (skipped) check is left out of the denominator', () => {
    const s = scoreOf([c('a', 'pass'), c('smtp.tls.required-before-mail.465', 'skip', 2)])
    expect(s).toMatchObject({ state: 'complete', score: 1, maxScore: 1, percent: 100, passed: true, skipped: ['smtp.tls.required-before-mail.465'] })
  })

  it('skips alone never pass: a run where nothing applied proves nothing', () => {
    expect(isPassed([c('a', 'skip'), c('b', 'skip')])).toBe(false)
    expect(isPassed([c('service.starts', 'pass', 0), c('b', 'skip')])).toBe(false)
    expect(scoreOf([c('a', 'skip')])).toMatchObject({ maxScore: 0, percent: null, passed: false })
  })

  it('a skip never hides a failure: one failed criterion beside skips is not passed', () => {
    expect(isPassed([c('a', 'fail'), c('b', 'skip'), c('c', 'pass')])).toBe(false)
  })

  it('a failed weight-0 gate (the service does not start) is never passed, though it earns nothing either way', () => {
    expect(isPassed([c('service.starts', 'fail', 0), c('a', 'pass')])).toBe(false)
  })

  it('every decided check passing is passed, whatever the weights (default 1)', () => {
    expect(isPassed([{ key: 'a', status: 'pass' }, c('b', 'pass', 3)])).toBe(true)
    expect(scoreOf([{ key: 'a', status: 'pass' }, c('b', 'pass', 3)])).toMatchObject({ score: 4, maxScore: 4, percent: 100, passed: true })
  })

  it('nothing at all is complete, zero, not passed', () => {
    expect(scoreOf([])).toMatchObject({ state: 'complete', score: 0, maxScore: 0, percent: null, passed: false })
  })

  it('the rule says, in both languages, that a warning counts half', () => {
    expect(RULE_TEXT.fr).toContain('avertissement = moitié')
    expect(RULE_TEXT.en).toContain('warning = half')
  })
})
