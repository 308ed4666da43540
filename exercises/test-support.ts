// For an exercise's own sandbox tests: one fresh sandbox per file, brought to the solved state before the tests.
import { afterAll, beforeAll } from 'vitest'
import type { SandboxHandle } from '../checker/sandbox-handle.ts'
import { downSandbox, upLab } from '../sandbox/engine.ts'
import { testSession } from '../sandbox/test-session.ts'
import { findExercise } from './index.ts'
import type { Exercise } from './load.ts'
import { applySetup, applySolution } from './runner.ts'

export interface SolvedSandbox {
  readonly exercise: Exercise
  /** Valid inside tests (after beforeAll). */
  readonly handle: () => SandboxHandle
}

/** Registers the hooks: fresh sandbox → setup → scripted solution; taken down after the file. */
export function useSolvedSandbox(exerciseId: string, sessionTag: string): SolvedSandbox {
  const exercise = findExercise(exerciseId)
  if (!exercise) throw new Error(`no exercise ${exerciseId}`)
  const session = testSession(sessionTag)
  let h: SandboxHandle | undefined
  beforeAll(async () => {
    h = await upLab({ lab: exercise.manifest.lab, session, fresh: true })
    await applySetup(h, exercise)
    await applySolution(h, exercise)
  }, 400_000)
  afterAll(async () => {
    await downSandbox(session)
  })
  return {
    exercise,
    handle: () => h ?? (() => { throw new Error(`sandbox ${session} is not up`) })(),
  }
}
