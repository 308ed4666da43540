// The exercises as the lab server shows them (list, text, hints) and grades them, independent of how they are loaded.
import type { LabName, SandboxHandle } from '../checker/sandbox-handle.ts'
import type { Lang, Localized } from '../checker/types.ts'
import type { GradeFn } from './check-runs.ts'

export interface CatalogCheck {
  readonly id: string
  readonly key: string
  readonly service: string
  readonly port?: number
}

export interface CatalogExercise {
  readonly id: string
  readonly lab: LabName
  readonly title: Localized
  /** `run`: the commands the hint gives, for one service's terminal (shown as a code block under the hint). */
  readonly hints: readonly (Localized & { readonly run?: { readonly service: string; readonly script: string } })[]
  readonly checks: readonly CatalogCheck[]
  readonly submission: readonly string[]
  text(lang: Lang): Promise<string>
}

/** Brings a sandbox to an exercise's start state (its setup steps). */
export type SetupFn = (exerciseId: string, sandbox: SandboxHandle) => Promise<void>

export interface ExerciseCatalog {
  list(): readonly CatalogExercise[]
  get(id: string): CatalogExercise | null
  readonly grade: GradeFn
  readonly setup?: SetupFn
  /**
   * Readies grading of a sandbox ahead of its first check run (the lab's roots fetched, the trusted-tools container
   * made): a class server calls it once a sandbox is up, so nobody's first "Vérifier" pays for it.
   */
  readonly warm?: (sandbox: SandboxHandle) => Promise<void>
}

export function staticCatalog(exercises: readonly CatalogExercise[], grade: GradeFn, setup?: SetupFn, warm?: ExerciseCatalog['warm']): ExerciseCatalog {
  const byId = new Map(exercises.map((e) => [e.id, e]))
  return { list: () => exercises, get: (id) => byId.get(id) ?? null, grade, ...(setup ? { setup } : {}), ...(warm ? { warm } : {}) }
}
