// One learner's sandbox as a small state machine (down → starting → up | error), with operations serialized.
import type { LabName, SandboxHandle, ServiceName } from '../checker/sandbox-handle.ts'
import type { LabInfo, LabState, ServiceHealth } from '../slides/addon-lab/lab-protocol.ts'

/** What the lab runtime needs from the sandbox engine (sandbox/engine.ts implements it; see engine-port.ts). */
export interface SandboxEngine {
  up(lab: LabName, session: string): Promise<SandboxHandle>
  /** The running sandbox of a session (e.g. left by a server that was killed), or null. */
  find(session: string): Promise<SandboxHandle | null>
  down(session: string): Promise<void>
  services(handle: SandboxHandle): Promise<ServiceHealth[]>
  /** Name of the container running a service (for terminals). */
  containerName(session: string, service: ServiceName): string
}

export const LABS: readonly LabName[] = ['postfix', 'exim']
export const isLabName = (v: unknown): v is LabName => typeof v === 'string' && (LABS as readonly string[]).includes(v)

export class LabController {
  private state: LabState = 'down'
  private lab: LabName | null = null
  private handle: SandboxHandle | null = null
  private error: string | undefined
  private services: ServiceHealth[] = []
  private queue: Promise<unknown> = Promise.resolve()
  private pending = 0

  constructor(
    readonly session: string,
    /** null: this server runs without sandboxes (`serve`, `--no-sandbox`). */
    readonly engine: SandboxEngine | null,
    readonly defaultLab: LabName = 'postfix',
  ) {}

  get enabled(): boolean {
    return this.engine !== null
  }

  /** The handle while the lab is up, for check runs and terminals. */
  current(): SandboxHandle | null {
    return this.state === 'up' ? this.handle : null
  }

  info(): LabInfo {
    return {
      lab: this.lab,
      session: this.session,
      state: this.state,
      services: this.services,
      ...(this.error !== undefined ? { error: this.error } : {}),
    }
  }

  /** Picks up a sandbox already running for this session (the server restarted, the containers did not). */
  adopt(): Promise<LabInfo> {
    return this.serialize(async () => {
      const found = await this.engine!.find(this.session)
      if (found) await this.becomeUp(found)
      return this.info()
    })
  }

  up(lab: LabName): Promise<LabInfo> {
    return this.serialize(async () => {
      if (this.state === 'up' && this.lab === lab && this.handle) return this.info()
      if (this.handle || this.state === 'error') await this.stop()
      await this.start(lab)
      return this.info()
    })
  }

  down(): Promise<LabInfo> {
    return this.serialize(async () => {
      await this.stop()
      return this.info()
    })
  }

  /** A fresh sandbox of the same lab (the learner broke something and wants the start state back). */
  reset(): Promise<LabInfo> {
    return this.serialize(async () => {
      const lab = this.lab ?? this.defaultLab
      await this.stop()
      await this.start(lab)
      return this.info()
    })
  }

  /** Health as the engine sees it now (containers may have died since the lab came up). */
  async refresh(): Promise<LabInfo> {
    if (this.pending === 0 && this.state === 'up' && this.handle) {
      try {
        this.services = await this.engine!.services(this.handle)
      } catch (err) {
        this.state = 'error'
        this.error = describe(err)
      }
    }
    return this.info()
  }

  /** Resolves once no operation is queued (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue.then(
      () => undefined,
      () => undefined,
    )
  }

  private async start(lab: LabName): Promise<void> {
    this.lab = lab
    this.state = 'starting'
    this.error = undefined
    this.services = []
    try {
      await this.becomeUp(await this.engine!.up(lab, this.session))
    } catch (err) {
      this.handle = null
      this.state = 'error'
      this.error = describe(err)
    }
  }

  private async becomeUp(handle: SandboxHandle): Promise<void> {
    this.handle = handle
    this.lab = handle.lab
    this.services = await this.engine!.services(handle)
    this.state = 'up'
    this.error = undefined
  }

  private async stop(): Promise<void> {
    this.handle = null
    this.services = []
    try {
      await this.engine!.down(this.session)
      this.state = 'down'
      this.error = undefined
    } catch (err) {
      this.state = 'error'
      this.error = describe(err)
    }
  }

  private serialize<T>(op: () => Promise<T>): Promise<T> {
    if (!this.engine) return Promise.reject(new Error('sandbox disabled'))
    this.pending++
    const run = this.queue.then(op, op).finally(() => this.pending--)
    this.queue = run.catch(() => undefined)
    return run
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
