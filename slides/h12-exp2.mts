import { chromium } from 'playwright-core'
import { listDecks, selectDecks } from './deck-build.ts'
const [d] = selectDecks(listDecks(), '01')
const { resolveOptions, createServer } = await import('@slidev/cli')
const options = await resolveOptions({ entry: d!.entry }, 'export')
const server = await createServer(options, { server: { port: 0, host: '127.0.0.1' }, clearScreen: false, logLevel: 'error' })
await server.listen()
const port = (server.httpServer!.address() as any).port
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] })
const p = await b.newPage({ viewport: { width: 980, height: 552 } })
p.on('console', (m) => { if (m.type() === 'error') console.log('console:', m.text().slice(0, 200)) })
for (const u of [`/?print=true#/print`, `/?print=true#print`, `/print?print=true`]) {
  await p.goto(`http://127.0.0.1:${port}${u}`, { waitUntil: 'networkidle', timeout: 120000 }).catch((e) => console.log('goto', e.message.slice(0, 100)))
  await p.waitForTimeout(3000)
  console.log(u, p.url(), await p.evaluate(() => [document.querySelectorAll('.print-slide-container').length, document.querySelectorAll('.slidev-page').length, document.querySelectorAll('[data-slidev-no]').length, document.body.className, location.hash]))
}
await b.close(); await server.close(); process.exit(0)
