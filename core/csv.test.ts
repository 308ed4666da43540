import { describe, expect, it } from 'vitest'
import { csvCell, csvText, neutraliseFormulas } from './csv.ts'

describe('csvCell', () => {
  it('quotes every cell and doubles inner quotes', () => {
    expect(csvCell('ana')).toBe('"ana"')
    expect(csvCell('say "hi", ok')).toBe('"say ""hi"", ok"')
    expect(csvCell(null)).toBe('""')
    expect(csvCell(undefined)).toBe('""')
  })

  it('prefixes a quote to text a spreadsheet would evaluate (OWASP): = + - @ tab CR, spaces before them included', () => {
    for (const s of ['=1+1', '+1', '-1', '@SUM(A1)', ' =1', '＝1']) expect(csvCell(s)).toBe(`"'${s}"`)
    // Tab and CR are controls: stripControl turns a tab into a space and shows a CR as \x0d, then the rule applies.
    expect(csvCell('\t=1')).toBe(`"' =1"`)
    expect(csvCell('\r=1')).toBe('"\\x0d=1"')
  })

  it('does the same after ; and tab inside the cell, where a French spreadsheet starts a new cell', () => {
    expect(neutraliseFormulas('a;=1+1')).toBe("a;'=1+1")
    expect(neutraliseFormulas('a; -2;b;@x')).toBe("a;' -2;b;'@x")
    expect(neutraliseFormulas('a\t+1')).toBe("a\t'+1")
    expect(csvCell('ana;=HYPERLINK("x")')).toBe(`"ana;'=HYPERLINK(""x"")"`)
    expect(neutraliseFormulas('a-b; c=d')).toBe('a-b; c=d')
  })

  it('keeps the numbers the grader computed as numbers, negative ones too, but not numbers spelt by a learner', () => {
    expect(csvCell(-1)).toBe('"-1"')
    expect(csvCell(66.7)).toBe('"66.7"')
    expect(csvCell(Number.NaN)).toBe('""')
    expect(csvCell('-1')).toBe(`"'-1"`)
  })

  it('strips escape sequences and controls from text', () => {
    expect(csvCell('a\x1b[2Jb\x07\u202Ec')).toBe('"ab\\x07\\u202ec"')
    expect(csvCell('l1\nl2')).toBe('"l1 l2"')
  })

  it('csvText ends every record with CRLF', () => {
    expect(csvText([['a', 1], ['b', null]])).toBe('"a","1"\r\n"b",""\r\n')
  })
})
