// Bridges a browser WebSocket to a TTY in a sandbox service (docker exec with Tty), bytes both ways, with resize.
import type Docker from 'dockerode'
import { randomBytes } from 'node:crypto'
import type { Duplex } from 'node:stream'
import type { WebSocket, RawData } from 'ws'
import { CLOSE, isTerminalControlMessage, type TerminalControlMessage } from '../core/lab-protocol.ts'

/** A running TTY: its byte stream (keystrokes in, screen out) and a way to change its window size. */
export interface Tty {
  readonly stream: Duplex
  resize(cols: number, rows: number): Promise<void>
  /** Ends the process behind the TTY (the browser went away). */
  close(): void
}

export const DEFAULT_COLS = 80
export const DEFAULT_ROWS = 24
const MAX_COLS = 1000
const MAX_ROWS = 500

/** Window size from query parameters or a resize message: integers clamped to sane bounds, defaults otherwise. */
export function clampSize(cols: unknown, rows: unknown): { cols: number; rows: number } {
  const norm = (v: unknown, def: number, max: number): number => {
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : typeof v === 'number' ? v : NaN
    return Number.isFinite(n) && n >= 1 ? Math.min(Math.floor(n), max) : def
  }
  return { cols: norm(cols, DEFAULT_COLS, MAX_COLS), rows: norm(rows, DEFAULT_ROWS, MAX_ROWS) }
}

/** A text frame from the browser: a control message, or null when it is not one (then ignored). */
export function parseControl(text: string): TerminalControlMessage | null {
  if (text.length > 1024) return null
  try {
    const value = JSON.parse(text) as unknown
    return isTerminalControlMessage(value) ? value : null
  } catch {
    return null
  }
}

/** Service names accepted from the query string: the engine's naming, nothing that could alter a container name. */
export const SERVICE_NAME = /^[a-z][a-z0-9-]{0,31}$/

/**
 * The login shell: bash when the image has it (Debian images do), sh otherwise, decided inside the container
 * in the same exec so a terminal opens with a single round trip.
 */
export const LOGIN_SHELL = 'if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi'

/**
 * The exec'd command: records the shell's pid (exec keeps it) so that the shell can be hung up later. Docker's
 * exec API has no kill, and closing the attach stream leaves the shell and its jobs running in the container.
 */
export function ttyCommand(id: string, shell = LOGIN_SHELL): string[] {
  return ['/bin/sh', '-c', `echo $$ > /tmp/.stl-tty-${id}.pid; ${shell}`]
}

/**
 * What a terminal hangup does: SIGHUP to the shell, which passes it to its jobs (daemons the learner started
 * with systemctl/init scripts have their own session and keep running), then SIGKILL if it is still there.
 */
export function hangupCommand(id: string): string[] {
  const f = `/tmp/.stl-tty-${id}.pid`
  return [
    '/bin/sh',
    '-c',
    `[ -f ${f} ] || exit 0; p=$(cat ${f}); rm -f ${f}; kill -HUP "$p" 2>/dev/null || exit 0; ` +
      `for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || exit 0; sleep 0.2; done; kill -KILL "$p" 2>/dev/null; exit 0`,
  ]
}

/** Opens a TTY exec in a container, running the login shell (or `shell`, a sh command line). */
export async function openDockerTty(
  docker: Docker,
  container: string,
  size: { cols: number; rows: number },
  shell?: string,
): Promise<Tty> {
  const id = randomBytes(6).toString('hex')
  const target = docker.getContainer(container)
  const exec = await target.exec({
    Cmd: ttyCommand(id, shell),
    Tty: true,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Env: ['TERM=xterm-256color', 'LANG=C.UTF-8', 'COLORTERM=truecolor'],
    WorkingDir: '/root',
  })
  const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as Duplex
  // Keystrokes are single bytes: never wait to coalesce them (TCP to a remote daemon; no-op on the unix socket).
  ;(stream as Duplex & { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true)
  const resize = async (cols: number, rows: number): Promise<void> => {
    await exec.resize({ w: cols, h: rows })
  }
  // Size first: the prompt and any full-screen program draw for the right width.
  await resize(size.cols, size.rows).catch(() => undefined)
  let closed = false
  return {
    stream,
    resize,
    close() {
      if (closed) return
      closed = true
      stream.end()
      stream.destroy()
      void target
        .exec({ Cmd: hangupCommand(id), AttachStdout: false, AttachStderr: false })
        .then((e) => e.start({ Detach: true }))
        .catch(() => undefined)
    },
  }
}

export interface BridgeOptions {
  /** Pause the TTY when this many bytes wait in the WebSocket's send buffer (a slow or stalled browser). */
  readonly highWaterBytes?: number
  /** Resume it once the buffer drains below this. */
  readonly lowWaterBytes?: number
  readonly onClose?: (why: 'shell-exited' | 'client-closed' | 'error') => void
  /** When the browser goes away, leave the TTY running (terminal-keeper.ts keeps it for a reconnect). */
  readonly keepOnClientClose?: boolean
}

export interface BridgeStats {
  /** Times the TTY was paused because the browser could not keep up. */
  pausedOutput: number
  /** Times the WebSocket was paused because the TTY could not take keystrokes fast enough. */
  pausedInput: number
}

/**
 * Joins the WebSocket and the TTY. Output flows as binary frames; keystrokes arrive as binary (or text that is not
 * a control message); text JSON frames resize. Each side closing closes the other. Flow control both ways keeps
 * memory bounded: a flood of output (cat of a big file) is held back in the container, not in this process.
 */
export function bridgeTerminal(ws: WebSocket, tty: Tty, opts: BridgeOptions = {}): BridgeStats {
  const high = opts.highWaterBytes ?? 1024 * 1024
  const low = opts.lowWaterBytes ?? 64 * 1024
  const stats: BridgeStats = { pausedOutput: 0, pausedInput: 0 }
  const { stream } = tty
  let closed = false
  let outputPaused = false

  const finish = (why: 'shell-exited' | 'client-closed' | 'error'): void => {
    if (closed) return
    closed = true
    stream.off('data', onOutput)
    stream.off('end', onEnd)
    stream.off('close', onEnd)
    stream.off('error', onError)
    if (why === 'client-closed') {
      if (!opts.keepOnClientClose) tty.close()
    } else {
      tty.close()
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) {
        ws.close(why === 'shell-exited' ? CLOSE.shellExited : 1011, why === 'shell-exited' ? 'shell exited' : 'terminal error')
      }
    }
    opts.onClose?.(why)
  }

  const maybeResume = (): void => {
    if (outputPaused && !closed && ws.bufferedAmount <= low) {
      outputPaused = false
      stream.resume()
    }
  }

  const onOutput = (chunk: Buffer): void => {
    if (closed || ws.readyState !== ws.OPEN) return
    ws.send(chunk, { binary: true }, () => maybeResume())
    if (!outputPaused && ws.bufferedAmount > high) {
      outputPaused = true
      stats.pausedOutput++
      stream.pause()
    }
  }

  const onEnd = (): void => finish('shell-exited')
  const onError = (err: NodeJS.ErrnoException): void => {
    // The process went away while a write was pending or before its end was read: that is still an exit.
    const gone = stream.readableEnded || err.code === 'EPIPE' || err.code === 'ERR_STREAM_PREMATURE_CLOSE'
    finish(gone ? 'shell-exited' : 'error')
  }
  stream.on('data', onOutput)
  stream.on('end', onEnd)
  stream.on('close', onEnd)
  stream.on('error', onError)
  // A TTY taken back from the keeper may have been paused by its previous bridge.
  stream.resume()

  const write = (buf: Buffer): void => {
    if (stream.write(buf)) ws.resume()
    else {
      stats.pausedInput++
      ws.pause()
      stream.once('drain', () => ws.resume())
    }
  }
  // Keystrokes sent after a resize must reach the shell after it (`stty size` typed at once would report the old
  // size): while a resize is under way, input waits behind it with the socket paused, so order is kept.
  let resizing: Promise<void> | null = null

  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (closed) return
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)
    if (!isBinary) {
      const control = parseControl(buf.toString('utf8'))
      if (control) {
        const { cols, rows } = clampSize(control.cols, control.rows)
        const p: Promise<void> = (resizing ?? Promise.resolve()).then(() => tty.resize(cols, rows)).catch(() => undefined)
        resizing = p
        void p.then(() => {
          if (resizing === p) resizing = null
        })
        return
      }
    }
    if (resizing) {
      ws.pause()
      void resizing.then(() => {
        if (!closed) write(buf)
      })
      return
    }
    write(buf)
  })
  ws.on('close', () => finish('client-closed'))
  ws.on('error', () => finish('client-closed'))
  return stats
}
