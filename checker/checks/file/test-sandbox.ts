// A SandboxHandle over a temporary directory for unit tests: real files, real modes and owners, host commands.
import { execFile } from 'node:child_process'
import { chmod, lstat, mkdir, mkdtemp, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { ExecOptions, ExecResult, FileStat, LabName, SandboxHandle, ServiceName, TrustedTool } from '../../sandbox-handle.ts'

function names(file: string): Map<number, string> {
  const m = new Map<number, string>()
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const f = line.split(':')
    if (f.length > 2 && f[0]) m.set(Number(f[2]), f[0])
  }
  return m
}

export interface DirSandbox extends SandboxHandle {
  /** Host directory standing for "/" of every service. */
  readonly root: string
  /** Host path of a sandbox path. */
  hostPath(path: string): string
  dispose(): Promise<void>
}

/**
 * Every service shares one root directory. exec runs the host command with absolute-path arguments
 * mapped under the root, and the root stripped from its output, so `readlink -f /x` answers in sandbox terms.
 */
export async function dirSandbox(lab: LabName = 'exim', opts: { binDirs?: readonly string[] } = {}): Promise<DirSandbox> {
  const root = await mkdtemp(join(tmpdir(), 'stl-dir-sandbox-'))
  // Stand-in commands (if any) find the sandbox root in STL_ROOT.
  const baseEnv = { ...process.env, STL_ROOT: root, PATH: [...(opts.binDirs ?? []), process.env['PATH'] ?? ''].join(':') }
  const users = names('/etc/passwd')
  const groups = names('/etc/group')
  const hostPath = (p: string): string => join(root, p)
  const map = (arg: string): string => (arg.startsWith('/') ? hostPath(arg) : arg)
  const exec = (_service: ServiceName, cmd: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> => {
    const [bin, ...args] = cmd
    return new Promise((resolve) => {
      const child = execFile(
        bin!,
        args.map(map),
        { timeout: opts.timeoutMs ?? 30_000, cwd: root, env: { ...baseEnv, ...opts.env } },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : err.killed ? 124 : 127) : 0
          resolve({ exitCode: code, stdout: stdout.split(root).join(''), stderr: stderr.split(root).join('') })
        },
      )
      if (opts.stdin !== undefined) child.stdin?.end(opts.stdin)
    })
  }
  return {
    session: 'dir',
    lab,
    root,
    hostPath,
    address: () => '127.0.0.1',
    exec,
    async readFile(_service, path, maxBytes = 1024 * 1024) {
      const buf = await readFile(hostPath(path))
      if (buf.length > maxBytes) throw new Error(`${path} is larger than ${maxBytes} bytes`)
      return buf
    },
    async stat(_service, path): Promise<FileStat | null> {
      try {
        const self = await lstat(hostPath(path))
        const isSymlink = self.isSymbolicLink()
        // As the Docker handle: a link reports its target's facts, a dangling one zeros.
        let s = self
        let realPath: string | undefined
        if (isSymlink) {
          try {
            s = await stat(hostPath(path))
            realPath = (await realpath(hostPath(path))).slice((await realpath(root)).length) || '/'
          } catch {
            return { mode: 0, uid: 0, gid: 0, user: '', group: '', size: 0, isFile: false, isSymlink: true }
          }
        }
        return {
          mode: s.mode & 0o7777,
          uid: s.uid,
          gid: s.gid,
          user: users.get(s.uid) ?? String(s.uid),
          group: groups.get(s.gid) ?? String(s.gid),
          size: s.size,
          isFile: s.isFile(),
          isSymlink,
          ...(realPath !== undefined ? { realPath } : {}),
        }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
        throw e
      }
    },
    /** The stand-in tools (binDirs) play the trusted ones here, by name. */
    tool: (service: ServiceName, tool: TrustedTool, args: readonly string[], opts?: { timeoutMs?: number; stdin?: string | Buffer }) =>
      exec(service, [tool, ...args], opts),
    async writeFile(_service, path, content, mode) {
      await mkdir(dirname(hostPath(path)), { recursive: true })
      await writeFile(hostPath(path), content)
      if (mode !== undefined) await chmod(hostPath(path), mode)
    },
    dispose: () => rm(root, { recursive: true, force: true }),
  }
}
