// The STARTTLS-stripping attack on a real Postfix, a real partner MX and the lab attacker, in one sandbox:
// `may` sends in clear (the partner records it, the attacker's capture holds the body); MTA-STS enforce, then DANE,
// defer while the attacker is on the path and deliver over verified TLS once it steps aside. Also the attacker's
// `forge` mode (its own certificate): `may` is fooled, MTA-STS is not.
import { readFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SandboxHandle } from '../../../checker/sandbox-handle.ts'
import type { GradedResult } from '../../runner.ts'
import { applySetup, applySolution, gradeExercise } from '../../runner.ts'
import { findExercise } from '../../index.ts'
import { connectDocker } from '../../../sandbox/docker.ts'
import { containerName, downSandbox, upLab } from '../../../sandbox/engine.ts'
import { testSession } from '../../../sandbox/test-session.ts'
import { attackerCapture, attackerFileSize, attackerSessions, setAttackerMode } from '../../shared/attacker.ts'

const exercise = findExercise('postfix-starttls-stripping')!
const session = testSession('ex08-attack')
let h: SandboxHandle
const handle = () => h

beforeAll(async () => {
  h = await upLab({ lab: 'postfix', session, fresh: true })
  await applySetup(h, exercise)
}, 300_000)
afterAll(async () => {
  await downSandbox(session)
})

async function runScript(service: string, file: string): Promise<void> {
  const remote = `/var/tmp/.h13-${randomBytes(4).toString('hex')}.sh`
  await handle().writeFile(service, remote, await readFile(new URL(`../${file}`, import.meta.url), 'utf8'), 0o700)
  const r = await handle().exec(service, ['bash', remote], { timeoutMs: 60_000 })
  expect(r.exitCode, `${file}: ${r.stderr}`).toBe(0)
}

async function grade(): Promise<GradedResult> {
  const report = await gradeExercise(handle(), exercise)
  return report.results[0]!
}
const explain = (r: GradedResult): string => `${r.status}: ${r.summary.en}\n${r.evidence.lines.join('\n')}`

/** Sends one message through the attacker in `forge` mode; resolves with the mail.log status and what the attacker read. */
async function throughForger(): Promise<{ status: string | null; captured: boolean; forged: boolean }> {
  await setAttackerMode(handle(), 'forge')
  const token = randomBytes(4).toString('hex')
  const from = await attackerFileSize(handle(), 'sessions.jsonl')
  const sent = await handle().exec('mail', ['/usr/sbin/sendmail', '-f', 'alice@domaine.tld', `forge-${token}@orders.secure-partner.com`], { stdin: `Subject: forge ${token}\n\nsecret ${token}\n` })
  expect(sent.exitCode).toBe(0)
  let status: string | null = null
  for (let i = 0; i < 40 && !status; i++) {
    await new Promise((r) => setTimeout(r, 500))
    const log = (await handle().readFile('mail', '/var/log/mail.log', 8 * 1024 * 1024)).toString('utf8')
    status = new RegExp(`to=<forge-${token}@orders\\.secure-partner\\.com>.* status=([a-z]+)`).exec(log)?.[1] ?? null
  }
  const sessions = await attackerSessions(handle(), from)
  let captured = false
  for (const s of sessions) if ((await attackerCapture(handle(), s)).includes(`secret ${token}`)) captured = true
  await handle().exec('mail', ['postsuper', '-d', 'ALL', 'deferred'])
  await setAttackerMode(handle(), 'strip')
  return { status, captured, forged: sessions.some((s) => s.forgedTls) }
}

describe('STARTTLS stripping on the route to orders.secure-partner.com', () => {
  it('the attacker is unprivileged, limited, on the internal lab network only', async () => {
    const uid = await handle().exec('attacker', ['id', '-u'])
    expect(uid.stdout.trim()).not.toBe('0')
    const status = (await handle().exec('attacker', ['cat', '/proc/1/status'])).stdout
    expect(status).toMatch(/^CapEff:\s+0+$/m)
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m)
    const docker = await connectDocker()
    const c = await docker.getContainer(containerName(session, 'attacker')).inspect()
    expect(c.HostConfig.Memory).toBe(48 * 1024 * 1024)
    expect(c.HostConfig.PidsLimit).toBe(32)
    expect(Object.keys(c.NetworkSettings.Networks)).toEqual([`stl-${session}`])
    expect((await docker.getNetwork(`stl-${session}`).inspect()).Internal).toBe(true)
    expect(c.NetworkSettings.Networks[`stl-${session}`]?.IPAMConfig?.IPv4Address).toBe(handle().address('attacker'))
  })

  it('with `may`, the partner records a clear-text delivery and the attacker captured the body', async () => {
    const r = await grade()
    expect(r.status, explain(r)).toBe('fail')
    expect(r.evidence.facts).toMatchObject({ partnerSawTls: false, attackerStripped: true, attackerCaptured: true, underAttackStatus: 'sent' })
    expect(r.evidence.lines.join('\n')).toMatch(/attacker capture: C: Test message [0-9a-f]{10}: card number/)
  })

  it('with `may`, the forging attacker (its own certificate) also reads the message', async () => {
    const f = await throughForger()
    expect(f).toEqual({ status: 'sent', captured: true, forged: true })
  })

  it('with MTA-STS enforce: deferred while the attacker is on the path, delivered over verified TLS when it steps aside', async () => {
    await applySolution(handle(), exercise)
    const r = await grade()
    expect(r.status, explain(r)).toBe('pass')
    expect(r.evidence.facts).toMatchObject({ underAttackStatus: 'deferred', queuedDeferred: true, attackerCaptured: false, afterStatus: 'sent', afterTlsLevel: 'Verified', afterPartnerSawTls: true })
    expect(r.evidence.lines.join('\n')).toMatch(/status=deferred \(TLS is required, but was not offered by host mx\.orders\.secure-partner\.com/)
  })

  it('with MTA-STS enforce, the forged certificate is refused: deferred, nothing captured', async () => {
    const f = await throughForger()
    expect(f).toEqual({ status: 'deferred', captured: false, forged: true })
  })

  it('with DANE (dnssec + dane, the partner TLSA 3 1 1): deferred under attack, delivered over verified TLS after', async () => {
    // Back to the start state first (resolver stopped, no policy map, may), so only DANE can protect the route.
    await runScript('mail', 'setup-mail.sh')
    const pc = await handle().tool('mail', 'postconf', ['-h', 'smtp_tls_policy_maps', 'smtp_tls_security_level'])
    expect(pc.stdout.replace(/\n$/, '').split('\n')).toEqual(['', 'may'])
    await runScript('mail', 'solve-dane.sh')
    const r = await grade()
    expect(r.status, explain(r)).toBe('pass')
    expect(r.evidence.facts).toMatchObject({ underAttackStatus: 'deferred', queuedDeferred: true, attackerCaptured: false, afterTlsLevel: 'Verified', afterPartnerSawTls: true })
  })
})
