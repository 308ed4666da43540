// The lab names and the sandbox session-id rule: one definition for the CLI, the sandbox engine and the lab server.
export type LabName = 'postfix' | 'exim'

export const LABS: readonly LabName[] = ['postfix', 'exim']

export const isLabName = (v: unknown): v is LabName => typeof v === 'string' && (LABS as readonly string[]).includes(v)

/** Services every lab has; a lab may add more (e.g. `partners` in the postfix lab). */
export type ServiceName = 'mail' | 'dns' | 'acme' | 'toolbox' | 'partners' | (string & {})

/** A session id names containers and networks (stl-<session>-<service>): short, lowercase, DNS-safe. */
export const SESSION_ID_RE = /^[a-z0-9][a-z0-9-]{0,30}$/

export const isSessionId = (v: unknown): v is string => typeof v === 'string' && SESSION_ID_RE.test(v)
