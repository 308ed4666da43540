// Finds every command block of guide 000 (acme.sh + HestiaCP + Exim4), whose code survives only as flat lines, with its section and line number.
//
// The stored page lost its markup: a code block is now a run of lines that look like shell commands, Exim
// configuration, a script or an SMTP verb, between lines of French prose. These rules are written for that page
// and its unit test pins what they find. Commands quoted inside a sentence ("Recharge Exim4 (systemctl reload exim4).")
// are returned too, flagged `inline`, so a table can say which block covers them.
import { readFileSync } from 'node:fs'
import { seedPath } from '../../headings.ts'
import { flatHeadings } from '../flat-headings.ts'

export const DOCUMENT_000 = '000_da3a04f47dee1e08.txt'

export type CommandKind =
  /** One shell command (continuation lines joined), run at a prompt. */
  | 'shell'
  /** Exim configuration lines the guide asks to put in a file. */
  | 'config'
  /** A whole script the guide asks to create. */
  | 'script'
  /** What the reader types inside an SMTP session (EHLO). */
  | 'smtp'
  /** A directory tree shown as a code block. */
  | 'listing'

export interface DocCommand {
  /** `L<first line>`: stable as long as the read-only document does not change. */
  readonly id: string
  /** 1-based line numbers in the document, first and last. */
  readonly line: number
  readonly endLine: number
  /** Section number ("5.3") and its heading text. */
  readonly section: string
  readonly sectionTitle: string
  readonly kind: CommandKind
  /** The lines exactly as the document prints them (a commented command keeps its "#"). */
  readonly text: string
  /** The command itself: `text` without a leading "# label :" when it is commented out, else `text`. */
  readonly command: string
  /** A command the guide prints commented out (e.g. "# rollback (rare) : acme.sh --upgrade --rollback"). */
  readonly commented: boolean
  /** A command quoted inside a sentence rather than set as a block. */
  readonly inline: boolean
  /** Plain comment lines just above it in the same block ("# Wildcard ECC"). */
  readonly comments: readonly string[]
  /** Index of the code block it belongs to (several commands can share one block). */
  readonly block: number
}

/** Programs and forms that start a shell command line in this guide. */
const SHELL_START =
  /^(?:curl\s|source\s|~\/\.acme\.sh\/acme\.sh\s+--|acme\.sh\s+--|a cme\.sh\s+--|export\s+\w+=|openssl\s+\w|chown\s|chmod\s|cp\s|mkdir\s|update-exim4\.conf\b|systemctl\s+\w|exim\s+-|grep\s+-|\w+=\$\()/
/** "name = value" as an Exim main-section option or macro. */
const CONFIG_LINE = /^[A-Za-z_][A-Za-z0-9_]*\s*=\s*\S/
const SMTP_LINE = /^(?:EHLO|HELO|STARTTLS|QUIT)(?:\s|$)/
const TREE_LINE = /^[├└│]/
/** "# rollback (rare) : acme.sh --upgrade --rollback" or "# export CF_Key=…": a command kept as a comment. */
const COMMENTED = /^#\s*(?:[^:#]*?:\s*)?(.*)$/
/** A command at the end of a sentence: "… (systemctl reload exim4" or "… ? auth_advertise_hosts = …". */
const EMBEDDED = /(?:\(|\?\s)((?:~\/\.acme\.sh\/acme\.sh|acme\.sh|systemctl)\s+\S.*|auth_advertise_hosts\s*=\s*\S.*)$/

type LineClass = 'heading' | 'prose' | 'blank' | 'shell' | 'config' | 'smtp' | 'comment' | 'shebang' | 'tree'

function classify(raw: string, isHeading: boolean): LineClass {
  const l = raw.trim()
  if (isHeading) return 'heading'
  if (l === '') return 'blank'
  // Flattened tables keep a row on one line ending with "|": "tls_certificate = \ (vide) | Expression SNI … |".
  // A shell pipe never ends a line here, so "curl … | sh" stays a command.
  if (/\|$/.test(l)) return 'prose'
  if (l.startsWith('#!')) return 'shebang'
  if (TREE_LINE.test(l)) return 'tree'
  if (l.startsWith('#')) return 'comment'
  if (SHELL_START.test(l)) return 'shell'
  if (SMTP_LINE.test(l)) return 'smtp'
  if (CONFIG_LINE.test(l)) return 'config'
  return 'prose'
}

const isCommentedCommand = (l: string): boolean => {
  const m = COMMENTED.exec(l.trim())
  return !!m && (SHELL_START.test(m[1] ?? '') || /^acme\.sh\s+--/.test(m[1] ?? ''))
}

/** Every command of the document, blocks and inline mentions, in document order. */
export function extractCommands(text: string): DocCommand[] {
  const lines = text.split(/\r?\n/)
  const headings = flatHeadings(text)
  const headingLines = new Set(headings.map((h) => h.line))
  const sectionAt = (line: number): { section: string; title: string } => {
    let h = headings[0]
    for (const x of headings) if (x.line <= line) h = x
    const m = /^(\d+(?:\.\d+)?)\.?\s+(.*)$/.exec(h?.text ?? '')
    return m ? { section: m[1]!, title: m[2]! } : { section: '0', title: h?.text ?? '' }
  }
  const cls = lines.map((l, i) => classify(l, headingLines.has(i + 1)))
  const out: DocCommand[] = []
  let block = -1
  const push = (c: Omit<DocCommand, 'id' | 'section' | 'sectionTitle' | 'block'>, inBlock: number) => {
    const s = sectionAt(c.line)
    out.push({ ...c, id: `L${c.line}`, section: s.section, sectionTitle: s.title, block: inBlock })
  }
  /** A command line set inside a sentence: the sentence opens "(" before it or goes on after it. */
  const insideSentence = (i: number): boolean => {
    const prev = (lines[i - 1] ?? '').trim()
    const next = (lines[i + 1] ?? '').trim()
    return prev.endsWith('(') || /^[).](?:\s|$)/.test(next) || (cls[i + 1] === 'prose' && /^\p{Ll}/u.test(next))
  }

  let i = 0
  while (i < lines.length) {
    const c = cls[i]!
    if (c === 'prose' && cls[i + 1] !== 'tree') {
      const m = EMBEDDED.exec(lines[i]!.trim())
      if (m) {
        const kind: CommandKind = /^auth_advertise_hosts/.test(m[1]!) ? 'config' : 'shell'
        push({ line: i + 1, endLine: i + 1, kind, text: m[1]!, command: m[1]!, commented: false, inline: true, comments: [] }, -1)
      }
      i++
      continue
    }
    if (c === 'heading' || c === 'blank') {
      i++
      continue
    }
    if ((c === 'shell' || c === 'config') && insideSentence(i) && !(lines[i]!.trimEnd().endsWith('\\'))) {
      // A quoted command with no options of its own is a name, not a command ("acme.sh" alone never matches).
      push({ line: i + 1, endLine: i + 1, kind: c, text: lines[i]!.trim(), command: lines[i]!.trim(), commented: false, inline: true, comments: [] }, -1)
      i++
      continue
    }
    block++
    if (c === 'shebang') {
      // A script runs until the next heading, blank line, prose line, or the "chmod +x" that makes it executable.
      let j = i + 1
      while (j < lines.length && !['heading', 'blank'].includes(cls[j]!) && !/^chmod \+x\s/.test(lines[j]!.trim())) {
        // Script bodies here hold only shell syntax; a French sentence ("Installer :") ends the script.
        if (cls[j] === 'prose' && /^\p{Lu}\p{Ll}+\s/u.test(lines[j]!.trim())) break
        j++
      }
      const body = lines.slice(i, j).join('\n')
      push({ line: i + 1, endLine: j, kind: 'script', text: body, command: body, commented: false, inline: false, comments: [] }, block)
      i = j
      continue
    }
    if (c === 'tree' || (c === 'prose' && cls[i + 1] === 'tree')) {
      let j = i + 1
      while (j < lines.length && cls[j] === 'tree') j++
      const body = lines.slice(i, j).join('\n')
      push({ line: i + 1, endLine: j, kind: 'listing', text: body, command: body, commented: false, inline: false, comments: [] }, block)
      i = j
      continue
    }
    // A run of code lines: shell commands (each its own entry), or configuration (one entry for the run).
    let j = i
    const run: number[] = []
    while (j < lines.length && ['shell', 'config', 'smtp', 'comment'].includes(cls[j]!)) {
      run.push(j)
      // Backslash-newline continues a command or an Exim option onto the next line, whatever that line looks like.
      while (lines[j]!.trimEnd().endsWith('\\') && j + 1 < lines.length) run.push(++j)
      j++
    }
    const codeClasses = new Set(run.map((k) => cls[k]))
    if (!codeClasses.has('shell') && !codeClasses.has('config') && !codeClasses.has('smtp')) {
      // Comments alone are not a command block.
      i = j
      block--
      continue
    }
    if (codeClasses.has('config') && !codeClasses.has('shell')) {
      const body = lines.slice(i, j).join('\n')
      push({ line: i + 1, endLine: j, kind: 'config', text: body, command: body, commented: false, inline: false, comments: [] }, block)
      i = j
      continue
    }
    let comments: string[] = []
    for (let k = i; k < j; k++) {
      const l = lines[k]!.trim()
      if (cls[k] === 'comment') {
        if (isCommentedCommand(l)) {
          const cmd = COMMENTED.exec(l)![1]!
          push({ line: k + 1, endLine: k + 1, kind: 'shell', text: l, command: cmd, commented: true, inline: false, comments }, block)
          comments = []
        } else comments.push(l)
        continue
      }
      let e = k
      while (lines[e]!.trimEnd().endsWith('\\') && e + 1 < j) e++
      const body = lines.slice(k, e + 1).join('\n')
      const kind: CommandKind = cls[k] === 'smtp' ? 'smtp' : 'shell'
      push({ line: k + 1, endLine: e + 1, kind, text: body, command: body, commented: false, inline: false, comments }, block)
      comments = []
      k = e
    }
    i = j
  }
  return out
}

/** The document's commands as read from the course sources (see seedPath). */
export function loadDocumentCommands(file = DOCUMENT_000): { path: string; text: string; commands: DocCommand[] } {
  const path = seedPath(file)
  const text = readFileSync(path, 'utf8')
  return { path, text, commands: extractCommands(text) }
}
