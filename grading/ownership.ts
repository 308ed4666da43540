// Decides the mode and owner a submitted file is installed with, from what the submission carries, the manifest and the start state.
import type { FileStat } from '../checker/sandbox-handle.ts'
import type { MappedFile } from './intake.ts'

/**
 * Accounts a submission may name as a file's owner: those the labs' services run as or share keys with. Anything
 * else (a learner's own login, `nobody`, a made-up name) is ignored, so an archive cannot hand a file to an
 * account the exercise never meant to own anything.
 */
export const LAB_ACCOUNTS: ReadonlySet<string> = new Set(['root', 'Debian-exim', 'postfix', 'mail', 'ssl-cert', 'dovecot'])

/** name → id from `name:x:id:…` lines (/etc/passwd, /etc/group); the first line of a name wins, as getpwnam does. */
export function idsByName(text: string): Map<string, number> {
  const ids = new Map<string, number>()
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':')
    if (!name || id === undefined || !/^\d+$/.test(id) || ids.has(name)) continue
    ids.set(name, Number(id))
  }
  return ids
}

/** The container's accounts, read from its /etc/passwd and /etc/group through the engine. */
export interface Accounts {
  readonly users: ReadonlyMap<string, number>
  readonly groups: ReadonlyMap<string, number>
}

export interface InstallPlan {
  readonly mode: number
  readonly uid: number
  readonly gid: number
  /** `user:group` as resolved, for the evidence. */
  readonly owner: string
  /** Where the owner came from: shown to the instructor next to each installed file. */
  readonly ownerFrom: 'archive' | 'manifest' | 'start state' | 'default'
  /** A tar owner that was refused, to say why it was not used. */
  readonly refused?: string
}

function resolve(user: string, group: string, acc: Accounts): { uid: number; gid: number } | null {
  if (!LAB_ACCOUNTS.has(user) || !LAB_ACCOUNTS.has(group)) return null
  const uid = acc.users.get(user)
  const gid = acc.groups.get(group)
  return uid === undefined || gid === undefined ? null : { uid, gid }
}

/**
 * Mode: the submission's (setuid, setgid and sticky stripped), else the start state's, else 0755 for a script
 * (#!) and 0644 otherwise. Owner: a tar entry's uname:gname when both are lab accounts that exist in the
 * container; else the manifest's declared owner; else the start state's; else root:root.
 */
export function planInstall(f: Pick<MappedFile, 'content' | 'mode' | 'owner' | 'declaredOwner'>, before: FileStat | null, acc: Accounts): InstallPlan {
  const existed = before?.isFile === true
  // A zip made on Windows carries no mode: a script (#!) must still be runnable by the hook that calls it.
  const fallback = f.content.subarray(0, 2).toString('latin1') === '#!' ? 0o755 : 0o644
  const mode = (f.mode ?? (existed ? before.mode : fallback)) & 0o777
  let refused: string | undefined
  if (f.owner) {
    const user = f.owner.user || 'root'
    const group = f.owner.group || user
    const ids = resolve(user, group, acc)
    if (ids) return { mode, ...ids, owner: `${user}:${group}`, ownerFrom: 'archive' }
    refused = `${f.owner.user}:${f.owner.group}`
  }
  const extra = refused !== undefined ? { refused } : {}
  if (f.declaredOwner) {
    const [user = '', group = ''] = f.declaredOwner.split(':')
    const ids = resolve(user, group, acc)
    // A manifest naming an account the image lacks is the lab's bug, not the learner's: say so loudly.
    if (!ids) throw new Error(`the manifest's owner ${f.declaredOwner} is not an account of the lab's mail image`)
    return { mode, ...ids, owner: f.declaredOwner, ownerFrom: 'manifest', ...extra }
  }
  if (existed) return { mode, uid: before.uid, gid: before.gid, owner: `${before.user}:${before.group}`, ownerFrom: 'start state', ...extra }
  return { mode, uid: 0, gid: 0, owner: 'root:root', ownerFrom: 'default', ...extra }
}
