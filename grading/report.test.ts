// One submission's reports (terminal, JUnit) given learner and server text built to attack whoever reads them.
import { describe, expect, it } from 'vitest'
import type { Status } from '../checker/types.ts'
import type { SubmissionGrade } from './grade.ts'
import { formatGradeText, gradeJunit } from './report.ts'
import type { Criterion } from './score.ts'
import { crit as critOf, grade } from './test-support/grades.ts'

// Clear the screen, retitle the terminal, ring, overwrite the line, reverse what follows, NUL.
const HOSTILE = 'x\x1b[2J\x1b]0;pwned\x07\rPASS\u202Egnp.exe\x00y'
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/

// A summary quoting the server, and evidence holding an SMTP reply, a hook's output and a DNS label.
const crit = (key: string, status: Status): Criterion =>
  critOf(key, status, {
    summary: { fr: `le serveur a répondu ${HOSTILE}`, en: `the server answered ${HOSTILE}` },
    evidence: { lines: [`S: 454 4.7.0 ${HOSTILE}`, `hook: ${HOSTILE}`, `_25._tcp.${HOSTILE}. TLSA 3 1 1 ab`] },
    durationMs: 5,
  })

const graded = (criteria: Criterion[]): SubmissionGrade =>
  grade(`ana${HOSTILE}`, criteria, {
    installed: [`/etc/postfix/main.cf ← ${HOSTILE}.cf`],
    ignored: [`notes${HOSTILE}.txt`],
    timings: { total: 1000 },
  })

const g = graded([crit('smtp.vrfy.disabled', 'fail'), crit('smtp.banner.no-version', 'inconclusive'), crit('tls.implicit', 'pass')])
const rejected: SubmissionGrade = {
  ...graded([]),
  verdict: 'rejected',
  rejectCode: 'bad-name',
  reason: { fr: `nom de fichier refusé (${HOSTILE})`, en: `file name refused (${HOSTILE})` },
}

describe('grade reports given hostile learner and server text', () => {
  it('the terminal report of a graded and of a rejected submission acts on none of it', () => {
    for (const sub of [g, rejected]) {
      for (const lang of ['fr', 'en'] as const) {
        const plain = formatGradeText(sub, { lang, color: false })
        expect(plain).not.toMatch(RAW_CONTROL)
        expect(plain).toContain('ana')
        const coloured = formatGradeText(sub, { lang, color: true })
        // Only the report's own colours remain once SGR sequences are removed.
        expect(coloured.replace(/\x1b\[[0-9;]*m/g, '')).not.toMatch(RAW_CONTROL)
      }
    }
  })

  it('the JUnit report holds no control character, escaped or not, in names, messages or bodies', () => {
    for (const sub of [g, rejected]) {
      const xml = gradeJunit(sub, 'en')
      expect(xml).not.toMatch(RAW_CONTROL)
      expect(xml).not.toMatch(/&#x?[0-9a-f]+;/i)
    }
    expect(gradeJunit(g, 'en')).toContain('S: 454 4.7.0 x')
  })
})
