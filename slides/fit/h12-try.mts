import { launchChromium, serveDecks, fitDeck, describeFits } from './fit-run.ts'
import { listDecks } from '../deck-build.ts'
import { deckSlides } from '../decks/deck-exercises.ts'
const dist = process.argv[2] ?? '/tmp/h12-dist'
const only = process.argv[3]
const srv = await serveDecks(dist)
const b = await launchChromium()
const page = await b.newPage()
const t0 = Date.now()
for (const d of listDecks()) {
  if (only && !d.name.startsWith(only)) continue
  const n = deckSlides(d.entry).length
  for (const vp of [{ width: 1280, height: 720 }, { width: 1920, height: 1080 }]) {
    const fits = await fitDeck(page, { origin: srv.origin, deck: d.name, slides: n, viewport: vp, minTextPx: vp.width === 1280 ? 16 : 0, shotsDir: `/tmp/h12-fit/shots/${d.name}/${vp.width}` })
    const lines = describeFits(d.name, `${vp.width}`, fits)
    console.log(`${d.name} ${vp.width}: ${n} slides, ${fits.filter(f=>f.problems.length).length} with problems, ${((Date.now()-t0)/1000).toFixed(1)}s`)
    for (const l of lines) console.log('  ' + l)
  }
}
await b.close(); await srv.close()
