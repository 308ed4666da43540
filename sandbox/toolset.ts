// Trusted tools: postconf, postmap, exim -bP and openssl run in a sibling "grader tools" container started from the
// graded service's pristine image (read-only, no network), on a copy of the configuration taken through the engine.
import { createHash } from 'node:crypto'
import type Docker from 'dockerode'
import type { ExecResult, TrustedTool } from '../checker/sandbox-handle.ts'
import { execRaw, isNotFound } from './docker.ts'
import { FileFacts } from './file-facts.ts'

/**
 * Marks a tools container with the session it serves. Not the session label: that would make it a service of
 * the lab (status, reuse counts); `sandbox down` removes it by this label (removeToolContainers).
 */
export const LABEL_TOOLS_FOR = 'smtp-tls-lab.tools-for'

/** A tools container nobody used for this long removes itself (AutoRemove): a crashed grader leaves nothing for long. */
const IDLE_SECONDS = 600
/** Largest configuration copied for one call (HestiaCP's /etc/exim4 with its domains is ~300 KiB). */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024
const PATH = '/usr/sbin:/usr/bin:/sbin:/bin'

interface ToolSpec {
  /** Absolute path in the pristine image: PATH is never consulted. */
  readonly bin: string
  /** Directories copied from the graded service to the same place in the tools container before the call. */
  readonly stage: readonly string[]
  readonly fixedArgs: readonly string[]
  /** Writes into the staged directories (postmap's .db files). */
  readonly writes?: boolean
}

const TOOLS: Record<TrustedTool, ToolSpec> = {
  postconf: { bin: '/usr/sbin/postconf', stage: ['/etc/postfix'], fixedArgs: [] },
  postmap: { bin: '/usr/sbin/postmap', stage: ['/etc/postfix'], fixedArgs: [], writes: true },
  // -pd: a perl_startup in the learner's configuration must not run code here (Perl starts only when expanded; -bP does not expand).
  exim: { bin: '/usr/sbin/exim4', stage: ['/etc/exim4', '/var/lib/exim4'], fixedArgs: ['-pd'] },
  openssl: { bin: '/usr/bin/openssl', stage: [], fixedArgs: [] },
}

/** Every directory a tool may stage is a tmpfs: the image stays read-only and each copy starts empty. */
const STAGE_DIRS = [...new Set(Object.values(TOOLS).flatMap((t) => t.stage))]

const IDLE_SCRIPT =
  `touch /tmp/.used; while sleep 5; do last=$(stat -c %Y /tmp/.used) || exit 0; ` +
  `[ $(( $(date +%s) - last )) -lt ${IDLE_SECONDS} ] || exit 0; done`

/**
 * One call: take the container's lock (other graders share it), make each staged directory hold the tar that
 * follows on stdin ($1 directories, each as dir, byte count, digest; a directory already holding that digest is
 * kept, its bytes skipped), then exec the tool with an empty environment. A tool that writes where it reads
 * (postmap) forgets the digests, so the next call copies afresh.
 */
const CALL_SCRIPT = [
  'set -e',
  'touch /tmp/.used',
  'exec 9>/tmp/.lock',
  'flock 9',
  'n=$1; writes=$2; shift 2',
  'while [ "$n" -gt 0 ]; do',
  '  dir=$1; size=$2; sum=$3; shift 3; n=$((n - 1))',
  '  mark="/tmp/.staged$(printf %s "$dir" | tr / _)"',
  '  if [ "$(cat "$mark" 2>/dev/null)" = "$sum" ]; then head -c "$size" >/dev/null; continue; fi',
  '  rm -f "$mark"; find "$dir" -mindepth 1 -delete || exit 199',
  '  if [ "$size" -gt 0 ]; then head -c "$size" | tar -x -C "$dir" --same-owner --numeric-owner -p -f - || exit 199; fi',
  '  echo "$sum" > "$mark"',
  'done',
  '[ "$writes" = 0 ] || rm -f /tmp/.staged*',
  `exec /usr/bin/env -i PATH=${PATH} LC_ALL=C.UTF-8 "$@"`,
].join('\n')

export interface ToolsetTimings {
  /** Milliseconds spent creating and starting the container (0 when reused). */
  startMs: number
  calls: number
  stageBytes: number
}

/** What a graded container's tools depend on: its pristine image and its host name. */
interface Source {
  readonly container: string
  /** How messages name it, e.g. "mail". */
  readonly label: string
  readonly image: string
  readonly hostname: string
  readonly domainname: string
}

/** The tools container of one graded container, reused by every call of its session until idle. */
export class Toolset {
  private queue: Promise<unknown> = Promise.resolve()
  private ready: Promise<string> | null = null
  readonly timings: ToolsetTimings = { startMs: 0, calls: 0, stageBytes: 0 }

  constructor(
    private readonly docker: Docker,
    private readonly session: string,
    private readonly src: Source,
  ) {}

  get name(): string {
    return `${this.src.container}-tools`
  }

  get image(): string {
    return this.src.image
  }

  /** Serialised: calls of one process never interleave their staging. */
  run(tool: TrustedTool, args: readonly string[], opts: { timeoutMs?: number; stdin?: string | Buffer } = {}): Promise<ExecResult> {
    const next = this.queue.then(() => this.runNow(this.src, tool, args, opts))
    this.queue = next.catch(() => undefined)
    return next
  }

  private async runNow(source: Source, tool: TrustedTool, args: readonly string[], opts: { timeoutMs?: number; stdin?: string | Buffer }): Promise<ExecResult> {
    const spec = TOOLS[tool]
    const facts = new FileFacts(this.docker, source.container, source.label)
    const tars = await Promise.all(spec.stage.map(async (dir) => ({ dir, tar: (await facts.readTar(`${dir}/.`, MAX_CONFIG_BYTES)) ?? Buffer.alloc(0) })))
    const staged = tars.flatMap((t) => [t.dir, String(t.tar.length), createHash('sha256').update(t.tar).digest('hex')])
    const head = [String(tars.length), spec.writes ? '1' : '0', ...staged]
    const cmd = ['/bin/sh', '-c', CALL_SCRIPT, 'sh', ...head, spec.bin, ...spec.fixedArgs, ...args]
    // A tool reading its own stdin gets the configuration staged by a first call, then runs alone.
    const twoSteps = opts.stdin !== undefined && tars.length > 0
    const first = Buffer.concat(tars.map((t) => t.tar))
    this.timings.calls++
    this.timings.stageBytes += first.length
    for (let attempt = 0; ; attempt++) {
      const container = await this.container()
      try {
        let r
        if (twoSteps) {
          r = await execRaw(this.docker, container, ['/bin/sh', '-c', CALL_SCRIPT, 'sh', ...head, '/bin/true'], { stdin: first, timeoutMs: 30_000 })
          if (r.exitCode === 0)
            r = await execRaw(this.docker, container, ['/usr/bin/env', '-i', `PATH=${PATH}`, 'LC_ALL=C.UTF-8', spec.bin, ...spec.fixedArgs, ...args], {
              stdin: opts.stdin,
              timeoutMs: opts.timeoutMs ?? 30_000,
            })
        } else {
          r = await execRaw(this.docker, container, cmd, { stdin: tars.length ? first : opts.stdin, timeoutMs: opts.timeoutMs ?? 30_000 })
        }
        if (r.exitCode === 199) throw new Error(`${this.name}: could not copy the configuration of ${source.label}: ${r.stderr.toString().trim()}`)
        return { exitCode: r.exitCode, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') }
      } catch (err) {
        // The container ended (idle, removed by `sandbox down`) between two calls: start another once.
        const code = (err as { statusCode?: number }).statusCode
        if (attempt === 0 && (code === 404 || code === 409)) {
          this.ready = null
          continue
        }
        throw err
      }
    }
  }

  private container(): Promise<string> {
    this.ready ??= this.ensure().catch((err: unknown) => {
      this.ready = null
      throw err
    })
    return this.ready
  }

  /** Reuses the running tools container (another process may have started it) or starts one. */
  private async ensure(): Promise<string> {
    const t0 = Date.now()
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const info = await this.docker.getContainer(this.name).inspect()
        // Left by an earlier session of the same name on another image: not ours to trust.
        if (info.Image !== this.src.image) {
          await this.docker.getContainer(this.name).remove({ force: true }).catch(() => undefined)
          continue
        }
        if (info.State.Running) return this.name
        // Exited (idle) and being auto-removed: wait for the name to free up.
        await new Promise((r) => setTimeout(r, 200))
        continue
      } catch (err) {
        if (!isNotFound(err)) throw err
      }
      try {
        const c = await this.docker.createContainer(this.config())
        await c.start()
        this.timings.startMs += Date.now() - t0
        return this.name
      } catch (err) {
        // Another process created it first: use theirs.
        if ((err as { statusCode?: number }).statusCode === 409) continue
        throw err
      }
    }
    throw new Error(`${this.name}: could not start the grader tools container`)
  }

  private config(): Docker.ContainerCreateOptions {
    return {
      name: this.name,
      // The image the graded container was created from, by id: a rebuilt tag cannot change what we trust.
      Image: this.src.image,
      // Postfix and Exim derive defaults (myhostname, primary_hostname) from the host name.
      Hostname: this.src.hostname,
      Domainname: this.src.domainname,
      Entrypoint: ['/bin/sh', '-c', IDLE_SCRIPT],
      Cmd: [],
      Env: [`PATH=${PATH}`, 'LC_ALL=C.UTF-8'],
      User: '0:0',
      NetworkDisabled: true,
      Labels: { [LABEL_TOOLS_FOR]: this.session },
      HostConfig: {
        NetworkMode: 'none',
        ReadonlyRootfs: true,
        Tmpfs: Object.fromEntries([['/tmp', 'rw,nosuid,nodev,size=8m'], ...STAGE_DIRS.map((d) => [d, 'rw,nosuid,nodev,size=32m'])]),
        // Enough to extract a configuration with its owners and read it as root; nothing else.
        CapDrop: ['ALL'],
        CapAdd: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETUID', 'SETGID'],
        SecurityOpt: ['no-new-privileges'],
        Privileged: false,
        Memory: 96 * 1024 * 1024,
        MemorySwap: 96 * 1024 * 1024,
        PidsLimit: 32,
        AutoRemove: true,
        LogConfig: { Type: 'none', Config: {} },
        RestartPolicy: { Name: 'no' },
      },
    }
  }
}

const toolsets = new Map<string, Toolset>()

/** Runs a trusted tool for a graded container of a session: its toolset, started on first use. */
export async function runTool(
  docker: Docker,
  session: string,
  container: string,
  label: string,
  tool: TrustedTool,
  args: readonly string[],
  opts?: { timeoutMs?: number; stdin?: string | Buffer },
): Promise<ExecResult> {
  // Inspected at each call (a few ms): a session re-created under the same name may run a rebuilt image.
  const info = await docker.getContainer(container).inspect()
  let t = toolsets.get(container)
  if (!t || t.image !== info.Image) {
    t = new Toolset(docker, session, { container, label, image: info.Image, hostname: info.Config.Hostname, domainname: info.Config.Domainname })
    toolsets.set(container, t)
  }
  return t.run(tool, args, opts)
}

/** Removes a session's tools containers; `sandbox down` calls it with the session's own containers. */
export async function removeToolContainers(docker: Docker, session: string): Promise<number> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL_TOOLS_FOR}=${session}`] } })
  await Promise.all(
    list.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch((err: unknown) => {
          const code = (err as { statusCode?: number }).statusCode
          if (code !== 404 && code !== 409) throw err
        }),
    ),
  )
  // A session re-created under the same name may run another image: forget what this process knew of it.
  for (const [container, t] of toolsets) if (list.some((c) => c.Names.includes(`/${t.name}`))) toolsets.delete(container)
  return list.length
}
