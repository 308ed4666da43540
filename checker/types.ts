// Data shapes shared by probes, checks, the runner and reporters. Results are plain immutable data.
import type { SandboxHandle, ServiceName } from './sandbox-handle.ts'

// Result shapes and learner text live in core/ (shared with the lab server and the page); re-exported for the checker.
export type { Status, InconclusiveReason, Evidence, CheckResult, Remedy } from '../core/check-result.ts'
export type { Lang, Localized } from '../core/i18n.ts'
import type { CheckResult, Evidence, InconclusiveReason, Remedy, Status } from '../core/check-result.ts'
import type { Localized } from '../core/i18n.ts'

export type TransportMode = 'starttls' | 'tls' | 'plain'

/** Where to probe: a network endpoint, plus optionally the sandbox service behind it. */
export interface Target {
  readonly host: string
  readonly port: number
  readonly mode: TransportMode
  /** SNI and the name the certificate must match. */
  readonly servername?: string
  readonly ehloName?: string
  /** PEM of trusted roots (e.g. Pebble's); undefined = the system store. */
  readonly ca?: string
  /** The sandbox service this endpoint belongs to, for file and config checks. */
  readonly service?: ServiceName
  /** Lab DNS server (ip or ip:port) for dns.* checks; never the host resolver for lab names. */
  readonly dnsServer?: string
  /** Domain under test for dns.* checks (e.g. domaine.tld). */
  readonly domain?: string
  /** Per-step time bounds for probes (connect, greeting, each reply, TLS handshake). */
  readonly timeouts?: Partial<StepTimeouts>
}

export interface StepTimeouts {
  readonly connectMs: number
  readonly greetingMs: number
  readonly replyMs: number
  readonly tlsMs: number
}

/**
 * Caps the connections one server is serving for us. release() must be called once the server no longer counts
 * the connection: after its side closed (openTcp does it), not merely ours, since servers count a connection until
 * the process serving it exits.
 */
export interface ConnectionGate {
  acquire(host: string, signal?: AbortSignal): Promise<() => void>
  /** Resolves once no slot to `host` is held: e.g. before a check that measures the server's own cap. */
  idle?(host: string): Promise<void>
}


export type Applicability = 'remote' | 'sandbox'

export interface CheckContext {
  readonly target: Target
  /** Present when grading a sandbox session (file.*, config.*, renewal.* need it). */
  readonly sandbox?: SandboxHandle
  /** Aborted when the check's time bound is reached. */
  readonly signal: AbortSignal
  /** Extra per-check parameters from an exercise manifest (e.g. minimum days left). */
  readonly params: Readonly<Record<string, unknown>>
  /** Shared probe results for this run, so checks do not repeat a handshake (keyed by probe name). */
  readonly cache: ProbeCache
  /** Shared limit on concurrent connections per server; absent = unlimited (tests, single checks). */
  readonly gate?: ConnectionGate
}

export interface ProbeCache {
  get<T>(key: string, make: () => Promise<T>): Promise<T>
}

/** What a check's run() returns; the runner adds id, title, remedy and timing. */
export interface Verdict {
  readonly status: Status
  readonly summary: Localized
  readonly evidence: Evidence
  readonly reason?: InconclusiveReason
}

export interface CheckDefinition<Id extends string = string> {
  readonly id: Id
  readonly title: Localized
  readonly explain: Localized
  readonly remedy: Remedy
  readonly appliesTo: readonly Applicability[]
  /** Upper bound for run(); the runner aborts and reports inconclusive/timeout past it. */
  readonly timeoutMs?: number
  /** Rough number of connections the check opens; the runner starts costly checks first so they finish sooner. */
  readonly cost?: number
  /** Runs alone, after every other check, because it loads the server (e.g. opens many connections). */
  readonly exclusive?: boolean
  /** Endpoint this check audits when the caller gave a host but no port of its own (e.g. 465 for tls.implicit). */
  readonly defaultTarget?: Partial<Pick<Target, 'port' | 'mode'>>
  run(ctx: CheckContext): Promise<Verdict>
}

/** What a whole run returns, and what reporters format. */
export interface RunReport {
  readonly target: Target
  readonly checks: readonly CheckResult[]
  readonly durationMs: number
  readonly startedAt: string
}
