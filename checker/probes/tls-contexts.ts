// Secure contexts and trust anchors, built once per trust bundle instead of at every handshake. A grading bundle holds
// every Pebble root the machine's labs have used (hundreds: sandbox/lab-roots.ts); loading it into OpenSSL or parsing
// it into X509Certificate objects took ~60 ms of the event loop per check run, most of a run's CPU (bench/class.ts).
import { X509Certificate } from 'node:crypto'
import tls from 'node:tls'

/** The options of tls.connect that shape the SSL_CTX (tls.createSecureContext's); the rest belong to one connection. */
const CONTEXT_KEYS = [
  'ca', 'cert', 'key', 'pfx', 'passphrase', 'crl', 'dhparam', 'ciphers', 'sigalgs', 'ecdhCurve', 'honorCipherOrder',
  'minVersion', 'maxVersion', 'secureOptions', 'secureProtocol', 'sessionIdContext', 'ticketKeys', 'sessionTimeout',
  'privateKeyEngine', 'privateKeyIdentifier', 'clientCertEngine',
] as const satisfies readonly (keyof tls.SecureContextOptions)[]

/** A small map that forgets the entry used longest ago beyond `max` (Map keeps insertion order). */
class Lru<K, V> {
  private readonly map = new Map<K, V>()
  constructor(private readonly max: number) {}
  get(k: K, make: () => V): V {
    let v = this.map.get(k)
    if (v !== undefined) this.map.delete(k)
    else v = make()
    this.map.set(k, v)
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K)
    return v
  }
  get size(): number {
    return this.map.size
  }
}

// Keyed by the CA text itself: the same bundle string is passed for a whole grading (exercises/runner.ts caches it per
// sandbox), and V8 hashes a string once, so the lookup does not re-read 300 KB.
const contexts = new Lru<string, Lru<string, tls.SecureContext>>(32)
const anchors = new Lru<string, readonly X509Certificate[]>(32)

/**
 * The options to pass to tls.connect: the same, with a shared `secureContext` built from the context options. Node
 * ignores those options once a secureContext is given, so they all go into the cache key.
 */
export function withSharedContext(options: tls.ConnectionOptions): tls.ConnectionOptions {
  if (options.secureContext) return options
  const ctxOpts: Record<string, unknown> = {}
  for (const k of CONTEXT_KEYS) if (options[k] !== undefined) ctxOpts[k] = options[k]
  const ca = typeof options.ca === 'string' ? options.ca : ''
  const { ca: _ca, ...rest } = ctxOpts
  // A non-string CA (Buffer, array) is rare in the checker: it goes into the key as JSON with the rest.
  const restKey = JSON.stringify(ca ? rest : ctxOpts)
  const secureContext = contexts.get(ca, () => new Lru(16)).get(restKey, () => tls.createSecureContext(ctxOpts as tls.SecureContextOptions))
  return { ...options, secureContext }
}

const PEM_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/** Roots to validate against: the given PEM bundle, or Node's bundled Mozilla store. Parsed once per bundle. */
export function trustAnchors(caPem: string | undefined): readonly X509Certificate[] {
  return anchors.get(caPem ?? '', () => {
    const pems = caPem ? caPem.match(PEM_RE) ?? [] : tls.rootCertificates
    const out: X509Certificate[] = []
    for (const p of pems) {
      try {
        out.push(new X509Certificate(p))
      } catch {
        // A malformed entry in a CA bundle does not invalidate the others.
      }
    }
    return Object.freeze(out)
  })
}

/** How many bundles are cached (tests). */
export function cachedBundles(): { contexts: number; anchors: number } {
  return { contexts: contexts.size, anchors: anchors.size }
}
