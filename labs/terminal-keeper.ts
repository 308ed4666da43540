// Terminals that outlive a dropped connection: when a learner's browser loses the network, their shell (and what it
// was running) waits here for a few minutes, its output kept, and the same tab's reconnection takes it back.
import type { Tty } from './terminal-bridge.ts'

/** The tab's terminal id (`tid` query parameter): random, chosen by the page, scoped by learner and service here. */
export const TERMINAL_ID = /^[A-Za-z0-9_-]{8,64}$/

export const DEFAULT_GRACE_MS = 5 * 60_000
/** Output produced while nobody watches: the most recent bytes are kept (a screenful is far less). */
const MAX_KEPT_BYTES = 256 * 1024

interface Kept {
  readonly tty: Tty
  readonly chunks: Buffer[]
  bytes: number
  readonly timer: NodeJS.Timeout
  readonly stop: () => void
}

export class TerminalKeeper {
  private readonly kept = new Map<string, Kept>()

  constructor(private readonly graceMs = DEFAULT_GRACE_MS) {}

  /** Holds a TTY whose browser went away; ends it after the grace period, or at once if its shell exits. */
  keep(key: string, tty: Tty): void {
    this.drop(key)
    const chunks: Buffer[] = []
    const onData = (b: Buffer): void => {
      chunks.push(b)
      entry.bytes += b.length
      while (entry.bytes > MAX_KEPT_BYTES && chunks.length > 1) entry.bytes -= chunks.shift()!.length
    }
    const onEnd = (): void => this.drop(key)
    const stop = (): void => {
      tty.stream.off('data', onData)
      tty.stream.off('end', onEnd)
      tty.stream.off('close', onEnd)
      tty.stream.off('error', onEnd)
    }
    const timer = setTimeout(() => this.drop(key), this.graceMs)
    timer.unref()
    const entry: Kept = { tty, chunks, bytes: 0, timer, stop }
    this.kept.set(key, entry)
    tty.stream.on('data', onData)
    tty.stream.on('end', onEnd)
    tty.stream.on('close', onEnd)
    tty.stream.on('error', onEnd)
    tty.stream.resume()
  }

  /** The kept TTY for this key, with the output it produced meanwhile; null when none (expired, exited, unknown). */
  take(key: string): { tty: Tty; output: Buffer } | null {
    const e = this.kept.get(key)
    if (!e) return null
    this.kept.delete(key)
    clearTimeout(e.timer)
    e.stop()
    e.tty.stream.pause()
    return { tty: e.tty, output: Buffer.concat(e.chunks) }
  }

  get size(): number {
    return this.kept.size
  }

  /** Ends every kept TTY (server shutdown). */
  closeAll(): void {
    for (const key of [...this.kept.keys()]) this.drop(key)
  }

  private drop(key: string): void {
    const e = this.kept.get(key)
    if (!e) return
    this.kept.delete(key)
    clearTimeout(e.timer)
    e.stop()
    e.tty.close()
  }
}
