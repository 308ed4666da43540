// Roster CSV (French spreadsheets export with `;`), anonymous seats, and the Host/Origin helpers of access.ts.
import { describe, expect, it } from 'vitest'
import type { IncomingMessage } from 'node:http'
import { hostnameOf, originAllowed, type HostPolicy } from '../access.ts'
import { anonymousSeats, parseRoster } from './roster.ts'

describe('roster', () => {
  it('reads the name column under a header, with ; or , and quoted names', () => {
    expect(parseRoster('id;nom;groupe\n1;Zoé Martin;A\n2;"Dupont; Jean";B\n').map((s) => s.name)).toEqual(['Zoé Martin', 'Dupont; Jean'])
    expect(parseRoster('\uFEFFname,email\nAna,a@x\n\nBen,b@x\n').map((s) => s.name)).toEqual(['Ana', 'Ben'])
  })

  it('takes the first column without a header, strips control characters, refuses an empty roster', () => {
    expect(parseRoster('Ana\nB\u001b[31men\n').map((s) => s.name)).toEqual(['Ana', 'Ben'])
    expect(() => parseRoster('nom\n\n')).toThrow(/no name/)
  })

  it('makes anonymous seats and bounds their number', () => {
    expect(anonymousSeats(2).map((s) => s.name)).toEqual(['Apprenant 01', 'Apprenant 02'])
    expect(() => anonymousSeats(0)).toThrow(/--learners/)
    expect(() => anonymousSeats(1.5)).toThrow(/--learners/)
  })
})

describe('Host and Origin', () => {
  const policy: HostPolicy = { names: new Set(['localhost', '10.0.0.5', '::1']), port: 4180, scheme: 'https' }
  const req = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage

  it('parses host names with ports and IPv6 brackets, and refuses malformed ones', () => {
    expect(hostnameOf('LocalHost:4180')).toBe('localhost')
    expect(hostnameOf('[::1]:4180')).toBe('::1')
    expect(hostnameOf('10.0.0.5')).toBe('10.0.0.5')
    expect(hostnameOf('evil.example@localhost')).toBeNull()
    expect(hostnameOf(undefined)).toBeNull()
  })

  it('accepts only this server’s own origins (scheme, name and port)', () => {
    expect(originAllowed(req({}), policy)).toBe(true)
    expect(originAllowed(req({ origin: 'https://10.0.0.5:4180' }), policy)).toBe(true)
    expect(originAllowed(req({ origin: 'https://[::1]:4180' }), policy)).toBe(true)
    expect(originAllowed(req({ origin: 'http://10.0.0.5:4180' }), policy)).toBe(false)
    expect(originAllowed(req({ origin: 'https://10.0.0.5:4181' }), policy)).toBe(false)
    expect(originAllowed(req({ origin: 'https://evil.example:4180' }), policy)).toBe(false)
    expect(originAllowed(req({ origin: 'null' }), policy)).toBe(false)
  })
})
