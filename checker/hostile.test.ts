// Misbehaving servers on loopback: the checker must return within its bounds, say `inconclusive` (or the one
// `fail` the behaviour deserves), and never crash.
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { remoteChecks, runChecks } from './runner.ts'
import { rawServer, type RunningServer } from './test-support/smtp-servers.ts'
import type { CheckResult, RunReport, Target } from './types.ts'

const STEP = { connectMs: 700, greetingMs: 700, replyMs: 700, tlsMs: 700 }
const CHECK_BOUND_MS = 4000
const checks = remoteChecks().filter((c) => !c.id.startsWith('dns.'))

let server: RunningServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

async function audit(onConnection: (s: net.Socket) => void): Promise<RunReport> {
  server = await rawServer(onConnection)
  const target: Target = { host: server.host, port: server.port, mode: 'starttls', servername: 'mail.domaine.tld', timeouts: STEP }
  const started = Date.now()
  const report = await runChecks({ target, checks, checkTimeoutMs: CHECK_BOUND_MS }).report
  // Every check bounded: the whole run cannot exceed the sum of its waves.
  expect(Date.now() - started).toBeLessThan(20_000)
  for (const r of report.checks) expect(r.durationMs).toBeLessThanOrEqual(CHECK_BOUND_MS + 500)
  expect(report.checks.map((r) => r.reason)).not.toContain('bug')
  return report
}

function statuses(report: RunReport): Record<string, CheckResult['status']> {
  return Object.fromEntries(report.checks.map((r) => [r.id, r.status]))
}

/** Everything inconclusive, except checks that do not apply to this endpoint (skipped). */
function expectNothingJudged(report: RunReport, reasons: readonly string[], except: readonly string[] = []): void {
  for (const r of report.checks) {
    if (r.status === 'skip' || except.includes(r.id)) continue
    expect({ id: r.id, status: r.status }).toEqual({ id: r.id, status: 'inconclusive' })
    expect(reasons).toContain(r.reason)
  }
}

/** Answers EHLO with STARTTLS, then does `afterStartTls` with the raw socket once 220 is sent. */
function smtpThenTls(afterStartTls: (s: net.Socket) => void, starttlsReply = '220 2.0.0 Ready to start TLS'): (s: net.Socket) => void {
  return (s) => {
    s.write('220 mail.test ESMTP\r\n')
    let buf = ''
    const onData = (d: Buffer): void => {
      buf += d.toString('latin1')
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim().toUpperCase()
        buf = buf.slice(nl + 1)
        if (line.startsWith('EHLO')) s.write('250-mail.test\r\n250-STARTTLS\r\n250 8BITMIME\r\n')
        else if (line === 'STARTTLS') {
          s.write(`${starttlsReply}\r\n`)
          if (starttlsReply.startsWith('220')) {
            s.off('data', onData)
            s.once('data', () => afterStartTls(s))
            return
          }
        } else if (line === 'QUIT') s.end('221 bye\r\n')
        else s.write('250 ok\r\n')
      }
    }
    s.on('data', onData)
  }
}

describe('a server that stays silent after connect', () => {
  it('is inconclusive (timeout) everywhere, within the step bounds', async () => {
    expectNothingJudged(await audit(() => {}), ['timeout'])
  })
})

describe('a server that trickles its greeting one byte a second', () => {
  it('is inconclusive (timeout): the greeting bound is total, not per byte', async () => {
    const report = await audit((s) => {
      const text = '220 mail.test ESMTP slow\r\n'
      let i = 0
      const t = setInterval(() => (i < text.length && !s.destroyed ? s.write(text[i++]!) : clearInterval(t)), 1000)
      s.on('close', () => clearInterval(t))
    })
    expectNothingJudged(report, ['timeout'])
  })
})

describe('a server answering EHLO with an endless multi-line reply', () => {
  it('is inconclusive (protocol) as soon as the line cap is reached', async () => {
    const report = await audit((s) => {
      s.write('220 mail.test ESMTP\r\n')
      s.once('data', () => {
        const spam = (): void => {
          while (!s.destroyed && s.write('250-AGAIN AND AGAIN\r\n'.repeat(200)));
          if (!s.destroyed) s.once('drain', spam)
        }
        spam()
      })
    })
    // Its greeting is fine and it lets 20 clients in at once: that part of the verdict is deserved.
    expectNothingJudged(report, ['protocol', 'timeout'], ['smtp.connection-limit'])
    expect(statuses(report)['smtp.connection-limit']).toBe('fail')
    const dialog = report.checks.find((r) => r.id === 'smtp.starttls.offered')!
    expect(dialog.reason).toBe('protocol')
    expect(dialog.summary.en).toMatch(/more than 100 lines/)
  })
})

describe('a server whose greeting is a 10 MB line', () => {
  it('is inconclusive (protocol) without buffering the line', async () => {
    const before = process.memoryUsage().rss
    const report = await audit((s) => {
      s.write(`220 ${'A'.repeat(10 * 1024 * 1024)}\r\n`)
    })
    expectNothingJudged(report, ['protocol', 'timeout'])
    expect(report.checks.find((r) => r.id === 'smtp.banner.no-version')!.summary.en).toMatch(/line too long/)
    // 15+ connections each sent 10 MB: the checker keeps at most a few KiB of each.
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024)
  })
})

describe('a server that sends binary garbage', () => {
  it('is inconclusive (protocol)', async () => {
    const report = await audit((s) => {
      s.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x00, 0x0d, 0x0a, 0xde, 0xad, 0xbe, 0xef, 0x0a]))
    })
    expectNothingJudged(report, ['protocol'])
  })
})

describe('a server that answers 421 at the greeting', () => {
  it('is inconclusive (temporary): a busy server is not a misconfigured one', async () => {
    expectNothingJudged(
      await audit((s) => s.end('421 4.3.2 Service not available, closing transmission channel\r\n')),
      ['temporary'],
    )
  })
})

describe('a server that answers 454 to STARTTLS', () => {
  it('fails smtp.starttls.offered and leaves every TLS check inconclusive', async () => {
    const report = await audit(smtpThenTls(() => {}, '454 4.7.0 TLS not available due to local problem'))
    const st = statuses(report)
    expect(st['smtp.starttls.offered']).toBe('fail')
    for (const r of report.checks.filter((r) => /^(tls\.version|tls\.cipher|cert\.)/.test(r.id))) {
      expect({ id: r.id, status: r.status, reason: r.reason }).toEqual({ id: r.id, status: 'inconclusive', reason: 'temporary' })
    }
  })
})

describe('a server that resets the connection during the TLS handshake', () => {
  it('is never seen accepting a version, and certificate checks are inconclusive', async () => {
    const report = await audit(smtpThenTls((s) => s.resetAndDestroy()))
    const st = statuses(report)
    expect(st['tls.version.tls1_0.rejected']).toBe('pass')
    expect(st['tls.version.tls1_2.accepted']).toBe('fail')
    expect(st['smtp.starttls.offered']).toBe('fail')
    for (const id of ['cert.trusted', 'cert.chain.complete', 'cert.key.strength', 'cert.validity.days-left']) expect(st[id]).toBe('inconclusive')
    // Every handshake failed at the server: no suite was accepted, and the server is why.
    expect(st['tls.cipher.no-weak']).toBe('fail')
  })
})

describe('a server that answers every ClientHello with a TLS alert', () => {
  it('rejects every version, and certificate checks are inconclusive', async () => {
    const report = await audit(smtpThenTls((s) => s.end(Buffer.from([21, 3, 3, 0, 2, 2, 40]))))
    const st = statuses(report)
    expect(st['tls.version.ssl3.rejected']).toBe('pass')
    expect(st['tls.version.tls1_3.accepted']).toBe('fail')
    const v13 = report.checks.find((r) => r.id === 'tls.version.tls1_3.accepted')!
    expect(v13.summary.en).toContain('handshake_failure')
    for (const id of ['cert.trusted', 'cert.name.matches', 'cert.sni.selects']) expect(st[id]).toBe('inconclusive')
  })
})
