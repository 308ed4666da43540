// Text that came from a server or a learner, made safe to print: a terminal, an XML report or a spreadsheet must
// never receive an escape sequence or a control character it would act on.

// ESC-introduced sequences first (CSI, OSC, DCS/PM/APC strings, two-byte escapes), then the 8-bit C1 forms,
// so that the parameters of a sequence do not survive as visible garbage.
const ESCAPE_SEQUENCES = [
  /\x1b\[[0-?]*[ -/]*[@-~]/g, // CSI … final byte
  /\x1b[\]PX^_][\s\S]*?(?:\x07|\x1b\\|$)/g, // OSC, DCS, SOS, PM, APC up to BEL or ST
  /\x9b[0-?]*[ -/]*[@-~]/g, // 8-bit CSI
  /[\x90\x98\x9d\x9e\x9f][\s\S]*?(?:\x07|\x9c|$)/g, // 8-bit string introducers
  /\x1b[ -/]*[0-~]?/g, // any other escape
]
// C0 (but tab and newline), DEL, C1, and the Unicode controls that reorder or hide text (bidi overrides, isolates).
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

export interface StripOptions {
  /** Keep newlines and tabs (multi-line evidence); default false: they become spaces. */
  readonly multiline?: boolean
  /** What a removed control character becomes; default `\xNN` so a reader sees something was there. */
  readonly replacement?: 'visible' | 'none'
}

/** Removes escape sequences and control characters from text a server or a learner wrote. */
export function stripControl(text: string, opts: StripOptions = {}): string {
  let s = text
  for (const re of ESCAPE_SEQUENCES) s = s.replace(re, '')
  if (!opts.multiline) s = s.replace(/[\t\n]/g, ' ')
  return s.replace(CONTROLS, (c) =>
    opts.replacement === 'none' ? '' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`.replace(/^\\x(.{3,})$/, '\\u$1'),
  )
}

// JSON.stringify escapes C0 but not DEL, C1, the bidi controls or the line separators, which a terminal or an editor
// showing the file would act on. Escaped as \uXXXX, a parser reads back exactly the same string.
const JSON_UNSAFE = /[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/** JSON.stringify whose output holds no raw control character: the data is unchanged, only its spelling is. */
export function safeJsonStringify(value: unknown, space?: number): string {
  // JSON.stringify(undefined) is undefined, not a string: spell it as null like a nested one.
  return (JSON.stringify(value, null, space) ?? 'null').replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** Text put into HTML, as element content or a quoted attribute: the five characters HTML gives a meaning to. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}
