// One learner's sandbox as a small state machine (down → starting → up | error), with operations serialized.
import type { SandboxHandle } from '../checker/sandbox-handle.ts'
import type { LabName, ServiceName } from '../core/labs.ts'
import type { LabInfo, LabState, ServiceHealth } from '../core/lab-protocol.ts'

/** What the lab runtime needs from the sandbox engine (sandbox/engine.ts implements it; see engine-port.ts). */
export interface SandboxEngine {
  up(lab: LabName, session: string): Promise<SandboxHandle>
  /** The running sandbox of a session (e.g. left by a server that was killed), or null. */
  find(session: string): Promise<SandboxHandle | null>
  down(session: string): Promise<void>
  services(handle: SandboxHandle): Promise<ServiceHealth[]>
  /** Name of the container running a service (for terminals). */
  containerName(session: string, service: ServiceName): string
  /** Stops an idle learner's sandbox, its containers and files kept: no CPU, little memory. */
  pause?(handle: SandboxHandle): Promise<void>
  /** Starts it again, resolving once every service answers: the learner finds their files and configuration. */
  unpause?(handle: SandboxHandle): Promise<void>
}

export { LABS, isLabName } from '../core/labs.ts'

/**
 * Admission of sandboxes on a shared machine (class mode): start() waits for a place, stop() gives it back.
 * labs/class/admission.ts implements it.
 */
export interface SandboxGate {
  /** Resolves with the function that frees the place, once this session may start a sandbox. */
  acquire(session: string): Promise<() => void>
  /** Takes a place at once, even past the limit (a sandbox that is already running, adopted after a restart). */
  claim(session: string): () => void
  /** 1-based place in the waiting line, or null when not waiting. */
  position(session: string): number | null
}

export class LabController {
  private state: LabState = 'down'
  private release: (() => void) | null = null
  private waiting = false
  private paused = false
  /** Last time the learner used their lab (page poll, terminal, check run): the idle sweep reads it. */
  lastActive = Date.now()
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
    private readonly gate: SandboxGate | null = null,
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
      ...(this.waiting ? { queuePosition: this.gate?.position(this.session) ?? 1 } : {}),
      ...(this.paused ? { paused: true } : {}),
    }
  }

  /** Picks up a sandbox already running for this session (the server restarted, the containers did not). */
  adopt(): Promise<LabInfo> {
    return this.serialize(async () => {
      const found = await this.engine!.find(this.session)
      if (found) {
        this.release ??= this.gate?.claim(this.session) ?? null
        await this.becomeUp(found)
      }
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
      // The learner keeps their place: a reset never sends them to the back of the waiting line.
      await this.stop(true)
      await this.start(lab)
      return this.info()
    })
  }

  /** The learner is here: note it, and start their sandbox again if the idle sweep stopped it. */
  async wake(): Promise<void> {
    this.lastActive = Date.now()
    if (!this.paused) return
    await this.serialize(async () => {
      if (this.paused && this.handle) await this.engine!.unpause?.(this.handle)
      this.paused = false
      this.lastActive = Date.now()
    })
  }

  /** Stops an up sandbox whose learner has been away (class mode), keeping its place; wake() resumes it. */
  sleep(): Promise<void> {
    return this.serialize(async () => {
      if (this.paused || this.state !== 'up' || !this.handle || !this.engine!.pause) return
      await this.engine!.pause(this.handle)
      this.paused = true
    })
  }

  get isPaused(): boolean {
    return this.paused
  }

  /** Health as the engine sees it now (containers may have died since the lab came up). */
  async refresh(): Promise<LabInfo> {
    if (this.pending === 0 && this.state === 'up' && this.handle && !this.paused) {
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
    if (this.gate && !this.release) {
      // Past the class's limit the learner waits here, their position shown by info().
      this.waiting = true
      try {
        this.release = await this.gate.acquire(this.session)
      } finally {
        this.waiting = false
      }
    }
    try {
      await this.becomeUp(await this.engine!.up(lab, this.session))
    } catch (err) {
      this.handle = null
      this.state = 'error'
      this.error = describe(err)
    }
  }

  private async becomeUp(handle: SandboxHandle): Promise<void> {
    this.lastActive = Date.now()
    this.handle = handle
    this.lab = handle.lab
    this.services = await this.engine!.services(handle)
    this.state = 'up'
    this.error = undefined
  }

  private async stop(keepPlace = false): Promise<void> {
    this.paused = false
    this.handle = null
    this.services = []
    try {
      await this.engine!.down(this.session)
      this.state = 'down'
      this.error = undefined
      if (!keepPlace) {
        this.release?.()
        this.release = null
      }
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
