// A small real DNS server for unit tests (UDP + TCP on 127.0.0.1, random port) answering a fixed record set.
import dgram from 'node:dgram'
import net from 'node:net'
import * as packet from 'dns-packet'
import type { Answer, DecodedPacket } from 'dns-packet'

export interface TestZone {
  /** Records by owner name (no trailing dot), any type; the server answers those of the asked type. */
  readonly records: readonly Answer[]
  /** Names whose answers carry the AD bit (a validating resolver's verdict); '*' = all. */
  readonly authenticated?: readonly string[]
  /** Names answered with TC over UDP, so the client must retry over TCP. */
  readonly truncateOverUdp?: readonly string[]
  /** Names answered SERVFAIL. */
  readonly servfail?: readonly string[]
  /** Names never answered (to exercise timeouts). */
  readonly silent?: readonly string[]
}

export interface TestDnsServer {
  readonly address: string
  readonly port: number
  /** "127.0.0.1:port", the form Target.dnsServer takes. */
  readonly spec: string
  readonly queries: { name: string; type: string; transport: 'udp' | 'tcp'; dnssecOk: boolean }[]
  setZone(zone: TestZone): void
  close(): Promise<void>
}

const norm = (n: string): string => n.replace(/\.$/, '').toLowerCase()

function answer(zone: TestZone, query: DecodedPacket, transport: 'udp' | 'tcp'): Buffer | null {
  const q = query.questions?.[0]
  if (!q) return null
  const name = norm(q.name)
  if (zone.silent?.map(norm).includes(name)) return null
  const known = zone.records.some((r) => norm(r.name) === name)
  // Follow one CNAME like a resolver would, so CNAME chains show up in answers.
  let answers = zone.records.filter((r) => norm(r.name) === name && (r.type === q.type || r.type === 'CNAME'))
  const cname = answers.find((r) => r.type === 'CNAME')
  if (cname && q.type !== 'CNAME' && cname.type === 'CNAME') {
    const target = norm(cname.data)
    answers = [cname, ...zone.records.filter((r) => norm(r.name) === target && r.type === q.type)]
  }
  const ad = zone.authenticated?.includes('*') || zone.authenticated?.map(norm).includes(name)
  const truncate = transport === 'udp' && zone.truncateOverUdp?.map(norm).includes(name)
  const servfail = zone.servfail?.map(norm).includes(name)
  const rcode = servfail ? 2 : known ? 0 : 3
  let flags = packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | rcode
  if (ad && !servfail) flags |= packet.AUTHENTIC_DATA
  if (truncate) flags |= packet.TRUNCATED_RESPONSE
  return packet.encode({
    type: 'response',
    id: query.id,
    flags,
    questions: [q],
    answers: truncate || servfail ? [] : answers.map((a) => ({ ttl: 60, class: 'IN', ...a }) as Answer),
  })
}

/** UDP and TCP on one port: a random UDP port may be taken on TCP by another test file, so try again with another. */
export async function startTestDnsServer(zone: TestZone): Promise<TestDnsServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(zone)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw err
    }
  }
}

async function startOnce(zone: TestZone): Promise<TestDnsServer> {
  let current = zone
  const queries: TestDnsServer['queries'] = []
  const record = (p: DecodedPacket, transport: 'udp' | 'tcp'): void => {
    const q = p.questions?.[0]
    const opt = p.additionals?.find((a) => a.type === 'OPT') as { flag_do?: boolean } | undefined
    if (q) queries.push({ name: norm(q.name), type: q.type, transport, dnssecOk: opt?.flag_do === true })
  }
  const udp = dgram.createSocket('udp4')
  udp.on('message', (msg, rinfo) => {
    let p: DecodedPacket
    try {
      p = packet.decode(msg)
    } catch {
      return
    }
    record(p, 'udp')
    const out = answer(current, p, 'udp')
    if (out) udp.send(out, rinfo.port, rinfo.address)
  })
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve))
  const port = udp.address().port
  const sockets = new Set<net.Socket>()
  const tcp = net.createServer((s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
    let acc = Buffer.alloc(0)
    s.on('data', (c) => {
      acc = Buffer.concat([acc, c])
      while (acc.length >= 2 && acc.length >= 2 + acc.readUInt16BE(0)) {
        const len = acc.readUInt16BE(0)
        const msg = acc.subarray(2, 2 + len)
        acc = acc.subarray(2 + len)
        let p: DecodedPacket
        try {
          p = packet.decode(msg)
        } catch {
          s.destroy()
          return
        }
        record(p, 'tcp')
        const out = answer(current, p, 'tcp')
        if (!out) continue
        const head = Buffer.alloc(2)
        head.writeUInt16BE(out.length)
        s.write(Buffer.concat([head, out]))
      }
    })
  })
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', (err) => udp.close(() => reject(err)))
    tcp.listen(port, '127.0.0.1', () => resolve())
  })
  return {
    address: '127.0.0.1',
    port,
    spec: `127.0.0.1:${port}`,
    queries,
    setZone(z) {
      current = z
    },
    async close() {
      for (const s of sockets) s.destroy()
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))])
    },
  }
}
