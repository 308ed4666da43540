// Formats grades: terminal text, JSON, JUnit XML (one submission), class CSV/JSON, and rows for the progress store.
import { xmlEscape } from '../checker/reporters/junit.ts'
import { formatResultDetails } from '../checker/reporters/terminal.ts'
import type { CheckResult, Lang, Status } from '../checker/types.ts'
import type { GradeInput } from '../labs/progress-store.ts'
import { csvText } from '../core/csv.ts'
import { stripControl } from '../core/text.ts'
import type { SubmissionGrade } from './grade.ts'
import { RULE_TEXT, type Criterion } from './score.ts'

const LABEL: Record<Status, string> = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', inconclusive: '????', skip: 'SKIP' }
const COLOR: Record<Status, string> = { pass: '32', fail: '31', warn: '33', inconclusive: '35', skip: '90' }
const paint = (on: boolean, code: string, s: string): string => (on ? `\x1b[${code}m${s}\x1b[0m` : s)
// Learner names, file names, rejection reasons and summaries quoting a server: stripped before our colours go on.
const clean = (s: string): string => stripControl(s)
// Evidence bodies in JUnit keep their line breaks.
const ML = { multiline: true }

export function scoreText(g: SubmissionGrade, lang: Lang = 'en'): string {
  if (g.verdict !== 'graded') return g.verdict === 'rejected' ? 'rejected' : 'error'
  // Incomplete: what was decided so far is only a floor, never a grade.
  if (g.state === 'incomplete') return lang === 'fr' ? `incomplète (${g.score}/${g.maxScore} décidés)` : `incomplete (${g.score}/${g.maxScore} decided)`
  return `${g.score}/${g.maxScore}${g.percent === null ? '' : ` (${g.percent} %)`}`
}

/** Why the grade is what it is, in one line: a rejection's reason, the undecided criteria, the warnings at half weight. */
export function gradeNote(g: SubmissionGrade, lang: Lang): string {
  if (g.reason) return g.reason[lang]
  const fr = lang === 'fr'
  const parts: string[] = []
  if (g.state === 'incomplete') {
    parts.push(
      fr
        ? `note incomplète, copie à corriger de nouveau : non concluant (problème du correcteur, pas de l’apprenant) : ${g.inconclusive.join(', ')}`
        : `incomplete, grade this submission again: inconclusive (the grader’s trouble, not the learner’s): ${g.inconclusive.join(', ')}`,
    )
  }
  if (g.warned.length) parts.push(fr ? `avertissement = moitié du poids : ${g.warned.join(', ')}` : `warning = half the weight: ${g.warned.join(', ')}`)
  return parts.join(' ; ')
}

/** Points of one criterion as a report shows them: earned/weight, ?/weight while undecided, nothing for the gate. */
function pointsText(c: Criterion, lang: Lang): string {
  if (c.weight === 0) return ''
  if (!c.counted) return lang === 'fr' ? '(non applicable)' : '(not applicable)'
  if (c.status === 'inconclusive') return `?/${c.weight}`
  return `${c.points}/${c.weight}`
}

export function formatGradeText(g: SubmissionGrade, o: { lang: Lang; color: boolean }): string {
  const fr = o.lang === 'fr'
  const out: string[] = []
  out.push(paint(o.color, '1', `${fr ? 'Exercice' : 'Exercise'} ${clean(g.exercise)} — ${fr ? 'copie de' : 'submission of'} ${clean(g.learner)} : ${scoreText(g, o.lang)}`))
  if (g.verdict !== 'graded') {
    out.push(paint(o.color, g.verdict === 'rejected' ? '31' : '35', `  ${clean(g.reason?.[o.lang] ?? g.verdict)}`))
    return `${out.join('\n')}\n`
  }
  const w = Math.max(...g.criteria.map((c) => c.key.length), 10)
  for (const c of g.criteria) {
    const pts = c.weight === 0 ? '' : ` ${pointsText(c, o.lang)}`
    out.push(`${paint(o.color, COLOR[c.status], `[${LABEL[c.status]}]`)} ${clean(c.key).padEnd(w)}${pts.padEnd(14)} ${clean(c.summary[o.lang])}`)
  }
  if (g.installed.length) out.push('', fr ? 'Fichiers installés :' : 'Files installed:', ...g.installed.map((l) => `  ${clean(l)}`))
  if (g.ignored.length) out.push(`${fr ? 'Ignorés (non déclarés par l’exercice)' : 'Ignored (not declared by the exercise)'} : ${clean(g.ignored.join(', '))}`)
  for (const c of g.criteria) {
    const d = formatResultDetails(c as unknown as CheckResult, { lang: o.lang, color: o.color })
    if (d.length) out.push('', ...d)
  }
  const note = gradeNote(g, o.lang)
  out.push('', `${fr ? 'Note' : 'Score'} : ${scoreText(g, o.lang)}${note ? ` — ${clean(note)}` : ''}`, RULE_TEXT[o.lang])
  return `${out.join('\n')}\n`
}

function jsonCriterion(c: Criterion, lang: Lang) {
  return {
    key: c.key,
    id: c.id,
    status: c.status,
    ...(c.reason ? { reason: c.reason } : {}),
    weight: c.weight,
    points: c.points,
    counted: c.counted,
    title: c.title[lang],
    summary: c.summary[lang],
    evidence: c.evidence,
    ...(c.remedy && (c.status === 'fail' || c.status === 'warn') ? { remedy: c.remedy } : {}),
    ...(c.endpoint ? { endpoint: c.endpoint } : {}),
    durationMs: c.durationMs,
  }
}

export function gradeJson(g: SubmissionGrade, lang: Lang) {
  return {
    learner: g.learner,
    exercise: g.exercise,
    lab: g.lab,
    verdict: g.verdict,
    ...(g.reason ? { reason: g.reason[lang] } : {}),
    ...(g.rejectCode ? { rejectCode: g.rejectCode } : {}),
    // state incomplete: score is only what was decided so far, percent is null, and the submission is to be graded again.
    state: g.state,
    passed: g.passed,
    score: g.score,
    maxScore: g.maxScore,
    percent: g.percent,
    regrade: g.state === 'incomplete',
    inconclusive: g.inconclusive,
    failed: g.failed,
    warned: g.warned,
    skipped: g.skipped,
    rule: RULE_TEXT[lang],
    criteria: g.criteria.map((c) => jsonCriterion(c, lang)),
    installed: g.installed,
    ignored: g.ignored,
    startedAt: g.startedAt,
    timings: g.timings,
  }
}


/** JUnit XML: a test case per criterion (fail → failure, inconclusive → error); a refused submission is one failing case. */
export function gradeJunit(g: SubmissionGrade, lang: Lang = 'en'): string {
  const suite = `grade ${g.exercise} (${g.learner})`
  let cases: string[]
  let failures = 0
  let errors = 0
  let skipped = 0
  if (g.verdict !== 'graded') {
    const msg = xmlEscape(g.reason?.[lang] ?? g.verdict)
    const inner = g.verdict === 'rejected' ? `    <failure message="${msg}" type="rejected/${xmlEscape(g.rejectCode ?? '')}"/>` : `    <error message="${msg}" type="grader-error"/>`
    if (g.verdict === 'rejected') failures = 1
    else errors = 1
    cases = [`  <testcase classname="submission" name="submission.intake">\n${inner}\n  </testcase>`]
  } else {
    cases = g.criteria.map((c) => {
      const body = c.evidence.lines.join('\n')
      const pts = c.weight === 0 ? '' : ` [${pointsText(c, 'en').replace(/[()]/g, '')}]`
      const open = `  <testcase classname="${xmlEscape(c.id.split('.')[0] ?? 'check')}" name="${xmlEscape(`${c.key}: ${c.title[lang]}${pts}`)}" time="${(c.durationMs / 1000).toFixed(3)}">`
      const summary = xmlEscape(c.summary[lang])
      let inner: string
      if (c.status === 'fail') {
        failures++
        inner = `    <failure message="${summary}" type="fail">${xmlEscape(`${body}${c.remedy ? `\n\nPostfix: ${c.remedy.postfix}\nExim: ${c.remedy.exim}` : ''}`, ML)}</failure>`
      } else if (c.status === 'inconclusive') {
        errors++
        inner = `    <error message="${summary}" type="inconclusive/${xmlEscape(c.reason ?? '')}">${xmlEscape(body, ML)}</error>`
      } else if (c.status === 'skip') {
        skipped++
        inner = `    <skipped message="${summary}"/>`
      } else inner = `    <system-out>${xmlEscape(`${c.status.toUpperCase()}: ${c.summary[lang]}\n${body}`, ML)}</system-out>`
      return `${open}\n${inner}\n  </testcase>`
    })
  }
  const n = cases.length
  const time = ((g.timings.total ?? 0) / 1000).toFixed(3)
  const attrs = `tests="${n}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time}"`
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="smtp-tls-lab grade" ${attrs}>`,
    ` <testsuite name="${xmlEscape(suite)}" ${attrs} timestamp="${g.startedAt}">`,
    '  <properties>',
    `   <property name="score" value="${g.score}"/>`,
    `   <property name="maxScore" value="${g.maxScore}"/>`,
    `   <property name="percent" value="${g.percent ?? ''}"/>`,
    `   <property name="verdict" value="${g.verdict}"/>`,
    `   <property name="state" value="${g.state}"/>`,
    `   <property name="passed" value="${g.passed}"/>`,
    `   <property name="rule" value="${xmlEscape(RULE_TEXT[lang])}"/>`,
    '  </properties>',
    ...cases,
    ' </testsuite>',
    '</testsuites>',
    '',
  ].join('\n')
}

/** Criterion keys of a class, in the order they first appear (the manifest's order). */
export function criterionKeys(grades: readonly SubmissionGrade[]): string[] {
  const keys: string[] = []
  for (const g of grades) for (const c of g.criteria) if (!keys.includes(c.key)) keys.push(c.key)
  return keys
}

/**
 * class.csv: learner, verdict, score, max_score, percent, note, exercise, batch, batch_started_at, then each
 * criterion's status. Every cell is quoted; learner and server text is stripped and neutralised (core/csv.ts).
 * The batch columns repeat on every row rather than sitting in a comment line that spreadsheets and CSV readers
 * would take for a record; they stay empty only when no meta is given.
 */
export function classCsv(grades: readonly SubmissionGrade[], lang: Lang, meta?: Pick<ClassMeta, 'exercise' | 'batch' | 'startedAt'>): string {
  const keys = criterionKeys(grades)
  const header = ['learner', 'verdict', 'score', 'max_score', 'percent', 'note', 'exercise', 'batch', 'batch_started_at', ...keys]
  const rows = grades.map((g) => {
    const by = new Map(g.criteria.map((c) => [c.key, c.status]))
    // An incomplete grade has no final score: an empty cell, never a number a spreadsheet would average.
    const graded = g.verdict === 'graded' && g.state !== 'incomplete'
    return [
      g.learner,
      g.verdict,
      graded ? g.score : null,
      graded ? g.maxScore : null,
      g.percent,
      gradeNote(g, lang),
      meta?.exercise ?? g.exercise,
      meta?.batch ?? null,
      meta?.startedAt ?? null,
      ...keys.map((k) => by.get(k) ?? null),
    ]
  })
  return csvText([header, ...rows])
}

export interface ClassMeta {
  readonly exercise: string
  readonly batch: string
  readonly parallel: number
  readonly startedAt: string
  readonly durationMs: number
}

export function classJson(grades: readonly SubmissionGrade[], meta: ClassMeta, lang: Lang) {
  const keys = criterionKeys(grades)
  const graded = grades.filter((g) => g.verdict === 'graded')
  const rates = keys.map((key) => {
    // Decided only: an inconclusive criterion says nothing about the learner, a skipped one does not apply.
    const decided = graded
      .map((g) => g.criteria.find((c) => c.key === key))
      .filter((c): c is Criterion => !!c && (c.status === 'pass' || c.status === 'warn' || c.status === 'fail'))
    const pass = decided.filter((c) => c.status === 'pass').length
    return { key, pass, decided: decided.length, rate: decided.length ? Math.round((pass / decided.length) * 1000) / 1000 : null }
  })
  return {
    ...meta,
    counts: {
      submissions: grades.length,
      graded: graded.length,
      rejected: grades.filter((g) => g.verdict === 'rejected').length,
      error: grades.filter((g) => g.verdict === 'error').length,
      passed: graded.filter((g) => g.passed).length,
      incomplete: graded.filter((g) => g.state === 'incomplete').length,
    },
    criteria: rates,
    learners: grades.map((g) => gradeJson(g, lang)),
  }
}

/** A row of the labs progress store's grades table (read by the instructor page). */
export function toGradeInput(g: SubmissionGrade, batch: string | undefined, lang: Lang): GradeInput {
  const note = gradeNote(g, lang)
  return {
    ...(batch ? { batch } : {}),
    learner: g.learner,
    exercise: g.exercise,
    verdict: g.verdict,
    score: g.score,
    maxScore: g.maxScore,
    ...(note ? { reason: note } : {}),
    criteria: g.criteria.map((c) => ({
      checkId: c.key,
      status: c.status,
      points: c.points,
      maxPoints: c.counted ? c.weight : 0,
      evidence: { lines: c.evidence.lines, facts: { ...(c.evidence.facts ?? {}), title: c.title[lang], summary: c.summary[lang] } },
    })),
  }
}

/**
 * Exit code of `grade --submission`: 0 passed, 1 graded below full marks, 2 refused, 3 no final score (a grader
 * error, or an inconclusive criterion): CI must neither pass nor fail the learner on it, only grade again.
 */
export function exitCodeFor(g: SubmissionGrade): number {
  if (g.verdict === 'rejected') return 2
  if (g.verdict === 'error' || g.state === 'incomplete') return 3
  return g.passed ? 0 : 1
}
