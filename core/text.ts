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
