// Every command block of guide 000 runs in one exim lab session, in the guide's order, and gives the outcome its table row expects.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DockerSandbox, downSandbox, upLab } from '../../../../sandbox/engine.ts'
import { testSession } from '../../../../sandbox/test-session.ts'
import { loadDocumentCommands } from './commands.ts'
import { commandTable } from './commands-table.ts'
import { type BlockResult, modeOf, renderResults, runBlock } from './runner.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const RESULTS = path.join(here, 'RESULTS.md')
const SESSION = testSession('doc000')
const { commands } = loadDocumentCommands()
const table = commandTable(commands)
const results: BlockResult[] = []
const startedAt = new Date()
let lab: DockerSandbox
let upMs = 0

beforeAll(async () => {
  const t0 = Date.now()
  lab = await upLab({ lab: 'exim', session: SESSION, fresh: true })
  upMs = Date.now() - t0
  // The toolbox fetches Pebble's root in the background after it is healthy, and the mail host adds it to its trust
  // store; §13 needs both.
  for (const [service, file] of [['toolbox', '/etc/lab/pebble-root.pem'], ['mail', '/etc/lab/pebble-root-trusted']] as const) {
    for (let i = 0; i < 60; i++) {
      const r = await lab.exec(service, ['test', '-e', file])
      if (r.exitCode === 0) break
      await new Promise((res) => setTimeout(res, 500))
    }
  }
})

afterAll(async () => {
  try {
    if (results.length) {
      const md = renderResults(results, {
        session: SESSION,
        startedAt,
        upMs,
        totalMs: results.reduce((s, r) => s + r.durationMs, 0),
        command: 'npx vitest run --project sandbox slides/decks/02-acme-exim/commands/',
      })
      writeFileSync(RESULTS, md)
      const tableStart = md.indexOf('| Id |')
      console.log(md.slice(0, md.indexOf('\n## Blocks')).slice(tableStart))
    }
  } finally {
    await downSandbox(SESSION)
  }
})

const label = (id: string): string => {
  const doc = commands.find((c) => c.id === id)!
  const entry = table.get(id)!
  const first = doc.command.split('\n')[0]!
  const what = first.length > 60 ? `${first.slice(0, 60)}…` : first
  const outcome = entry.documentError ? 'fails the way the guide does not foresee' : 'gives its expected outcome'
  return `§${doc.section} ${id} \`${what}\` ${modeOf(entry) === 'as written' ? 'runs as written and' : 'runs with its lab substitution and'} ${outcome}`
}

describe('guide 000 read and run in the exim lab, block after block', () => {
  for (const doc of commands) {
    const entry = table.get(doc.id)
    if (!entry || entry.coveredBy) continue
    it(label(doc.id), async () => {
      const r = await runBlock(lab, doc, entry)
      results.push(r)
      expect(r.problems, `${doc.id}:\n${r.main?.output ?? ''}`).toEqual([])
      if (entry.documentError && entry.confirmedIn !== 'source') expect(r.evidenceSeen).toBe(true)
    })
  }

  it('covers each command quoted inside a sentence with a block that ran and gave its expected outcome', () => {
    const inline = commands.filter((c) => table.get(c.id)?.coveredBy)
    expect(inline.length).toBe(5)
    for (const doc of inline) {
      const entry = table.get(doc.id)!
      const by = results.find((r) => r.doc.id === entry.coveredBy)
      expect(by, `${doc.id} is covered by ${entry.coveredBy}, which did not run`).toBeDefined()
      expect(by!.problems).toEqual([])
      expect(by!.main, `${entry.coveredBy} ran no command`).not.toBeNull()
      results.push({ doc, entry, mode: 'covered', main: null, steps: [], durationMs: 0, problems: [], evidenceSeen: null })
    }
    // Every command of the guide has a row, and every block that is not an inline mention really ran something.
    expect(results.length).toBe(commands.length)
    expect(results.filter((r) => r.mode !== 'covered').every((r) => r.main !== null)).toBe(true)
  })
})
