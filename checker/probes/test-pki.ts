// Test PKI for unit tests: a root, an intermediate and leaf certificates made with selfsigned (EC keys, fast).
import { generate } from 'selfsigned'

export interface KeyCert {
  readonly key: string
  readonly cert: string
}

export interface TestPki {
  readonly root: KeyCert
  readonly intermediate: KeyCert
  /** Leaf + intermediate, the way a server should send it. */
  leaf(names: readonly string[], opts?: { notAfter?: Date; keyType?: 'ec' | 'rsa' }): Promise<KeyCert & { fullchain: string }>
}

export async function makeCa(cn: string, issuer?: KeyCert): Promise<KeyCert> {
  const r = await generate([{ name: 'commonName', value: cn }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - 3600_000),
    notAfterDate: new Date(Date.now() + 365 * 86400_000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
    ...(issuer ? { ca: { key: issuer.key, cert: issuer.cert } } : {}),
  })
  return { key: r.private, cert: r.cert }
}

export async function makeTestPki(label = 'Lab'): Promise<TestPki> {
  const root = await makeCa(`${label} Test Root`)
  const intermediate = await makeCa(`${label} Test Intermediate`, root)
  return {
    root,
    intermediate,
    async leaf(names, opts = {}) {
      const r = await generate([{ name: 'commonName', value: names[0]! }], {
        keyType: opts.keyType ?? 'ec',
        algorithm: 'sha256',
        notBeforeDate: new Date(Date.now() - 3600_000),
        notAfterDate: opts.notAfter ?? new Date(Date.now() + 90 * 86400_000),
        extensions: [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
          { name: 'extKeyUsage', serverAuth: true },
          { name: 'subjectAltName', altNames: names.map((n) => (/^[\d.]+$/.test(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n })) },
        ],
        ca: { key: intermediate.key, cert: intermediate.cert },
      })
      return { key: r.private, cert: r.cert, fullchain: `${r.cert.trim()}\n${intermediate.cert.trim()}\n` }
    },
  }
}
