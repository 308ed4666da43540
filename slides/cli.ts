// Commands of the slides module, registered on the top-level CLI: `slides list|build|dev|export`.
import { spawn } from 'node:child_process'
import path from 'node:path'
import type { Command } from 'commander'
import { UserError } from '../core/errors.ts'
import { buildDeck, deckBase, devArgs, DIST_DIR, listDecks, selectDecks, slidevBin, type BuildResult } from './deck-build.ts'
import { exportDeck, type ExportResult } from './deck-export.ts'

const out = (text: string): void => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
const err = (text: string): void => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`)
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`
const mib = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MiB`

export function register(program: Command): void {
  const slides = program.command('slides').description('Course decks (Slidev): list, static build for the lab server, dev server')

  slides
    .command('list')
    .description('List the decks in slides/decks/')
    .option('--json', 'machine-readable output')
    .action((o: { json?: boolean }) => {
      const decks = listDecks()
      if (o.json) return out(JSON.stringify(decks.map((d) => ({ name: d.name, title: d.title, entry: d.entry, base: deckBase(d.name) })), null, 2))
      for (const d of decks) out(`${d.name}  ${d.title}`)
    })

  slides
    .command('build')
    .description(`Static build of each deck (or one) into slides/dist/<deck>/, served by the lab server at /decks/<deck>/`)
    .option('--deck <name>', 'only this deck (name or unique prefix, e.g. 01)')
    .option('--out <dir>', 'output root instead of slides/dist')
    .option('--verbose', "show Slidev's own output")
    .option('--json', 'machine-readable summary')
    .action(async (o: { deck?: string; out?: string; verbose?: boolean; json?: boolean }) => {
      const decks = selectDecks(listDecks(), o.deck)
      const distDir = o.out ? path.resolve(o.out) : DIST_DIR
      const results: BuildResult[] = []
      for (const [i, deck] of decks.entries()) {
        if (!o.json) err(`[${i + 1}/${decks.length}] building ${deck.name}…`)
        const log = o.verbose ? (s: string) => void process.stderr.write(s) : undefined
        const r = await buildDeck(deck, { distDir, ...(log ? { log } : {}) })
        results.push(r)
        if (!o.json) out(`${deck.name}: built in ${secs(r.durationMs)} → ${path.relative(process.cwd(), r.outDir) || '.'} (${r.files} files, ${mib(r.bytes)}), base ${deckBase(deck.name)}`)
      }
      if (o.json) out(JSON.stringify({ distDir, decks: results }, null, 2))
    })

  slides
    .command('export')
    .description('PDF handouts of each deck (or one), drawn by Slidev in Debian\'s Chromium; --notes adds the presenter notes')
    .option('--deck <name>', 'only this deck (name or unique prefix, e.g. 01)')
    .option('--notes', 'the presenter-notes handout (each slide\'s title and notes) instead of the slides')
    .option('--out <dir>', 'output folder', path.join(DIST_DIR, 'pdf'))
    .option('--json', 'machine-readable summary')
    .action(async (o: { deck?: string; notes?: boolean; out: string; json?: boolean }) => {
      const decks = selectDecks(listDecks(), o.deck)
      const results: ExportResult[] = []
      for (const [i, deck] of decks.entries()) {
        if (!o.json) err(`[${i + 1}/${decks.length}] exporting ${deck.name}${o.notes ? ' (notes)' : ''}…`)
        const r = await exportDeck(deck, { outDir: path.resolve(o.out), notes: o.notes ?? false })
        results.push(r)
        if (!o.json) out(`${deck.name}: ${path.relative(process.cwd(), r.pdf) || r.pdf} — ${r.pages} pages for ${r.slides} slides, ${mib(r.bytes)}, ${secs(r.durationMs)}`)
      }
      if (o.json) out(JSON.stringify({ decks: results }, null, 2))
    })

  slides
    .command('dev')
    .description('Live-reloading Slidev server for one deck; /api and /ws are proxied to the lab server when given')
    .option('--deck <name>', 'deck name or unique prefix (default: the first deck)')
    .option('--port <n>', 'port', '3030')
    .option('--bind <addr>', 'address to listen on', '127.0.0.1')
    .option('--lab-server <url>', 'lab server to proxy /api and /ws to (e.g. http://127.0.0.1:8080)')
    .action(async (o: { deck?: string; port: string; bind: string; labServer?: string }) => {
      const port = Number(o.port)
      if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new UserError(`invalid --port ${o.port}`)
      if (o.labServer && !/^https?:\/\//.test(o.labServer)) throw new UserError(`--lab-server must be an http(s) URL, got ${o.labServer}`)
      const [deck] = selectDecks(listDecks(), o.deck)
      if (!deck) throw new UserError('no deck selected')
      err(`slidev dev: ${deck.name} on http://${o.bind}:${port}/${o.labServer ? ` (lab server ${o.labServer})` : ' (no lab server: components show the lab as offline)'}`)
      const env = { ...process.env, ...(o.labServer ? { SMTP_TLS_LAB_SERVER: o.labServer } : {}) }
      const code = await new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, [slidevBin(), ...devArgs(deck, port, o.bind)], { cwd: path.dirname(deck.entry), env, stdio: 'inherit' })
        const stop = (): void => { child.kill('SIGTERM') }
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
        child.on('error', reject)
        child.on('close', (c) => resolve(c ?? 0))
      })
      if (code !== 0) throw new UserError(`slidev exited with code ${code}`, code)
    })
}
