// The class grid's rows come from the store: the last run per criterion, pass counts, and "stuck" for a connected
// learner with no passing run for the configured time (and never for one who passed or left).
import { EventEmitter } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { WebSocket } from 'ws'
import type { CheckResult } from '../../core/check-result.ts'
import { ProgressStore } from '../progress-store.ts'
import { ClassHub } from './class-hub.ts'

const dir = mkdtempSync(path.join(tmpdir(), 'stl-hub-'))
const store = new ProgressStore(dir)
afterAll(() => {
  store.close()
  rmSync(dir, { recursive: true, force: true })
})

/** The part of a WebSocket the hub uses: events, readyState, send. */
function socket(): WebSocket & { sent: string[] } {
  const ws = new EventEmitter() as unknown as WebSocket & { sent: string[] }
  Object.assign(ws, { OPEN: 1, readyState: 1, sent: [] as string[], send(t: string) { ws.sent.push(t) }, terminate() {} })
  return ws
}

const result = (id: string, status: CheckResult['status']): CheckResult => ({
  id, status, title: { fr: id, en: id }, summary: { fr: `${id} \u001b[31m${status}`, en: status }, evidence: { lines: [`S: 250 \u001b]0;x\u0007ok`] }, durationMs: 1,
})

function run(learner: string, statuses: Record<string, CheckResult['status']>): void {
  const id = store.startAttempt(learner, 'ex', 'postfix')
  Object.entries(statuses).forEach(([check, s], i) => store.recordResult(id, i, result(check, s)))
  store.finishAttempt(id, 'done')
}

describe('class hub', () => {
  for (const id of ['a', 'b', 'c']) store.upsertLearner(id, { name: `L-${id}`, session: `s-${id}` })
  const learners = () => ['a', 'b', 'c'].map((id) => store.getLearner(id)!)

  it('shows each learner’s last run per criterion and who is stuck, connected and without a pass', async () => {
    const hub = new ClassHub(store, learners, null, 50)
    run('a', { 'x.one': 'fail', 'x.two': 'pass' })
    run('a', { 'x.one': 'pass', 'x.two': 'pass' })
    run('b', { 'x.one': 'fail', 'x.two': 'fail' })
    for (const id of ['a', 'b']) hub.attach(socket(), { role: 'learner', learner: store.getLearner(id)! }, new URL('http://x/'))
    await new Promise((r) => setTimeout(r, 80))
    const snap = hub.snapshot('ex')
    expect(snap.criteria).toEqual(['x.one', 'x.two'])
    const row = (id: string) => snap.learners.find((l) => l.id === id)!
    expect(row('a')).toMatchObject({ connected: true, stuck: false, passCount: 2, criteria: { 'x.one': 'pass', 'x.two': 'pass' } })
    expect(row('b')).toMatchObject({ connected: true, stuck: true, passCount: 0, criteria: { 'x.one': 'fail', 'x.two': 'fail' } })
    // Not connected: never shown stuck, whatever their runs.
    expect(row('c')).toMatchObject({ connected: false, stuck: false, passCount: 0, criteria: {} })
    hub.close()
  })

  it('gives the drill-down’s evidence stripped of control sequences', () => {
    const hub = new ClassHub(store, learners, null, 50)
    const a = hub.evidence('b', 'ex')!
    const text = JSON.stringify(a)
    expect(text).not.toMatch(/\\u001b|\\u0007/)
    expect(a.results[0]!.evidence.lines[0]).toContain('S: 250')
    hub.close()
  })

  it('moves only the learners, and only on the instructor’s word', async () => {
    const hub = new ClassHub(store, learners, null, 50)
    const learnerWs = socket()
    const instructorWs = socket()
    hub.attach(learnerWs, { role: 'learner', learner: store.getLearner('a')! }, new URL('http://x/'))
    hub.attach(instructorWs, { role: 'instructor' }, new URL('http://x/'))
    learnerWs.emit('message', Buffer.from(JSON.stringify({ type: 'slide', slide: { deck: 'd', slide: 2, exercise: null } })), false)
    expect(learnerWs.sent).toEqual([])
    instructorWs.emit('message', Buffer.from(JSON.stringify({ type: 'slide', slide: { deck: 'd', slide: 3, exercise: 'ex' } })), false)
    expect(learnerWs.sent.map((t) => JSON.parse(t) as unknown)).toEqual([{ type: 'follow', slide: { deck: 'd', slide: 3, exercise: 'ex' } }])
    expect(hub.snapshot().exercise).toBe('ex')
    hub.close()
  })
})
