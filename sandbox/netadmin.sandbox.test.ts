// The mail container's NET_ADMIN (ufw, nftables, fail2ban of the attack exercises) acts in its own network namespace
// only: the host's ruleset and every other lab container's stay exactly as they were.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type Docker from 'dockerode'
import type { SandboxHandle } from '../checker/sandbox-handle.ts'
import { findExercise } from '../exercises/index.ts'
import { applySetup, applySolution } from '../exercises/runner.ts'
import { connectDocker, roleImage } from './docker.ts'
import { containerName, downSandbox, upLab } from './engine.ts'
import { testSession } from './test-session.ts'

const session = testSession('netadmin')
const OTHERS = ['dns', 'acme', 'toolbox', 'partners', 'attacker'] as const
let docker: Docker
let h: SandboxHandle

beforeAll(async () => {
  docker = await connectDocker()
  h = await upLab({ lab: 'postfix', session, fresh: true })
}, 300_000)
afterAll(async () => {
  await downSandbox(session)
})

/**
 * `nft list ruleset` of a network namespace (a container's, or the host's), read by a throwaway container of the
 * postfix image that joins it: the host has no nft, and the lab containers but mail have neither nft nor NET_ADMIN.
 */
async function ruleset(netns: { container: string } | 'host'): Promise<string> {
  const c = await docker.createContainer({
    Image: roleImage('postfix'),
    Entrypoint: ['/usr/sbin/nft', 'list', 'ruleset'],
    Tty: true,
    HostConfig: {
      NetworkMode: netns === 'host' ? 'host' : `container:${netns.container}`,
      CapDrop: ['ALL'],
      CapAdd: ['NET_ADMIN'],
      SecurityOpt: ['no-new-privileges'],
    },
  })
  try {
    await c.start()
    const { StatusCode } = (await c.wait()) as { StatusCode: number }
    const out = (await c.logs({ stdout: true, stderr: true })).toString('utf8')
    expect(StatusCode, out).toBe(0)
    return out
  } finally {
    await c.remove({ force: true })
  }
}

/** Counters move with traffic and other sessions' bridges come and go meanwhile: neither is a rule of ours. */
function normalise(rules: string, ownBridge: string): string {
  return rules
    .replace(/\r/g, '')
    .replace(/counter packets \d+ bytes \d+/g, 'counter')
    .split('\n')
    .filter((l) => !/\bbr-[0-9a-f]{12}\b/.test(l) || l.includes(ownBridge))
    .join('\n')
}

describe('NET_ADMIN of the mail container stays in its own network namespace', () => {
  it('ufw, a fail2ban ban and a hand-made nftables table in mail change no other ruleset', async () => {
    const net = await docker.getNetwork(`stl-${session}`).inspect()
    const ownBridge = `br-${String(net.Id).slice(0, 12)}`
    const snapshot = async (): Promise<Record<string, string>> => ({
      host: normalise(await ruleset('host'), ownBridge),
      ...Object.fromEntries(await Promise.all(OTHERS.map(async (s) => [s, await ruleset({ container: containerName(session, s) })] as const))),
    })
    const before = await snapshot()
    // Each snapshot really read its namespace: Docker's own rules are there (the host's bridges, the embedded DNS).
    expect(before['host']).toMatch(/DOCKER/)
    for (const s of OTHERS) expect(before[s], s).toContain('DOCKER_OUTPUT')
    const mailBefore = await ruleset({ container: containerName(session, 'mail') })

    // The real defences of exercises 9 and 10, then a ban and a table of the learner's own.
    for (const id of ['postfix-firewall-ports', 'postfix-fail2ban-sasl']) {
      const ex = findExercise(id)!
      await applySetup(h, ex)
      await applySolution(h, ex)
    }
    const ban = await h.exec('mail', ['fail2ban-client', 'set', 'postfix-sasl', 'banip', h.address('attacker')])
    expect(ban.exitCode, ban.stderr).toBe(0)
    const own = await h.exec('mail', ['nft', 'add table inet learner_probe'])
    expect(own.exitCode, own.stderr).toBe(0)

    const mailAfter = await ruleset({ container: containerName(session, 'mail') })
    expect(mailBefore).not.toMatch(/ufw|f2b|learner_probe/)
    expect(mailAfter).toMatch(/chain ufw-user-input/)
    expect(mailAfter).toContain(`elements = { ${h.address('attacker')} }`)
    expect(mailAfter).toContain('table inet learner_probe')

    const after = await snapshot()
    for (const where of ['host', ...OTHERS] as const) {
      expect(after[where], `${where}: ruleset changed`).toBe(before[where])
      expect(after[where], where).not.toMatch(/ufw|f2b|learner_probe/)
    }
  }, 240_000)
})
