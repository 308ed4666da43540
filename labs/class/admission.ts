// Admission of sandboxes on the class's machine: at most `max` at once, and only while enough memory is free.
// Learners past the limit wait in line (their position shown on their lab panel) and get in when a place frees.
import { availableMemory } from '../../sandbox/engines.ts'
import type { SandboxGate } from '../lab-controller.ts'

export interface AdmissionOptions {
  readonly max: number
  /** A new sandbox starts only while the machine has at least this much free memory. */
  readonly minFreeBytes?: number
  /** Free memory as the OS reports it (tests pass their own). */
  readonly freeBytes?: () => number
  /** How often a waiting line is re-examined (memory freed by something else). */
  readonly pollMs?: number
}

export { availableMemory }

export class Admission implements SandboxGate {
  private readonly admitted = new Set<string>()
  private readonly line: { session: string; admit: (release: () => void) => void }[] = []
  private timer: NodeJS.Timeout | null = null

  constructor(private readonly opts: AdmissionOptions) {}

  get running(): number {
    return this.admitted.size
  }

  get waiting(): number {
    return this.line.length
  }

  acquire(session: string): Promise<() => void> {
    return new Promise((admit) => {
      this.line.push({ session, admit })
      this.pump()
    })
  }

  claim(session: string): () => void {
    this.admitted.add(session)
    return this.releaser(session)
  }

  position(session: string): number | null {
    const i = this.line.findIndex((w) => w.session === session)
    return i === -1 ? null : i + 1
  }

  close(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  private releaser(session: string): () => void {
    let done = false
    return () => {
      if (done) return
      done = true
      this.admitted.delete(session)
      this.pump()
    }
  }

  private roomFor(): boolean {
    if (this.admitted.size >= this.opts.max) return false
    const free = (this.opts.freeBytes ?? availableMemory)()
    return free >= (this.opts.minFreeBytes ?? 0)
  }

  private pump(): void {
    while (this.line.length > 0 && this.roomFor()) {
      const next = this.line.shift()!
      this.admitted.add(next.session)
      next.admit(this.releaser(next.session))
    }
    // Waiting on memory rather than on a place: look again later, since nothing here will say when it frees.
    if (this.line.length > 0 && !this.timer) {
      this.timer = setInterval(() => this.pump(), this.opts.pollMs ?? 5_000)
      this.timer.unref()
    } else if (this.line.length === 0 && this.timer) {
      clearInterval(this.timer)
      this.timer = null
    }
  }
}
