// Unit tests of the topology reader: what a lab YAML may say, and how a mistake is reported.
import { describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { loadTopology, parseMemory, parseTopology, substituteEnv, topologyFile } from './topology.ts'

const minimal = `
name: postfix
services:
  mail:
    image: smtp-tls-lab/postfix:latest
    hostname: mail.domaine.tld
    ipv4_host: 20
    mem_limit: 48m
    pids_limit: 128
    depends_on: [dns]
    environment:
      RELAY: "mx.\${LAB_SUBNET}"
      COUNT: 3
    ports:
      - { port: 25, proto: tcp, tls: starttls, description: SMTP }
  dns:
    image: smtp-tls-lab/dns:latest
    hostname: dns.lab.test
    ipv4_host: 10
    mem_limit: "32m"
    pids_limit: 64
    cap_drop: [ALL]
    cap_add: [NET_BIND_SERVICE]
    tmpfs: ["/run:size=1m"]
    healthcheck: ["dig", "+short", "SOA", "lab.test"]
`

const broken = (patch: (s: string) => string) => () => parseTopology(patch(minimal), 'lab.yaml')

describe('a lab topology', () => {
  it('puts a service after the services it depends on, whatever the file order', () => {
    const t = parseTopology(minimal, 'lab.yaml')
    expect(t.services.map((s) => s.name)).toEqual(['dns', 'mail'])
  })

  it('reads limits, capabilities, tmpfs, ports and the default health command', () => {
    const t = parseTopology(minimal, 'lab.yaml')
    const [dns, mail] = t.services
    expect(mail!.memLimitBytes).toBe(48 * 1024 * 1024)
    expect(dns!.memLimitBytes).toBe(32 * 1024 * 1024)
    expect(dns!.capDrop).toEqual(['ALL'])
    expect(dns!.tmpfs).toEqual({ '/run': 'size=1m' })
    expect(dns!.healthcheck).toEqual(['dig', '+short', 'SOA', 'lab.test'])
    expect(mail!.healthcheck).toEqual(['/usr/local/bin/lab-healthy'])
    expect(mail!.ports).toEqual([{ port: 25, proto: 'tcp', tls: 'starttls', description: 'SMTP' }])
    expect(mail!.environment).toEqual({ RELAY: 'mx.${LAB_SUBNET}', COUNT: '3' })
  })

  it('reads sized volumes (path: size) and names a size it cannot read', () => {
    const withVolume = (size: string) => minimal.replace('    tmpfs: ["/run:size=1m"]', `    tmpfs: ["/run:size=1m"]\n    sized_volumes:\n      "/var/spool/x": "${size}"`)
    const dns = parseTopology(withVolume('32m'), 'lab.yaml').services.find((s) => s.name === 'dns')!
    expect(dns.sizedVolumes).toEqual({ '/var/spool/x': '32m' })
    expect(() => parseTopology(withVolume('lots'), 'lab.yaml')).toThrow(/sized_volumes\.\/var\/spool\/x.*must be a size like "32m"/)
    expect(parseTopology('' + minimal, 'lab.yaml').services[0]!.sizedVolumes).toEqual({})
  })

  it('names the file and the key when a service lacks its memory limit', () => {
    expect(broken((s) => s.replace('    mem_limit: 48m\n', ''))).toThrow('lab.yaml: services.mail.mem_limit: is required')
  })

  it('names the port entry whose tls mode is unknown', () => {
    expect(broken((s) => s.replace('tls: starttls', 'tls: maybe'))).toThrow('lab.yaml: services.mail.ports[0].tls: must be starttls, implicit or none')
  })

  it('rejects a dependency on a service that does not exist', () => {
    expect(broken((s) => s.replace('depends_on: [dns]', 'depends_on: [ldap]'))).toThrow('services.mail.depends_on: unknown service ldap')
  })

  it('rejects two services on one address', () => {
    expect(broken((s) => s.replace('ipv4_host: 20', 'ipv4_host: 10'))).toThrow('.10 is already taken by')
  })

  it('rejects the gateway address .1, which belongs to the host', () => {
    expect(broken((s) => s.replace('ipv4_host: 20', 'ipv4_host: 1'))).toThrow('services.mail.ipv4_host')
  })

  it('rejects a lab without a dns service, since every container resolves through it', () => {
    const noDns = minimal.slice(0, minimal.indexOf('  dns:')).replace('    depends_on: [dns]\n', '')
    expect(() => parseTopology(noDns, 'lab.yaml')).toThrow('needs a dns service')
  })

  it('reports YAML syntax errors with the file name', () => {
    expect(() => parseTopology('name: [x', 'bad.yaml')).toThrow(/^bad\.yaml: not valid YAML/)
  })
})

describe('environment placeholders', () => {
  it('are replaced from the session environment', () => {
    expect(substituteEnv('ns ${LAB_DNS_IP}:5353 ${LAB_DNS_IP}', { LAB_DNS_IP: '10.231.4.10' })).toBe('ns 10.231.4.10:5353 10.231.4.10')
  })
  it('fail loudly when the variable is unknown rather than becoming empty', () => {
    expect(() => substituteEnv('${NOPE}', {}, 'mail.environment.X')).toThrow('mail.environment.X: unknown variable ${NOPE}')
  })
})

describe('memory sizes', () => {
  it('read like compose files write them', () => {
    expect(parseMemory('48m')).toBe(50_331_648)
    expect(parseMemory('1g')).toBe(1024 ** 3)
    expect(parseMemory('512k')).toBe(524_288)
    expect(parseMemory('64MB')).toBe(64 * 1024 ** 2)
    expect(parseMemory('lots')).toBeNull()
  })
})

describe('the shipped topologies', () => {
  for (const lab of ['postfix', 'exim']) {
    it(`${lab}.yaml gives the contract's fixed addresses to the services both labs share`, () => {
      expect(existsSync(topologyFile(lab)), `${topologyFile(lab)} exists`).toBe(true)
      const t = loadTopology(lab)
      const host = Object.fromEntries(t.services.map((s) => [s.name, s.ipv4Host]))
      expect(host).toMatchObject({ dns: 10, acme: 11, mail: 20, toolbox: 30 })
      if (lab === 'postfix') expect(host.partners).toBe(40)
      for (const s of t.services) expect(s.image).toMatch(/^smtp-tls-lab\/[a-z]+:latest$/)
    })
  }
})
