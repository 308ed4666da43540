// Unit tests of the host-side parts of file facts: link targets, id names, Go file modes.
import { describe, expect, it } from 'vitest'
import { isRegularMode, isSymlinkMode, linkDestination, parseIdNames } from './file-facts.ts'

describe('following a link on the host side', () => {
  it('resolves a relative target against the link’s directory, as certbot’s live/ links need', () => {
    expect(linkDestination('/etc/letsencrypt/live/mail.example.com/privkey.pem', '../../archive/mail.example.com/privkey1.pem')).toBe(
      '/etc/letsencrypt/archive/mail.example.com/privkey1.pem',
    )
    expect(linkDestination('/etc/ssl/a', 'b')).toBe('/etc/ssl/b')
    expect(linkDestination('/etc/ssl/a', '/x/../y')).toBe('/y')
    expect(linkDestination('/a', '../../../b')).toBe('/b')
  })
})

describe('naming ids from the container’s own files', () => {
  it('reads /etc/passwd and /etc/group lines, the first name of an id winning as getpwuid does', () => {
    const m = parseIdNames('root:x:0:0:root:/root:/bin/bash\nDebian-exim:x:103:\n# comment\nbroken\ntwin:x:0:\n')
    expect(m.get(0)).toBe('root')
    expect(m.get(103)).toBe('Debian-exim')
    expect(m.size).toBe(2)
  })
})

describe('Go file modes from the path-stat header', () => {
  it('tells a link, a directory and a regular file apart', () => {
    expect(isSymlinkMode(134218239)).toBe(true) // lrwxrwxrwx as the engine reported it
    expect(isRegularMode(134218239)).toBe(false)
    expect(isRegularMode(2147484141)).toBe(false) // drwxr-xr-x
    expect(isRegularMode(0o644)).toBe(true)
  })
})
