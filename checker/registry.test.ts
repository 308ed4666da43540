import { readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { registry } from './registry.ts'

const REQUIRED = [
  'smtp.banner.no-version', 'smtp.starttls.offered', 'smtp.auth.hidden-before-tls', 'smtp.auth.offered-after-tls', 'smtp.tls.required-before-mail',
  'smtp.vrfy.disabled', 'smtp.etrn.rejected', 'smtp.connection-limit', 'tls.implicit', 'tls.version.ssl3.rejected', 'tls.version.tls1_0.rejected',
  'tls.version.tls1_1.rejected', 'tls.version.tls1_2.accepted', 'tls.version.tls1_3.accepted', 'tls.cipher.no-weak', 'tls.cipher.forward-secrecy',
  'cert.trusted', 'cert.chain.complete', 'cert.name.matches', 'cert.sni.selects', 'cert.validity.days-left', 'cert.key.strength',
]

describe('check registry', () => {
  it('maps every ID to the check that declares that same ID', () => {
    for (const [id, check] of Object.entries(registry)) expect(check.id).toBe(id)
  })

  it('holds every SMTP, TLS and certificate check the issue lists', () => {
    for (const id of REQUIRED) expect(Object.keys(registry)).toContain(id)
  })

  it('gives each check French and English text and a remedy for both Postfix and Exim', () => {
    for (const c of Object.values(registry)) {
      for (const t of [c.title, c.explain]) {
        expect(t.fr.length).toBeGreaterThan(3)
        expect(t.en.length).toBeGreaterThan(3)
      }
      expect(c.remedy.postfix.length).toBeGreaterThan(5)
      expect(c.remedy.exim.length).toBeGreaterThan(5)
    }
  })

  it('registers every check file found under checker/checks', () => {
    const base = new URL('./checks/', import.meta.url)
    const files = readdirSync(base, { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && /^(smtp|tls|cert|dns|file|config|renewal)\//.test(f),
    )
    const ids = new Set(Object.keys(registry))
    const withDefault = files.filter((f) => !/(shared|support|test-[\w-]+|version-verdict)\.ts$/.test(f))
    expect(withDefault.length).toBeGreaterThanOrEqual(ids.size)
  })
})
