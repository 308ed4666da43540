import { describe, expect, it } from 'vitest'
import { stripControl } from './text.ts'

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
