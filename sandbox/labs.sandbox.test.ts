// Integration tests of both labs against real containers: TLS on the mail hosts, the lab DNS with DNSSEC,
// certificates from Pebble through DNS-01 and HTTP-01, Exim's certificate choice by SNI, and isolation.
import { X509Certificate } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { Agent, get as httpsGet } from 'node:https'
import { get as httpGet } from 'node:http'
import * as acme from 'acme-client'
import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LABEL_SESSION } from './docker.ts'
import { type DockerSandbox, downSandbox, getSandbox, upLab } from './engine.ts'
import { testSession } from './test-session.ts'

const docker = new Docker()
const A = testSession('pf')
const B = testSession('ex')
let pf: DockerSandbox
let ex: DockerSandbox

beforeAll(async () => {
  // Both at once: two sessions must come up side by side without stepping on each other's subnet.
  ;[pf, ex] = await Promise.all([upLab({ lab: 'postfix', session: A, fresh: true, hostEndpoints: [{ proto: 'tcp', port: 80 }] }), upLab({ lab: 'exim', session: B, fresh: true })])
})

afterAll(async () => {
  await Promise.all([downSandbox(A), downSandbox(B)])
})

function fetchText(url: string, ca?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const onRes = (res: import('node:http').IncomingMessage) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: HTTP ${res.statusCode}`))))
    }
    const req = url.startsWith('https:') ? httpsGet(url, { ca, timeout: 10_000 }, onRes) : httpGet(url, { timeout: 10_000 }, onRes)
    req.on('error', reject)
    req.on('timeout', () => req.destroy(new Error(`${url}: timeout`)))
  })
}

/** RFC 2136 update from the toolbox with the session's TSIG key (what certbot's rfc2136 plugin does). */
async function nsupdate(h: DockerSandbox, zone: string, lines: string[]): Promise<void> {
  const script = [`server ${h.env.LAB_DNS_IP} 5353`, `zone ${zone}`, ...lines, 'send', ''].join('\n')
  const r = await h.exec('toolbox', ['nsupdate', '-k', '/etc/lab/tsig.key'], { stdin: script, timeoutMs: 15_000 })
  expect(r.exitCode, `nsupdate: ${r.stderr}`).toBe(0)
}

function pemBlocks(pem: string): X509Certificate[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((b) => new X509Certificate(b))
}

/** Leaf → intermediate(s) → Pebble's issuing root, each signature checked. */
function expectChainsTo(chainPem: string, rootPem: string, name: string): void {
  const chain = pemBlocks(chainPem)
  const root = new X509Certificate(rootPem)
  expect(chain.length).toBeGreaterThanOrEqual(2)
  expect(chain[0]!.subjectAltName).toContain(`DNS:${name}`)
  for (let i = 0; i + 1 < chain.length; i++) expect(chain[i]!.verify(chain[i + 1]!.publicKey)).toBe(true)
  expect(chain.at(-1)!.verify(root.publicKey)).toBe(true)
}

async function acmeClient(h: DockerSandbox): Promise<{ client: acme.Client; root: string }> {
  const acmeIp = h.address('acme')
  const httpsCa = await fetchText(`http://${acmeIp}:14080/https-ca.pem`)
  acme.axios.defaults.httpsAgent = new Agent({ ca: httpsCa })
  const root = await fetchText(`https://${acmeIp}:15000/roots/0`, httpsCa)
  const client = new acme.Client({
    directoryUrl: `https://${acmeIp}:14000/dir`,
    accountKey: await acme.crypto.createPrivateEcdsaKey(),
  })
  await client.createAccount({ termsOfServiceAgreed: true, contact: ['mailto:admin@domaine.tld'] })
  return { client, root }
}

async function issue(
  client: acme.Client,
  name: string,
  type: 'dns-01' | 'http-01',
  publish: (challenge: { token: string }, keyAuthorization: string) => Promise<void>,
): Promise<string> {
  const order = await client.createOrder({ identifiers: [{ type: 'dns', value: name }] })
  for (const authz of await client.getAuthorizations(order)) {
    const challenge = authz.challenges.find((c) => c.type === type)
    expect(challenge, `${type} offered for ${name}`).toBeDefined()
    await publish(challenge!, await client.getChallengeKeyAuthorization(challenge!))
    await client.completeChallenge(challenge!)
    await client.waitForValidStatus(challenge!)
  }
  const [, csr] = await acme.crypto.createCsr({ commonName: name, altNames: [name] }, await acme.crypto.createPrivateEcdsaKey())
  const finalized = await client.finalizeOrder(order, csr)
  return client.getCertificate(finalized)
}

/** The certificate a server presents, as openssl in the toolbox sees it. */
async function presented(h: DockerSandbox, args: string[]): Promise<string> {
  const r = await h.exec('toolbox', ['sh', '-c', 'openssl s_client "$@" </dev/null 2>/dev/null | openssl x509 -noout -subject', 'sh', ...args], {
    timeoutMs: 20_000,
  })
  expect(r.exitCode, r.stderr).toBe(0)
  return r.stdout.trim()
}

describe('two sessions side by side', () => {
  it('every service of both labs is healthy, each session on its own /24', () => {
    expect(pf.services.map((s) => s.name).sort()).toEqual(['acme', 'attacker', 'dns', 'mail', 'partners', 'toolbox'])
    expect(ex.services.map((s) => s.name).sort()).toEqual(['acme', 'dns', 'mail', 'toolbox'])
    for (const s of [...pf.services, ...ex.services]) expect(s.healthy, `${s.container}: ${s.healthDetail}`).toBe(true)
    expect(pf.subnet).not.toBe(ex.subnet)
    expect(pf.address('mail')).toBe(`${pf.subnet}.20`)
    expect(ex.address('dns')).toBe(`${ex.subnet}.10`)
  })

  it('a session found again by id reports the same services and TSIG secret', async () => {
    const again = await getSandbox(A)
    expect(again?.lab).toBe('postfix')
    expect(again?.services.map((s) => [s.name, s.address, s.healthy])).toEqual(pf.services.map((s) => [s.name, s.address, true]))
    expect(again?.env.LAB_TSIG_SECRET).toBe(pf.env.LAB_TSIG_SECRET)
    expect(Buffer.from(pf.env.LAB_TSIG_SECRET, 'base64')).toHaveLength(32)
    expect(pf.env.LAB_TSIG_SECRET).not.toBe(ex.env.LAB_TSIG_SECRET)
  })
})

describe('the sandbox handle', () => {
  it('exec returns stdout, stderr and the exit code, and feeds stdin', async () => {
    expect(await pf.exec('mail', ['sh', '-c', 'cat; echo oops >&2; exit 3'], { stdin: 'hello\n' })).toEqual({
      exitCode: 3,
      stdout: 'hello\n',
      stderr: 'oops\n',
    })
  })

  it('exec stops a command that outlives its timeout with exit code 124', async () => {
    const t0 = Date.now()
    const r = await pf.exec('mail', ['sleep', '30'], { timeoutMs: 1_000 })
    expect(r.exitCode).toBe(124)
    expect(Date.now() - t0).toBeLessThan(6_000)
  })

  it('writeFile keeps the owner of the file it replaces, stat and readFile see the new content', async () => {
    await pf.exec('mail', ['sh', '-c', 'echo old > /etc/postfix/lab-test.txt && chown root:postfix /etc/postfix/lab-test.txt && chmod 640 /etc/postfix/lab-test.txt'])
    await pf.writeFile('mail', '/etc/postfix/lab-test.txt', 'new content\n')
    expect(await pf.stat('mail', '/etc/postfix/lab-test.txt')).toMatchObject({ mode: 0o640, user: 'root', group: 'postfix', size: 12, isFile: true, isSymlink: false })
    expect((await pf.readFile('mail', '/etc/postfix/lab-test.txt')).toString()).toBe('new content\n')
    await pf.writeFile('mail', '/tmp/fresh.txt', 'x', 0o600)
    expect(await pf.stat('mail', '/tmp/fresh.txt')).toMatchObject({ mode: 0o600, uid: 0, gid: 0 })
  })

  it('readFile refuses a file over the size cap, stat says null for a missing path', async () => {
    await expect(pf.readFile('mail', '/etc/services', 100)).rejects.toThrow(/larger than 100 bytes/)
    await expect(pf.readFile('mail', '/nonexistent')).rejects.toThrow(/no such file/)
    expect(await pf.stat('mail', '/nonexistent')).toBeNull()
  })
})

describe('STARTTLS on the mail hosts', () => {
  it('openssl s_client -starttls smtp from the toolbox reaches the Postfix host and gets its snakeoil certificate', async () => {
    expect(await presented(pf, ['-connect', 'mail.domaine.tld:25', '-starttls', 'smtp'])).toContain('CN = mail.domaine.tld')
  })

  it('openssl s_client -starttls smtp from the toolbox reaches the Exim host', async () => {
    const r = await ex.exec('toolbox', ['sh', '-c', 'openssl s_client -connect mail.example.com:25 -starttls smtp -brief </dev/null 2>&1'], { timeoutMs: 20_000 })
    expect(r.stdout).toMatch(/Protocol version: TLSv1\.[23]/)
  })
})

describe('the lab DNS', () => {
  it('answers MX and A for the documents\' names, with the AD bit of DNSSEC validation', async () => {
    const r = await pf.exec('toolbox', ['dig', '+dnssec', '+noall', '+comments', '+answer', 'MX', 'domaine.tld'])
    expect(r.stdout).toMatch(/flags:[^;]* ad[ ;]/)
    expect(r.stdout).toMatch(/domaine\.tld\.\s+\d+\s+IN\s+MX\s+10 mail\.domaine\.tld\./)
    const a = await pf.exec('toolbox', ['dig', '+short', 'A', 'mail.domaine.tld'])
    expect(a.stdout.trim()).toBe(pf.address('mail'))
  })

  it('serves TXT and TLSA records added by RFC 2136, validated (AD)', async () => {
    const tlsa = '3 1 1 ' + 'ab'.repeat(32)
    await nsupdate(pf, 'domaine.tld', [
      'update add domaine.tld. 60 TXT "v=spf1 mx -all"',
      `update add _25._tcp.mail.domaine.tld. 60 TLSA ${tlsa}`,
    ])
    const txt = await pf.exec('toolbox', ['dig', '+dnssec', '+noall', '+comments', '+answer', 'TXT', 'domaine.tld'])
    expect(txt.stdout).toMatch(/flags:[^;]* ad[ ;]/)
    expect(txt.stdout).toContain('"v=spf1 mx -all"')
    const t = await pf.exec('toolbox', ['dig', '+dnssec', '+noall', '+comments', '+answer', 'TLSA', '_25._tcp.mail.domaine.tld'])
    expect(t.stdout).toMatch(/flags:[^;]* ad[ ;]/)
    // dig splits long hex data into groups: compare without whitespace.
    expect(t.stdout.replace(/\s+/g, '').toLowerCase()).toContain(`tlsa311${'ab'.repeat(32)}`)
  })
})

describe('Pebble', () => {
  it('issues a certificate through DNS-01 once the TXT record is set by RFC 2136', async () => {
    const { client, root } = await acmeClient(pf)
    const name = 'mail.domaine.tld'
    const chain = await issue(client, name, 'dns-01', async (_c, keyAuth) => {
      await nsupdate(pf, 'domaine.tld', [`update delete _acme-challenge.${name}. TXT`, `update add _acme-challenge.${name}. 1 TXT "${keyAuth}"`])
    })
    expectChainsTo(chain, root, name)
  })

  it('issues a certificate through HTTP-01 served by the host on the session gateway', async () => {
    const { client, root } = await acmeClient(pf)
    const name = 'web.domaine.tld'
    await nsupdate(pf, 'domaine.tld', [`update delete ${name}. A`, `update add ${name}. 1 A ${pf.gateway}`])
    const tokens = new Map<string, string>()
    const server: Server = createServer((req, res) => {
      const token = req.url?.replace('/.well-known/acme-challenge/', '') ?? ''
      const body = tokens.get(token)
      res.writeHead(body ? 200 : 404, { 'content-type': 'text/plain' }).end(body ?? 'no such token')
    })
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(80, pf.gateway, resolve))
    try {
      const chain = await issue(client, name, 'http-01', async (c, keyAuth) => {
        tokens.set(c.token, keyAuth)
      })
      expectChainsTo(chain, root, name)
    } finally {
      server.close()
    }
  })
})

describe('Exim, laid out like HestiaCP', () => {
  it('presents the fallback certificate, then the per-SNI one once its files are placed', async () => {
    const sni = 'mail.example.com'
    const before = await presented(ex, ['-connect', `${ex.address('mail')}:465`, '-servername', sni])
    expect(before).not.toContain(`CN = ${sni}`)
    const fallback = await ex.readFile('mail', '/usr/local/hestia/ssl/certificate.crt')
    expect(before).toContain(new X509Certificate(fallback).subject.split('\n').find((l) => l.startsWith('CN='))!.slice(3))

    const made = await ex.exec('mail', [
      'sh',
      '-c',
      `set -e; cd /usr/local/hestia/ssl/mail
       openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=${sni}" \
         -addext "subjectAltName=DNS:${sni}" -keyout ${sni}.key -out ${sni}.crt 2>/dev/null
       chown root:Debian-exim ${sni}.key ${sni}.crt; chmod 640 ${sni}.key`,
    ])
    expect(made.exitCode, made.stderr).toBe(0)
    // Exim expands tls_certificate per connection: no reload is needed.
    expect(await presented(ex, ['-connect', `${ex.address('mail')}:465`, '-servername', sni])).toContain(`CN = ${sni}`)
    expect(await presented(ex, ['-connect', `${ex.address('mail')}:25`, '-starttls', 'smtp', '-servername', sni])).toContain(`CN = ${sni}`)
    // Another name still gets the fallback.
    expect(await presented(ex, ['-connect', `${ex.address('mail')}:465`, '-servername', 'mail.client2.tld'])).toBe(before)
  })
})

describe('isolation', () => {
  it('a lab container sits on one internal network only, publishes no port and is not privileged (inspection, no packet sent)', async () => {
    for (const h of [pf, ex]) {
      const net = await docker.getNetwork(h.network).inspect()
      expect(net.Internal).toBe(true)
      expect(net.IPAM?.Config?.[0]).toMatchObject({ Subnet: `${h.subnet}.0/24`, Gateway: h.gateway })
      for (const s of h.services) {
        const c = await docker.getContainer(s.container).inspect()
        expect(Object.keys(c.NetworkSettings.Networks)).toEqual([h.network])
        expect(c.HostConfig.NetworkMode).toBe(h.network)
        expect(c.HostConfig.Privileged).toBe(false)
        expect(c.HostConfig.PublishAllPorts).toBe(false)
        expect(Object.values(c.HostConfig.PortBindings ?? {}).flat()).toEqual([])
        expect(Object.values(c.NetworkSettings.Ports ?? {}).filter((b) => b && b.length)).toEqual([])
        expect(c.HostConfig.Memory).toBeGreaterThan(0)
        expect(c.HostConfig.PidsLimit).toBeGreaterThan(0)
        expect(c.HostConfig.Dns).toEqual([h.env.LAB_DNS_IP])
      }
    }
  })

  it("a session's toolbox reaches its own mail host but not the other session's", async () => {
    const probe = (target: string) => pf.exec('toolbox', ['nc', '-z', '-w', '2', target, '25'], { timeoutMs: 10_000 })
    expect((await probe(pf.address('mail'))).exitCode).toBe(0)
    expect((await probe(ex.address('mail'))).exitCode).not.toBe(0)
    const back = await ex.exec('toolbox', ['nc', '-z', '-w', '2', pf.address('mail'), '25'], { timeoutMs: 10_000 })
    expect(back.exitCode).not.toBe(0)
  })
})

describe('down', () => {
  it('leaves no container and no network of either session', async () => {
    const reports = await Promise.all([downSandbox(A), downSandbox(B)])
    expect(reports.map((r) => r.containers)).toEqual([6, 4])
    for (const s of [A, B]) {
      const filters = { label: [`${LABEL_SESSION}=${s}`] }
      expect(await docker.listContainers({ all: true, filters })).toEqual([])
      expect(await docker.listNetworks({ filters })).toEqual([])
    }
    expect(await getSandbox(A)).toBeNull()
  })
})
