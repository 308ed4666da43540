import { createServer } from 'node:http'
import { readFileSync, existsSync, statSync } from 'node:fs'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import { chromium } from 'playwright-core'
const dist = path.resolve('slides/dist')
const types: Record<string,string> = { '.html':'text/html', '.js':'text/javascript', '.css':'text/css', '.svg':'image/svg+xml' }
const srv = createServer((req, res) => {
  const u = new URL(req.url ?? '/', 'http://x'); const m = /^\/decks\/([^/]+)\/(.*)$/.exec(u.pathname)
  if (!m) { res.writeHead(404, {'content-type':'text/html'}); res.end('404'); return }
  let f = path.join(dist, m[1]!, m[2] || 'index.html'); if (!existsSync(f) || statSync(f).isDirectory()) f = path.join(dist, m[1]!, 'index.html')
  res.writeHead(200, {'content-type': types[path.extname(f)] ?? 'application/octet-stream'}); res.end(readFileSync(f))
})
await new Promise<void>(r => srv.listen(0, '127.0.0.1', r))
const port = (srv.address() as AddressInfo).port
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox','--disable-gpu','--disable-background-networking','--disable-component-update','--disable-sync','--no-first-run'] })
const page = await browser.newPage({ viewport: { width: 1280, height: 720 } })
await page.route('**/*', (route) => new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort())
const total = Number(process.argv[2] ?? 81)
await page.goto(`http://127.0.0.1:${port}/decks/01-postfix-tls/#/1`, { waitUntil: 'networkidle' })
for (let n = 1; n <= total; n++) {
  await page.goto(`http://127.0.0.1:${port}/decks/01-postfix-tls/#/${n}`, { waitUntil: 'networkidle' })
  await page.waitForTimeout(1200)
  for (let k = 0; k < 4 && (await page.getByText('Failed to fetch this slide').count()) > 0; k++) { await page.reload({ waitUntil: 'networkidle' }); await page.waitForTimeout(1500) }
  const r = await page.evaluate(() => {
    const box = document.querySelector('#slide-content') as HTMLElement | null
    const cur = document.querySelector('.slidev-page:not([style*="display: none"]) .slidev-layout') as HTMLElement | null
    if (!box || !cur) return null
    const b = box.getBoundingClientRect()
    let bottom = 0, right = 0
    cur.querySelectorAll('*').forEach((e) => { const rr = e.getBoundingClientRect(); if (rr.width && rr.height) { bottom = Math.max(bottom, rr.bottom); right = Math.max(right, rr.right) } })
    return { over: Math.round(bottom - b.bottom), overRight: Math.round(right - b.right), title: cur.querySelector('h1')?.textContent ?? '' }
  })
  if (!r) console.log(n, 'NOT RENDERED')
  if (r && (r.over > 0 || r.overRight > 0)) { console.log(n, JSON.stringify(r)); await page.screenshot({ path: `/tmp/shots/over-${n}.png` }) }
}
await browser.close(); srv.close()
