// The components' language: ?lang=en switches it and the tab remembers it across Slidev's query-less slide URLs.
import { describe, expect, it } from 'vitest'
import { captureLang, LANG_STORAGE_KEY, pick } from './ui-lang.ts'
import { inconclusiveText, PANEL_TEXTS, statusView, summaryText } from './check-run.ts'
import { ACTION_LABELS, confirmText, labView } from './lab-status.ts'
import { OFFLINE_TEXTS } from './lab-client.ts'
import { terminalStatusText, TERMINAL_TEXTS } from './terminal-connection.ts'

function memory(): { getItem(k: string): string | null; setItem(k: string, v: string): void; data: Map<string, string> } {
  const data = new Map<string, string>()
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) }
}

describe('captureLang', () => {
  it('is French by default, English from ?lang=en, and remembers it for the next slide (no query string)', () => {
    const s = memory()
    expect(captureLang('', s)).toBe('fr')
    expect(captureLang('?lang=en&token=x', s)).toBe('en')
    expect(s.data.get(LANG_STORAGE_KEY)).toBe('en')
    expect(captureLang('', s)).toBe('en')
    expect(captureLang('?lang=fr', s)).toBe('fr')
    expect(captureLang('', s)).toBe('fr')
  })
  it('ignores an unknown language and a storage that throws', () => {
    expect(captureLang('?lang=de', memory())).toBe('fr')
    const broken = { getItem: () => { throw new Error('denied') }, setItem: () => { throw new Error('denied') } }
    expect(captureLang('?lang=en', broken)).toBe('en')
    expect(captureLang('', broken)).toBe('fr')
  })
})

describe('every word of the lab components exists in both languages', () => {
  it('tables: no empty and no untranslated entry', () => {
    for (const table of [PANEL_TEXTS, OFFLINE_TEXTS, ACTION_LABELS, TERMINAL_TEXTS]) {
      const fr = pick(table, 'fr')
      const en = pick(table, 'en')
      for (const k of Object.keys(table)) {
        expect(fr[k as keyof typeof fr]).not.toBe('')
        expect(en[k as keyof typeof en]).not.toBe('')
      }
    }
    expect(pick(PANEL_TEXTS, 'en').verify).toBe('Check')
  })
  it('statuses, summaries and the grader’s excuses', () => {
    expect(statusView('fail', 'en').label).toBe('To fix')
    expect(statusView('fail').label).toBe('À corriger')
    expect(summaryText({ pass: 2, fail: 1, warn: 0, inconclusive: 1, skip: 0 }, 'en')).toBe('2 passed · 1 to fix · 1 inconclusive (grader’s side)')
    expect(inconclusiveText('timeout', 'en')).toMatch(/^The grader could not conclude: the server did not answer in time\. This is not your mistake/)
  })
  it('lab status and terminal lines', () => {
    expect(labView({ lab: 'postfix', session: 's', state: 'starting', services: [], queuePosition: 2 }, 'postfix', 'en').headline).toBe(
      'Waiting for a free place for your lab (position 2)…',
    )
    expect(labView({ lab: null, session: null, state: 'down', services: [] }, 'exim', 'en').headline).toBe('Exim lab stopped')
    expect(confirmText('reset', 'en')).toMatch(/erases your changes/)
    expect(confirmText('down')).toMatch(/^Arrêter le lab efface vos modifications/)
    expect(terminalStatusText('reconnecting', { attempt: 2, retryInMs: 3000 }, 'en')).toBe('Connection lost — retrying in 3 s (attempt 2)')
  })
})
