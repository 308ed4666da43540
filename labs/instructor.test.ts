// Class results from the grades table: latest grade per learner, pass rate per criterion, CSV safe for spreadsheets.
import { describe, expect, it } from 'vitest'
import type { Grade } from './progress-store.ts'
import { classReport, csvField, gradesCsv, passRates } from './instructor.ts'

let nextId = 1
const grade = (learner: string, statuses: Record<string, 'pass' | 'fail'>, over: Partial<Grade> = {}): Grade => ({
  id: nextId++,
  batch: 'class-a',
  learner,
  exercise: 'postfix-submission-587',
  verdict: 'graded',
  score: Object.values(statuses).filter((s) => s === 'pass').length,
  maxScore: Object.keys(statuses).length,
  reason: null,
  at: '2026-11-25T09:00:00.000Z',
  criteria: Object.entries(statuses).map(([checkId, status]) => ({ checkId, status, points: status === 'pass' ? 1 : 0, maxPoints: 1, evidence: { lines: [] } })),
  ...over,
})

describe('class results', () => {
  it('keeps only the latest grade of a learner regraded in the same batch', () => {
    const first = grade('ana', { 'smtp.tls.required-before-mail': 'fail' })
    const second = grade('ana', { 'smtp.tls.required-before-mail': 'pass' })
    const report = classReport([first, second, grade('ben', { 'smtp.tls.required-before-mail': 'fail' })])
    expect(report.grades.map((g) => [g.learner, g.id])).toEqual([['ana', second.id], ['ben', expect.any(Number)]])
    expect(report.batches).toEqual(['class-a'])
  })

  it('computes per-criterion pass rates over graded submissions only, ignoring rejected ones', () => {
    const rates = passRates([
      grade('ana', { a: 'pass', b: 'fail' }),
      grade('ben', { a: 'pass', b: 'pass' }),
      grade('eve', {}, { verdict: 'rejected', reason: 'rejected: path escapes the submission (../etc/passwd)' }),
    ])
    expect(rates).toEqual([
      { checkId: 'a', pass: 2, total: 2, rate: 1 },
      { checkId: 'b', pass: 1, total: 2, rate: 0.5 },
    ])
  })

  it('writes a CSV with one column per criterion and neutralises formulas in learner names', () => {
    const csv = gradesCsv([grade('=HYPERLINK("x")', { a: 'pass' }), grade('bob, jr', { a: 'fail', b: 'pass' })])
    const lines = csv.trimEnd().split('\r\n')
    expect(lines[0]).toBe('learner,exercise,batch,verdict,score,max_score,reason,a,b')
    expect(lines[1]).toBe(`"'=HYPERLINK(""x"")",postfix-submission-587,class-a,graded,1,1,,pass,`)
    expect(lines[2]).toBe('"bob, jr",postfix-submission-587,class-a,graded,1,2,,fail,pass')
    expect(csvField(-1)).toBe('-1')
  })
})
