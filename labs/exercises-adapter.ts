// The course's exercises (exercises/) as the lab server's catalog: listing, texts, hints and grading.
import { submissionPaths } from '../exercises/define.ts'
import { exercises, findExercise } from '../exercises/index.ts'
import { checkKey, type Exercise } from '../exercises/load.ts'
import { applySetup, gradeExercise, prepareGrading } from '../exercises/runner.ts'
import type { GradeFn } from './check-runs.ts'
import { staticCatalog, type CatalogExercise, type ExerciseCatalog, type SetupFn } from './exercise-catalog.ts'

function toCatalog(e: Exercise): CatalogExercise {
  const m = e.manifest
  return {
    id: e.id,
    lab: m.lab,
    title: m.title,
    hints: m.hints,
    checks: m.checks.map((c) => ({
      id: c.id,
      key: checkKey(c),
      service: c.target.service,
      ...(c.target.port !== undefined ? { port: c.target.port } : {}),
    })),
    submission: submissionPaths(m),
    text: (lang) => e.text(lang),
  }
}

export const gradeWithExercises: GradeFn = async (exerciseId, sandbox, hooks) => {
  const exercise = findExercise(exerciseId)
  if (!exercise) throw new Error(`unknown exercise ${exerciseId}`)
  await gradeExercise(sandbox, exercise, hooks)
}

export const setupWithExercises: SetupFn = async (exerciseId, sandbox) => {
  const exercise = findExercise(exerciseId)
  if (!exercise) throw new Error(`unknown exercise ${exerciseId}`)
  await applySetup(sandbox, exercise)
}

export function exercisesCatalog(): ExerciseCatalog {
  return staticCatalog(exercises.map(toCatalog), gradeWithExercises, setupWithExercises, prepareGrading)
}
