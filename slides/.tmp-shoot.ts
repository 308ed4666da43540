// temp: serve slides/dist on 127.0.0.1 and screenshot slides offline
import { createServer } from 'node:http'
import { readFileSync, existsSync, statSync } from 'node:fs'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import { chromium } from 'playwright-core'
const dist = path.resolve('slides/dist')
const types: Record<string,string> = { '.html':'text/html', '.js':'text/javascript', '.css':'text/css', '.svg':'image/svg+xml', '.json':'application/json', '.woff2':'font/woff2', '.png':'image/png' }
const srv = createServer((req, res) => {
  const u = new URL(req.url ?? '/', 'http://x')
  const m = /^\/decks\/([^/]+)\/(.*)$/.exec(u.pathname)
  if (!m) { res.writeHead(404, {'content-type':'text/html'}); res.end('<h1>404</h1>'); return }
  let f = path.join(dist, m[1]!, m[2] || 'index.html')
  if (!f.startsWith(dist) || !existsSync(f) || statSync(f).isDirectory()) f = path.join(dist, m[1]!, 'index.html')
  res.writeHead(200, {'content-type': types[path.extname(f)] ?? 'application/octet-stream'}); res.end(readFileSync(f))
})
await new Promise<void>(r => srv.listen(0, '127.0.0.1', r))
const port = (srv.address() as AddressInfo).port
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox','--disable-gpu','--disable-background-networking','--disable-component-update','--disable-sync','--no-first-run'] })
const page = await browser.newPage({ viewport: { width: 1280, height: 720 } })
const outside: string[] = []
const errors: string[] = []
await page.route('**/*', (route) => { const h = new URL(route.request().url()).hostname; if (h === '127.0.0.1' || route.request().url().startsWith('data:')) return route.continue(); outside.push(route.request().url()); return route.abort() })
page.on('pageerror', e => errors.push(String(e)))
page.on('console', m => { if (m.type() === 'error') errors.push(m.text()) })
const slides = (process.argv[2] ?? '1').split(',')
for (const n of slides) {
  await page.goto(`http://127.0.0.1:${port}/decks/01-postfix-tls/?token=abc#/${n}`, { waitUntil: 'networkidle' })
  await page.waitForTimeout(2500)
  for (let k = 0; k < 4 && (await page.getByText('Failed to fetch this slide').count()) > 0; k++) { await page.reload({ waitUntil: 'networkidle' }); await page.waitForTimeout(2500) }
  await page.screenshot({ path: `/tmp/shots/slide-${n.replace(/\//g, '_')}.png` })
}
const stored = await page.evaluate(() => sessionStorage.getItem('smtp-tls-lab.token'))
console.log(JSON.stringify({ port, outside, errors: errors.slice(0, 10), stored }, null, 1))
await browser.close(); srv.close()
