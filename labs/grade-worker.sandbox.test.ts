// Check runs in the grader process (grade-worker.ts) on a real sandbox: the same verdicts as grading in-process, the
// start state fails and the scripted solution passes, and a grader killed mid-run fails that run as the grader's
// trouble (never a pass) and is started again for the next one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CheckResult } from '../checker/types.ts'
import { isPassed } from '../core/score.ts'
import { findExercise } from '../exercises/index.ts'
import { applySetup, applySolution } from '../exercises/runner.ts'
import { downSandbox, upLab, type DockerSandbox } from '../sandbox/engine.ts'
import { testSession } from '../sandbox/test-session.ts'
import { gradeWithExercises } from './exercises-adapter.ts'
import { workerGrader, type WorkerGrader } from './grade-worker.ts'

const EXERCISE = 'postfix-tls-main-cf'
const session = testSession('gradeworker')
let sandbox: DockerSandbox
let worker: WorkerGrader

const verdicts = (rs: readonly CheckResult[]) => Object.fromEntries(rs.map((r) => [r.id, r.status]))
const passed = (rs: readonly CheckResult[]) => rs.length > 0 && isPassed(rs.map((r) => ({ key: r.id, status: r.status, weight: 1 })))

async function collect(grade: WorkerGrader['grade'] | typeof gradeWithExercises, signal = new AbortController().signal): Promise<CheckResult[]> {
  const out: CheckResult[] = []
  await grade(EXERCISE, sandbox, { lang: 'fr', signal, onResult: (r) => out.push(r) })
  return out
}

beforeAll(async () => {
  sandbox = await upLab({ lab: 'postfix', session, fresh: true, owner: 'job:grade-worker-test' })
  await applySetup(sandbox, findExercise(EXERCISE)!)
  worker = workerGrader()
}, 240_000)
afterAll(async () => {
  worker?.close()
  await downSandbox(session)
}, 120_000)

describe('check runs in the grader process', () => {
  it('a warm-up readies the sandbox (its trusted-tools container made), then the start state fails there, with the same verdicts as in-process grading', async () => {
    const { connectDocker } = await import('../sandbox/docker.ts')
    const { LABEL_TOOLS_FOR } = await import('../sandbox/toolset.ts')
    const tools = async () => (await (await connectDocker()).listContainers({ filters: { label: [`${LABEL_TOOLS_FOR}=${session}`] } })).length
    expect(await tools()).toBe(0)
    await worker.warm(sandbox)
    expect(await tools()).toBe(1)
    const inWorker = await collect(worker.grade)
    const inProcess = await collect(gradeWithExercises)
    expect(inWorker.length).toBeGreaterThan(3)
    expect(passed(inWorker)).toBe(false)
    expect(verdicts(inWorker)).toEqual(verdicts(inProcess))
    expect(worker.pid()).not.toBe(process.pid)
  }, 120_000)

  it('a grader killed mid-run fails that run (grader trouble), and the next run passes the scripted solution', async () => {
    await applySolution(sandbox, findExercise(EXERCISE)!)
    const run = collect(worker.grade)
    // The grader is up since the first test: killed with this run in flight, the run must end with the grader's
    // error, neither hang nor pass.
    process.kill(worker.pid()!, 'SIGKILL')
    await expect(run).rejects.toThrow(/grader process ended/)
    const again = await collect(worker.grade)
    expect(passed(again)).toBe(true)
    expect(verdicts(again)).toEqual(verdicts(await collect(gradeWithExercises)))
  }, 180_000)

})
