// Partner MX of the postfix lab: accepts any mail over SMTP (STARTTLS offered) and records one JSON line per message.
import { SMTPServer } from 'smtp-server'
import { appendFileSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'

const dir = process.env.PARTNERS_DIR ?? '/etc/partners'
const logFile = process.env.PARTNERS_LOG ?? '/var/log/partners/deliveries.jsonl'
const caPem = readFileSync(`${dir}/ca.pem`)

// An active attacker's downgrade, on demand: the next `stripNext` SMTP sessions are answered without STARTTLS in EHLO,
// as a man in the middle who deletes it would. Lets a grader tell `encrypt` (defers) from `may` (sends in clear).
let stripNext = 0
let stripUntil = 0

const server = new SMTPServer({
  name: process.env.PARTNERS_NAME ?? 'mx.secure-partner.com',
  banner: 'partner MX (smtp-tls-lab)',
  key: readFileSync(`${dir}/mx.key`),
  cert: readFileSync(`${dir}/mx.pem`),
  authOptional: true,
  disabledCommands: ['AUTH'],
  size: 10 * 1024 * 1024,
  // Many MTAs open several connections at once when a queue flushes; none should be refused.
  maxClients: 50,
  logger: false,
  onConnect(session, callback) {
    if (stripNext > 0 && Date.now() < stripUntil) {
      stripNext--
      session.disabledCommands = ['AUTH', 'STARTTLS']
      appendFileSync(logFile, JSON.stringify({ time: new Date().toISOString(), event: 'starttls-stripped', clientAddress: session.remoteAddress }) + '\n')
    }
    callback()
  },
  onData(stream, session, callback) {
    let size = 0
    stream.on('data', (chunk) => { size += chunk.length })
    stream.on('end', () => {
      const rcpt = session.envelope.rcptTo.map((r) => r.address)
      const record = {
        time: new Date().toISOString(),
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        rcpt,
        rcptDomains: [...new Set(rcpt.map((a) => a.slice(a.lastIndexOf('@') + 1).toLowerCase()))],
        tls: Boolean(session.secure),
        protocol: session.tlsOptions ? session.tlsOptions.version ?? null : null,
        cipher: session.tlsOptions ? session.tlsOptions.standardName ?? session.tlsOptions.name ?? null : null,
        servername: session.servername || null,
        clientAddress: session.remoteAddress,
        size,
      }
      try {
        appendFileSync(logFile, JSON.stringify(record) + '\n')
      } catch (err) {
        return callback(Object.assign(new Error('Local error in processing'), { responseCode: 451 }))
      }
      callback(null, 'Message accepted')
    })
  },
})
server.on('error', (err) => { console.error(`partner-mx: ${err.message}`) })
server.listen(Number(process.env.PARTNERS_SMTP_PORT ?? 25), '0.0.0.0')

// The partners CA, so a sender can be configured to verify the partner MX certificates.
createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://partners')
  if (url.pathname === '/strip-starttls' && req.method === 'POST') {
    // ?count=N (default 1, 0 disarms) for the sessions opened within the next 60 s.
    const n = Number(url.searchParams.get('count') ?? '1')
    stripNext = Number.isInteger(n) && n >= 0 && n <= 10 ? n : 1
    stripUntil = Date.now() + 60_000
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end(`stripping STARTTLS from the next ${stripNext} session(s)\n`)
  } else if (url.pathname === '/ca.pem') {
    res.writeHead(200, { 'content-type': 'application/x-pem-file' })
    res.end(caPem)
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end('not found\n')
  }
}).listen(Number(process.env.PARTNERS_HTTP_PORT ?? 8080), '0.0.0.0')

// The MTA-STS policy of orders.secure-partner.com (published in DNS by the attack exercise's setup), served over
// HTTPS with the partner's own certificate, as RFC 8461 requires. Other hosts and paths get 404.
const stsPolicy = 'version: STSv1\r\nmode: enforce\r\nmx: mx.orders.secure-partner.com\r\nmax_age: 86400\r\n'
createHttpsServer({ key: readFileSync(`${dir}/mx.key`), cert: readFileSync(`${dir}/mx.pem`) }, (req, res) => {
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase()
  if (host === 'mta-sts.orders.secure-partner.com' && req.url === '/.well-known/mta-sts.txt') {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end(stsPolicy)
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end('not found\n')
  }
}).listen(Number(process.env.PARTNERS_HTTPS_PORT ?? 443), '0.0.0.0')
