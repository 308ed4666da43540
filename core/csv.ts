// CSV cells safe to open in a spreadsheet and exact for a script: every cell quoted (RFC 4180), text from a learner
// or a server stripped of control sequences and kept from being evaluated as a formula (OWASP "CSV injection").
import { stripControl } from './text.ts'

// A spreadsheet evaluates a cell starting with one of these (tab and CR too, but stripControl has turned them into
// a space or a visible \x0d by then). Full-width forms: some spreadsheet locales fold them to their ASCII twins.
const TRIGGER = '=+\\-@\\t\\r\uff1d\uff0b\uff0d\uff20'
// Where a cell may start: the cell's start, and after ; or tab, because a French spreadsheet opening a comma file
// splits on ; (and a tab-separated import on tabs), so what follows one becomes a cell of its own. Spaces before the
// trigger are covered, as a "trim spaces" import would remove them.
const FORMULA_AT = new RegExp(`(^|[;\\t\\r\\n])(?=[ \\t]*[${TRIGGER}])`, 'g')

/** Puts a `'` wherever a spreadsheet would start reading a formula: at the start and after each `;` or tab. */
export function neutraliseFormulas(text: string): string {
  return text.replace(FORMULA_AT, "$1'")
}

/**
 * One CSV cell, always quoted. A number is the grader's own figure and stays a number (a negative one included);
 * a string may come from a learner or a server, so it is stripped and neutralised, whatever it looks like ("-2" too).
 */
export function csvCell(v: string | number | null | undefined): string {
  let s: string
  if (typeof v === 'number') s = Number.isFinite(v) ? String(v) : ''
  else s = v == null ? '' : neutraliseFormulas(stripControl(v))
  return `"${s.replace(/"/g, '""')}"`
}

/** Rows to CSV text: CRLF between records and after the last (RFC 4180). */
export function csvText(rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  return rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n'
}
