// A learner's sandbox stopped by a reboot or a Docker restart survives anybody else's `up` and comes back with its work.
import { randomBytes } from 'node:crypto'
import Docker from 'dockerode'
import { afterAll, describe, expect, it } from 'vitest'
import { LABEL_SESSION } from './docker.ts'
import { downSandbox, listSessions, reapOrphans, upLab } from './engine.ts'

const docker = new Docker()
// Session ids of this file keep to the h6 prefix (shared machine): SMTP_TLS_LAB_TEST_PREFIX, else h6.
const prefix = `${process.env.SMTP_TLS_LAB_TEST_PREFIX ?? 'h6'}${randomBytes(2).toString('hex')}-`
const mine = (s: string): boolean => s.startsWith(prefix)
const learner = `${prefix}learner`

afterAll(async () => {
  for (const s of await listSessions()) if (mine(s.session)) await downSandbox(s.session)
})

describe("a learner's stopped sandbox", () => {
  it("survives another session's reaper and is restarted, with its work, by its own up", async () => {
    const first = await upLab({ lab: 'exim', session: learner })
    await first.writeFile('mail', '/root/my-work.txt', 'what the learner did\n')
    // Dovecot's pid file survives the stop; after a restart its pid may belong to another process (CI saw it).
    // Pid 1 (tini) is always alive, so this makes that reuse certain rather than a matter of luck.
    await first.writeFile('mail', '/run/dovecot/master.pid', '1\n')
    // What a reboot or `systemctl restart docker` leaves: every container of the session exited.
    const cs = await docker.listContainers({ filters: { label: [`${LABEL_SESSION}=${learner}`] } })
    await Promise.all(cs.map((c) => docker.getContainer(c.Id).stop({ t: 1 })))
    expect((await listSessions()).find((s) => s.session === learner)).toMatchObject({ running: 0, owner: { owner: 'user' } })

    // Another session's `up` runs exactly this first (filtered here to this file's sessions), past any grace period.
    expect(await reapOrphans({ only: mine, graceMs: 0 })).toEqual([])
    expect((await listSessions()).find((s) => s.session === learner)).toMatchObject({ containers: cs.length, running: 0 })

    const again = await upLab({ lab: 'exim', session: learner })
    expect(again.timings.reused).toBe(true)
    expect(again.services.every((s) => s.healthy)).toBe(true)
    expect(again.subnet).toBe(first.subnet)
    expect((await again.readFile('mail', '/root/my-work.txt')).toString()).toBe('what the learner did\n')
  })
})
