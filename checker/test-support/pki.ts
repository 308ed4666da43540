// Throwaway certificate authorities and server certificates for tests (root → intermediate → leaf, like ACME).
import { generate } from 'selfsigned'

export interface Issued {
  readonly key: string
  readonly cert: string
}

export interface TestPki {
  readonly root: Issued
  readonly intermediate: Issued
  /** Leaf for the given names, signed by the intermediate. */
  leaf(names: readonly string[], opts?: LeafOptions): Promise<Issued>
}

export interface LeafOptions {
  readonly keyType?: 'rsa' | 'ec'
  readonly keySize?: number
  readonly notBefore?: Date
  readonly notAfter?: Date
  readonly selfSigned?: boolean
}

const DAY = 86_400_000

/** All keys of one PKI share a type: selfsigned cannot sign an RSA leaf with an EC issuer key, nor the reverse. */
export async function createPki(name = 'smtp-tls-lab test', keyType: 'ec' | 'rsa' = 'ec'): Promise<TestPki> {
  const root = await generate([{ name: 'commonName', value: `${name} root` }], {
    keyType,
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 3650 * DAY),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  })
  const intermediate = await generate([{ name: 'commonName', value: `${name} intermediate` }], {
    keyType,
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 1825 * DAY),
    ca: { key: root.private, cert: root.cert },
    extensions: [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  })
  const rootIssued = { key: root.private, cert: root.cert }
  const interIssued = { key: intermediate.private, cert: intermediate.cert }
  return {
    root: rootIssued,
    intermediate: interIssued,
    async leaf(names, opts = {}) {
      const notBefore = opts.notBefore ?? new Date(Date.now() - DAY)
      const r = await generate([{ name: 'commonName', value: names[0] ?? 'localhost' }], {
        keyType: opts.keyType ?? keyType,
        ...(opts.keySize ? { keySize: opts.keySize } : {}),
        algorithm: 'sha256',
        notBeforeDate: notBefore,
        notAfterDate: opts.notAfter ?? new Date(Date.now() + 60 * DAY),
        ...(opts.selfSigned ? {} : { ca: { key: interIssued.key, cert: interIssued.cert } }),
        extensions: [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
          { name: 'extKeyUsage', serverAuth: true },
          { name: 'subjectAltName', altNames: names.map((value) => ({ type: 2 as const, value })) },
        ],
      })
      return { key: r.private, cert: r.cert }
    },
  }
}

/** Leaf followed by the intermediate: what a correctly configured server sends. */
export function fullchain(leaf: Issued, pki: TestPki): string {
  return `${leaf.cert.trim()}\n${pki.intermediate.cert.trim()}\n`
}
