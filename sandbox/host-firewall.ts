// Keeps lab containers from reaching the host through their bridge: the host's INPUT chain refuses any new
// connection arriving on a session's bridge, while replies to the host's own connections (lab server, checker,
// graders → containers) pass. Containers talk to each other across the bridge (not INPUT), and terminals go
// through the Docker API (not the network), so neither is touched.
//
// Why the host firewall and not a Docker network option: `Internal: true` (already set) only stops forwarding out
// of the lab; the host's own services listening on 0.0.0.0 stay reachable at the gateway and even at the host's
// other addresses (a container keeps a default route via the gateway). `com.docker.network.bridge.inhibit_ipv4`
// leaves the bridge without an address, so the host has no route to the containers at all (measured: the route
// to 10.231.251.20 then left through the host's default gateway). Neither does the job; see sandbox/README.md.
import { existsSync } from 'node:fs'
import { type CommandResult, runCommand, shellLine } from '../core/process.ts'

/** Every rule of ours carries this comment, followed by the session id: removal and pruning find them by it. */
export const RULE_TAG = 'smtp-tls-lab:'
const CHAIN = 'INPUT'

export type Family = 'ipv4' | 'ipv6'
const TOOL: Record<Family, string> = { ipv4: 'iptables', ipv6: 'ip6tables' }
const REJECT_WITH: Record<Family, string> = { ipv4: 'icmp-admin-prohibited', ipv6: 'icmp6-adm-prohibited' }

/** A host port the lab's containers may open on the gateway address (none by default: the lab needs none). */
export interface HostEndpoint {
  readonly proto: 'tcp' | 'udp'
  readonly port: number
}

export interface BridgeIsolation {
  /** The bridge interface on the host (`br-<network id prefix>`). */
  readonly bridge: string
  readonly session: string
  /** The host's address on the bridge: allowed endpoints are opened on it only. */
  readonly gateway: string
  readonly endpoints?: readonly HostEndpoint[]
}

/** The bridge a Docker network uses on its host: the name it was given, or Docker's `br-` + 12 hex of its id. */
export function bridgeName(net: { readonly Id: string; readonly Options?: Record<string, string> | null }): string {
  return net.Options?.['com.docker.network.bridge.name'] || `br-${net.Id.slice(0, 12)}`
}

const comment = (session: string): string[] => ['-m', 'comment', '--comment', `${RULE_TAG}${session}`]

/**
 * The rules of one session, in the order they must stand at the top of INPUT: replies to the host's connections,
 * the allowed endpoints, then a refusal of everything else that arrives on the bridge (whatever host address it
 * targets). A refusal, not a silent drop: a learner's client fails at once with "no route to host".
 */
export function sessionRules(iso: BridgeIsolation, family: Family): string[][] {
  const i = ['-i', iso.bridge]
  const rules: string[][] = [[...i, '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', ...comment(iso.session), '-j', 'ACCEPT']]
  // The lab's subnet is IPv4 only: an endpoint is opened on the IPv4 gateway, never over IPv6 link-local.
  if (family === 'ipv4')
    for (const e of iso.endpoints ?? [])
      rules.push([...i, '-d', iso.gateway, '-p', e.proto, '--dport', String(e.port), ...comment(iso.session), '-j', 'ACCEPT'])
  rules.push([...i, ...comment(iso.session), '-j', 'REJECT', '--reject-with', REJECT_WITH[family]])
  return rules
}

/**
 * The commands that install a session's rules: each at the top of INPUT (before anything that would accept), the
 * last first, so that sessions installing theirs at the same moment never split one session's rules apart.
 */
export function installCommands(iso: BridgeIsolation): string[][] {
  const out: string[][] = []
  for (const family of ['ipv4', 'ipv6'] as const)
    for (const r of sessionRules(iso, family).reverse()) out.push([TOOL[family], '-w', '-I', CHAIN, '1', ...r])
  return out
}

/** The commands that remove them again (`-D` with the same rule). */
export function removeCommands(iso: BridgeIsolation): string[][] {
  const out: string[][] = []
  for (const family of ['ipv4', 'ipv6'] as const) for (const r of sessionRules(iso, family)) out.push([TOOL[family], '-w', '-D', CHAIN, ...r])
  return out
}


/** Splits one line of `iptables -S` into words (the comment is printed in double quotes). */
export function splitRuleLine(line: string): string[] {
  const words: string[] = []
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!)
  return words
}

/** Our rules in `iptables -S INPUT` output: the `-D` argument list of each, its session and bridge. */
export function ourRules(listing: string): Array<{ session: string; bridge: string | null; deleteArgs: string[] }> {
  const out: Array<{ session: string; bridge: string | null; deleteArgs: string[] }> = []
  for (const line of listing.split('\n')) {
    const w = splitRuleLine(line.trim())
    if (w[0] !== '-A' || w[1] !== CHAIN) continue
    const c = w.indexOf('--comment')
    const tag = c > 0 ? w[c + 1] : undefined
    if (!tag?.startsWith(RULE_TAG)) continue
    const i = w.indexOf('-i')
    out.push({ session: tag.slice(RULE_TAG.length), bridge: i > 0 ? (w[i + 1] ?? null) : null, deleteArgs: ['-D', ...w.slice(1)] })
  }
  return out
}

export interface FirewallHost {
  run(argv: readonly string[]): Promise<CommandResult>
  isRoot(): boolean
  /** Whether a network interface of that name exists on this machine (a remote engine's bridge does not). */
  hasInterface(name: string): boolean
}

export const LOCAL_HOST: FirewallHost = {
  run: runCommand,
  isRoot: () => process.getuid?.() === 0,
  hasInterface: (name) => /^[\w.-]+$/.test(name) && existsSync(`/sys/class/net/${name}`),
}

export interface IsolationReport {
  /** `installed`: the host refuses the lab's connections. Anything else: it does not, and `message` says why and what to run. */
  readonly state: 'installed' | 'not-root' | 'no-iptables' | 'remote-engine' | 'failed'
  readonly bridge: string
  readonly message: string
  /** What to run (as root, on the engine's machine) to isolate it by hand. */
  readonly commands: readonly string[]
}

/** Installs a session's rules; never throws: a lab without them still works, and the report says what is missing. */
export async function isolateBridge(iso: BridgeIsolation, host: FirewallHost = LOCAL_HOST): Promise<IsolationReport> {
  const cmds = installCommands(iso)
  const lines = cmds.map(shellLine)
  const base = { bridge: iso.bridge, commands: lines }
  const how = (why: string) =>
    `lab containers of session ${iso.session} can reach this host's services through ${iso.gateway} (${why}). ` +
    `To close it, run as root:\n  ${lines.join('\n  ')}`
  if (!host.hasInterface(iso.bridge))
    return { ...base, state: 'remote-engine', message: how(`bridge ${iso.bridge} is on the Docker engine's machine, not here: run these there`) }
  if (!host.isRoot()) return { ...base, state: 'not-root', message: how('host firewall rules need root') }
  // Again on a reused session (rules do not survive a reboot; the network does): replace, never duplicate. Rules
  // naming a bridge that is gone (a network removed without `sandbox down`) go at the same time.
  await removeWhere((r) => r.session === iso.session || (r.bridge !== null && !host.hasInterface(r.bridge)), host)
  for (const [n, argv] of cmds.entries()) {
    const r = await host.run(argv)
    if (r.spawnError?.code === 'ENOENT') return { ...base, state: 'no-iptables', message: how(`${argv[0]} is not installed: apt-get install -y iptables`) }
    // IPv6 is off in the containers (Docker sets disable_ipv6 on an IPv4-only network and /proc/sys is read-only
    // there): the ip6tables rules are a second lock, and a host without ip6table support keeps the IPv4 ones.
    if (r.code !== 0 && argv[0] === TOOL.ipv6) continue
    if (r.code !== 0) {
      for (const done of cmds.slice(0, n)) await host.run([done[0]!, '-w', '-D', CHAIN, ...done.slice(5)])
      return { ...base, state: 'failed', message: how(`${shellLine(argv)} failed: ${(r.stderr || r.stdout).trim()}`) }
    }
  }
  return { ...base, state: 'installed', message: `host firewall: new connections from ${iso.bridge} (session ${iso.session}) to this host refused` }
}

/** Removes every rule of a session (whatever bridge it named); returns how many. Quiet where nothing can be done. */
export async function releaseSession(session: string, host: FirewallHost = LOCAL_HOST): Promise<number> {
  if (!host.isRoot()) return 0
  return removeWhere((r) => r.session === session, host)
}

/** Our rules now in INPUT, both families. */
export async function listRules(host: FirewallHost = LOCAL_HOST): Promise<Array<{ family: Family; session: string; bridge: string | null; rule: string }>> {
  const out: Array<{ family: Family; session: string; bridge: string | null; rule: string }> = []
  for (const family of ['ipv4', 'ipv6'] as const) {
    const r = await host.run([TOOL[family], '-w', '-S', CHAIN])
    if (r.code !== 0) continue
    for (const x of ourRules(r.stdout)) out.push({ family, session: x.session, bridge: x.bridge, rule: shellLine(x.deleteArgs.slice(1)) })
  }
  return out
}

async function removeWhere(pick: (r: ReturnType<typeof ourRules>[number]) => boolean, host: FirewallHost): Promise<number> {
  let removed = 0
  for (const family of ['ipv4', 'ipv6'] as const) {
    const listed = await host.run([TOOL[family], '-w', '-S', CHAIN])
    if (listed.code !== 0) continue
    for (const r of ourRules(listed.stdout).filter(pick)) {
      // Another process may have removed it a moment ago: a failed -D is that, not an error.
      if ((await host.run([TOOL[family], '-w', ...r.deleteArgs])).code === 0) removed++
    }
  }
  return removed
}

/**
 * What the engine calls once a session's network exists: isolates it, and says on stderr when it could not (not
 * only through `say`: a `--json` class server silences its progress, and this is what its operator must see), with
 * the exact commands of that session's bridge.
 */
export async function isolateNetwork(
  net: { readonly Id: string; readonly Options?: Record<string, string> | null },
  session: string,
  gateway: string,
  endpoints: readonly HostEndpoint[] = [],
  say: (line: string) => void = () => {},
  host: FirewallHost = LOCAL_HOST,
): Promise<IsolationReport> {
  const r = await isolateBridge({ bridge: bridgeName(net), session, gateway, endpoints }, host)
  if (r.state === 'installed') say(r.message)
  else process.stderr.write(`smtp-tls-lab: warning: ${r.message}\n`)
  return r
}
