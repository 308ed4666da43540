import { createHash, createHmac, generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { knownHostAccepts, parseDockerHost } from './docker-host.ts'
import { type EngineState, engineSet, pickEngine } from './engines.ts'

const dir = mkdtempSync(path.join(tmpdir(), 'stl-docker-host-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('--docker-host endpoints', () => {
  it('a unix socket needs an absolute path and is local', () => {
    const e = parseDockerHost('unix:///tmp/x/docker.sock', {})
    expect(e).toMatchObject({ url: 'unix:///tmp/x/docker.sock', kind: 'unix', local: true, options: { socketPath: '/tmp/x/docker.sock' } })
    expect(() => parseDockerHost('unix://docker.sock', {})).toThrow(/absolute path/)
  })

  it('tcp:// is refused without TLS client files, and reads them from DOCKER_CERT_PATH', () => {
    const certs = path.join(dir, 'certs')
    mkdirSync(certs)
    expect(() => parseDockerHost('tcp://engine2.example:2376', { DOCKER_CERT_PATH: certs })).toThrow(/needs TLS client files, missing: .*ca\.pem.*plain TCP/s)
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(path.join(certs, f), `${f}\n`)
    const e = parseDockerHost('tcp://engine2.example', { DOCKER_CERT_PATH: certs })
    expect(e).toMatchObject({ url: 'tcp://engine2.example:2376', kind: 'tcp', local: false, certDir: certs, options: { protocol: 'https', host: 'engine2.example', port: 2376 } })
    expect(String((e.options as { ca: Buffer }).ca)).toBe('ca.pem\n')
  })

  it('ssh:// takes the user and port, and wants an agent or a key', () => {
    const e = parseDockerHost('ssh://teacher@engine3.example:2222', { SSH_AUTH_SOCK: '/tmp/agent.sock' })
    expect(e).toMatchObject({ url: 'ssh://teacher@engine3.example:2222', kind: 'ssh', local: false, options: { protocol: 'ssh', host: 'engine3.example', port: 2222, username: 'teacher' } })
  })

  it('a bare name is a Docker context, read from its meta.json with its TLS folder', () => {
    const cfg = path.join(dir, 'docker-config')
    const id = createHash('sha256').update('salle-b').digest('hex')
    mkdirSync(path.join(cfg, 'contexts', 'meta', id), { recursive: true })
    writeFileSync(path.join(cfg, 'contexts', 'meta', id, 'meta.json'), JSON.stringify({ Name: 'salle-b', Endpoints: { docker: { Host: 'tcp://10.0.0.9:2376' } } }))
    const tls = path.join(cfg, 'contexts', 'tls', id, 'docker')
    mkdirSync(tls, { recursive: true })
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(path.join(tls, f), f)
    expect(parseDockerHost('salle-b', { DOCKER_CONFIG: cfg })).toMatchObject({ url: 'tcp://10.0.0.9:2376', certDir: tls })
    expect(() => parseDockerHost('nope', { DOCKER_CONFIG: cfg })).toThrow(/neither an address .* nor a Docker context/)
    expect(() => parseDockerHost('http://x', {})).toThrow(/unsupported scheme/)
  })

  it('known_hosts: a plain or hashed entry with the same key is accepted; another key, a revoked one or no entry is refused', () => {
    const key = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' })
    const b64 = key.toString('base64')
    const salt = randomBytes(20)
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[engine3.example]:2222').digest('base64')}`
    expect(knownHostAccepts(`engine3.example ssh-ed25519 ${b64}\n`, 'engine3.example', 22, key)).toBe(true)
    expect(knownHostAccepts(`${hashed} ssh-ed25519 ${b64}\n`, 'engine3.example', 2222, key)).toBe(true)
    expect(knownHostAccepts(`${hashed} ssh-ed25519 ${b64}\n`, 'engine3.example', 22, key)).toBe(false)
    expect(knownHostAccepts(`engine3.example ssh-ed25519 ${Buffer.from('other').toString('base64')}\n`, 'engine3.example', 22, key)).toBe(false)
    expect(knownHostAccepts(`engine3.example ssh-ed25519 ${b64}\n@revoked engine3.example ssh-ed25519 ${b64}\n`, 'engine3.example', 22, key)).toBe(false)
    expect(knownHostAccepts('', 'engine3.example', 22, key)).toBe(false)
  })
})

describe('engines and placement', () => {
  it('the local socket keeps the 10.231 pool, the other engines take 10.232… in order; a duplicate is refused', () => {
    const es = engineSet(['unix:///tmp/e2.sock', 'unix:///var/run/docker.sock', 'unix:///tmp/e3.sock'], {})
    expect(es.map((e) => [e.name, e.pool])).toEqual([
      ['unix:///tmp/e2.sock', '10.232'],
      ['unix:///var/run/docker.sock', '10.231'],
      ['unix:///tmp/e3.sock', '10.233'],
    ])
    expect(engineSet([], {}).map((e) => e.pool)).toEqual(['10.231'])
    expect(() => engineSet(['unix:///tmp/a.sock', 'unix:///tmp/a.sock'], {})).toThrow(/given twice/)
  })

  it('a new sandbox goes where free memory minus reservations is largest; ties to the first; an unmeasured engine never', () => {
    const [a, b, c] = engineSet(['unix:///tmp/a.sock', 'unix:///tmp/b.sock', 'unix:///tmp/c.sock'], {})
    const mem = (free: number) => ({ totalBytes: 8e9, committedBytes: 8e9 - free, availableBytes: null, freeBytes: free, sessions: 0 })
    const st = (engine: typeof a, free: number | null, reservedBytes = 0): EngineState => ({ engine: engine!, memory: free === null ? null : mem(free), reservedBytes })
    expect(pickEngine([st(a, 4e9), st(b, 6e9), st(c, 5e9)])?.name).toBe(b!.name)
    expect(pickEngine([st(a, 4e9), st(b, 6e9, 3e9), st(c, 5e9)])?.name).toBe(c!.name)
    expect(pickEngine([st(a, 5e9), st(b, 5e9)])?.name).toBe(a!.name)
    expect(pickEngine([st(a, null), st(b, 1e9)])?.name).toBe(b!.name)
    expect(pickEngine([st(a, null)])).toBeNull()
  })
})
