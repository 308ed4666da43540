// Learner progress in SQLite: learners, check attempts and each check result, written as it arrives so a kill loses nothing.
import Database from 'better-sqlite3'
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { CheckResult, Status } from '../checker/types.ts'

export type AttemptStatus = 'running' | 'done' | 'interrupted' | 'error'

export interface Learner {
  readonly id: string
  readonly name: string | null
  /** Sandbox session id of this learner (containers stl-<session>-<service>). */
  readonly session: string
  readonly createdAt: string
}

export type Summary = Record<Status, number>

export interface StoredResult {
  readonly checkId: string
  readonly position: number
  readonly status: Status
  readonly evidence: CheckResult['evidence']
  readonly at: string
  /** The whole result as the runner gave it (title, summary, remedy, timing), for replay to the page. */
  readonly result: CheckResult
}

export interface Attempt {
  readonly id: number
  readonly learner: string
  readonly exercise: string
  readonly lab: string | null
  readonly startedAt: string
  readonly finishedAt: string | null
  readonly status: AttemptStatus
  readonly error: string | null
  readonly summary: Summary
  readonly results: readonly StoredResult[]
}

/** A graded submission (issue 6); written by the grader, read by the instructor page. */
export interface GradeInput {
  readonly batch?: string
  readonly learner: string
  readonly exercise: string
  readonly verdict: 'graded' | 'rejected' | 'error'
  readonly score: number
  readonly maxScore: number
  readonly reason?: string
  readonly criteria: readonly {
    readonly checkId: string
    readonly status: Status
    readonly points: number
    readonly maxPoints: number
    readonly evidence: CheckResult['evidence']
  }[]
}

export interface Grade extends Omit<GradeInput, 'batch' | 'reason'> {
  readonly id: number
  readonly batch: string | null
  readonly reason: string | null
  readonly at: string
}

const SCHEMA_VERSION = 1

// Each statement is idempotent so opening an existing store is a no-op; user_version guards later migrations.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS learners (
  id TEXT PRIMARY KEY,
  name TEXT,
  token_hash TEXT NOT NULL,
  session TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER
);
CREATE TABLE IF NOT EXISTS attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  learner TEXT NOT NULL REFERENCES learners(id),
  exercise TEXT NOT NULL,
  lab TEXT,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'interrupted', 'error')),
  error TEXT
);
CREATE INDEX IF NOT EXISTS attempts_by_learner ON attempts(learner, exercise, started_at);
CREATE TABLE IF NOT EXISTS check_results (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  attempt INTEGER NOT NULL REFERENCES attempts(id),
  position INTEGER NOT NULL,
  check_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'warn', 'inconclusive', 'skip')),
  evidence TEXT NOT NULL,
  result TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS check_results_by_attempt ON check_results(attempt, position);
CREATE TABLE IF NOT EXISTS grades (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  batch TEXT,
  learner TEXT NOT NULL,
  exercise TEXT NOT NULL,
  verdict TEXT NOT NULL CHECK (verdict IN ('graded', 'rejected', 'error')),
  score REAL NOT NULL,
  max_score REAL NOT NULL,
  reason TEXT,
  at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS grades_by_exercise ON grades(exercise, batch, learner);
CREATE TABLE IF NOT EXISTS grade_criteria (
  grade INTEGER NOT NULL REFERENCES grades(id),
  position INTEGER NOT NULL,
  check_id TEXT NOT NULL,
  status TEXT NOT NULL,
  points REAL NOT NULL,
  max_points REAL NOT NULL,
  evidence TEXT NOT NULL,
  PRIMARY KEY (grade, position)
);
`

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())
const emptySummary = (): Summary => ({ pass: 0, fail: 0, warn: 0, inconclusive: 0, skip: 0 })

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

export function newToken(): string {
  return randomBytes(24).toString('base64url')
}

interface AttemptRow {
  id: number
  learner: string
  exercise: string
  lab: string | null
  started_at: number
  finished_at: number | null
  status: AttemptStatus
  error: string | null
}
interface ResultRow {
  attempt: number
  position: number
  check_id: string
  status: Status
  evidence: string
  result: string
  at: number
}

export class ProgressStore {
  readonly db: Database.Database
  readonly file: string

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 })
    this.file = path.join(dataDir, 'progress.sqlite')
    this.db = new Database(this.file)
    // WAL + FULL: every committed transaction is fsynced to the WAL, so neither SIGKILL nor a power cut loses it.
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = FULL')
    this.db.pragma('foreign_keys = ON')
    this.db.pragma('busy_timeout = 5000')
    const version = this.db.pragma('user_version', { simple: true }) as number
    if (version > SCHEMA_VERSION) {
      throw new Error(`progress store ${this.file} has schema ${version}, newer than this program (${SCHEMA_VERSION})`)
    }
    this.db.exec(SCHEMA)
    this.db.pragma(`user_version = ${SCHEMA_VERSION}`)
  }

  close(): void {
    if (this.db.open) this.db.close()
  }

  // ---- learners and tokens ----

  /** Creates the learner, or replaces its token; returns the plain token (only its hash is kept). */
  upsertLearner(id: string, opts: { name?: string; session: string; token?: string }): string {
    const token = opts.token ?? newToken()
    this.db
      .prepare(
        `INSERT INTO learners (id, name, token_hash, session, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET token_hash = excluded.token_hash, name = COALESCE(excluded.name, learners.name)`,
      )
      .run(id, opts.name ?? null, hashToken(token), opts.session, Date.now())
    return token
  }

  /** Points the learner at another sandbox session (e.g. `start --session default` to reuse a CLI sandbox). */
  setLearnerSession(id: string, session: string): void {
    this.db.prepare('UPDATE learners SET session = ? WHERE id = ?').run(session, id)
  }

  getLearner(id: string): Learner | null {
    const row = this.db.prepare('SELECT id, name, session, created_at FROM learners WHERE id = ?').get(id) as
      | { id: string; name: string | null; session: string; created_at: number }
      | undefined
    return row ? { id: row.id, name: row.name, session: row.session, createdAt: iso(row.created_at)! } : null
  }

  listLearners(): Learner[] {
    const rows = this.db.prepare('SELECT id, name, session, created_at FROM learners ORDER BY created_at').all() as {
      id: string
      name: string | null
      session: string
      created_at: number
    }[]
    return rows.map((r) => ({ id: r.id, name: r.name, session: r.session, createdAt: iso(r.created_at)! }))
  }

  /** The learner holding this token, comparing hashes in constant time against every learner. */
  learnerForToken(token: string): Learner | null {
    const presented = Buffer.from(hashToken(token), 'hex')
    const rows = this.db.prepare('SELECT id, token_hash FROM learners').all() as { id: string; token_hash: string }[]
    let found: string | null = null
    for (const row of rows) {
      const stored = Buffer.from(row.token_hash, 'hex')
      // No early exit: the time taken does not depend on which learner (if any) matched.
      if (stored.length === presented.length && timingSafeEqual(stored, presented)) found = row.id
    }
    return found === null ? null : this.getLearner(found)
  }

  // ---- attempts and results ----

  startAttempt(learner: string, exercise: string, lab: string | null): number {
    const info = this.db
      .prepare(`INSERT INTO attempts (learner, exercise, lab, started_at, status) VALUES (?, ?, ?, ?, 'running')`)
      .run(learner, exercise, lab, Date.now())
    return Number(info.lastInsertRowid)
  }

  /** One transaction per result: committed (and fsynced) before the result is shown to the learner. */
  recordResult(attempt: number, position: number, result: CheckResult): void {
    this.db
      .prepare(
        `INSERT INTO check_results (attempt, position, check_id, status, evidence, result, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(attempt, position, result.id, result.status, JSON.stringify(result.evidence), JSON.stringify(result), Date.now())
  }

  finishAttempt(attempt: number, status: Exclude<AttemptStatus, 'running'>, error?: string): void {
    this.db
      .prepare(`UPDATE attempts SET status = ?, finished_at = ?, error = ? WHERE id = ? AND status = 'running'`)
      .run(status, Date.now(), error ?? null, attempt)
  }

  /**
   * Attempts still 'running' belong to a server that died (the data dir is locked by one server at a time):
   * mark them interrupted, ending at their last recorded result. Returns how many were marked.
   */
  markInterrupted(): number {
    const info = this.db
      .prepare(
        `UPDATE attempts SET status = 'interrupted',
           finished_at = COALESCE((SELECT MAX(at) FROM check_results WHERE attempt = attempts.id), started_at)
         WHERE status = 'running'`,
      )
      .run()
    return info.changes
  }

  getAttempt(id: number): Attempt | null {
    const row = this.db.prepare('SELECT * FROM attempts WHERE id = ?').get(id) as AttemptRow | undefined
    if (!row) return null
    const results = this.db
      .prepare('SELECT * FROM check_results WHERE attempt = ? ORDER BY position, id')
      .all(id) as ResultRow[]
    return toAttempt(row, results)
  }

  listAttempts(learner: string, exercise?: string): Attempt[] {
    const rows = (
      exercise === undefined
        ? this.db.prepare('SELECT * FROM attempts WHERE learner = ? ORDER BY started_at, id').all(learner)
        : this.db
            .prepare('SELECT * FROM attempts WHERE learner = ? AND exercise = ? ORDER BY started_at, id')
            .all(learner, exercise)
    ) as AttemptRow[]
    if (rows.length === 0) return []
    const results = this.db
      .prepare(
        `SELECT r.* FROM check_results r JOIN attempts a ON a.id = r.attempt
         WHERE a.learner = ? ORDER BY r.attempt, r.position, r.id`,
      )
      .all(learner) as ResultRow[]
    const byAttempt = new Map<number, ResultRow[]>()
    for (const r of results) {
      let list = byAttempt.get(r.attempt)
      if (!list) byAttempt.set(r.attempt, (list = []))
      list.push(r)
    }
    return rows.map((row) => toAttempt(row, byAttempt.get(row.id) ?? []))
  }

  // ---- grades (issue 6) ----

  recordGrade(input: GradeInput): number {
    const insert = this.db.transaction((g: GradeInput) => {
      const info = this.db
        .prepare(
          `INSERT INTO grades (batch, learner, exercise, verdict, score, max_score, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(g.batch ?? null, g.learner, g.exercise, g.verdict, g.score, g.maxScore, g.reason ?? null, Date.now())
      const id = Number(info.lastInsertRowid)
      const crit = this.db.prepare(
        `INSERT INTO grade_criteria (grade, position, check_id, status, points, max_points, evidence) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      g.criteria.forEach((c, i) =>
        crit.run(id, i, c.checkId, c.status, c.points, c.maxPoints, JSON.stringify(c.evidence)),
      )
      return id
    })
    return insert(input)
  }

  listGrades(filter: { exercise?: string; batch?: string } = {}): Grade[] {
    const where: string[] = []
    const args: string[] = []
    if (filter.exercise !== undefined) (where.push('exercise = ?'), args.push(filter.exercise))
    if (filter.batch !== undefined) (where.push('batch = ?'), args.push(filter.batch))
    const rows = this.db
      .prepare(`SELECT * FROM grades ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY exercise, learner, id`)
      .all(...args) as {
      id: number
      batch: string | null
      learner: string
      exercise: string
      verdict: Grade['verdict']
      score: number
      max_score: number
      reason: string | null
      at: number
    }[]
    const crit = this.db.prepare('SELECT * FROM grade_criteria WHERE grade = ? ORDER BY position')
    return rows.map((r) => ({
      id: r.id,
      batch: r.batch,
      learner: r.learner,
      exercise: r.exercise,
      verdict: r.verdict,
      score: r.score,
      maxScore: r.max_score,
      reason: r.reason,
      at: iso(r.at)!,
      criteria: (
        crit.all(r.id) as { check_id: string; status: Status; points: number; max_points: number; evidence: string }[]
      ).map((c) => ({
        checkId: c.check_id,
        status: c.status,
        points: c.points,
        maxPoints: c.max_points,
        evidence: JSON.parse(c.evidence) as CheckResult['evidence'],
      })),
    }))
  }
}

function toAttempt(row: AttemptRow, results: readonly ResultRow[]): Attempt {
  const summary = emptySummary()
  const stored = results.map((r): StoredResult => {
    summary[r.status]++
    return {
      checkId: r.check_id,
      position: r.position,
      status: r.status,
      evidence: JSON.parse(r.evidence) as CheckResult['evidence'],
      at: iso(r.at)!,
      result: JSON.parse(r.result) as CheckResult,
    }
  })
  return {
    id: row.id,
    learner: row.learner,
    exercise: row.exercise,
    lab: row.lab,
    startedAt: iso(row.started_at)!,
    finishedAt: iso(row.finished_at),
    status: row.status,
    error: row.error,
    summary,
    results: stored,
  }
}
