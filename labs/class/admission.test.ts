// Admission of sandboxes: past the limit (places or memory) learners wait in line with their position, and get in
// when a place frees; a reset keeps the place; a sandbox adopted after a restart takes its place at once.
import { describe, expect, it } from 'vitest'
import type { SandboxHandle } from '../../checker/sandbox-handle.ts'
import type { LabName } from '../../core/labs.ts'
import { LabController, type SandboxEngine } from '../lab-controller.ts'
import { Admission } from './admission.ts'

/** The engine port backed by a set of running sessions: what is measured here is the line, not Docker. */
function memoryEngine(running = new Set<string>()): SandboxEngine & { running: Set<string> } {
  const handle = (lab: LabName, session: string) => ({ lab, session }) as unknown as SandboxHandle
  return {
    running,
    async up(lab, session) {
      running.add(session)
      return handle(lab, session)
    },
    async find(session) {
      return running.has(session) ? handle('postfix', session) : null
    },
    async down(session) {
      running.delete(session)
    },
    async services() {
      return []
    },
    containerName: (session, service) => `stl-${session}-${service}`,
  }
}

const tick = () => new Promise((r) => setTimeout(r, 20))

describe('admission', () => {
  it('lets two sandboxes in, keeps the next learners waiting with their position, and admits them as places free', async () => {
    const engine = memoryEngine()
    const gate = new Admission({ max: 2 })
    const [a, b, c, d] = ['s1', 's2', 's3', 's4'].map((s) => new LabController(s, engine, 'postfix', gate))
    await a!.up('postfix')
    await b!.up('postfix')
    const cUp = c!.up('postfix')
    const dUp = d!.up('postfix')
    await tick()
    expect(c!.info()).toMatchObject({ state: 'starting', queuePosition: 1 })
    expect(d!.info()).toMatchObject({ state: 'starting', queuePosition: 2 })
    expect([...engine.running].sort()).toEqual(['s1', 's2'])
    // A reset keeps its place: s1 is back without anyone overtaking it.
    await a!.reset()
    expect(a!.info().state).toBe('up')
    expect(c!.info().queuePosition).toBe(1)
    await b!.down()
    await cUp
    expect(c!.info().state).toBe('up')
    expect(c!.info().queuePosition).toBeUndefined()
    expect(d!.info().queuePosition).toBe(1)
    await a!.down()
    await dUp
    expect([...engine.running].sort()).toEqual(['s3', 's4'])
    gate.close()
  })

  it('waits for memory as well as for a place, and re-examines the line by itself', async () => {
    let free = 100
    const gate = new Admission({ max: 10, minFreeBytes: 500, freeBytes: () => free, pollMs: 10 })
    const c = new LabController('m1', memoryEngine(), 'postfix', gate)
    const up = c.up('postfix')
    await tick()
    expect(c.info()).toMatchObject({ state: 'starting', queuePosition: 1 })
    free = 1_000
    await up
    expect(c.info().state).toBe('up')
    gate.close()
  })

  it('gives a sandbox adopted after a restart its place at once, even past the limit', async () => {
    const engine = memoryEngine(new Set(['r1', 'r2']))
    const gate = new Admission({ max: 1 })
    const r1 = new LabController('r1', engine, 'postfix', gate)
    const r2 = new LabController('r2', engine, 'postfix', gate)
    expect((await r1.adopt()).state).toBe('up')
    expect((await r2.adopt()).state).toBe('up')
    expect(gate.running).toBe(2)
    const r3 = new LabController('r3', engine, 'postfix', gate)
    const up = r3.up('postfix')
    await tick()
    expect(r3.info().queuePosition).toBe(1)
    await r1.down()
    await tick()
    // Still 1 running of a limit of 1: r3 waits for another place.
    expect(r3.info().queuePosition).toBe(1)
    await r2.down()
    await up
    expect(r3.info().state).toBe('up')
    gate.close()
  })
})
