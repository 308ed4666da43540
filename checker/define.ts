// defineCheck keeps the literal ID type so the registry can derive CheckId from its keys.
import type { CheckDefinition, Evidence, InconclusiveReason, Localized, Verdict } from './types.ts'

export function defineCheck<const Id extends string>(def: CheckDefinition<Id>): CheckDefinition<Id> {
  return Object.freeze(def)
}

export const verdict = {
  pass: (summary: Localized, evidence: Evidence): Verdict => ({ status: 'pass', summary, evidence }),
  fail: (summary: Localized, evidence: Evidence): Verdict => ({ status: 'fail', summary, evidence }),
  warn: (summary: Localized, evidence: Evidence): Verdict => ({ status: 'warn', summary, evidence }),
  skip: (summary: Localized, evidence: Evidence = { lines: [] }): Verdict => ({ status: 'skip', summary, evidence }),
  inconclusive: (reason: InconclusiveReason, summary: Localized, evidence: Evidence = { lines: [] }): Verdict => ({
    status: 'inconclusive',
    reason,
    summary,
    evidence,
  }),
}
