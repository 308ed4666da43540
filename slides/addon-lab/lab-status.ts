// What the sandbox panel shows and allows: wording of each lab state, which buttons make sense, polling cadence.
import type { Lang, Localized } from '../../core/i18n.ts'
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

export function labView(info: LabInfo, wanted: LabName, lang: Lang = 'fr'): LabView {
  const otherLab = info.lab && info.lab !== wanted && info.state !== 'down' ? info.lab : null
  const name = LAB_LABEL[info.lab ?? wanted]
  const en = lang === 'en'
  switch (info.state) {
    case 'down':
      return { headline: en ? `${LAB_LABEL[wanted]} lab stopped` : `Lab ${LAB_LABEL[wanted]} arrêté`, tone: 'off', actions: ['up'], otherLab: null }
    case 'starting':
      if (info.queuePosition !== undefined) {
        const headline = en
          ? `Waiting for a free place for your lab (position ${info.queuePosition})…`
          : `En attente d’une place libre pour votre lab (position ${info.queuePosition})…`
        return { headline, tone: 'busy', actions: [], otherLab: null }
      }
      return { headline: en ? `${name} lab starting…` : `Lab ${name} en cours de démarrage…`, tone: 'busy', actions: ['down'], otherLab }
    case 'up': {
      const sick = info.services.filter((s) => !s.healthy).map((s) => s.name)
      const headline = otherLab
        ? en ? `The ${name} lab is running; this chapter uses the ${LAB_LABEL[wanted]} lab` : `Le lab ${name} tourne ; ce chapitre utilise le lab ${LAB_LABEL[wanted]}`
        : sick.length
          ? en ? `${name} lab started, services not ready yet: ${sick.join(', ')}` : `Lab ${name} démarré, services pas encore prêts : ${sick.join(', ')}`
          : en ? `${name} lab ready` : `Lab ${name} prêt`
      const actions: LabAction[] = otherLab ? ['up', 'down'] : ['reset', 'down']
      return { headline, tone: sick.length || otherLab ? 'busy' : 'ok', actions, otherLab }
    }
    case 'error': {
      const headline = en
        ? `The lab could not start${info.error ? `: ${info.error}` : ''}`
        : `Le lab n’a pas pu démarrer${info.error ? ` : ${info.error}` : ''}`
      return { headline, tone: 'bad', actions: ['up', 'down'], otherLab }
    }
  }
}

export const ACTION_LABELS: Record<LabAction, Localized> = {
  up: { fr: 'Démarrer', en: 'Start' },
  down: { fr: 'Arrêter', en: 'Stop' },
  reset: { fr: 'Réinitialiser', en: 'Reset' },
}

/** Confirmation asked before an action that throws away the learner's work in the sandbox. */
export function confirmText(action: LabAction, lang: Lang = 'fr'): string | null {
  if (action === 'up') return null
  if (lang === 'en') return `${action === 'reset' ? 'Resetting' : 'Stopping'} the lab erases your changes in the containers. Continue?`
  return `${action === 'reset' ? 'Réinitialiser' : 'Arrêter'} le lab efface vos modifications dans les conteneurs. Continuer ?`
}

export const STATUS_TEXTS = {
  reading: { fr: 'Lecture de l’état du lab…', en: 'Reading the lab’s state…' },
} as const

/** Poll fast while something is changing, slowly when stable, so an idle deck costs the server almost nothing. */
export function pollDelayMs(state: LabState | 'offline', allHealthy: boolean): number {
  if (state === 'starting' || (state === 'up' && !allHealthy)) return 1_000
  if (state === 'offline') return 5_000
  return 10_000
}
