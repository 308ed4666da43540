// Grades under the one rule (core/score.ts): reports say how a warning counts, an inconclusive criterion leaves the grade incomplete (exit 3).
import { describe, expect, it } from 'vitest'
import type { Status } from '../checker/types.ts'
import type { SubmissionGrade } from './grade.ts'
import { passRates } from '../labs/instructor.ts'
import { classCsv, classJson, exitCodeFor, formatGradeText, gradeJson, gradeJunit, gradeNote, toGradeInput } from './report.ts'
import { criterionPoints, score, type Criterion } from './score.ts'
import { crit as critOf, grade } from './test-support/grades.ts'

const crit = (key: string, status: Status, weight = 1): Criterion => critOf(key, status, { weight })

describe('scoring a submission (grading/score.ts is the core rule)', () => {
  it('a Postfix passing a weight-2 criterion and failing a weight-1 one scores 2/3, complete', () => {
    const s = score([crit('service.starts', 'pass', 0), crit('a', 'pass', 2), crit('b', 'fail')])
    expect(s).toMatchObject({ state: 'complete', score: 2, maxScore: 3, percent: 66.7, passed: false, failed: ['b'] })
  })

  it('an inconclusive criterion stays in the denominator: incomplete, no percentage, never counted for the learner', () => {
    const s = score([crit('a', 'pass'), crit('b', 'inconclusive'), crit('c', 'pass')])
    expect(s).toMatchObject({ state: 'incomplete', score: 2, maxScore: 3, percent: null, inconclusive: ['b'], passed: false })
  })

  it('a warning earns half the weight and is not full marks', () => {
    const s = score([crit('a', 'warn', 2), crit('b', 'pass')])
    expect(s).toMatchObject({ state: 'complete', score: 2, maxScore: 3, passed: false, warned: ['a'] })
  })
})

describe('reports of a grade', () => {
  const g = grade('ana', [crit('service.starts', 'pass', 0), crit('smtp.vrfy.disabled', 'pass'), crit('tls.implicit', 'fail'), crit('smtp.connection-limit', 'inconclusive')])
  const done = grade('bob', [crit('service.starts', 'pass', 0), crit('smtp.vrfy.disabled', 'warn', 2), crit('tls.implicit', 'fail')])

  it('an incomplete grade says so in text, with ?/weight for the undecided criterion and a call to grade again', () => {
    const text = formatGradeText(g, { lang: 'en', color: false })
    expect(text).toContain('incomplete (1/3 decided)')
    expect(text).toMatch(/\[\?\?\?\?\] smtp\.connection-limit\s+\?\/1/)
    expect(text).toContain('grade this submission again')
    expect(formatGradeText(g, { lang: 'fr', color: false })).toContain('incomplète (1/3 décidés)')
  })

  it('every report states the scale: a warning is half the weight, in French and in English', () => {
    expect(formatGradeText(done, { lang: 'en', color: false })).toContain('warning = half the weight')
    expect(formatGradeText(done, { lang: 'fr', color: false })).toContain('avertissement = moitié du poids')
    expect(gradeJson(done, 'en').rule).toContain('warning = half the weight')
    expect(gradeJunit(done, 'fr')).toContain('<property name="rule" value="Barème : réussi = poids entier, avertissement = moitié du poids')
    expect(gradeNote(done, 'en')).toBe('warning = half the weight: smtp.vrfy.disabled')
    expect(formatGradeText(done, { lang: 'en', color: false })).toContain('Score : 1/3 (33.3 %)')
  })

  it('--json: state incomplete, percent null, regrade true; a complete grade has its percentage', () => {
    expect(gradeJson(g, 'en')).toMatchObject({ state: 'incomplete', passed: false, percent: null, regrade: true, score: 1, maxScore: 3, inconclusive: ['smtp.connection-limit'] })
    expect(gradeJson(done, 'en')).toMatchObject({ state: 'complete', passed: false, percent: 33.3, regrade: false, warned: ['smtp.vrfy.disabled'] })
  })

  it('JUnit has a failure per failed criterion, an error per inconclusive one, and the score and state as properties', () => {
    const xml = gradeJunit(g, 'en')
    expect(xml).toContain('tests="4" failures="1" errors="1" skipped="0"')
    expect(xml).toContain('<property name="score" value="1"/>')
    expect(xml).toContain('<property name="maxScore" value="3"/>')
    expect(xml).toContain('<property name="percent" value=""/>')
    expect(xml).toContain('<property name="state" value="incomplete"/>')
    expect(xml).toMatch(/name="tls.implicit: tls.implicit \[0\/1\]"[^>]*>\n {4}<failure message="summary tls.implicit"/)
    expect(xml).toContain('name="smtp.connection-limit: smtp.connection-limit [?/1]"')
  })

  it('exit codes: 0 passed, 1 below full marks, 2 rejected, 3 incomplete or grader error', () => {
    const r = grade('eve', [], { verdict: 'rejected', reason: { fr: 'refusée : x', en: 'rejected: path escapes the submission (../x)' }, rejectCode: 'path-escapes' })
    expect(gradeJunit(r, 'en')).toContain('<failure message="rejected: path escapes the submission (../x)" type="rejected/path-escapes"/>')
    expect(exitCodeFor(r)).toBe(2)
    expect(exitCodeFor(g)).toBe(3)
    expect(exitCodeFor(done)).toBe(1)
    expect(exitCodeFor(grade('bob', [crit('a', 'pass')]))).toBe(0)
    expect(exitCodeFor(grade('err', [], { verdict: 'error', state: 'incomplete' }))).toBe(3)
  })

  it('class.csv gives an incomplete grade no score, no percentage and a note asking to grade it again', () => {
    const lines = classCsv([g, done], 'en').trimEnd().split('\r\n')
    const cells = (l: string): string[] => l.split(',').map((c) => c.replace(/^"|"$/g, ''))
    const header = cells(lines[0]!)
    const col = (row: string[], name: string): string => row[header.indexOf(name)]!
    const ana = cells(lines[1]!)
    expect([col(ana, 'score'), col(ana, 'max_score'), col(ana, 'percent')]).toEqual(['', '', ''])
    expect(lines[1]).toContain('incomplete, grade this submission again')
    const bob = cells(lines[2]!)
    expect([col(bob, 'score'), col(bob, 'max_score'), col(bob, 'percent')]).toEqual(['1', '3', '33.3'])
  })

  it('class.json counts full marks and incomplete grades, and pass rates over decided criteria only', () => {
    const j = classJson([g, grade('bob', [crit('service.starts', 'pass', 0), crit('smtp.vrfy.disabled', 'fail'), crit('tls.implicit', 'pass'), crit('smtp.connection-limit', 'pass')])], { exercise: 'x', batch: 'b', parallel: 3, startedAt: '', durationMs: 1 }, 'en')
    expect(j.criteria.find((c) => c.key === 'smtp.connection-limit')).toEqual({ key: 'smtp.connection-limit', pass: 1, decided: 1, rate: 1 })
    expect(j.criteria.find((c) => c.key === 'smtp.vrfy.disabled')).toEqual({ key: 'smtp.vrfy.disabled', pass: 1, decided: 2, rate: 0.5 })
    expect(j.counts).toMatchObject({ submissions: 2, graded: 2, rejected: 0, error: 0, passed: 0, incomplete: 1 })
  })

  it('the row stored for the instructor page keeps the learner-facing summary beside the evidence, the undecided weight in', () => {
    const row = toGradeInput(g, 'tp1', 'fr')
    expect(row.criteria[2]).toEqual({ checkId: 'tls.implicit', status: 'fail', points: 0, maxPoints: 1, evidence: { lines: ['S: 250 tls.implicit'], facts: { title: 'tls.implicit', summary: 'résumé tls.implicit' } } })
    expect(row.criteria[3]!.maxPoints).toBe(1)
    expect(row.reason).toContain('smtp.connection-limit')
    expect(row.reason).toContain('note incomplète')
  })
})

describe('the instructor page counts as class.json does', () => {
  it('its pass rates are over decided criteria only: an inconclusive or skipped criterion is left out', () => {
    const grades = [g1('ana', 'inconclusive'), g1('bob', 'pass'), g1('cyd', 'skip'), g1('dan', 'fail')]
    expect(passRates(grades)).toEqual([{ checkId: 'tls.implicit', pass: 1, total: 2, rate: 0.5 }])
  })
})

function g1(learner: string, status: Status) {
  return { id: 1, batch: null, learner, exercise: 'x', verdict: 'graded' as const, score: 0, maxScore: 1, reason: null, at: '', criteria: [{ checkId: 'tls.implicit', status, points: 0, maxPoints: 1, evidence: { lines: [] } }] }
}
