// Session ids for tests: unique per test run, so concurrent runs on a shared machine never remove each other's sandboxes.
import { randomBytes } from 'node:crypto'

/** SMTP_TLS_LAB_TEST_PREFIX lets a run on a shared machine keep to the session prefix it was given. */
export const TEST_SESSION_PREFIX = process.env.SMTP_TLS_LAB_TEST_PREFIX ?? 'vt-'
const RUN_ENV = 'SMTP_TLS_LAB_TEST_RUN'

/** The id of this test run; the global setup fixes it before the workers start, and they inherit it. */
export function testRunId(): string {
  process.env[RUN_ENV] ??= randomBytes(3).toString('hex')
  return process.env[RUN_ENV]!
}

export const testSession = (name: string): string => `${TEST_SESSION_PREFIX}${testRunId()}-${name}`
export const isThisRunSession = (session: string): boolean => session.startsWith(`${TEST_SESSION_PREFIX}${testRunId()}-`)
