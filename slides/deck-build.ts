// Finds the course decks and runs Slidev on them: static builds for the lab server, dev servers for authors.
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { UserError } from '../core/errors.ts'
import { deckOutline } from './decks/deck-exercises.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
export const SLIDES_DIR = here
export const DECKS_DIR = path.join(here, 'decks')
export const DIST_DIR = path.join(here, 'dist')
const DECK_NAME = /^\d{2}-[a-z0-9-]+$/
/** Written next to each built deck's index.html; read by the lab server's home page (labs/course-map.ts). */
export const COURSE_OUTLINE = 'course-outline.json'

export interface Deck {
  readonly name: string
  readonly entry: string
  readonly title: string
}

/** Deck folders are `NN-slug/slides.md`; the title comes from the headmatter. */
export function listDecks(decksDir: string = DECKS_DIR): Deck[] {
  if (!existsSync(decksDir)) return []
  return readdirSync(decksDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && DECK_NAME.test(d.name) && existsSync(path.join(decksDir, d.name, 'slides.md')))
    .map((d) => {
      const entry = path.join(decksDir, d.name, 'slides.md')
      return { name: d.name, entry, title: headmatterTitle(readFileSync(entry, 'utf8')) ?? d.name }
    })
    .sort((a, b) => a.name.localeCompare(b.name))
}

export function headmatterTitle(markdown: string): string | null {
  const m = /^---\r?\n([\s\S]*?)\r?\n---/.exec(markdown)
  const t = m?.[1] ? /^title:\s*(.+)$/m.exec(m[1]) : null
  return t?.[1] ? t[1].trim().replace(/^(['"])(.*)\1$/, '$2') : null
}

/** The decks a command works on: one by name (or unique prefix such as `01`), or all of them. */
export function selectDecks(decks: readonly Deck[], wanted?: string): Deck[] {
  if (!decks.length) throw new UserError(`no deck found in ${DECKS_DIR} (expected NN-name/slides.md)`)
  if (!wanted) return [...decks]
  const exact = decks.find((d) => d.name === wanted)
  if (exact) return [exact]
  const prefixed = decks.filter((d) => d.name.startsWith(wanted))
  if (prefixed.length === 1 && prefixed[0]) return [prefixed[0]]
  const names = decks.map((d) => d.name).join(', ')
  throw new UserError(prefixed.length ? `deck "${wanted}" is ambiguous: ${prefixed.map((d) => d.name).join(', ')}` : `unknown deck "${wanted}"; decks: ${names}`)
}

/** The lab server serves each built deck at /decks/<name>/, so assets must be addressed under that base. */
export function deckBase(name: string): string {
  return `/decks/${name}/`
}

export function buildArgs(deck: Deck, outDir: string): string[] {
  return ['build', deck.entry, '--out', outDir, '--base', deckBase(deck.name)]
}

export function devArgs(deck: Deck, port: number, bind: string): string[] {
  return [deck.entry, '--port', String(port), '--bind', bind, '--open', 'false']
}

export function slidevBin(): string {
  const require = createRequire(import.meta.url)
  return path.join(path.dirname(require.resolve('@slidev/cli/package.json')), 'bin', 'slidev.mjs')
}

export interface BuildResult {
  readonly deck: string
  readonly outDir: string
  readonly durationMs: number
  readonly files: number
  readonly bytes: number
}

function dirStats(dir: string): { files: number; bytes: number } {
  let files = 0
  let bytes = 0
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue
    files += 1
    bytes += statSync(path.join(e.parentPath, e.name)).size
  }
  return { files, bytes }
}

/** Runs `slidev build` for one deck into distDir/<deck>/, replacing what was there. Output is passed to `log`. */
export async function buildDeck(deck: Deck, opts: { distDir?: string; log?: (chunk: string) => void } = {}): Promise<BuildResult> {
  const outDir = path.join(opts.distDir ?? DIST_DIR, deck.name)
  // Vite does not empty an outDir outside its root (the deck folder): stale hashed assets would pile up.
  rmSync(outDir, { recursive: true, force: true })
  const t0 = performance.now()
  const tail: string[] = []
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [slidevBin(), ...buildArgs(deck, outDir)], {
      cwd: path.dirname(deck.entry),
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const onData = (b: Buffer): void => {
      const s = b.toString('utf8')
      opts.log?.(s)
      tail.push(s)
      if (tail.length > 60) tail.shift()
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('error', reject)
    child.on('close', (c) => resolve(c ?? 1))
  })
  if (code !== 0 || !existsSync(path.join(outDir, 'index.html'))) {
    throw new UserError(`slidev build of ${deck.name} failed (exit ${code}):\n${tail.join('').split('\n').slice(-30).join('\n')}`)
  }
  // The lab server's home page draws its course map from this outline (sections, exercises, lab slides).
  writeFileSync(path.join(outDir, COURSE_OUTLINE), JSON.stringify(deckOutline(deck.name, deck.title, deck.entry), null, 2))
  return { deck: deck.name, outDir, durationMs: Math.round(performance.now() - t0), ...dirStats(outDir) }
}
