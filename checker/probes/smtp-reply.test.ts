import { describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS, parseEhlo, printable, ReplyParser } from './smtp-reply.ts'

describe('SMTP reply parser', () => {
  it('reads a one-line greeting with its enhanced status code', () => {
    const p = new ReplyParser()
    const [r] = p.feed('220 mail.domaine.tld ESMTP\r\n')
    expect(r).toMatchObject({ code: 220, lines: ['mail.domaine.tld ESMTP'] })
    const [m] = p.feed('530 5.7.0 Must issue a STARTTLS command first\r\n')
    expect(m).toMatchObject({ code: 530, enhanced: '5.7.0' })
  })

  it('joins a multi-line EHLO reply split across arbitrary chunks', () => {
    const text = '250-mail.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n'
    for (const size of [1, 2, 3, 7, 64]) {
      const p = new ReplyParser()
      const out = []
      for (let i = 0; i < text.length; i += size) out.push(...p.feed(Buffer.from(text.slice(i, i + size), 'latin1')))
      expect(out).toHaveLength(1)
      expect(out[0]!.raw).toHaveLength(5)
      expect([...parseEhlo(out[0]!).keys()]).toEqual(['PIPELINING', 'STARTTLS', 'AUTH', '8BITMIME'])
      expect(parseEhlo(out[0]!).get('AUTH')).toEqual(['PLAIN', 'LOGIN'])
    }
  })

  it('hands out reply text with control bytes and escape sequences already shown as \\xNN, for every printer', () => {
    const [r] = new ReplyParser().feed('550 5.7.1 \x1b[2J\x1b]0;pwned\x07<a@b>\x9b31m denied\r\n')
    expect(r!.raw).toEqual(['550 5.7.1 \\x1b[2J\\x1b]0;pwned\\x07<a@b>\\x9b31m denied'])
    expect(r!.lines).toEqual(['5.7.1 \\x1b[2J\\x1b]0;pwned\\x07<a@b>\\x9b31m denied'])
    expect(r!.enhanced).toBe('5.7.1')
    expect([...r!.raw, ...r!.lines].join('')).not.toMatch(/[\x00-\x1f\x7f-\x9f]/)
  })

  it('returns two replies that arrive in one packet, in order', () => {
    const out = new ReplyParser().feed('250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n')
    expect(out.map((r) => r.lines[0])).toEqual(['2.1.0 Ok', '2.1.5 Ok'])
  })

  it('accepts bare LF line ends and a code without text', () => {
    const out = new ReplyParser().feed('250\n221 bye\n')
    expect(out.map((r) => r.code)).toEqual([250, 221])
  })

  it('fails on a line that is not an SMTP reply, and stays failed', () => {
    const p = new ReplyParser()
    expect(p.feed('HTTP/1.1 400 Bad Request\r\n')).toEqual([])
    expect(p.error?.message).toBe('not an SMTP reply line')
    expect(p.feed('220 ok\r\n')).toEqual([])
  })

  it('fails on a line longer than the limit without waiting for its end', () => {
    const p = new ReplyParser()
    p.feed(`220 ${'x'.repeat(DEFAULT_LIMITS.maxLineBytes)}`)
    expect(p.error?.message).toBe('line too long')
    expect(p.bufferedBytes).toBe(0)
  })

  it('fails on a reply with more lines than the limit', () => {
    const p = new ReplyParser()
    p.feed('250-x\r\n'.repeat(DEFAULT_LIMITS.maxLinesPerReply + 1))
    expect(p.error?.message).toMatch(/more than 100 lines/)
  })

  it('shows control bytes of evidence as \\xNN', () => {
    expect(printable('a\x00b\x1bé')).toBe('a\\x00b\\x1b\\xe9')
  })
})

// Deterministic PRNG so a failing fuzz case can be replayed.
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('SMTP reply parser under fuzzing', () => {
  const pieces = ['250', '-', ' ', '\r\n', '\n', '\r', '220 ok', '5.7.0', '\x00', '\xff', 'AUTH PLAIN', '999 ', '25', '2500-']

  it('never throws and never holds more than one line plus one reply, whatever the bytes', () => {
    const limits = DEFAULT_LIMITS
    const bound = limits.maxLineBytes + limits.maxReplyBytes + 2
    for (let seed = 1; seed <= 300; seed++) {
      const rand = rng(seed)
      const p = new ReplyParser()
      for (let chunk = 0; chunk < 40; chunk++) {
        const len = Math.floor(rand() * 2048)
        let buf: Buffer
        if (rand() < 0.5) {
          buf = Buffer.alloc(len)
          for (let i = 0; i < len; i++) buf[i] = Math.floor(rand() * 256)
        } else {
          let s = ''
          while (s.length < len) s += pieces[Math.floor(rand() * pieces.length)]
          buf = Buffer.from(s, 'latin1')
        }
        const replies = p.feed(buf)
        for (const r of replies) {
          expect(r.code).toBeGreaterThanOrEqual(200)
          expect(r.code).toBeLessThan(600)
          expect(r.raw.length).toBeLessThanOrEqual(limits.maxLinesPerReply)
        }
        expect(p.bufferedBytes).toBeLessThanOrEqual(bound)
      }
    }
  })

  it('keeps memory flat while 10 MB arrive without a newline', () => {
    const p = new ReplyParser()
    const chunk = Buffer.alloc(64 * 1024, 0x41)
    for (let i = 0; i < 160; i++) {
      p.feed(chunk)
      expect(p.bufferedBytes).toBeLessThanOrEqual(DEFAULT_LIMITS.maxLineBytes + chunk.length)
    }
    expect(p.error?.message).toBe('line too long')
  })

  it('never lets an endless multi-line reply grow past its caps', () => {
    const p = new ReplyParser()
    for (let i = 0; i < 1000; i++) p.feed('250-still going\r\n')
    expect(p.error).not.toBeNull()
    expect(p.bufferedBytes).toBe(0)
  })
})
