// The progress store on a real SQLite file: what is committed survives a SIGKILL, interrupted attempts are marked.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import type { CheckResult } from '../checker/types.ts'
import { lockDataDir, openDataDir } from './data-dir.ts'
import { ProgressStore } from './progress-store.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const dirs: string[] = []
const tempDir = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'stl-store-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const result = (id: string, status: CheckResult['status']): CheckResult => ({
  id,
  status,
  title: { fr: id, en: id },
  summary: { fr: 'vu', en: 'seen' },
  evidence: { lines: ['S: 220 mail.domaine.tld ESMTP'], facts: { protocol: 'TLSv1.3' } },
  durationMs: 12,
})

describe('progress store', () => {
  it('keeps attempts and their results in order, with evidence and a summary per status', () => {
    const store = new ProgressStore(tempDir())
    store.upsertLearner('alice', { session: 'la1' })
    const a = store.startAttempt('alice', 'postfix-tls-main-cf', 'postfix')
    store.recordResult(a, 0, result('tls.version.tls1_2.accepted', 'pass'))
    store.recordResult(a, 1, result('tls.version.tls1_0.rejected', 'fail'))
    store.finishAttempt(a, 'done')
    const got = store.getAttempt(a)!
    expect(got.status).toBe('done')
    expect(got.finishedAt).not.toBeNull()
    expect(got.results.map((r) => [r.checkId, r.status])).toEqual([
      ['tls.version.tls1_2.accepted', 'pass'],
      ['tls.version.tls1_0.rejected', 'fail'],
    ])
    expect(got.results[0]!.evidence.facts).toEqual({ protocol: 'TLSv1.3' })
    expect(got.results[1]!.result.summary.fr).toBe('vu')
    expect(got.summary).toEqual({ pass: 1, fail: 1, warn: 0, inconclusive: 0, skip: 0 })
    expect(store.listAttempts('alice').map((x) => x.id)).toEqual([a])
    expect(store.listAttempts('bob')).toEqual([])
    store.close()
  })

  it('uses WAL with full synchronous commits', () => {
    const store = new ProgressStore(tempDir())
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2)
    store.close()
  })

  it('finds a learner by token and refuses a wrong one of the same length', () => {
    const store = new ProgressStore(tempDir())
    const token = store.upsertLearner('alice', { session: 'la1' })
    expect(store.learnerForToken(token)?.id).toBe('alice')
    const wrong = (token[0] === 'A' ? 'B' : 'A') + token.slice(1)
    expect(store.learnerForToken(wrong)).toBeNull()
    expect(store.learnerForToken('')).toBeNull()
    store.close()
  })

  it('marks attempts left running by a dead server as interrupted, ending at their last result', () => {
    const dir = tempDir()
    const store = new ProgressStore(dir)
    store.upsertLearner('alice', { session: 'la1' })
    const a = store.startAttempt('alice', 'x', 'postfix')
    store.recordResult(a, 0, result('smtp.starttls.offered', 'pass'))
    store.close()
    const reopened = new ProgressStore(dir)
    expect(reopened.markInterrupted()).toBe(1)
    const got = reopened.getAttempt(a)!
    expect(got.status).toBe('interrupted')
    expect(got.finishedAt).toBe(got.results[0]!.at)
    expect(reopened.markInterrupted()).toBe(0)
    reopened.close()
  })

  it('records graded submissions with their criteria for the instructor page', () => {
    const store = new ProgressStore(tempDir())
    const id = store.recordGrade({
      batch: 'class-a',
      learner: 'bob',
      exercise: 'postfix-submission-587',
      verdict: 'graded',
      score: 2,
      maxScore: 3,
      criteria: [
        { checkId: 'smtp.tls.required-before-mail', status: 'pass', points: 1, maxPoints: 1, evidence: { lines: ['S: 530'] } },
        { checkId: 'smtp.auth.hidden-before-tls', status: 'fail', points: 0, maxPoints: 1, evidence: { lines: ['S: 250-AUTH PLAIN'] } },
      ],
    })
    const [g] = store.listGrades({ exercise: 'postfix-submission-587' })
    expect(g?.id).toBe(id)
    expect(g?.criteria.map((c) => c.status)).toEqual(['pass', 'fail'])
    expect(g?.criteria[1]?.evidence.lines).toEqual(['S: 250-AUTH PLAIN'])
    expect(store.listGrades({ batch: 'other' })).toEqual([])
    store.close()
  })
})

describe('data directory', () => {
  it('keeps the learner and its token across restarts, and rotates the token on request', () => {
    const dir = tempDir()
    const first = openDataDir(dir)
    first.release()
    const second = openDataDir(dir)
    expect(second.token).toBe(first.token)
    expect(second.learner.session).toBe(first.learner.session)
    expect(statSync(path.join(dir, 'token')).mode & 0o777).toBe(0o600)
    second.release()
    const rotated = openDataDir(dir, { newToken: true })
    expect(rotated.token).not.toBe(first.token)
    expect(rotated.store.learnerForToken(first.token)).toBeNull()
    expect(rotated.learner.session).toBe(first.learner.session)
    rotated.release()
  })

  it('points the learner at the sandbox session given on the command line, keeping its token', () => {
    const dir = tempDir()
    const first = openDataDir(dir)
    first.release()
    const chosen = openDataDir(dir, { session: 'default' })
    expect(chosen.learner.session).toBe('default')
    expect(chosen.token).toBe(first.token)
    chosen.release()
  })

  it('refuses a second server on a data directory in use, and takes over the lock of a dead one', () => {
    const dir = tempDir()
    const release = lockDataDir(dir)
    release()
    // pid 1 is always alive (init of this machine or container): a lock it holds must be respected.
    writeFileSync(path.join(dir, 'server.lock'), JSON.stringify({ pid: 1 }))
    expect(() => lockDataDir(dir)).toThrow(/Another lab server \(pid 1\)/)
    writeFileSync(path.join(dir, 'server.lock'), JSON.stringify({ pid: 2 ** 22 + 17 }))
    const again = lockDataDir(dir)
    again()
  })

  it('a writer killed with SIGKILL mid-run loses none of the results it had committed', async () => {
    const dir = tempDir()
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', 'store-writer.ts'), dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let attempt = 0
    let committed = -1
    let buffered = ''
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject)
      child.on('exit', (code) => reject(new Error(`writer exited early (${code})`)))
      child.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString()
        let nl: number
        while ((nl = buffered.indexOf('\n')) !== -1) {
          const line = buffered.slice(0, nl)
          buffered = buffered.slice(nl + 1)
          const m = /^(attempt|committed) (\d+)$/.exec(line)
          if (m?.[1] === 'attempt') attempt = Number(m[2])
          if (m?.[1] === 'committed') committed = Number(m[2])
          if (committed >= 300 && child.exitCode === null && !child.killed) {
            child.removeAllListeners('exit')
            child.kill('SIGKILL')
            child.once('exit', () => resolve())
          }
        }
      })
    })
    expect(child.signalCode).toBe('SIGKILL')
    const reopened = openDataDir(dir)
    expect(reopened.interrupted).toBe(1)
    const got = reopened.store.getAttempt(attempt)!
    expect(got.status).toBe('interrupted')
    // Every position the writer announced is there, complete, in order.
    expect(got.results.length).toBeGreaterThanOrEqual(committed + 1)
    got.results.slice(0, committed + 1).forEach((r, i) => {
      expect(r.checkId).toBe(`check.${i}`)
      expect(r.evidence.lines[0]).toBe(`S: 250 ok ${i}`)
    })
    expect(reopened.store.db.pragma('integrity_check', { simple: true })).toBe('ok')
    reopened.release()
  })
})
