// Serves the built decks (slides/dist/<deck>/ at /decks/<deck>/) with SPA fallback, and refuses path tricks.
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import path from 'node:path'
import { sendText } from './http-util.ts'
import { courseMapHtml, readOutline, type CourseOutline } from './course-map.ts'
import { escapeHtml } from '../core/text.ts'

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.pdf': 'application/pdf',
  '.wasm': 'application/wasm',
}

export const DECK_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/

/**
 * Checks the raw request path (before any URL normalisation, which would silently resolve `..`):
 * returns the decoded segments, or null when a segment is `.`/`..` (plain or percent-encoded), holds a
 * slash, backslash or NUL once decoded, or is not valid percent-encoding.
 */
export function safeSegments(rawPath: string): string[] | null {
  const segments: string[] = []
  for (const raw of rawPath.split('/')) {
    if (raw === '') continue
    let seg: string
    try {
      seg = decodeURIComponent(raw)
    } catch {
      return null
    }
    if (seg === '.' || seg === '..' || /[\\/\0]/.test(seg)) return null
    segments.push(seg)
  }
  return segments
}

/** The raw path of a request URL, without query or fragment. */
export function rawPathOf(reqUrl: string): string {
  const q = reqUrl.search(/[?#]/)
  return q === -1 ? reqUrl : reqUrl.slice(0, q)
}

/** Joins segments under root and verifies the result stays inside it (defence in depth after safeSegments). */
export function resolveInside(root: string, segments: readonly string[]): string | null {
  const base = path.resolve(root)
  const full = path.resolve(base, ...segments)
  return full === base || full.startsWith(base + path.sep) ? full : null
}

export interface DeckInfo {
  readonly name: string
  readonly title: string
  /** Sections and exercises, from the outline `slides build` writes (absent for older builds). */
  readonly outline?: CourseOutline | null
}

/** Decks present in distDir: each subfolder holding an index.html. */
export function listDecks(distDir: string): DeckInfo[] {
  if (!existsSync(distDir)) return []
  const decks: DeckInfo[] = []
  for (const entry of readdirSync(distDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !DECK_NAME.test(entry.name)) continue
    const index = path.join(distDir, entry.name, 'index.html')
    if (!existsSync(index)) continue
    const m = /<title>([^<]*)<\/title>/i.exec(readFileSync(index, 'utf8'))
    decks.push({ name: entry.name, title: m?.[1]?.trim() || entry.name, outline: readOutline(distDir, entry.name) })
  }
  return decks.sort((a, b) => a.name.localeCompare(b.name))
}

function fileAt(p: string): string | null {
  try {
    const st = statSync(p)
    if (st.isFile()) return p
    if (st.isDirectory()) {
      const index = path.join(p, 'index.html')
      return existsSync(index) ? index : null
    }
  } catch {
    // Missing: the caller decides between SPA fallback and 404.
  }
  return null
}

function sendFile(req: IncomingMessage, res: ServerResponse, file: string): void {
  const ext = path.extname(file).toLowerCase()
  const size = statSync(file).size
  const hashedAsset = /\/assets\//.test(file.split(path.sep).join('/'))
  res.writeHead(200, {
    'content-type': MIME[ext] ?? 'application/octet-stream',
    'content-length': size,
    'x-content-type-options': 'nosniff',
    // Vite puts content-hashed names under assets/: those never change; pages must be revalidated.
    'cache-control': hashedAsset ? 'public, max-age=31536000, immutable' : 'no-cache',
  })
  if (req.method === 'HEAD') {
    res.end()
    return
  }
  const stream = createReadStream(file)
  stream.on('error', () => res.destroy())
  stream.pipe(res)
}

/**
 * Answers GET/HEAD under /decks/<deck>/... from distDir/<deck>/. A path with no file extension that matches
 * no file is a client-side route of the Slidev app (e.g. /decks/x/12): it gets the deck's index.html.
 */
export function serveDeck(req: IncomingMessage, res: ServerResponse, distDir: string, segments: readonly string[]): void {
  const [deck, ...rest] = segments
  if (deck === undefined || !DECK_NAME.test(deck)) {
    sendText(res, 404, 'Not found\n')
    return
  }
  const deckRoot = resolveInside(distDir, [deck])
  const deckIndex = deckRoot && fileAt(path.join(deckRoot, 'index.html'))
  if (!deckRoot || !deckIndex) {
    sendText(res, 404, `Deck "${deck}" is not built. Run: npx smtp-tls-lab slides build\n`)
    return
  }
  const target = resolveInside(deckRoot, rest)
  const found = target && fileAt(target)
  if (found) return sendFile(req, res, found)
  const last = rest[rest.length - 1] ?? ''
  if (path.extname(last) === '') return sendFile(req, res, deckIndex)
  sendText(res, 404, 'Not found\n')
}

/** The landing page: links to each deck, carrying the token from this page's URL so the deck can use the lab. */
export function indexPage(decks: readonly DeckInfo[], opts: { instructor: boolean; storageKey: string }): string {
  // Decks built with their outline get the course map (labs/course-map.ts); older builds keep the plain list.
  if (decks.some((d) => d.outline)) return courseMapHtml(decks, opts)
  const items = decks.length
    ? decks.map((d) => `<li><a class="deck" href="/decks/${encodeURIComponent(d.name)}/">${escapeHtml(d.title)}</a></li>`).join('\n')
    : '<li>Aucun support construit. Lancez <code>npx smtp-tls-lab slides build</code>.</li>'
  return `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>smtp-tls-lab</title>
<style>body{font-family:system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;line-height:1.5}
a{color:#0b57d0}code{background:#eee;padding:0 .2em}</style></head>
<body><h1>smtp-tls-lab</h1>
<p>Sécuriser un serveur de messagerie avec TLS : cours et laboratoire.</p>
<h2>Supports de cours</h2><ul>
${items}
</ul>
${opts.instructor ? '<h2>Formateur</h2><ul><li><a class="deck" href="/instructor">Résultats de la classe</a></li></ul>' : ''}
<script>
// The token arrives once in this page's URL; links carry it so each deck can reach the lab.
(function(){var t=new URLSearchParams(location.search).get('token');
try{if(t){sessionStorage.setItem(${JSON.stringify(opts.storageKey)},t)}else{t=sessionStorage.getItem(${JSON.stringify(opts.storageKey)})}}catch(e){}
if(!t)return;document.querySelectorAll('a.deck').forEach(function(a){a.href=a.getAttribute('href')+'?token='+encodeURIComponent(t)})})();
</script>
</body></html>
`
}
