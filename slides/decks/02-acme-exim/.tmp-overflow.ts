// Temporary: finds slides whose content overflows the 16:9 frame in the static build (deleted after use).
import { createServer } from 'node:http'
import { readFileSync, existsSync, statSync } from 'node:fs'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import { chromium } from 'playwright-core'
const dist = '/tmp/exim-deck-build'
const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' }
const srv = createServer((req, res) => {
  const u = new URL(req.url ?? '/', 'http://x')
  let f = path.join(dist, u.pathname)
  if (!existsSync(f) || statSync(f).isDirectory()) f = path.join(dist, 'index.html')
  res.writeHead(200, { 'content-type': types[path.extname(f)] ?? 'application/octet-stream' }); res.end(readFileSync(f))
})
await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
const port = (srv.address() as AddressInfo).port
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] })
const page = await browser.newPage({ viewport: { width: 1280, height: 720 } })
await page.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()))
const total = Number(process.argv[2] ?? 80)
const shoot = (process.argv[3] ?? '').split(',').filter(Boolean).map(Number)
for (let n = 1; n <= total; n++) {
  await page.goto(`http://127.0.0.1:${port}/#/${n}`, { waitUntil: 'networkidle' })
  await page.waitForTimeout(900)
  const r = await page.evaluate(() => {
    const box = document.querySelector('#slide-content') as HTMLElement | null
    const cur = document.querySelector('.slidev-page:not([style*="display: none"]) .slidev-layout') as HTMLElement | null
    if (!box || !cur) return null
    const b = box.getBoundingClientRect()
    let bottom = 0, right = 0
    cur.querySelectorAll('*').forEach((e) => { const rr = e.getBoundingClientRect(); if (rr.width && rr.height) { bottom = Math.max(bottom, rr.bottom); right = Math.max(right, rr.right) } })
    return { over: Math.round(bottom - b.bottom), overRight: Math.round(right - b.right), title: cur.querySelector('h1')?.textContent ?? '' }
  })
  if (r && (r.over > 0 || r.overRight > 0)) console.log(n, JSON.stringify(r))
  if ((r && (r.over > 0 || r.overRight > 0)) || shoot.includes(n)) await page.screenshot({ path: `/tmp/exim-shots/s-${n}.png` })
}
await browser.close(); srv.close()
