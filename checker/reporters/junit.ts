// JUnit XML of a run, so CI systems show each check as a test case (fail → failure, inconclusive → error).
import type { Lang, RunReport } from '../types.ts'
import { stripControl } from '../../core/text.ts'
import { countByStatus } from './json.ts'

/**
 * Text for XML 1.0, attribute or element. Server and learner text goes through stripControl first: escape sequences
 * removed, other controls made visible (XML forbids most of them even escaped, and a CI page showing the report
 * should not obey a bidi override). `multiline` keeps newlines and tabs, for evidence bodies.
 */
export function xmlEscape(s: string, opts: { multiline?: boolean } = {}): string {
  return stripControl(s, { multiline: opts.multiline === true })
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(/[\ufffe\uffff]/g, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
}

// Half of a surrogate pair without the other half: not a character, so not allowed in XML.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

const ML = { multiline: true }

export function formatJunit(report: RunReport, lang: Lang = 'en'): string {
  const c = countByStatus(report.checks)
  const name = `smtp-tls-lab ${report.target.host}:${report.target.port}`
  const cases = report.checks.map((r) => {
    const classname = r.id.split('.')[0] ?? 'check'
    const body = [...r.evidence.lines].join('\n')
    const open = `  <testcase classname="${xmlEscape(classname)}" name="${xmlEscape(r.key ?? r.id)}: ${xmlEscape(r.title[lang])}" time="${(r.durationMs / 1000).toFixed(3)}">`
    const summary = xmlEscape(r.summary[lang])
    let inner = ''
    if (r.status === 'fail') inner = `    <failure message="${summary}" type="fail">${xmlEscape(`${body}\n\nPostfix: ${r.remedy?.postfix ?? ''}\nExim: ${r.remedy?.exim ?? ''}`, ML)}</failure>\n`
    else if (r.status === 'inconclusive') inner = `    <error message="${summary}" type="inconclusive/${xmlEscape(r.reason ?? '')}">${xmlEscape(body, ML)}</error>\n`
    else if (r.status === 'skip') inner = `    <skipped message="${summary}"/>\n`
    else inner = `    <system-out>${xmlEscape(`${r.status.toUpperCase()}: ${r.summary[lang]}\n${body}`, ML)}</system-out>\n`
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
