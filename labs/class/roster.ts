// Who is in the class: a roster CSV (a name per line, with or without a header) or N anonymous seats.
import { readFileSync } from 'node:fs'
import { parse } from 'csv-parse/sync'
import { UserError } from '../../core/errors.ts'
import { stripControl } from '../../core/text.ts'

export interface Seat {
  readonly name: string
}

export const MAX_LEARNERS = 200

/** Anonymous seats: « Apprenant 01 », … */
export function anonymousSeats(n: number): Seat[] {
  if (!Number.isInteger(n) || n < 1 || n > MAX_LEARNERS) throw new UserError(`--learners must be an integer from 1 to ${MAX_LEARNERS}, got "${n}"`)
  return Array.from({ length: n }, (_, i) => ({ name: `Apprenant ${String(i + 1).padStart(2, '0')}` }))
}

const NAME_HEADERS = new Set(['name', 'nom', 'learner', 'apprenant', 'prénom nom', 'student'])

/**
 * Names from a roster: the column headed name/nom/learner/apprenant when there is a header, else the first column.
 * `;` or `,` separated (French spreadsheets export with `;`); names are stripped of control characters.
 */
export function parseRoster(text: string): Seat[] {
  const firstLine = text.split(/\r?\n/, 1)[0] ?? ''
  const delimiter = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ','
  let rows: string[][]
  try {
    rows = parse(text, { delimiter, bom: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as string[][]
  } catch (err) {
    throw new UserError(`The roster is not valid CSV: ${(err as Error).message}`)
  }
  let column = 0
  const header = rows[0]?.map((c) => c.toLowerCase())
  const headed = header?.findIndex((c) => NAME_HEADERS.has(c)) ?? -1
  if (headed !== -1) {
    column = headed
    rows = rows.slice(1)
  }
  const seats = rows.map((r) => stripControl(r[column] ?? '').trim()).filter((n) => n !== '').map((name) => ({ name: name.slice(0, 80) }))
  if (seats.length === 0) throw new UserError('The roster holds no name: one learner per line (optionally under a "name" header).')
  if (seats.length > MAX_LEARNERS) throw new UserError(`The roster holds ${seats.length} names; at most ${MAX_LEARNERS}.`)
  return seats
}

export function readRoster(file: string): Seat[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new UserError(`Cannot read the roster ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  return parseRoster(text)
}
