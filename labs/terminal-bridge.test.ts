// The terminal bridge between a WebSocket and a byte stream, over real loopback sockets and real child processes.
import { spawn, type ChildProcess } from 'node:child_process'
import type { AddressInfo } from 'node:net'
import { Duplex } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { CLOSE } from '../core/lab-protocol.ts'
import { bridgeTerminal, clampSize, parseControl, type BridgeStats, type Tty } from './terminal-bridge.ts'

interface Rig {
  url: string
  tty: Promise<{ child: ChildProcess; resizes: [number, number][]; closed: () => boolean; stats: BridgeStats }>
  server: WebSocketServer
}
const rigs: WebSocketServer[] = []
afterEach(async () => {
  for (const s of rigs.splice(0)) {
    for (const c of s.clients) c.terminate()
    await new Promise((r) => s.close(r))
  }
})

/**
 * A child's stdout/stdin as one stream that behaves like Docker's attach socket: the output is read to its end
 * even when the input side breaks first (Duplex.from would discard unread output on EPIPE).
 */
function processStream(child: ChildProcess): Duplex {
  const out = child.stdout!
  const input = child.stdin!
  input.on('error', () => undefined)
  const d = new Duplex({
    read: () => void out.resume(),
    write: (chunk: Buffer, _enc, cb) => void input.write(chunk, () => cb()),
    final: (cb) => void input.end(() => cb()),
  })
  out.on('data', (chunk: Buffer) => {
    if (!d.push(chunk)) out.pause()
  })
  out.on('end', () => d.push(null))
  return d
}

/** A WebSocket server on 127.0.0.1:0 bridging each connection to a fresh child process standing in for the shell. */
async function rig(cmd: string[], opts: { highWaterBytes?: number; lowWaterBytes?: number } = {}): Promise<Rig> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  rigs.push(server)
  await new Promise((r) => server.once('listening', r))
  const tty = new Promise<Awaited<Rig['tty']>>((resolve) => {
    server.once('connection', (ws) => {
      const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] })
      const resizes: [number, number][] = []
      let closed = false
      const t: Tty = {
        stream: processStream(child),
        resize: async (c, r) => void resizes.push([c, r]),
        close: () => {
          closed = true
          child.kill('SIGHUP')
        },
      }
      const stats = bridgeTerminal(ws, t, opts)
      resolve({ child, resizes, closed: () => closed, stats })
    })
  })
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, tty, server }
}

const opened = (ws: WebSocket) => new Promise((r, j) => (ws.once('open', r), ws.once('error', j)))
const closedWith = (ws: WebSocket) => new Promise<number>((r) => ws.once('close', (code) => r(code)))

describe('terminal control messages', () => {
  it('reads a resize message and ignores anything else', () => {
    expect(parseControl('{"type":"resize","cols":120,"rows":40}')).toEqual({ type: 'resize', cols: 120, rows: 40 })
    expect(parseControl('{"type":"resize","cols":0,"rows":40}')).toBeNull()
    expect(parseControl('{"type":"input","data":"ls"}')).toBeNull()
    expect(parseControl('ls -l\r')).toBeNull()
  })

  it('clamps window sizes to sane integers with 80x24 as the default', () => {
    expect(clampSize('132', '43')).toEqual({ cols: 132, rows: 43 })
    expect(clampSize(null, undefined)).toEqual({ cols: 80, rows: 24 })
    expect(clampSize('-5', 'abc')).toEqual({ cols: 80, rows: 24 })
    expect(clampSize(99999, 99999)).toEqual({ cols: 1000, rows: 500 })
    expect(clampSize(100.7, 30.2)).toEqual({ cols: 100, rows: 30 })
  })
})

describe('terminal bridge', () => {
  it('echoes keystrokes through a cat process as binary frames and applies resize messages', async () => {
    const r = await rig(['cat'])
    const ws = new WebSocket(r.url)
    await opened(ws)
    const { resizes } = await r.tty
    const got: Buffer[] = []
    ws.on('message', (d, isBinary) => {
      expect(isBinary).toBe(true)
      got.push(d as Buffer)
    })
    ws.send(JSON.stringify({ type: 'resize', cols: 100, rows: 30 }))
    ws.send(Buffer.from('postconf mail_version\n'))
    // Text that is not a control message is typed, as a browser sending a paste as text would.
    ws.send('echo é\n')
    await expect.poll(() => Buffer.concat(got).toString()).toBe('postconf mail_version\necho é\n')
    expect(resizes).toEqual([[100, 30]])
    ws.close()
  })

  it('closes the WebSocket with the shell-exited code when the process ends', async () => {
    const r = await rig(['sh', '-c', 'printf bye; exit 0'])
    const ws = new WebSocket(r.url)
    const got: Buffer[] = []
    ws.on('message', (d) => got.push(d as Buffer))
    expect(await closedWith(ws)).toBe(CLOSE.shellExited)
    expect(Buffer.concat(got).toString()).toBe('bye')
  })

  it('ends the process when the browser goes away', async () => {
    const r = await rig(['cat'])
    const ws = new WebSocket(r.url)
    await opened(ws)
    const { child, closed } = await r.tty
    const exited = new Promise((res) => child.once('exit', res))
    ws.close()
    await exited
    expect(closed()).toBe(true)
  })

  it('holds a flood of output back in the process while the browser does not read, and loses no byte', async () => {
    const total = 16 * 1024 * 1024
    const r = await rig(['head', '-c', String(total), '/dev/zero'], { highWaterBytes: 256 * 1024, lowWaterBytes: 32 * 1024 })
    const ws = new WebSocket(r.url)
    let received = 0
    ws.on('message', (d) => (received += (d as Buffer).length))
    await opened(ws)
    // Stop reading from the socket: the kernel buffers fill, then the server's send buffer.
    ;(ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause()
    const { stats } = await r.tty
    await expect.poll(() => stats.pausedOutput, { timeout: 10_000 }).toBeGreaterThan(0)
    const serverSide = [...r.server.clients][0]!
    await new Promise((res) => setTimeout(res, 300))
    // Paused near the high-water mark: the process is blocked, not buffered into this process's memory.
    expect(serverSide.bufferedAmount).toBeLessThan(1024 * 1024)
    ;(ws as unknown as { _socket: { resume(): void } })._socket.resume()
    await expect.poll(() => received, { timeout: 20_000 }).toBe(total)
  })

  it('stops reading keystrokes while the process does not take them, and delivers them all later', async () => {
    // The process reads nothing for a while (pipe fills up), then counts what it got.
    const r = await rig(['sh', '-c', 'sleep 1; wc -c'])
    const ws = new WebSocket(r.url)
    await opened(ws)
    const { stats } = await r.tty
    const chunk = Buffer.alloc(64 * 1024, 0x61)
    for (let i = 0; i < 32; i++) ws.send(chunk)
    const out: Buffer[] = []
    ws.on('message', (d) => out.push(d as Buffer))
    await expect.poll(() => stats.pausedInput, { timeout: 5_000 }).toBeGreaterThan(0)
    // End of input: wc prints the total once it sees EOF, which arrives when the stream is ended by close.
    await new Promise((res) => setTimeout(res, 1500))
    const tty = await r.tty
    tty.child.stdin!.end()
    await expect.poll(() => Buffer.concat(out).toString().trim(), { timeout: 5_000 }).toBe(String(32 * 64 * 1024))
    ws.close()
  })
})
