// Processes of the host: whether one still runs (lock and owner records name a pid), running a command and reading
// its output, and a command written as a user would type it.
import { spawn } from 'node:child_process'

/** True when `pid` exists, even if it belongs to another user (kill answers EPERM then). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The command as a user would type it, quoted where needed. */
export function shellLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')
}

export interface CommandResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  /** Set when the program could not start at all (ENOENT: not installed). */
  readonly spawnError?: NodeJS.ErrnoException
}

/** Runs a program (no shell) and collects its output; never rejects: a program that cannot start sets spawnError. */
export function runCommand(argv: readonly string[]): Promise<CommandResult> {
  return new Promise((resolve) => {
    const p = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    p.on('error', (err) => resolve({ code: null, stdout, stderr, spawnError: err }))
    p.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}
