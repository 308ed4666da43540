// What the sandbox panel shows and allows: wording of each lab state, which buttons make sense, polling cadence.
import type { LabInfo, LabName, LabState } from '../../core/lab-protocol.ts'

export type LabAction = 'up' | 'down' | 'reset'

export interface LabView {
  readonly headline: string
  readonly tone: 'ok' | 'busy' | 'off' | 'bad'
  readonly actions: readonly LabAction[]
  /** A different lab than the deck's is running: starting this one replaces it. */
  readonly otherLab: LabName | null
}

const LAB_LABEL: Record<LabName, string> = { postfix: 'Postfix', exim: 'Exim' }

export function labView(info: LabInfo, wanted: LabName): LabView {
  const otherLab = info.lab && info.lab !== wanted && info.state !== 'down' ? info.lab : null
  const name = LAB_LABEL[info.lab ?? wanted]
  switch (info.state) {
    case 'down':
      return { headline: `Lab ${LAB_LABEL[wanted]} arrêté`, tone: 'off', actions: ['up'], otherLab: null }
    case 'starting':
      if (info.queuePosition !== undefined) {
        return { headline: `En attente d’une place libre pour votre lab (position ${info.queuePosition})…`, tone: 'busy', actions: [], otherLab: null }
      }
      return { headline: `Lab ${name} en cours de démarrage…`, tone: 'busy', actions: ['down'], otherLab }
    case 'up': {
      const sick = info.services.filter((s) => !s.healthy).map((s) => s.name)
      const headline = otherLab
        ? `Le lab ${name} tourne ; ce chapitre utilise le lab ${LAB_LABEL[wanted]}`
        : sick.length ? `Lab ${name} démarré, services pas encore prêts : ${sick.join(', ')}` : `Lab ${name} prêt`
      const actions: LabAction[] = otherLab ? ['up', 'down'] : ['reset', 'down']
      return { headline, tone: sick.length || otherLab ? 'busy' : 'ok', actions, otherLab }
    }
    case 'error':
      return { headline: `Le lab n’a pas pu démarrer${info.error ? ` : ${info.error}` : ''}`, tone: 'bad', actions: ['up', 'down'], otherLab }
  }
}

export const ACTION_LABEL: Record<LabAction, string> = {
  up: 'Démarrer',
  down: 'Arrêter',
  reset: 'Réinitialiser',
}

/** Confirmation asked before an action that throws away the learner's work in the sandbox. */
export function confirmText(action: LabAction): string | null {
  if (action === 'reset') return 'Réinitialiser le lab efface vos modifications dans les conteneurs. Continuer ?'
  if (action === 'down') return 'Arrêter le lab efface vos modifications dans les conteneurs. Continuer ?'
  return null
}

/** Poll fast while something is changing, slowly when stable, so an idle deck costs the server almost nothing. */
export function pollDelayMs(state: LabState | 'offline', allHealthy: boolean): number {
  if (state === 'starting' || (state === 'up' && !allHealthy)) return 1_000
  if (state === 'offline') return 5_000
  return 10_000
}
