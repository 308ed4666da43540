// The rule text of the host firewall and the decisions around it; host-firewall.sandbox.test.ts applies it for real.
import { describe, expect, it, vi } from 'vitest'
import {
  type FirewallHost,
  bridgeName,
  installCommands,
  isolateBridge,
  isolateNetwork,
  ourRules,
  removeCommands,
  splitRuleLine,
} from './host-firewall.ts'
import { type CommandResult, shellLine } from '../core/process.ts'

const iso = { bridge: 'br-116bd77799f7', session: 'h4-a', gateway: '10.231.7.1' }

describe('rule text', () => {
  it('names the bridge Docker made, or the one the network was given', () => {
    expect(bridgeName({ Id: '116bd77799f70854164a4cebb81ad9607f79ca9e47c6231f4f09b30f9998b350' })).toBe('br-116bd77799f7')
    expect(bridgeName({ Id: 'abc', Options: { 'com.docker.network.bridge.name': 'lab0' } })).toBe('lab0')
  })

  it('refuses everything from the bridge but replies, inserted last-first at the top of INPUT, for both families', () => {
    expect(installCommands(iso).map(shellLine)).toEqual([
      "iptables -w -I INPUT 1 -i br-116bd77799f7 -m comment --comment smtp-tls-lab:h4-a -j REJECT --reject-with icmp-admin-prohibited",
      'iptables -w -I INPUT 1 -i br-116bd77799f7 -m conntrack --ctstate ESTABLISHED,RELATED -m comment --comment smtp-tls-lab:h4-a -j ACCEPT',
      'ip6tables -w -I INPUT 1 -i br-116bd77799f7 -m comment --comment smtp-tls-lab:h4-a -j REJECT --reject-with icmp6-adm-prohibited',
      'ip6tables -w -I INPUT 1 -i br-116bd77799f7 -m conntrack --ctstate ESTABLISHED,RELATED -m comment --comment smtp-tls-lab:h4-a -j ACCEPT',
    ])
  })

  it('opens a named endpoint on the IPv4 gateway only, between the replies and the refusal', () => {
    const cmds = installCommands({ ...iso, endpoints: [{ proto: 'tcp', port: 80 }] }).map(shellLine)
    expect(cmds).toHaveLength(5)
    // Inserted in reverse: refusal, then the endpoint, then replies → final order replies, endpoint, refusal.
    expect(cmds[1]).toBe('iptables -w -I INPUT 1 -i br-116bd77799f7 -d 10.231.7.1 -p tcp --dport 80 -m comment --comment smtp-tls-lab:h4-a -j ACCEPT')
    expect(cmds.filter((c) => c.startsWith('ip6tables')).some((c) => c.includes('--dport'))).toBe(false)
  })

  it('removes with the same rules', () => {
    expect(removeCommands(iso).map(shellLine)[0]).toBe(
      'iptables -w -D INPUT -i br-116bd77799f7 -m conntrack --ctstate ESTABLISHED,RELATED -m comment --comment smtp-tls-lab:h4-a -j ACCEPT',
    )
    expect(removeCommands(iso)).toHaveLength(4)
  })

  it('quotes what a shell would split', () => {
    expect(shellLine(['echo', "it's here", 'a b'])).toBe(`echo 'it'\\''s here' 'a b'`)
  })
})

// Captured from `iptables -S INPUT` on this machine (iptables v1.8.9, nf_tables), plus rules of others.
const LISTING = `-P INPUT ACCEPT
-A INPUT -i br-116bd77799f7 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "smtp-tls-lab:h4-exp" -j ACCEPT
-A INPUT -i br-116bd77799f7 -m comment --comment "smtp-tls-lab:h4-exp" -j REJECT --reject-with icmp-admin-prohibited
-A INPUT -i eth0 -m comment --comment "not ours: smtp-tls-lab:x" -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
`

describe('reading iptables -S', () => {
  it('splits quoted comments', () => {
    expect(splitRuleLine('-A INPUT -m comment --comment "a \\"b\\" c" -j ACCEPT')).toEqual(['-A', 'INPUT', '-m', 'comment', '--comment', 'a "b" c', '-j', 'ACCEPT'])
  })

  it('finds only our rules, with their session, bridge and delete arguments', () => {
    const rules = ourRules(LISTING)
    expect(rules.map((r) => [r.session, r.bridge])).toEqual([
      ['h4-exp', 'br-116bd77799f7'],
      ['h4-exp', 'br-116bd77799f7'],
    ])
    expect(rules[1]!.deleteArgs).toEqual(['-D', 'INPUT', '-i', 'br-116bd77799f7', '-m', 'comment', '--comment', 'smtp-tls-lab:h4-exp', '-j', 'REJECT', '--reject-with', 'icmp-admin-prohibited'])
  })
})

/** A machine whose commands answer from a script, recording what ran. */
function fakeHost(o: { root?: boolean; iface?: boolean; answer?: (argv: readonly string[]) => CommandResult }): FirewallHost & { ran: string[] } {
  const ran: string[] = []
  return {
    ran,
    isRoot: () => o.root ?? true,
    hasInterface: () => o.iface ?? true,
    run: async (argv) => {
      ran.push(shellLine(argv))
      return o.answer?.(argv) ?? { code: 0, stdout: argv.includes('-S') ? '-P INPUT ACCEPT\n' : '', stderr: '' }
    },
  }
}

describe('isolateBridge decisions', () => {
  it('does not pretend without root: nothing runs, the message names every command', async () => {
    const host = fakeHost({ root: false })
    const r = await isolateBridge(iso, host)
    expect(r.state).toBe('not-root')
    expect(host.ran).toEqual([])
    for (const c of installCommands(iso)) expect(r.message).toContain(shellLine(c))
  })

  it('says where to run them when the bridge is on another engine machine', async () => {
    const r = await isolateBridge(iso, fakeHost({ iface: false }))
    expect(r.state).toBe('remote-engine')
    expect(r.message).toMatch(/not here/)
  })

  it('names the missing package when iptables is not installed', async () => {
    const enoent = Object.assign(new Error('spawn iptables ENOENT'), { code: 'ENOENT' })
    const r = await isolateBridge(iso, fakeHost({ answer: (a) => ({ code: null, stdout: '', stderr: '', ...(a.includes('-I') ? { spawnError: enoent } : {}) }) }))
    expect(r.state).toBe('no-iptables')
    expect(r.message).toContain('apt-get install -y iptables')
  })

  it('undoes what it inserted when a later IPv4 rule fails, and keeps going when only IPv6 fails', async () => {
    let inserts = 0
    const failing = fakeHost({
      answer: (a) => (a[2] === '-I' && a[0] === 'iptables' && ++inserts === 2 ? { code: 2, stdout: '', stderr: "Couldn't load match `conntrack'" } : { code: 0, stdout: '', stderr: '' }),
    })
    const r = await isolateBridge(iso, failing)
    expect(r.state).toBe('failed')
    expect(r.message).toContain("Couldn't load match")
    expect(failing.ran.filter((c) => c.includes(' -D '))).toEqual([
      'iptables -w -D INPUT -i br-116bd77799f7 -m comment --comment smtp-tls-lab:h4-a -j REJECT --reject-with icmp-admin-prohibited',
    ])
    const v6off = await isolateBridge(iso, fakeHost({ answer: (a) => ({ code: a[0] === 'ip6tables' ? 3 : 0, stdout: '', stderr: '' }) }))
    expect(v6off.state).toBe('installed')
  })
})

describe('isolateBridge housekeeping', () => {
  it("replaces the session's own rules (never doubles them) and drops rules whose bridge is gone, not others'", async () => {
    const listing = `${LISTING}-A INPUT -i br-aaaaaaaaaaaa -m comment --comment "smtp-tls-lab:h4-a" -j REJECT --reject-with icmp-admin-prohibited
-A INPUT -i br-bbbbbbbbbbbb -m comment --comment "smtp-tls-lab:other" -j REJECT --reject-with icmp-admin-prohibited
`
    const host = fakeHost({ answer: (a) => ({ code: 0, stdout: a.includes('-S') && a[0] === 'iptables' ? listing : '', stderr: '' }) })
    host.hasInterface = (name) => name !== 'br-116bd77799f7'
    expect((await isolateBridge({ ...iso, bridge: 'br-cccccccccccc' }, host)).state).toBe('installed')
    const deleted = host.ran.filter((c) => c.includes(' -D ')).map((c) => /-i (\S+).*--comment (\S+)/.exec(c)!.slice(1).join(' '))
    // h4-exp's bridge is gone; h4-a's old rule on another bridge is this session's; "other" stays.
    expect(deleted).toEqual(['br-116bd77799f7 smtp-tls-lab:h4-exp', 'br-116bd77799f7 smtp-tls-lab:h4-exp', 'br-aaaaaaaaaaaa smtp-tls-lab:h4-a'])
  })
})

describe('isolateNetwork', () => {
  it('warns on stderr, not only through progress, with the commands of that bridge, when it cannot isolate', async () => {
    const written: string[] = []
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (written.push(String(c)), true))
    const said: string[] = []
    try {
      const r = await isolateNetwork({ Id: '0123456789abcdef' }, 'h4-b', '10.231.9.1', [], (l) => said.push(l), fakeHost({ root: false }))
      expect(r.state).toBe('not-root')
    } finally {
      spy.mockRestore()
    }
    expect(said).toEqual([])
    expect(written.join('')).toMatch(/^smtp-tls-lab: warning: lab containers of session h4-b can reach this host's services through 10\.231\.9\.1 \(host firewall rules need root\)/)
    expect(written.join('')).toContain('iptables -w -I INPUT 1 -i br-0123456789ab -m comment --comment smtp-tls-lab:h4-b -j REJECT')
  })
})
