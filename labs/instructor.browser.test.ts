// The /instructor page in real Chromium: an incomplete grade shows words, never its partial figures as a score.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromium, type Browser } from 'playwright-core'
import { TOKEN_STORAGE_KEY } from '../core/lab-protocol.ts'
import { openDataDir, type OpenedDataDir } from './data-dir.ts'
import { staticCatalog } from './exercise-catalog.ts'
import { startLabServer, type LabServer } from './server.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

let root: string
let data: OpenedDataDir
let lab: LabServer
let browser: Browser

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'stl-instructor-browser-'))
  data = openDataDir(path.join(root, 'data'))
  const catalog = staticCatalog([], async () => {
    throw new Error('no sandbox in these tests')
  })
  lab = await startLabServer({ host: '127.0.0.1', port: 0, store: data.store, engine: null, catalog, distDir: path.join(root, 'dist') })
  const crit = (checkId: string, status: 'pass' | 'fail' | 'inconclusive') => ({ checkId, status, points: status === 'pass' ? 1 : 0, maxPoints: 1, evidence: { lines: [] } })
  // As grading/grade.ts stores them: ana's 1 is only what was decided before cert.name.matches timed out.
  data.store.recordGrade({ batch: 'tp1', learner: 'ana', exercise: 'postfix-tls-main-cf', verdict: 'graded', score: 1, maxScore: 2, criteria: [crit('cert.trusted', 'pass'), crit('cert.name.matches', 'inconclusive')] })
  data.store.recordGrade({ batch: 'tp1', learner: 'ben', exercise: 'postfix-tls-main-cf', verdict: 'graded', score: 1, maxScore: 2, criteria: [crit('cert.trusted', 'pass'), crit('cert.name.matches', 'fail')] })
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await lab?.close()
  data?.release()
  rmSync(root, { recursive: true, force: true })
})

describe('/instructor in Chromium', () => {
  it('shows « incomplète — à recorriger » for an incomplete grade, in the table and the drill-down, and the final one as score/max', async () => {
    const page = await browser.newPage()
    await page.goto(`${lab.origin}/instructor?token=${data.token}`)
    const rows = page.locator('#class-table tbody tr')
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(2)
    const cells = await rows.evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')))
    expect(cells.map((c) => [c[0], c[4]])).toEqual([
      ['ana', 'incomplète — à recorriger'],
      ['ben', '1/2'],
    ])
    await rows.filter({ hasText: 'ana' }).click()
    await expect.poll(() => page.locator('#drilldown').isVisible()).toBe(true)
    expect(await page.locator('#drilldown-title').innerText()).toBe('ana — postfix-tls-main-cf (incomplète — à recorriger)')
    await page.close()
  })
})
