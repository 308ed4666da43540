import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPki, fullchain, type TestPki } from '../test-support/pki.ts'
import { scriptedSmtp, type RunningServer } from '../test-support/smtp-servers.ts'
import { hangUp, nodeTls, type Endpoint } from './smtp.ts'
import { trustAnchors, withSharedContext } from './tls-contexts.ts'

let pki: TestPki
let other: TestPki
let server: RunningServer
let ep: Endpoint
beforeAll(async () => {
  pki = await createPki('contexts root A')
  other = await createPki('contexts root B')
  const leaf = await pki.leaf(['mail.domaine.tld'])
  server = await scriptedSmtp({ tls: { key: leaf.key, cert: fullchain(leaf, pki) } })
  ep = { host: server.host, port: server.port, mode: 'starttls', servername: 'mail.domaine.tld' }
})
afterAll(() => server.close())

describe('shared TLS contexts', () => {
  it('one context per bundle and option set: the same twice, another when the bundle or an option differs', () => {
    const a = withSharedContext({ ca: pki.root.cert, minVersion: 'TLSv1', servername: 'x' }).secureContext
    expect(withSharedContext({ ca: pki.root.cert, minVersion: 'TLSv1', servername: 'y' }).secureContext).toBe(a)
    expect(withSharedContext({ ca: other.root.cert, minVersion: 'TLSv1' }).secureContext).not.toBe(a)
    expect(withSharedContext({ ca: pki.root.cert, minVersion: 'TLSv1.2' }).secureContext).not.toBe(a)
    expect(withSharedContext({ ca: pki.root.cert, minVersion: 'TLSv1', sigalgs: 'ECDSA+SHA256' }).secureContext).not.toBe(a)
  })

  it('a cached context still verifies against its own bundle only (no bundle leaks into another)', async () => {
    for (let i = 0; i < 2; i++) {
      const good = await nodeTls({ ...ep, ca: pki.root.cert })
      expect(good.socket.authorized).toBe(true)
      hangUp(good.socket)
      const bad = await nodeTls({ ...ep, ca: other.root.cert })
      expect(bad.socket.authorized).toBe(false)
      hangUp(bad.socket)
    }
  })

  it('trust anchors are parsed once per bundle and cannot be altered by a caller', () => {
    const bundle = pki.root.cert + '\n-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n' + other.root.cert
    const a = trustAnchors(bundle)
    expect(a.map((c) => c.subject)).toEqual([pki.root.cert, other.root.cert].map((p) => trustAnchors(p)[0]!.subject))
    expect(trustAnchors(bundle)).toBe(a)
    expect(Object.isFrozen(a)).toBe(true)
    expect(trustAnchors(undefined).length).toBeGreaterThan(100)
  })
})
