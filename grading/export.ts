// Writing class.csv and class.json: each file appears whole or not at all, even across a crash or a power cut, and
// names the batch and its time, so a file left over from another run cannot pass for this one.
import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs'
import path from 'node:path'
import type { Lang } from '../checker/types.ts'
import { safeJsonStringify } from '../core/text.ts'
import type { SubmissionGrade } from './grade.ts'
import { classCsv, type ClassMeta } from './report.ts'

/**
 * Replaces `file` atomically: a temporary file in the same directory (so the rename cannot cross file systems),
 * written and fsync'd, renamed over the target, then the directory fsync'd so the rename itself is durable. A
 * reader sees the old content or the new one, never a truncated mix; a crash leaves at most a `.…tmp` file. The
 * temporary is created exclusively (O_EXCL), so a file or symlink planted under its name is never written through,
 * and the rename replaces a symlink at `file` instead of writing to what it points at.
 */
export function writeFileAtomic(file: string, data: string | Buffer, mode = 0o666): void {
  const dir = path.dirname(path.resolve(file))
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  const fd = openSync(tmp, 'wx', mode)
  try {
    try {
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, file)
  } catch (err) {
    try {
      unlinkSync(tmp)
    } catch {
      // already renamed or never created: nothing to clean
    }
    throw err
  }
  fsyncDir(dir)
}

function fsyncDir(dir: string): void {
  // Windows cannot open a directory for fsync; its rename is made durable by the file system itself.
  if (process.platform === 'win32') return
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** class.csv of a batch (see classCsv for the columns), written atomically. */
export function writeClassCsv(file: string, grades: readonly SubmissionGrade[], meta: ClassMeta, lang: Lang): void {
  writeFileAtomic(file, classCsv(grades, lang, meta))
}

/**
 * class.json (the object classJson built, which holds `batch` and `startedAt`) with the time it was written,
 * serialised so that no raw control character from a learner or a server reaches whoever opens it.
 */
export function writeClassJson(file: string, json: object, now: Date = new Date()): void {
  // exportedAt beside the batch fields at the top, the long per-learner part last.
  const { learners, ...head } = json as Record<string, unknown>
  const out = { ...head, exportedAt: now.toISOString(), ...(learners === undefined ? {} : { learners }) }
  writeFileAtomic(file, `${safeJsonStringify(out, 2)}\n`)
}
