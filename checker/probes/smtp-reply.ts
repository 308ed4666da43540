// Pure, bounded parser of SMTP replies (RFC 5321 §4.2): bytes in, complete replies or one protocol error out.

export interface Reply {
  readonly code: number
  /** RFC 3463 enhanced status (e.g. "5.7.0") when the text starts with one. */
  readonly enhanced?: string
  /** Text after "NNN-" / "NNN " on each line, printable as `raw` is. */
  readonly lines: readonly string[]
  /** Each line as received (without CRLF), control and non-ASCII bytes shown as \xNN (see printable). */
  readonly raw: readonly string[]
}

export interface ReplyLimits {
  /** Longest line accepted, CRLF excluded (RFC 5321 allows 512; real servers stay far below 4 KiB). */
  readonly maxLineBytes: number
  readonly maxLinesPerReply: number
  readonly maxReplyBytes: number
}

export const DEFAULT_LIMITS: ReplyLimits = Object.freeze({ maxLineBytes: 4096, maxLinesPerReply: 100, maxReplyBytes: 64 * 1024 })

export class ReplyError extends Error {
  constructor(
    message: string,
    /** The offending input, shortened and made printable, for evidence. */
    readonly sample: string,
  ) {
    super(message)
    this.name = 'ReplyError'
  }
}

const LINE = /^([2-5][0-9][0-9])([ -]|$)(.*)$/s
const ENHANCED = /^([245]\.\d{1,3}\.\d{1,3})(?:\s|$)/

/** Shows any bytes a learner can read: control and non-ASCII bytes as \xNN, at most `max` characters. */
export function printable(s: string, max = 200): string {
  let out = ''
  for (const ch of s) {
    const c = ch.charCodeAt(0)
    out += c >= 0x20 && c < 0x7f ? ch : `\\x${c.toString(16).padStart(2, '0')}`
    if (out.length >= max) return `${out.slice(0, max)}…`
  }
  return out
}

/**
 * Feed it chunks; it returns the replies completed by each chunk. After the first error it stays failed,
 * and it never holds more than maxLineBytes of an unfinished line plus one reply in progress.
 */
export class ReplyParser {
  private partial = ''
  private pending: string[] = []
  private pendingBytes = 0
  private failed: ReplyError | null = null

  constructor(private readonly limits: ReplyLimits = DEFAULT_LIMITS) {}

  get error(): ReplyError | null {
    return this.failed
  }

  /** Bytes held between calls (unfinished line plus the lines of an unfinished reply). */
  get bufferedBytes(): number {
    return this.partial.length + this.pendingBytes
  }

  /** True while part of a reply has been received but not its last line. */
  get midReply(): boolean {
    return this.partial.length > 0 || this.pending.length > 0
  }

  feed(chunk: Buffer | string): Reply[] {
    if (this.failed) return []
    // latin1 maps every byte to one char, so limits count bytes and no multi-byte sequence can be split.
    const text = typeof chunk === 'string' ? chunk : chunk.toString('latin1')
    const out: Reply[] = []
    let start = 0
    for (;;) {
      const nl = text.indexOf('\n', start)
      if (nl < 0) {
        this.partial += text.slice(start)
        if (this.partial.length > this.limits.maxLineBytes) this.fail('line too long', this.partial)
        return this.failed ? [] : out
      }
      let line = this.partial + text.slice(start, nl)
      this.partial = ''
      start = nl + 1
      if (line.endsWith('\r')) line = line.slice(0, -1)
      if (line.length > this.limits.maxLineBytes) {
        this.fail('line too long', line)
        return []
      }
      const reply = this.line(line)
      if (this.failed) return []
      if (reply) out.push(reply)
    }
  }

  private line(line: string): Reply | null {
    const m = LINE.exec(line)
    if (!m) {
      this.fail('not an SMTP reply line', line)
      return null
    }
    this.pending.push(line)
    this.pendingBytes += line.length + 2
    if (this.pending.length > this.limits.maxLinesPerReply) {
      this.fail(`more than ${this.limits.maxLinesPerReply} lines in one reply`, line)
      return null
    }
    if (this.pendingBytes > this.limits.maxReplyBytes) {
      this.fail(`reply larger than ${this.limits.maxReplyBytes} bytes`, line)
      return null
    }
    if (m[2] === '-') return null
    // Made printable once here, so no summary, transcript or report can pass a server's escape sequence on.
    const raw = this.pending.map((l) => printable(l, Number.POSITIVE_INFINITY))
    this.pending = []
    this.pendingBytes = 0
    // Servers must repeat one code on every line; when they do not, the last line is the one clients act on.
    const code = Number(m[1])
    const lines = raw.map((l) => l.slice(4))
    const enhanced = ENHANCED.exec(lines[0] ?? '')?.[1]
    return Object.freeze({ code, ...(enhanced ? { enhanced } : {}), lines: Object.freeze(lines), raw: Object.freeze(raw) })
  }

  private fail(why: string, sample: string): void {
    this.failed = new ReplyError(why, printable(sample, 80))
    this.partial = ''
    this.pending = []
    this.pendingBytes = 0
  }
}

/** EHLO keywords (upper-cased) with their parameters, from a 250 reply to EHLO. */
export function parseEhlo(reply: Reply): ReadonlyMap<string, readonly string[]> {
  const ext = new Map<string, string[]>()
  for (const text of reply.lines.slice(1)) {
    const [kw, ...params] = text.trim().split(/\s+/)
    if (kw) ext.set(kw.toUpperCase(), params)
  }
  return ext
}
