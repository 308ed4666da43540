// The only way the checker (and exercises) reach a sandbox: sandbox/ implements it with dockerode,
// tests and the CLI may implement it otherwise. The checker never imports dockerode.

export type { LabName, ServiceName } from '../core/labs.ts'
import type { LabName, ServiceName } from '../core/labs.ts'

export interface ExecResult {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

export interface ExecOptions {
  /** Kill the command after this long; the result then has exitCode 124. Default 30 s. */
  readonly timeoutMs?: number
  readonly stdin?: string | Buffer
  readonly user?: string
  readonly env?: Readonly<Record<string, string>>
  readonly workdir?: string
}

export interface FileStat {
  readonly mode: number // permission bits only, e.g. 0o640
  readonly uid: number
  readonly gid: number
  readonly user: string
  readonly group: string
  readonly size: number
  readonly isFile: boolean
  readonly isSymlink: boolean
  /** For a symbolic link: the path its chain of links ends at (what a server opening the path reads). */
  readonly realPath?: string
}

/**
 * Programs the grader trusts to read a configuration: they run from the pristine role image, outside the
 * learner's reach (see sandbox/README.md, "Trusted tools"), on a copy of the service's configuration.
 */
export type TrustedTool = 'postconf' | 'postmap' | 'exim' | 'openssl'

export interface SandboxHandle {
  readonly session: string
  readonly lab: LabName
  /** Address of a service reachable from the host (a container address on the session's bridge). */
  address(service: ServiceName): string
  exec(service: ServiceName, cmd: readonly string[], opts?: ExecOptions): Promise<ExecResult>
  /** Throws when the file does not exist or is larger than maxBytes (default 1 MiB). */
  readFile(service: ServiceName, path: string, maxBytes?: number): Promise<Buffer>
  /** null when the path does not exist. */
  stat(service: ServiceName, path: string): Promise<FileStat | null>
  /**
   * Runs a trusted tool (absolute path, clean environment) on the current configuration of `service`
   * (/etc/postfix for postconf and postmap, Exim's configuration for exim; openssl reads only its stdin).
   * Learner code cannot replace the program nor what it loads.
   */
  tool(service: ServiceName, tool: TrustedTool, args: readonly string[], opts?: { timeoutMs?: number; stdin?: string | Buffer }): Promise<ExecResult>
  writeFile(service: ServiceName, path: string, content: string | Buffer, mode?: number): Promise<void>
}
