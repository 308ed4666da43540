// The instructor's faults on a learner's sandbox (issue 13): the same scripts as `sandbox fault inject|clear`
// (sandbox/faults.ts), run in one learner's running sandbox, answered when the script is done with its outcome.
import { API } from '../../core/lab-protocol.ts'
import type { LabName } from '../../core/labs.ts'
import { stripControl } from '../../core/text.ts'
import type { RequestContext } from '../api-routes.ts'
import { ApiError, sendJson } from '../http-util.ts'
import type { LabController } from '../lab-controller.ts'
import type { Learner } from '../progress-store.ts'
import type { Route } from '../routes.ts'

export const FAULTS_PATH = `${API.classState}/faults`
/** POST …/learners/:id/faults/:fault/inject | …/clear */
export const faultPath = (learner: string, fault: string, action: 'inject' | 'clear'): string =>
  `${API.classState}/learners/${encodeURIComponent(learner)}/faults/${encodeURIComponent(fault)}/${action}`

// The engine (dockerode, tar…) loads only when a fault is used: `serve` and the unit tests never need it.
const faultsModule = () => import('../../sandbox/faults.ts')

export interface FaultRouteDeps {
  /** The class's lab (what a learner's sandbox runs when it is not up). */
  readonly lab: LabName
  learners(): readonly Learner[]
  labFor(learner: Learner): LabController
}

/** What a fault run answers: the script's outcome, its output stripped of control sequences. */
export interface FaultAnswer {
  readonly ok: boolean
  readonly learner: string
  readonly fault: string
  readonly action: 'inject' | 'clear'
  readonly output: string
  readonly ms: number
}

const unknownLearner = (id: string): ApiError =>
  new ApiError(404, 'unknown_learner', { fr: `Apprenant inconnu « ${stripControl(id)} ».`, en: `Unknown learner "${stripControl(id)}".` })

export function faultRoutes(deps: FaultRouteDeps): Route<RequestContext>[] {
  return [
    {
      method: 'GET', path: FAULTS_PATH, access: 'instructor',
      handle: async (ctx) => {
        const { FAULTS } = await faultsModule()
        sendJson(ctx.res, 200, { lab: deps.lab, faults: FAULTS.map((f) => ({ ...f, applies: f.lab === deps.lab })) })
      },
    },
    ...(['inject', 'clear'] as const).map(
      (action): Route<RequestContext> => ({
        method: 'POST', path: `${API.classState}/learners/:id/faults/:fault/${action}`, access: 'instructor',
        handle: async (ctx, p) => sendJson(ctx.res, 200, await runLearnerFault(deps, p.id!, p.fault!, action)),
      }),
    ),
  ]
}

async function runLearnerFault(deps: FaultRouteDeps, id: string, name: string, action: 'inject' | 'clear'): Promise<FaultAnswer> {
  const { FAULTS, runFault } = await faultsModule()
  const fault = FAULTS.find((f) => f.name === name)
  if (!fault) {
    const known = FAULTS.map((f) => f.name).join(', ')
    throw new ApiError(400, 'unknown_fault', {
      fr: `Panne inconnue « ${stripControl(name)} » : choisissez parmi ${known}.`,
      en: `Unknown fault "${stripControl(name)}": choose one of ${known}.`,
    })
  }
  const learner = deps.learners().find((l) => l.id === id)
  if (!learner) throw unknownLearner(id)
  const c = deps.labFor(learner)
  const lab = c.info().lab ?? c.defaultLab
  if (fault.lab !== lab) {
    throw new ApiError(400, 'fault_wrong_lab', {
      fr: `La panne ${fault.name} est une panne du lab ${fault.lab} ; le bac à sable de ${learner.name} fait tourner le lab ${lab}.`,
      en: `Fault ${fault.name} belongs to the ${fault.lab} lab; ${learner.name}'s sandbox runs the ${lab} lab.`,
    })
  }
  if (!c.enabled) throw new ApiError(409, 'sandbox_disabled', { fr: 'Ce serveur tourne sans bac à sable.', en: 'This server runs without sandboxes.' })
  // An idle-stopped sandbox is started again first: the script needs its containers running.
  await c.wake()
  const handle = c.current()
  if (!handle) {
    throw new ApiError(409, 'sandbox_not_up', {
      fr: `Le bac à sable de ${learner.name} n’est pas démarré (état : ${c.info().state}) : réessayez quand il l’est.`,
      en: `${learner.name}'s sandbox is not up (state: ${c.info().state}): try again once it is.`,
    })
  }
  const t0 = Date.now()
  try {
    const r = await runFault(handle, fault, action)
    return { ok: r.ok, learner: learner.id, fault: fault.name, action, output: stripControl(r.output), ms: Date.now() - t0 }
  } catch (err) {
    // A container gone mid-run, an exec timeout: the instructor sees why, the answer stays JSON.
    const why = stripControl(err instanceof Error ? err.message : String(err))
    throw new ApiError(502, 'fault_failed', { fr: `La panne ${fault.name} n’a pas pu être lancée : ${why}`, en: `Could not run fault ${fault.name}: ${why}` })
  }
}
