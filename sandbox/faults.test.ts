// The instructor faults and their break-fix exercises stay in step: same script, a real service, an exercise that
// injects exactly that fault in its setup and whose hint names the diagnosing tool.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { findExercise } from '../exercises/index.ts'
import type { SandboxHandle } from '../checker/sandbox-handle.ts'
import { FAULTS, FAULTS_DIR, findFault, runFault } from './faults.ts'
import { loadTopology } from './topology.ts'

describe('sandbox faults', () => {
  it.each(FAULTS.map((f) => [f.name, f] as const))('%s: script, service, break-fix exercise', (name, f) => {
    const script = readFileSync(join(FAULTS_DIR, `${name}.sh`), 'utf8')
    expect(script).toMatch(new RegExp(`^# service: ${f.service}$`, 'm'))
    expect(script).toMatch(/\binject\)/)
    expect(script).toMatch(/\bclear\)/)
    expect(loadTopology(f.lab).services.map((s) => s.name)).toContain(f.service)
    const ex = findExercise(f.exercise)
    expect(ex, f.exercise).toBeDefined()
    expect(ex!.manifest.lab).toBe(f.lab)
    const setup = ex!.steps('setup').filter((s) => s.kind === 'script')
    expect(setup.some((s) => s.kind === 'script' && s.file === join(FAULTS_DIR, `${name}.sh`) && s.args.join(' ') === 'inject' && s.service === f.service)).toBe(true)
    // The first diagnosing command the fault list names appears in a hint of its exercise.
    const tool = /`([^`]+)`/.exec(f.diagnose.en)?.[1] ?? ''
    expect(tool).not.toBe('')
    const firstWord = tool.split(' ')[0]!
    expect(ex!.manifest.hints.some((h) => h.en.includes(firstWord) && h.fr.includes(firstWord)), `${f.exercise} hints name ${firstWord}`).toBe(true)
  })

  it('names an unknown fault with the list of known ones', () => {
    expect(() => findFault('disk-on-fire')).toThrow(/unknown fault "disk-on-fire": choose one of cert-expired, ca-rotated, mta-sts-record-removed, /)
  })

  it('refuses to "clear" a fault that cannot be undone, runs nothing, and says why (ca-rotated)', async () => {
    // Nothing may be run in the sandbox: a handle whose every use throws proves that.
    const untouchable = new Proxy({ lab: 'postfix', session: 'unit' }, {
      get: (t, k) => (k in t ? t[k as keyof typeof t] : () => { throw new Error(`used ${String(k)}`) }),
    }) as unknown as SandboxHandle
    const run = await runFault(untouchable, findFault('ca-rotated'), 'clear')
    expect(run).toMatchObject({ ok: false, cannotClear: true })
    expect(run.output).toMatch(/cannot be undone.*Pebble generates its root/)
    expect(FAULTS.filter((f) => f.cannotClear).map((f) => f.name)).toEqual(['ca-rotated'])
  })
})
