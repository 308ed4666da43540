import { describe, expect, it } from 'vitest'
import { safeJsonStringify, stripControl } from './text.ts'

describe('stripControl', () => {
  it('removes CSI, OSC and 8-bit escape sequences whole', () => {
    expect(stripControl('250 ok\x1b[2J\x1b[31mred\x1b[0m')).toBe('250 okred')
    expect(stripControl('a\x1b]0;pwned title\x07b')).toBe('ab')
    expect(stripControl('a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b')).toBe('alinkb')
    expect(stripControl('a\x9b31mb')).toBe('ab')
  })
  it('makes other controls visible, newlines kept only when asked', () => {
    expect(stripControl('a\rb\x00c\x7f')).toBe('a\\x0db\\x00c\\x7f')
    expect(stripControl('l1\nl2\tx')).toBe('l1 l2 x')
    expect(stripControl('l1\nl2\tx', { multiline: true })).toBe('l1\nl2\tx')
    expect(stripControl('a\rb', { replacement: 'none' })).toBe('ab')
  })
  it('neutralises bidi overrides that disguise text', () => {
    expect(stripControl('abc\u202Edcb')).toBe('abc\\u202edcb')
  })
  it('leaves ordinary French text alone', () => {
    expect(stripControl('Réussi : clé privée 0640 — « ok »')).toBe('Réussi : clé privée 0640 — « ok »')
  })
})

describe('safeJsonStringify', () => {
  it('escapes what JSON.stringify leaves raw (DEL, C1, bidi, line separators) and parses back to the same data', () => {
    const v = { s: 'a\x7fb\x9b2Jc\u202Ed\u2028e\x1b[2J', n: 1 }
    const text = safeJsonStringify(v, 2)
    expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2028\u2029]/) // the indentation's newlines aside
    expect(text).toContain('a\\u007fb\\u009b2Jc\\u202ed\\u2028e\\u001b[2J')
    expect(JSON.parse(text)).toEqual(v)
    expect(safeJsonStringify(undefined)).toBe('null')
  })
})
