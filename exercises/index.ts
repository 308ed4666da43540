// Every exercise of the course, loaded from its folder (static imports, so tsc checks each manifest's check IDs).
import type { AnyExercise } from './define.ts'
import { loadExercise, type Exercise } from './load.ts'
import postfixObtainCertificate from './01-postfix-obtain-certificate/manifest.ts'
import postfixTlsMainCf from './02-postfix-tls-main-cf/manifest.ts'
import postfixTestTls from './03-postfix-test-tls/manifest.ts'
import postfixSubmission587 from './04-postfix-submission-587/manifest.ts'
import postfixHardening from './05-postfix-hardening/manifest.ts'
import postfixOutboundPolicy from './06-postfix-outbound-policy/manifest.ts'
import postfixMtaStsDane from './07-postfix-mta-sts-dane/manifest.ts'

/** Folder name → manifest; the folder must be `NN-<id>`. */
export const MANIFESTS: ReadonlyArray<readonly [string, AnyExercise]> = [
  ['01-postfix-obtain-certificate', postfixObtainCertificate],
  ['02-postfix-tls-main-cf', postfixTlsMainCf],
  ['03-postfix-test-tls', postfixTestTls],
  ['04-postfix-submission-587', postfixSubmission587],
  ['05-postfix-hardening', postfixHardening],
  ['06-postfix-outbound-policy', postfixOutboundPolicy],
  ['07-postfix-mta-sts-dane', postfixMtaStsDane],
]

function loadAll(): readonly Exercise[] {
  const list = MANIFESTS.map(([folder, manifest]) => loadExercise(folder, manifest))
  const seen = new Set<string>()
  for (const e of list) {
    if (seen.has(e.id)) throw new Error(`exercise id ${e.id} is used twice`)
    seen.add(e.id)
  }
  return Object.freeze(list)
}

export const exercises: readonly Exercise[] = loadAll()

export function findExercise(id: string): Exercise | undefined {
  return exercises.find((e) => e.id === id)
}
