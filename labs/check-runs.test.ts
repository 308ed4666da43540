// Check runs: results are committed before they are streamed, late watchers get a replay, failures are not the learner's.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { SandboxHandle } from '../checker/sandbox-handle.ts'
import type { CheckResult } from '../checker/types.ts'
import type { CheckStreamMessage } from '../core/lab-protocol.ts'
import { attemptPassed, CheckRuns, publicResult, type GradeFn } from './check-runs.ts'
import { ProgressStore } from './progress-store.ts'

let dir: string
let store: ProgressStore
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'stl-runs-'))
  store = new ProgressStore(dir)
  store.upsertLearner('alice', { session: 'la1' })
  store.upsertLearner('bob', { session: 'lb1' })
})
afterEach(() => {
  store.close()
  rmSync(dir, { recursive: true, force: true })
})

const result = (id: string, status: CheckResult['status']): CheckResult => ({
  id,
  status,
  title: { fr: id, en: id },
  summary: { fr: '…', en: '…' },
  evidence: { lines: [`${id}: ${status}`] },
  durationMs: 5,
})

// The sandbox is never touched by these grade functions: they stand for the exercise grader's timing only.
const noSandbox = {} as SandboxHandle

/** A grader that reports results at the times given, so watchers can join in the middle. */
function paced(steps: [number, CheckResult][], end?: Error): GradeFn {
  return async (_id, _sb, hooks) => {
    for (const [ms, r] of steps) {
      await new Promise((res) => setTimeout(res, ms))
      hooks.onResult(r)
    }
    if (end) throw end
  }
}

function collect(runs: CheckRuns, learner: string, id: number): Promise<CheckStreamMessage[]> {
  return new Promise((resolve, reject) => {
    const got: CheckStreamMessage[] = []
    const unsub = runs.watch(learner, id, (m) => {
      got.push(m)
      if (m.type === 'done') resolve(got)
    })
    if (!unsub) reject(new Error('no such run'))
  })
}

describe('check runs', () => {
  it('stores each result before a watcher sees it and ends with the summary', async () => {
    const seenStored: number[] = []
    const runs = new CheckRuns(store, paced([[5, result('a', 'pass')], [5, result('b', 'fail')], [5, result('c', 'inconclusive')]]))
    const id = runs.start('alice', 'ex', 'postfix', noSandbox, 'fr')
    const msgs = await new Promise<CheckStreamMessage[]>((resolve) => {
      const got: CheckStreamMessage[] = []
      runs.watch('alice', id, (m) => {
        got.push(m)
        if (m.type === 'result') seenStored.push(store.getAttempt(id)!.results.length)
        if (m.type === 'done') resolve(got)
      })
    })
    expect(seenStored).toEqual([1, 2, 3])
    expect(msgs.at(-1)).toEqual({ type: 'done', summary: { pass: 1, fail: 1, warn: 0, inconclusive: 1, skip: 0 } })
    expect(store.getAttempt(id)!.status).toBe('done')
  })

  it('replays the results so far to a watcher joining mid-run, then streams the rest', async () => {
    const runs = new CheckRuns(store, paced([[1, result('a', 'pass')], [200, result('b', 'pass')]]))
    const id = runs.start('alice', 'ex', 'postfix', noSandbox, 'fr')
    await new Promise((r) => setTimeout(r, 80))
    const msgs = await collect(runs, 'alice', id)
    expect(msgs.map((m) => (m.type === 'result' ? m.result.id : m.type))).toEqual(['a', 'b', 'done'])
  })

  it('watches the running attempt again when the learner asks twice, and hides it from other learners', async () => {
    const runs = new CheckRuns(store, paced([[50, result('a', 'pass')]]))
    const id = runs.start('alice', 'ex', 'postfix', noSandbox, 'fr')
    expect(runs.start('alice', 'ex', 'postfix', noSandbox, 'fr')).toBe(id)
    expect(runs.watch('bob', id, () => {})).toBeNull()
    await collect(runs, 'alice', id)
    expect(store.listAttempts('alice')).toHaveLength(1)
  })

  it('reports a grader failure as the grader’s problem and keeps the results before it', async () => {
    const runs = new CheckRuns(store, paced([[1, result('a', 'pass')]], new Error('probe exploded')))
    const id = runs.start('alice', 'ex', 'postfix', noSandbox, 'fr')
    const msgs = await collect(runs, 'alice', id)
    const err = msgs.find((m) => m.type === 'error')
    expect(err?.type === 'error' && err.message).toMatch(/pas de votre configuration.*probe exploded/)
    const attempt = store.getAttempt(id)!
    expect(attempt.status).toBe('error')
    expect(attempt.results).toHaveLength(1)
  })

  it('replays a finished run from the store once it has left memory', async () => {
    const runs = new CheckRuns(store, paced([[1, result('a', 'warn')]]), 0)
    const id = runs.start('alice', 'ex', 'postfix', noSandbox, 'fr')
    await collect(runs, 'alice', id)
    await new Promise((r) => setTimeout(r, 20))
    const fresh = new CheckRuns(store, paced([]))
    const msgs = await collect(fresh, 'alice', id)
    expect(msgs).toEqual([
      { type: 'result', result: result('a', 'warn') },
      { type: 'done', summary: { pass: 0, fail: 0, warn: 1, inconclusive: 0, skip: 0 } },
    ])
  })

  it('drops the trusted CA PEM from what the page receives but keeps the rest of the target', () => {
    const r = { ...result('cert.trusted', 'pass'), target: { host: '10.231.1.20', port: 25, ca: '-----BEGIN CERTIFICATE-----' } }
    expect(publicResult(r)).toEqual({ ...result('cert.trusted', 'pass'), target: { host: '10.231.1.20', port: 25 } })
  })
})

describe('a learner’s progress uses the course’s one rule', () => {
  const attempt = (statuses: CheckResult['status'][], status: 'done' | 'interrupted' = 'done', weights: number[] = []) => ({
    status,
    results: statuses.map((st, i) => ({
      checkId: `c${i}`,
      position: i,
      status: st,
      evidence: { lines: [] },
      at: '',
      result: { ...result(`c${i}`, st), ...(weights[i] !== undefined ? { weight: weights[i] } : {}) } as CheckResult,
    })),
  })

  it('every check passing is passed; a not-applicable one beside them does not matter', () => {
    expect(attemptPassed(attempt(['pass', 'pass']))).toBe(true)
    expect(attemptPassed(attempt(['pass', 'skip']))).toBe(true)
  })

  it('a warning, a failure or an inconclusive check is not passed (a warning is half marks, not full marks)', () => {
    expect(attemptPassed(attempt(['pass', 'warn']))).toBe(false)
    expect(attemptPassed(attempt(['pass', 'fail']))).toBe(false)
    expect(attemptPassed(attempt(['pass', 'inconclusive']))).toBe(false)
  })

  it('a run where every check was skipped, or that did not finish, proves nothing', () => {
    expect(attemptPassed(attempt(['skip', 'skip']))).toBe(false)
    expect(attemptPassed(attempt(['pass'], 'interrupted'))).toBe(false)
    expect(attemptPassed(attempt(['pass', 'skip'], 'done', [0, 1]))).toBe(false)
  })
})
