// Keystroke echo latency through the lab's terminal bridge (WebSocket → docker exec TTY), against a direct exec TTY.
import type Docker from 'dockerode'
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { WebSocket, WebSocketServer } from 'ws'
import { connectDocker } from '../sandbox/docker.ts'
import { bridgeTerminal, openDockerTty, type Tty } from '../labs/terminal-bridge.ts'
import { benchArgs } from './args.ts'

const args = benchArgs()
if (args.has('help')) {
  process.stdout.write(
    'Usage: npx tsx bench/terminal.ts [--samples N] [--rounds R] [--image IMG] [--json]\n' +
      'Measures the time from sending one keystroke to seeing its echo, N times per round, alternating the bridge\n' +
      '(WebSocket on 127.0.0.1 → labs/terminal-bridge → docker exec TTY running bash) and the reference (the same\n' +
      'docker exec TTY written directly through dockerode). Prints p50/p99 of each and their ratio.\n',
  )
  process.exit(0)
}
const SAMPLES = Number(args.get('samples') ?? 300)
const ROUNDS = Number(args.get('rounds') ?? 4)
const IMAGE = args.get('image') ?? 'smtp-tls-lab/base:bookworm'
const JSON_OUT = args.has('json')
const TARGET_P50_MS = 10

const log = (s: string): void => void process.stderr.write(s + '\n')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Something that sends bytes to a shell and delivers what the shell prints. */
interface Channel {
  send(data: Buffer): void
  onData(cb: (d: Buffer) => void): void
  close(): void
}

function directChannel(tty: Tty): Channel {
  return {
    send: (d) => void tty.stream.write(d),
    onData: (cb) => void tty.stream.on('data', cb),
    close: () => tty.close(),
  }
}

async function bridgeChannel(url: string): Promise<Channel> {
  const ws = new WebSocket(url, { perMessageDeflate: false })
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)))
  // Browsers disable Nagle on WebSockets too; ws does it on both ends by default, made explicit here.
  ;(ws as unknown as { _socket: { setNoDelay(v: boolean): void } })._socket.setNoDelay(true)
  return {
    send: (d) => ws.send(d, { binary: true }),
    onData: (cb) => void ws.on('message', (d: Buffer) => cb(d)),
    close: () => ws.close(),
  }
}

/** Waits for output containing `needle`, resolving with the time it arrived. */
function waiter(ch: Channel) {
  let buf = ''
  let want: { needle: string; resolve: (t: bigint) => void } | null = null
  ch.onData((d) => {
    const t = process.hrtime.bigint()
    buf += d.toString('latin1')
    if (want && buf.includes(want.needle)) {
      const w = want
      want = null
      buf = ''
      w.resolve(t)
    }
  })
  return {
    until(needle: string, timeoutMs = 5000): Promise<bigint> {
      if (buf.includes(needle)) {
        buf = ''
        return Promise.resolve(process.hrtime.bigint())
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${needle}" within ${timeoutMs} ms; got ${JSON.stringify(buf.slice(-200))}`)), timeoutMs)
        want = {
          needle,
          resolve: (t) => {
            clearTimeout(timer)
            resolve(t)
          },
        }
      })
    },
    clear() {
      buf = ''
    },
  }
}

/** Prepares a quiet prompt, then types `n` single characters, each only after the previous one's echo. */
async function measure(ch: Channel, n: number): Promise<number[]> {
  const w = waiter(ch)
  const marker = `R${randomBytes(3).toString('hex')}`
  // Bash discards input typed before its first prompt (readline sets up the terminal): wait for the prompt.
  await w.until('# ', 10_000)
  await sleep(100)
  ch.send(Buffer.from(`PS1='$ '; PROMPT_COMMAND=; echo ${marker.slice(0, 1)}""${marker.slice(1)}\r`))
  await w.until(marker)
  await sleep(50)
  w.clear()
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    // Kill the line now and then so readline never redraws a long line (which would echo more than one byte).
    if (i % 50 === 0) {
      ch.send(Buffer.from('\x15'))
      await sleep(10)
      w.clear()
    }
    const t0 = process.hrtime.bigint()
    ch.send(Buffer.from('x'))
    const t1 = await w.until('x')
    out.push(Number(t1 - t0) / 1e6)
  }
  ch.send(Buffer.from('\x15'))
  return out
}

function pct(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i]!
}
function stats(xs: readonly number[]) {
  const s = [...xs].sort((a, b) => a - b)
  const mean = s.reduce((a, b) => a + b, 0) / s.length
  return { n: s.length, p50: pct(s, 50), p90: pct(s, 90), p99: pct(s, 99), max: s[s.length - 1]!, mean }
}

async function main(): Promise<void> {
  const docker: Docker = await connectDocker()
  const name = `stl-bench-term-${randomBytes(3).toString('hex')}`
  log(`bench/terminal: container ${name} from ${IMAGE} (no network), ${ROUNDS} rounds × ${SAMPLES} keystrokes per mode`)
  const container = await docker.createContainer({
    name,
    Image: IMAGE,
    Cmd: ['sleep', 'infinity'],
    Labels: { 'smtp-tls-lab.bench': 'terminal' },
    HostConfig: { NetworkMode: 'none', AutoRemove: false, Memory: 128 * 1024 * 1024, PidsLimit: 64 },
  })
  const cleanup = async (): Promise<void> => {
    await container.remove({ force: true }).catch(() => undefined)
  }
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)))
  try {
    await container.start()
    const size = { cols: 120, rows: 40 }

    // The bridge exactly as labs/server.ts uses it for /ws/terminal, minus token and routing checks.
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
    await new Promise((r) => wss.once('listening', r))
    wss.on('connection', (ws) => {
      openDockerTty(docker, name, size).then(
        (tty) => bridgeTerminal(ws, tty),
        (err: unknown) => ws.close(1011, String(err).slice(0, 100)),
      )
    })
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`

    const bridge: number[] = []
    const direct: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate the order so that a slow spell of the shared machine does not favour one mode.
      const order = round % 2 === 0 ? (['direct', 'bridge'] as const) : (['bridge', 'direct'] as const)
      for (const mode of order) {
        const ch = mode === 'direct' ? directChannel(await openDockerTty(docker, name, size)) : await bridgeChannel(url)
        const xs = await measure(ch, SAMPLES)
        ;(mode === 'direct' ? direct : bridge).push(...xs.slice(10))
        ch.close()
        await sleep(100)
      }
      log(`  round ${round + 1}/${ROUNDS} done`)
    }
    for (const c of wss.clients) c.terminate()
    await new Promise((r) => wss.close(r))

    const b = stats(bridge)
    const d = stats(direct)
    const result = {
      bench: 'terminal-echo',
      samplesPerMode: b.n,
      bridge: b,
      reference: d,
      ratio: { p50: b.p50 / d.p50, p99: b.p99 / d.p99 },
      overheadMs: { p50: b.p50 - d.p50, p99: b.p99 - d.p99 },
      targetP50Ms: TARGET_P50_MS,
      meetsTarget: b.p50 <= TARGET_P50_MS,
    }
    if (JSON_OUT) process.stdout.write(JSON.stringify(result, null, 2) + '\n')
    else {
      const f = (x: number) => x.toFixed(2).padStart(7)
      process.stdout.write(
        `keystroke echo latency (ms), ${b.n} keystrokes per mode\n` +
          `                          p50     p90     p99     max    mean\n` +
          `bridge (WS → exec TTY) ${f(b.p50)} ${f(b.p90)} ${f(b.p99)} ${f(b.max)} ${f(b.mean)}\n` +
          `reference (exec TTY)   ${f(d.p50)} ${f(d.p90)} ${f(d.p99)} ${f(d.max)} ${f(d.mean)}\n` +
          `ratio bridge/reference: p50 ${result.ratio.p50.toFixed(2)}×, p99 ${result.ratio.p99.toFixed(2)}× ` +
          `(overhead p50 ${result.overheadMs.p50.toFixed(2)} ms)\n` +
          `target p50 ≤ ${TARGET_P50_MS} ms: ${result.meetsTarget ? 'met' : 'NOT met'}\n`,
      )
    }
  } finally {
    await cleanup()
  }
}

await main().catch((err: unknown) => {
  process.stderr.write(`bench/terminal: ${(err as Error).message ?? String(err)}\n`)
  process.exit(1)
})
