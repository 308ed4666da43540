// Proves every exercise WITHOUT a submission from its text, on a fresh sandbox: its start state fails the checks it is
// about, and the text's `bash run=SERVICE` blocks then the hints' run scripts pass them all (not solve.sh: what a
// learner following the text runs). The gradable exercises are proven the same way by grading/proof.sandbox.test.ts,
// on the sandbox that also grades their files (exercises/ does not know grading/).
import { describe, it } from 'vitest'
import { testSession } from '../sandbox/test-session.ts'
import { exercises } from './index.ts'
import { mustFailAtStart } from './runner.ts'
import { expectProved, proofPhaseHook, proofTimings } from './proof-support.ts'
import { proveExerciseFromText } from './text-runner.ts'

// PROOF_ONLY=id1,id2 narrows a run while working on a few exercises.
const only = process.env['PROOF_ONLY']?.split(',').filter(Boolean)
const selected = exercises.filter((e) => e.manifest.submission.length === 0 && (!only || only.includes(e.id)))

describe.each(selected.map((e) => [e.id, e] as const))('exercise %s (no submission)', (_id, exercise) => {
  it(`starts failing ${mustFailAtStart(exercise).join(', ')} and passes every check once its text is followed`, async () => {
    const notes: string[] = []
    const proof = await proveExerciseFromText(exercise, {
      // A test-run session id, so the suite's teardown removes it even if this process dies mid-proof.
      session: testSession(`ex${String(exercise.order).padStart(2, '0')}`),
      log: (l) => process.stderr.write(`  ${l}\n`),
      onPhase: proofPhaseHook(exercise, notes),
    })
    process.stderr.write(`${proofTimings(proof)}\n${notes.map((a) => `  ${a}\n`).join('')}`)
    expectProved(proof, exercise)
  })
})
