// Typed exercise manifests: check IDs are typed against the checker registry, so an unknown ID fails `tsc`.
import type { CheckId } from '../checker/registry.ts'
import type { LabName, ServiceName } from '../checker/sandbox-handle.ts'
import type { CheckDefinition, Localized, TransportMode } from '../checker/types.ts'

/** A path relative to the exercise folder, written `./…`; the loader refuses `..` and absolute paths. */
export type RelPath = `./${string}`

/** Where a check probes, in sandbox terms; the runner turns it into a network Target with addresses. */
export interface ExerciseTarget {
  readonly service: ServiceName
  /** Default: 25 for mail, 53 for dns, 443 for toolbox. */
  readonly port?: number
  /** Default: tls on 465/443/993, starttls on 25/587, plain otherwise. */
  readonly mode?: TransportMode
  /** SNI and the name the certificate must match; default mail.domaine.tld for the mail service. */
  readonly servername?: string
  /** Domain under test for dns.* checks; default domaine.tld. */
  readonly domain?: string
  readonly ehloName?: string
}

export interface ExerciseCheck<Id extends string = CheckId> {
  readonly id: Id
  readonly target: ExerciseTarget
  readonly params?: Readonly<Record<string, unknown>>
  /** Share of the score in graded submissions; default 1. */
  readonly weight?: number
  /** Distinguishes two uses of the same check ID in one exercise (e.g. two key files); default the ID. */
  readonly key?: string
}

/** A script shared by several exercises, in exercises/shared/. */
export type SharedPath = `shared:${string}`

/** A script run inside one sandbox service (copied there, run with bash, then removed). */
export interface ScriptStep {
  readonly service: ServiceName
  readonly script: RelPath | SharedPath
  readonly args?: readonly string[]
}

/** Copies a file between services through the host, as a learner would with the lab's file transfer. */
export interface CopyStep {
  readonly copy: {
    readonly from: { readonly service: ServiceName; readonly path: string }
    readonly to: { readonly service: ServiceName; readonly path: string }
    readonly mode?: number
    /** `user:group` applied after the copy. */
    readonly owner?: string
  }
}

export type Step = ScriptStep | CopyStep

/**
 * One script whose service is named by a `# service: NAME` header line (default mail),
 * or an explicit list of steps when the work spans several services.
 */
export type StepsSpec = RelPath | readonly Step[]

/**
 * A declared file: its absolute path in the mail service, or the path with the `user:group` it must be installed as
 * and the service it belongs to (default mail: a website or the records a learner published live elsewhere).
 */
export type SubmissionEntry =
  | string
  | { readonly path: string; readonly owner?: `${string}:${string}`; readonly service?: ServiceName }

export function submissionPath(entry: SubmissionEntry): string {
  return typeof entry === 'string' ? entry : entry.path
}

/** The declared paths, whichever shape each entry has. */
export function submissionPaths(manifest: { readonly submission: readonly SubmissionEntry[] }): string[] {
  return manifest.submission.map(submissionPath)
}

/** Declared path → `user:group`, for the entries that name an owner. */
export function submissionOwners(manifest: { readonly submission: readonly SubmissionEntry[] }): ReadonlyMap<string, string> {
  return new Map(manifest.submission.flatMap((e) => (typeof e === 'string' || !e.owner ? [] : [[e.path, e.owner] as const])))
}

/** The service a declared file is installed in. */
export function submissionService(entry: SubmissionEntry): ServiceName {
  return typeof entry === 'string' ? 'mail' : (entry.service ?? 'mail')
}

/** The commands a hint gives, pasted into one service's terminal: shown under the hint, run by `--from-text`. */
export interface HintRun {
  readonly service: ServiceName
  /** bash, run like a text's `run=` block (`bash -euo pipefail`, as root, in /root). */
  readonly script: string
}

/** A hint's text in both languages, and optionally the commands it gives. */
export type ExerciseHint = Localized & { readonly run?: HintRun }

export interface ExerciseManifest<Local extends string = never> {
  /** Stable, kebab-case; the folder is `NN-<id>`. */
  readonly id: string
  readonly lab: LabName
  readonly title: Localized
  /** French text for the learner. */
  readonly text: RelPath
  readonly textEn?: RelPath
  /** Brings a fresh sandbox to the start state. */
  readonly setup: StepsSpec
  /** The scripted answer; the proof runs it after the setup. */
  readonly solution: StepsSpec
  /**
   * Absolute file paths inside the mail service that a graded submission may hold. `owner` is what grading
   * installs the file as when the submission's format carries no owner (zip, folder): the owner the text asks for.
   */
  readonly submission: readonly SubmissionEntry[]
  /**
   * What grading runs after installing the submitted files, to put them in service the way the text has the learner
   * do it by hand (enable a website, publish the handed-in DNS records). Only for what leaves no file: a failing step
   * is the submission's fault, shown as the service not starting.
   */
  readonly publish?: StepsSpec
  readonly checks: readonly ExerciseCheck<CheckId | Local>[]
  readonly hints: readonly ExerciseHint[]
  /**
   * Keys of the checks this exercise is about: each must be non-pass in the start state (default: all).
   * Lets a manifest keep supporting checks (e.g. STARTTLS offered) that already pass at the start.
   */
  readonly startFails?: readonly string[]
  /** Checks specific to this exercise, not (yet) in the checker registry. */
  readonly localChecks?: readonly CheckDefinition<Local>[]
}

/** Any manifest, whatever its local check IDs. */
export type AnyExercise = ExerciseManifest<string>

export function defineExercise<const Local extends string = never>(
  manifest: ExerciseManifest<NoInfer<Local>> & { readonly localChecks?: readonly CheckDefinition<Local>[] },
): ExerciseManifest<Local> {
  return Object.freeze(manifest)
}

export function isCopyStep(step: Step): step is CopyStep {
  return 'copy' in step
}
