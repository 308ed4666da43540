// Class results from the grades table: latest grade per learner, pass rate per criterion, CSV safe for spreadsheets.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TOKEN_STORAGE_KEY } from '../core/lab-protocol.ts'
import { openDataDir, type OpenedDataDir } from './data-dir.ts'
import { staticCatalog } from './exercise-catalog.ts'
import type { Grade } from './progress-store.ts'
import { classReport, CLASS_CSV_PATH, csvField, gradeState, gradesCsv, instructorPage, passRates } from './instructor.ts'
import { startLabServer, type LabServer } from './server.ts'

let nextId = 1
const grade = (learner: string, statuses: Record<string, 'pass' | 'fail' | 'inconclusive'>, over: Partial<Grade> = {}): Grade => ({
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
    expect(lines[0]).toBe('"learner","exercise","batch","verdict","score","max_score","reason","a","b"')
    expect(lines[1]).toBe(`"'=HYPERLINK(""x"")","postfix-submission-587","class-a","graded","1","1","","pass",""`)
    expect(lines[2]).toBe('"bob, jr","postfix-submission-587","class-a","graded","1","2","","fail","pass"')
    expect(csvField(-1)).toBe('"-1"')
    expect(csvField('-1')).toBe(`"'-1"`)
  })
})

describe('an incomplete grade (an inconclusive criterion, or a grader error) is never shown as a final score', () => {
  // Stored as grading/grade.ts records it: the floor of the decided criteria (1 of 2), the state left to derive.
  const incomplete = grade('ana', { 'cert.trusted': 'pass', 'cert.name.matches': 'inconclusive' })
  const failed = grade('ben', { 'cert.trusted': 'pass', 'cert.name.matches': 'fail' })
  const crashed = grade('cyd', {}, { verdict: 'error', score: 0, maxScore: 2, reason: 'the grader could not grade this submission' })

  it('derives the state from the stored criteria under the one rule (core/score.ts), a grader error included', () => {
    expect([incomplete, failed, crashed].map(gradeState)).toEqual(['incomplete', 'complete', 'incomplete'])
    expect(gradeState(grade('eve', {}, { verdict: 'rejected' }))).toBe('complete')
    expect(classReport([incomplete, failed]).grades.map((g) => [g.learner, g.state])).toEqual([['ana', 'incomplete'], ['ben', 'complete']])
  })

  it('the CSV says so in the score cell, in the asked language, quoted, the final grades keeping their figures', () => {
    const fr = gradesCsv([incomplete, failed, crashed]).trimEnd().split('\r\n')
    expect(fr[1]).toBe('"ana","postfix-submission-587","class-a","graded","incomplète — à recorriger","2","","pass","inconclusive"')
    expect(fr[2]).toBe('"ben","postfix-submission-587","class-a","graded","1","2","","pass","fail"')
    expect(fr[3]).toMatch(/^"cyd","postfix-submission-587","class-a","error","incomplète — à recorriger","2",/)
    expect(gradesCsv([incomplete], 'en').split('\r\n')[1]).toContain(',"incomplete — regrade","2",')
  })

  it('the page shows the words, not score/max, in the table and the drill-down', () => {
    const html = instructorPage('k')
    expect(html).toContain('incomplète — à recorriger')
    expect(html).toMatch(/g\.state==='incomplete'/)
    expect(html).toContain("g.verdict,note(g),")
    expect(html).toContain("' ('+note(g)+')'")
  })
})

// A learner name, a file name in a rejection, and an SMTP reply built to attack whoever reads the page or the CSV.
const HOSTILE = 'x\x1b[2J\x1b]0;pwned\x07\rPASS\u202Egnp.exe\x00y'
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/

describe('class results given hostile learner and server text', () => {
  const evil = grade(`=cmd|' /C calc'!A0${HOSTILE}`, { 'smtp.banner.no-version': 'fail' }, { reason: `file name refused (notes;=1+1${HOSTILE}.cf)` })
  const hostile = [
    { ...evil, criteria: evil.criteria.map((c) => ({ ...c, evidence: { lines: [`S: 220 ${HOSTILE}`], facts: { summary: `answered ${HOSTILE}` } } })) },
    grade('-2', { 'smtp.banner.no-version': 'pass' }),
  ]

  it('what the page shows (learner, reason, evidence, summaries) holds no control character or escape sequence', () => {
    const report = classReport(hostile)
    const text = JSON.stringify(report, (_k, v) => v)
    // JSON.stringify escapes C0 as \uXXXX: look at the strings themselves.
    const strings: string[] = []
    JSON.parse(text, (_k, v) => (typeof v === 'string' && strings.push(v), v))
    for (const s of strings) expect(s, JSON.stringify(s)).not.toMatch(RAW_CONTROL)
    expect(report.grades.find((g) => g.learner.startsWith('='))!.criteria[0]!.evidence.lines).toContain('S: 220 x\\x0dPASS\\u202egnp.exe\\x00y')
  })

  it('the CSV quotes every cell and neutralises formulas at the start and after ;, numbers staying numbers', () => {
    const lines = gradesCsv(classReport(hostile).grades).trimEnd().split('\r\n')
    expect(lines).toHaveLength(3)
    for (const line of lines) {
      expect(line).not.toMatch(RAW_CONTROL)
      expect(line).toMatch(/^"(?:[^"]|"")*"(?:,"(?:[^"]|"")*")*$/)
      for (const field of line.split(';').slice(1)) expect(field, line).not.toMatch(/^\s*[=+\-@]/)
    }
    expect(lines[1]).toBe('"\'-2","postfix-submission-587","class-a","graded","1","1","","pass"')
    expect(lines[2]).toMatch(/^"'=cmd\|' \/C calc'!A0x\\x0dPASS\\u202egnp\.exe\\x00y",.*"file name refused \(notes;'=1\+1x/)
  })
})

describe('the instructor pages mounted on the lab server', () => {
  let root: string
  let data: OpenedDataDir
  let lab: LabServer

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'stl-instructor-'))
    data = openDataDir(path.join(root, 'data'))
    const catalog = staticCatalog([], async () => {
      throw new Error('no sandbox in these tests')
    })
    lab = await startLabServer({ host: '127.0.0.1', port: 0, store: data.store, engine: null, catalog, distDir: path.join(root, 'dist') })
    for (const [learner, status, batch] of [['ana', 'pass', 'tp1'], ['ben', 'fail', 'tp1'], ['zoe', 'pass', 'tp2']] as const) {
      data.store.recordGrade({
        batch,
        learner,
        exercise: 'postfix-hardening',
        verdict: 'graded',
        score: status === 'pass' ? 1 : 0,
        maxScore: 1,
        criteria: [{ checkId: 'smtp.vrfy.disabled', status, points: status === 'pass' ? 1 : 0, maxPoints: 1, evidence: { lines: ['C: VRFY root'], facts: { summary: 'VRFY' } } }],
      })
    }
  })

  afterAll(async () => {
    await lab.close()
    data.release()
    rmSync(root, { recursive: true, force: true })
  })

  it('serves /instructor with its export link pointing at /instructor/class.csv', async () => {
    const res = await fetch(`${lab.origin}/instructor`)
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('id="class-table"')
    expect(html).toContain(`"${CLASS_CSV_PATH}"+'?'`)
  })

  it('the grades API the page renders gives learner and server text stripped of control sequences', async () => {
    data.store.recordGrade({
      batch: 'tp3',
      learner: `mallory${HOSTILE}`,
      exercise: 'postfix-hardening',
      verdict: 'graded',
      score: 0,
      maxScore: 1,
      reason: `ignored: ${HOSTILE}.txt`,
      criteria: [{ checkId: 'smtp.vrfy.disabled', status: 'fail', points: 0, maxPoints: 1, evidence: { lines: [`S: 252 ${HOSTILE}`], facts: { summary: `answered ${HOSTILE}`, title: 'VRFY' } } }],
    })
    const res = await fetch(`${lab.origin}/api/instructor/grades?batch=tp3`, { headers: { authorization: `Bearer ${data.token}` } })
    expect(res.status).toBe(200)
    const strings: string[] = []
    JSON.parse(await res.text(), (_k, v) => (typeof v === 'string' && strings.push(v), v))
    expect(strings).toContain('mallory' + 'x\\x0dPASS\\u202egnp.exe\\x00y')
    for (const s of strings) expect(s, JSON.stringify(s)).not.toMatch(RAW_CONTROL)
  })

  it('gives an incomplete grade its state in the API and its words in the CSV score cell, in the request’s language', async () => {
    data.store.recordGrade({
      batch: 'tp4',
      learner: 'lea',
      exercise: 'postfix-hardening',
      verdict: 'graded',
      score: 0,
      maxScore: 1,
      criteria: [{ checkId: 'smtp.vrfy.disabled', status: 'inconclusive', points: 0, maxPoints: 1, evidence: { lines: ['# timeout'] } }],
    })
    const api = (await (await fetch(`${lab.origin}/api/instructor/grades?batch=tp4`, { headers: { authorization: `Bearer ${data.token}` } })).json()) as { grades: { state: string }[] }
    expect(api.grades.map((g) => g.state)).toEqual(['incomplete'])
    const fr = await (await fetch(`${lab.origin}${CLASS_CSV_PATH}?token=${data.token}&batch=tp4`)).text()
    expect(fr.split('\r\n')[1]).toBe('"lea","postfix-hardening","tp4","graded","incomplète — à recorriger","1","","inconclusive"')
    const en = await (await fetch(`${lab.origin}${CLASS_CSV_PATH}?token=${data.token}&batch=tp4&lang=en`)).text()
    expect(en).toContain(',"incomplete — regrade","1",')
  })

  it('answers /instructor/class.csv only with the token, filtered by batch, as a download', async () => {
    expect((await fetch(`${lab.origin}${CLASS_CSV_PATH}`)).status).toBe(401)
    expect((await fetch(`${lab.origin}${CLASS_CSV_PATH}?token=wrong-token-0123456789`)).status).toBe(401)
    const res = await fetch(`${lab.origin}${CLASS_CSV_PATH}?token=${data.token}&batch=tp1`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="tp1-class.csv"')
    expect(await res.text()).toBe(
      '"learner","exercise","batch","verdict","score","max_score","reason","smtp.vrfy.disabled"\r\n' +
        '"ana","postfix-hardening","tp1","graded","1","1","","pass"\r\n"ben","postfix-hardening","tp1","graded","0","1","","fail"\r\n',
    )
  })
})
