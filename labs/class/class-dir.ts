// A class's data directory: the progress store, one seat per learner (token, sandbox session), the instructor's
// credential and the HTTPS certificate. Kept on disk (0600) so a server killed and restarted serves the same class:
// open tabs keep their cookies, printed join sheets stay valid, learners keep their sandboxes.
import { randomBytes, X509Certificate } from 'node:crypto'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { UserError } from '../../core/errors.ts'
import { openLockedStore } from '../data-dir.ts'
import { newToken, ProgressStore } from '../progress-store.ts'
import type { Seat } from './roster.ts'

export const DEFAULT_CLASS_DIR = '.lab-class'

export interface ClassSeat {
  /** Stable id in the store (l01, l02…). */
  readonly id: string
  readonly name: string
  readonly token: string
  readonly session: string
}

export interface ClassFile {
  readonly version: 1
  /** Short random id: sandbox sessions are <classId>-<nn>, distinct between classes on one engine. */
  readonly classId: string
  readonly instructorToken: string
  readonly seats: readonly ClassSeat[]
}

export interface OpenedClassDir {
  readonly dir: string
  readonly store: ProgressStore
  readonly cls: ClassFile
  /** Attempts found running at open time (the server died) and now marked interrupted. */
  readonly interrupted: number
  release(): void
}

const CLASS_FILE = 'class.json'

function writePrivate(file: string, text: string): void {
  // Written aside then renamed: a kill mid-write never leaves a half file where the tokens were.
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, text, { mode: 0o600 })
  renameSync(tmp, file)
}

/**
 * Opens (or creates) the class. Seats already there are kept with their tokens; `seats` adds the missing ones (a
 * longer roster, a larger --learners) and renames existing ones to the roster's names, in order.
 */
export function openClassDir(dir: string, seats: readonly Seat[], opts: { sessionPrefix?: string } = {}): OpenedClassDir {
  const abs = path.resolve(dir)
  const { store, release } = openLockedStore(abs)
  try {
    const interrupted = store.markInterrupted()
    const file = path.join(abs, CLASS_FILE)
    let cls: ClassFile
    if (existsSync(file)) {
      try {
        cls = JSON.parse(readFileSync(file, 'utf8')) as ClassFile
      } catch (err) {
        throw new UserError(`The class file ${file} is unreadable (${(err as Error).message}): move it away to start a new class.`)
      }
    } else {
      cls = { version: 1, classId: `${opts.sessionPrefix ?? ''}c${randomBytes(2).toString('hex')}`, instructorToken: newToken(), seats: [] }
    }
    const kept = [...cls.seats]
    for (const [i, seat] of seats.entries()) {
      const old = kept[i]
      if (old) kept[i] = { ...old, name: seat.name }
      else {
        const n = String(i + 1).padStart(2, '0')
        kept.push({ id: `l${n}`, name: seat.name, token: newToken(), session: `${cls.classId}-${n}` })
      }
    }
    cls = { ...cls, seats: kept }
    // The store keeps token hashes; the plain tokens live only in class.json (0600) for the join sheet.
    for (const s of cls.seats) {
      const known = store.learnerForToken(s.token)
      if (known?.id !== s.id || known.name !== s.name) store.upsertLearner(s.id, { name: s.name, session: s.session, token: s.token })
    }
    writePrivate(file, JSON.stringify(cls, null, 2) + '\n')
    return {
      dir: abs,
      store,
      cls,
      interrupted,
      release() {
        store.close()
        release()
      },
    }
  } catch (err) {
    store.close()
    release()
    throw err
  }
}

export interface ServerCert {
  readonly cert: string
  readonly key: string
  /** SHA-256 fingerprint as browsers show it (AA:BB:…), for learners to compare before accepting the warning. */
  readonly fingerprint: string
}

export function fingerprintOf(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256
}

/**
 * The HTTPS certificate: the instructor's own (--cert/--key), else a self-signed one made once with `selfsigned`
 * for the names served and kept in the class directory, so the fingerprint learners checked stays the same.
 */
export async function serverCert(dir: string, names: readonly string[], own?: { cert: string; key: string }): Promise<ServerCert> {
  if (own) {
    const cert = readFileSync(own.cert, 'utf8')
    const key = readFileSync(own.key, 'utf8')
    return { cert, key, fingerprint: fingerprintOf(cert) }
  }
  const certFile = path.join(dir, 'server-cert.pem')
  const keyFile = path.join(dir, 'server-key.pem')
  const namesFile = path.join(dir, 'server-cert.names')
  const wanted = [...names].sort().join(',')
  if (existsSync(certFile) && existsSync(keyFile) && existsSync(namesFile) && readFileSync(namesFile, 'utf8') === wanted) {
    const cert = readFileSync(certFile, 'utf8')
    if (new Date(new X509Certificate(cert).validTo).getTime() > Date.now() + 86400_000) {
      return { cert, key: readFileSync(keyFile, 'utf8'), fingerprint: fingerprintOf(cert) }
    }
  }
  const { generate } = await import('selfsigned')
  const { isIP } = await import('node:net')
  const altNames = names.map((n) => (isIP(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n }))
  const pems = await generate([{ name: 'commonName', value: names.find((n) => !isIP(n)) ?? names[0] ?? 'smtp-tls-lab' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - 3600_000),
    notAfterDate: new Date(Date.now() + 180 * 86400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  })
  writePrivate(keyFile, pems.private)
  writePrivate(certFile, pems.cert)
  writePrivate(namesFile, wanted)
  return { cert: pems.cert, key: pems.private, fingerprint: fingerprintOf(pems.cert) }
}
