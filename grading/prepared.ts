// Prepared sandboxes for a class: each worker brings the exercise's start state up once, snapshots the graded
// service, and gives every learner a fresh container made from that snapshot instead of a whole new sandbox.
//
// Why not clone whole sandboxes: Pebble keeps its root in memory and makes a new one at every start, so a start
// state whose certificate was issued by one Pebble does not verify against a clone's. Here dns, acme and toolbox
// stay for the worker's batch (same Pebble root, same subnet, same TSIG key); between learners the graded service
// is replaced from the snapshot (nothing a submission or its hooks wrote survives), and the services a learner's
// server can change through the network are brought back: the partners' delivery log emptied, the DNS restarted
// (zones rendered anew) when a zone changed since the setup.
import type { Exercise } from '../exercises/load.ts'
import type { DockerSandbox } from '../sandbox/engine.ts'

/** Learner session → the sandbox lent to it, in the exercise's start state. */
const lent = new Map<string, () => Promise<DockerSandbox>>()

/** The sandbox a class worker lent to this grading session, or null: then the grading makes its own. */
export function preparedSandbox(session: string): Promise<DockerSandbox> | null {
  const get = lent.get(session)
  return get ? get() : null
}

/** The service a submission is installed into (grading/service.ts). */
const GRADED = 'mail'
/**
 * What the DNS zones are like now: a dynamic update (RFC 2136, with the session's TSIG key, which a submission
 * running code as root in the graded service could read) always rewrites a zone file or its journal.
 */
const DNS_FINGERPRINT = 'cd /var/lib/bind/zones && stat -c "%n %s %Y" *'

export interface PrepareTimings {
  readonly upMs: number
  readonly setupMs: number
  readonly snapshotMs: number
}

export class PreparedWorker {
  private handle: DockerSandbox | null = null
  private image: string | null = null
  /** The graded service is as the snapshot left it: the next learner can have it without a reset. */
  private pristine = false
  /** The DNS zones right after the setup (see DNS_FINGERPRINT). */
  private dnsState = ''
  timings: PrepareTimings | null = null

  constructor(
    readonly session: string,
    private readonly exercise: Exercise,
    private readonly owner: string,
    private readonly log: (line: string) => void,
    private readonly topologyFile?: string,
  ) {}

  /** Fresh sandbox, the exercise's setup, a snapshot of the graded service. */
  async prepare(): Promise<PrepareTimings> {
    const { upLab } = await import('../sandbox/engine.ts')
    const { applySetup } = await import('../exercises/runner.ts')
    const { snapshotService } = await import('../sandbox/snapshot.ts')
    const t0 = Date.now()
    this.log(`${this.session}: preparing the start state of ${this.exercise.id} once for this worker`)
    const handle = await upLab({
      lab: this.exercise.manifest.lab,
      session: this.session,
      fresh: true,
      owner: this.owner,
      ...(this.topologyFile ? { topologyFile: this.topologyFile } : {}),
    })
    this.handle = handle
    const t1 = Date.now()
    await applySetup(handle, this.exercise, (l) => this.log(`${this.session}:   ${l}`))
    const t2 = Date.now()
    this.image = await snapshotService(handle, GRADED)
    this.dnsState = await this.dnsFingerprint()
    this.pristine = true
    this.timings = { upMs: t1 - t0, setupMs: t2 - t1, snapshotMs: Date.now() - t2 }
    return this.timings
  }

  /** Lends the sandbox to one grading session (see preparedSandbox); returns how to take it back. */
  lend(learnerSession: string): () => void {
    lent.set(learnerSession, async () => {
      if (!this.handle || !this.image) throw new Error(`worker sandbox ${this.session} is not prepared`)
      if (!this.pristine) await this.reset()
      this.pristine = false
      return this.handle
    })
    return () => void lent.delete(learnerSession)
  }

  /** Back to the start state: a new graded container from the snapshot, the reachable services restarted. */
  private async reset(): Promise<void> {
    const handle = this.handle!
    const { replaceService, restartServices } = await import('../sandbox/snapshot.ts')
    const present = (s: string) => handle.services.some((x) => x.name === s)
    await Promise.all([
      replaceService(handle, GRADED, this.image!, { owner: this.owner, ...(this.topologyFile ? { topologyFile: this.topologyFile } : {}) }),
      (async () => {
        // The partners' server keeps what it received in its delivery log: empty it so a check sees only this learner's mail.
        if (present('partners')) await handle.exec('partners', ['sh', '-c', ': > /var/log/partners/deliveries.jsonl'])
      })(),
      (async () => {
        // DNS changed since the setup (the previous learner's code updated a zone): restarting renders the zones anew.
        if (!present('dns') || (await this.dnsFingerprint()) === this.dnsState) return
        this.log(`${this.session}: DNS zones changed during the previous grading: restarting dns`)
        await restartServices(handle, ['dns'])
        this.dnsState = await this.dnsFingerprint()
      })(),
    ])
  }

  private async dnsFingerprint(): Promise<string> {
    const handle = this.handle!
    if (!handle.services.some((x) => x.name === 'dns')) return ''
    const r = await handle.exec('dns', ['sh', '-c', DNS_FINGERPRINT])
    return r.exitCode === 0 ? r.stdout : `unreadable: ${r.stderr}`
  }

  /** Removes the worker's sandbox and snapshot. */
  async close(): Promise<void> {
    const { downSandbox } = await import('../sandbox/engine.ts')
    const { removeSnapshots } = await import('../sandbox/snapshot.ts')
    await downSandbox(this.session).catch(() => undefined)
    await removeSnapshots((s) => s === this.session).catch(() => [])
    this.handle = null
    this.image = null
  }
}
