// A class spread over several Docker engines (`class start --docker-host …`): each new sandbox goes to the engine
// with the most free memory, and the class remembers where each one is, so terminals, checks, idle stop and resume,
// reset, down and a restarted server all reach the right engine.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type Docker from 'dockerode'
import type { LabName } from '../../core/labs.ts'
import { connectEngine, onEngine } from '../../sandbox/docker.ts'
import { type Engine, Placement } from '../../sandbox/engines.ts'
import { containerName, getSandbox } from '../../sandbox/engine.ts'
import { loadTopology } from '../../sandbox/topology.ts'
import { dockerEngine } from '../engine-adapter.ts'
import type { SandboxEngine } from '../lab-controller.ts'

export const PLACEMENT_FILE = 'engines.json'

export interface PlacedEngine extends SandboxEngine {
  readonly placement: Placement
  /** The engine a session's sandbox is on, as recorded (undefined: none yet). */
  engineOf(session: string): Engine | undefined
  /** The client of the engine holding a container (terminals name a container, not a session). */
  clientForContainer(container: string): Promise<Docker>
}

/** Memory a sandbox of this lab is promised: the sum of its services' limits (the topology's mem_limit). */
export function labCost(lab: LabName): number {
  return loadTopology(lab).services.reduce((sum, s) => sum + s.memLimitBytes, 0)
}

/**
 * `dockerEngine()` on several engines. The record (`<class dir>/engines.json`, session → engine URL) is written
 * before a sandbox is created, so a server killed in the middle of an `up` finds it again on the right engine.
 * A session whose recorded engine does not answer is an error, never placed again elsewhere: its learner's work is
 * still on that engine.
 */
export function placedDockerEngine(engines: readonly Engine[], opts: { dir: string; onProgress?: (m: string) => void }): PlacedEngine {
  const inner = dockerEngine(opts.onProgress ? { onProgress: opts.onProgress } : {})
  const placement = new Placement(engines)
  const file = path.join(opts.dir, PLACEMENT_FILE)
  const byName = new Map(engines.map((e) => [e.name, e]))
  const records = new Map<string, string>(existsSync(file) ? Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : [])

  const save = (): void => {
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify(Object.fromEntries(records), null, 1), { mode: 0o600 })
    renameSync(tmp, file)
  }
  const record = (session: string, engine: Engine | null): void => {
    if (engine) records.set(session, engine.name)
    else records.delete(session)
    save()
  }
  const recorded = (session: string): Engine | undefined => {
    const name = records.get(session)
    return name ? byName.get(name) : undefined
  }
  const has = (e: Engine, session: string): Promise<boolean> => onEngine(e, async () => (await getSandbox(session, { health: false })) !== null)

  /** Where the session's sandbox is: the record, else a search of every engine (a class dir from before, a lost record). */
  const locate = async (session: string): Promise<Engine | null> => {
    const known = recorded(session)
    if (known) return (await has(known, session)) ? known : null
    for (const e of engines) {
      if (await has(e, session).catch(() => false)) {
        record(session, e)
        return e
      }
    }
    return null
  }

  return {
    placement,
    engineOf: recorded,
    async clientForContainer(container: string) {
      let best: string | null = null
      for (const s of records.keys()) if (container.startsWith(`stl-${s}-`) && (!best || s.length > best.length)) best = s
      const e = (best ? recorded(best) : undefined) ?? engines[0]!
      return connectEngine(e.endpoint)
    },
    async up(lab: LabName, session: string) {
      const here = await locate(session)
      if (here) return onEngine(here, () => inner.up(lab, session))
      const { engine, done } = await placement.place(labCost(lab))
      opts.onProgress?.(`session ${session} placed on ${engine.name}`)
      record(session, engine)
      try {
        return await onEngine(engine, () => inner.up(lab, session))
      } finally {
        done()
      }
    },
    async find(session: string) {
      const e = recorded(session) ?? (await locate(session))
      return e ? onEngine(e, () => inner.find(session)) : null
    },
    async down(session: string) {
      const known = recorded(session)
      // Without a record, every engine is asked: a down must never leave a sandbox running somewhere.
      for (const e of known ? [known] : engines) await onEngine(e, () => inner.down(session))
      record(session, null)
    },
    services: (handle) => inner.services(handle),
    containerName,
    pause: (handle) => inner.pause!(handle),
    unpause: (handle) => inner.unpause!(handle),
  }
}
