// Whether a process still runs, for the lock and owner records that name a pid.

/** True when `pid` exists, even if it belongs to another user (kill answers EPERM then). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
