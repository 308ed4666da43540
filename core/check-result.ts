// A check's result as plain data: what the checker produces, the store keeps and the page shows (wire format too).
import type { Localized } from './i18n.ts'

export type Status = 'pass' | 'fail' | 'warn' | 'inconclusive' | 'skip'

/** Why a check could not decide: never the learner's fault. */
export type InconclusiveReason = 'timeout' | 'unreachable' | 'refused' | 'temporary' | 'protocol' | 'not-applicable' | 'bug'

export interface Evidence {
  /** Lines a learner can read: SMTP transcript (C:/S:), handshake facts, file modes found. */
  readonly lines: readonly string[]
  /** Machine-readable facts (negotiated protocol, cipher, serial…). */
  readonly facts?: Readonly<Record<string, string | number | boolean | null | readonly string[]>>
}

export interface Remedy {
  readonly postfix: string
  readonly exim: string
}

export interface CheckResult {
  readonly id: string
  /** Set when a run uses the same check twice (e.g. two ports): tells the results apart. */
  readonly key?: string
  /** Endpoint the check probed (after defaults), for reporters. */
  readonly endpoint?: string
  readonly status: Status
  readonly title: Localized
  /** One sentence on what was found, addressed to the learner. */
  readonly summary: Localized
  readonly evidence: Evidence
  readonly reason?: InconclusiveReason
  readonly remedy?: Remedy
  readonly durationMs: number
}
