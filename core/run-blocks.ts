// The exercise texts' command-block format, read by the text runner (exercises/) and the deck's instructions view
// (slides/addon-lab): a fence whose info string is `bash run=SERVICE` goes to that service's terminal.

export interface FenceInfo {
  /** The first word of the info string (`bash`). */
  readonly language: string
  /** Every `run=` value, in order (a well-formed block has exactly one). */
  readonly runs: readonly string[]
}

export function fenceInfo(info: string): FenceInfo {
  const words = info.trim().split(/\s+/)
  return { language: words[0] ?? '', runs: words.filter((w) => w.startsWith('run=')).map((w) => w.slice('run='.length)) }
}
