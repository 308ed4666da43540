// Scoring and reports: weights, half credit for a warning, inconclusive criteria set aside, JUnit/CSV shapes and exit codes.
import { describe, expect, it } from 'vitest'
import type { Status } from '../checker/types.ts'
import type { SubmissionGrade } from './grade.ts'
import { classCsv, classJson, exitCodeFor, gradeJunit, toGradeInput } from './report.ts'
import { criterionPoints, score, type Criterion } from './score.ts'

const crit = (key: string, status: Status, weight = 1): Criterion => ({
  key,
  id: key,
  title: { fr: key, en: key },
  status,
  weight,
  ...criterionPoints(status, weight),
  summary: { fr: `résumé ${key}`, en: `summary ${key}` },
  evidence: { lines: [`S: 250 ${key}`] },
  durationMs: 12,
})

const grade = (learner: string, criteria: Criterion[], over: Partial<SubmissionGrade> = {}): SubmissionGrade => ({
  learner,
  exercise: 'postfix-hardening',
  lab: 'postfix',
  verdict: 'graded',
  criteria,
  installed: [],
  ignored: [],
  startedAt: '2026-11-25T09:00:00.000Z',
  timings: { total: 30_000 },
  ...score(criteria),
  ...over,
})

describe('scoring a submission', () => {
  it('a Postfix passing a weight-2 criterion and failing a weight-1 one scores 2/3', () => {
    const s = score([crit('service.starts', 'pass', 0), crit('a', 'pass', 2), crit('b', 'fail')])
    expect(s).toMatchObject({ score: 2, maxScore: 3, fullScore: 3, percent: 66.7, complete: false, failed: ['b'] })
  })

  it('an inconclusive criterion is left out of the denominator and flagged, never counted against the learner', () => {
    const s = score([crit('a', 'pass'), crit('b', 'inconclusive'), crit('c', 'pass')])
    expect(s).toMatchObject({ score: 2, maxScore: 2, fullScore: 3, percent: 100, inconclusive: ['b'], complete: false })
  })

  it('a warning earns half the weight and does not prevent full completion', () => {
    const s = score([crit('a', 'warn', 2), crit('b', 'pass')])
    expect(s).toMatchObject({ score: 2, maxScore: 3, complete: true })
  })

  it('nothing decidable gives no percentage at all', () => {
    expect(score([crit('a', 'inconclusive')]).percent).toBeNull()
  })
})

describe('reports of a grade', () => {
  const g = grade('ana', [crit('service.starts', 'pass', 0), crit('smtp.vrfy.disabled', 'pass'), crit('tls.implicit', 'fail'), crit('smtp.connection-limit', 'inconclusive')])

  it('JUnit has a failure per failed criterion, an error per inconclusive one, and the score as properties', () => {
    const xml = gradeJunit(g, 'en')
    expect(xml).toContain('tests="4" failures="1" errors="1" skipped="0"')
    expect(xml).toContain('<property name="score" value="1"/>')
    expect(xml).toContain('<property name="maxScore" value="2"/>')
    expect(xml).toMatch(/name="tls.implicit: tls.implicit \[0\/1\]"[^>]*>\n {4}<failure message="summary tls.implicit"/)
    expect(xml).toContain('name="smtp.connection-limit: smtp.connection-limit [not counted]"')
  })

  it('a rejected submission is one failing JUnit case carrying the reason, and exits 2', () => {
    const r = grade('eve', [], { verdict: 'rejected', reason: { fr: 'refusée : x', en: 'rejected: path escapes the submission (../x)' }, rejectCode: 'path-escapes' })
    expect(gradeJunit(r, 'en')).toContain('<failure message="rejected: path escapes the submission (../x)" type="rejected/path-escapes"/>')
    expect(exitCodeFor(r)).toBe(2)
    expect(exitCodeFor(g)).toBe(1)
    expect(exitCodeFor(grade('bob', [crit('a', 'pass')]))).toBe(0)
    expect(exitCodeFor(grade('err', [], { verdict: 'error' }))).toBe(3)
  })

  it('class.csv has a column per criterion and neutralises a formula in a learner name', () => {
    const csv = classCsv([g, grade('=cmd|x', [crit('service.starts', 'fail', 0), crit('smtp.vrfy.disabled', 'fail')])], 'en')
    const lines = csv.trimEnd().split('\r\n')
    expect(lines[0]).toBe('learner,verdict,score,max_score,percent,note,service.starts,smtp.vrfy.disabled,tls.implicit,smtp.connection-limit')
    expect(lines[1]).toBe('ana,graded,1,2,50,"inconclusive, not counted (not the learner’s fault): smtp.connection-limit",pass,pass,fail,inconclusive')
    expect(lines[2]).toBe(`'=cmd|x,graded,0,1,0,,fail,fail,,`)
  })

  it('class.json gives per-criterion pass rates over decided criteria only', () => {
    const j = classJson([g, grade('bob', [crit('service.starts', 'pass', 0), crit('smtp.vrfy.disabled', 'fail'), crit('tls.implicit', 'pass'), crit('smtp.connection-limit', 'pass')])], { exercise: 'x', batch: 'b', parallel: 3, startedAt: '', durationMs: 1 }, 'en')
    expect(j.criteria.find((c) => c.key === 'smtp.connection-limit')).toEqual({ key: 'smtp.connection-limit', pass: 1, decided: 1, rate: 1 })
    expect(j.criteria.find((c) => c.key === 'smtp.vrfy.disabled')).toEqual({ key: 'smtp.vrfy.disabled', pass: 1, decided: 2, rate: 0.5 })
    expect(j.counts).toEqual({ submissions: 2, graded: 2, rejected: 0, error: 0, complete: 0 })
  })

  it('the row stored for the instructor page keeps the learner-facing summary beside the evidence', () => {
    const row = toGradeInput(g, 'tp1', 'fr')
    expect(row.criteria[2]).toEqual({ checkId: 'tls.implicit', status: 'fail', points: 0, maxPoints: 1, evidence: { lines: ['S: 250 tls.implicit'], facts: { title: 'tls.implicit', summary: 'résumé tls.implicit' } } })
    expect(row.criteria[3]!.maxPoints).toBe(0)
    expect(row.reason).toContain('smtp.connection-limit')
  })
})
