// JUnit XML of a run, so CI systems show each check as a test case (fail → failure, inconclusive → error).
import type { Lang, RunReport } from '../types.ts'
import { countByStatus } from './json.ts'

export function xmlEscape(s: string): string {
  // XML 1.0 forbids most control characters even escaped; SMTP evidence may contain them.
  return s
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '?')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
}

export function formatJunit(report: RunReport, lang: Lang = 'en'): string {
  const c = countByStatus(report.checks)
  const name = `smtp-tls-lab ${report.target.host}:${report.target.port}`
  const cases = report.checks.map((r) => {
    const classname = r.id.split('.')[0] ?? 'check'
    const body = [...r.evidence.lines].join('\n')
    const open = `  <testcase classname="${xmlEscape(classname)}" name="${xmlEscape(r.key ?? r.id)}: ${xmlEscape(r.title[lang])}" time="${(r.durationMs / 1000).toFixed(3)}">`
    const summary = xmlEscape(r.summary[lang])
    let inner = ''
    if (r.status === 'fail') inner = `    <failure message="${summary}" type="fail">${xmlEscape(`${body}\n\nPostfix: ${r.remedy?.postfix ?? ''}\nExim: ${r.remedy?.exim ?? ''}`)}</failure>\n`
    else if (r.status === 'inconclusive') inner = `    <error message="${summary}" type="inconclusive/${xmlEscape(r.reason ?? '')}">${xmlEscape(body)}</error>\n`
    else if (r.status === 'skip') inner = `    <skipped message="${summary}"/>\n`
    else inner = `    <system-out>${xmlEscape(`${r.status.toUpperCase()}: ${r.summary[lang]}\n${body}`)}</system-out>\n`
    return `${open}\n${inner}  </testcase>`
  })
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="smtp-tls-lab" tests="${report.checks.length}" failures="${c.fail}" errors="${c.inconclusive}" skipped="${c.skip}" time="${(report.durationMs / 1000).toFixed(3)}">`,
    ` <testsuite name="${xmlEscape(name)}" tests="${report.checks.length}" failures="${c.fail}" errors="${c.inconclusive}" skipped="${c.skip}" time="${(report.durationMs / 1000).toFixed(3)}" timestamp="${report.startedAt}">`,
    ...cases,
    ' </testsuite>',
    '</testsuites>',
    '',
  ].join('\n')
}
