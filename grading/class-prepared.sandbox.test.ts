// A class worker's prepared sandbox: each learner gets the start state on a fresh graded service, and nothing the
// previous learner's code changed (files, DNS records, mail received by the partners) reaches the next one.
import { randomBytes } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { findExercise } from '../exercises/index.ts'
import { downSandbox, listSessions } from '../sandbox/engine.ts'
import { removeSnapshots } from '../sandbox/snapshot.ts'
import { PreparedWorker, preparedSandbox } from './prepared.ts'

// Keeps to the h6 prefix on the shared machine (SMTP_TLS_LAB_TEST_PREFIX overrides it).
const batch = `${process.env.SMTP_TLS_LAB_TEST_PREFIX ?? 'h6'}p${randomBytes(2).toString('hex')}`
const ofBatch = (s: string): boolean => s.startsWith(`${batch}-`)

afterAll(async () => {
  for (const s of await listSessions()) if (ofBatch(s.session)) await downSandbox(s.session)
  await removeSnapshots(ofBatch)
})

const TXT = (h: { exec: (s: 'dns', c: string[]) => Promise<{ stdout: string }> }) =>
  h.exec('dns', ['dig', '@127.0.0.1', '-p', '5353', '+short', 'TXT', 'evil.domaine.tld']).then((r) => r.stdout.trim())

describe('a prepared worker sandbox', () => {
  it('lends each learner the start state, without what the previous learner changed', async () => {
    const exercise = findExercise('postfix-hardening')!
    const w = new PreparedWorker(`${batch}-w1`, exercise, `grade:${batch}`, () => {})
    const t = await w.prepare()
    expect(t.setupMs).toBeGreaterThan(0)
    try {
      const giveA = w.lend(`${batch}-000`)
      const a = (await preparedSandbox(`${batch}-000`))!
      giveA()
      expect(preparedSandbox(`${batch}-000`)).toBeNull()
      // The start state of the exercise: its setup-loose.sh left the version in the banner.
      expect((await a.readFile('mail', '/etc/postfix/main.cf')).toString()).toMatch(/^smtpd_banner = .*\$mail_version/m)
      const mailA = (await a.container('mail').inspect()).Id

      // What hostile code running as root in learner A's graded container could do.
      await a.exec('mail', ['sh', '-c', 'echo owned > /etc/postfix/evil; postconf -e smtpd_banner=hacked'])
      const upd = await a.exec('mail', ['sh', '-c', `printf 'server ${a.address('dns')} 5353\\nupdate add evil.domaine.tld 60 TXT owned\\nsend\\n' | nsupdate -k /etc/lab/tsig.key`])
      expect(upd.exitCode, upd.stderr).toBe(0)
      expect(await TXT(a)).toBe('"owned"')
      await a.exec('partners', ['sh', '-c', 'echo \'{"from":"A"}\' >> /var/log/partners/deliveries.jsonl'])

      const giveB = w.lend(`${batch}-001`)
      const b = (await preparedSandbox(`${batch}-001`))!
      giveB()
      expect((await b.container('mail').inspect()).Id).not.toBe(mailA)
      expect(await b.stat('mail', '/etc/postfix/evil')).toBeNull()
      expect((await b.readFile('mail', '/etc/postfix/main.cf')).toString()).toMatch(/^smtpd_banner = .*\$mail_version/m)
      expect(await TXT(b)).toBe('')
      expect((await b.readFile('partners', '/var/log/partners/deliveries.jsonl')).toString()).toBe('')
      expect((await b.checkHealth()).every((s) => s.healthy)).toBe(true)
      // Same Pebble (its root signed the start state's certificate), same subnet.
      expect(b.subnet).toBe(a.subnet)
    } finally {
      await w.close()
    }
    expect((await listSessions()).filter((s) => ofBatch(s.session))).toEqual([])
  })
})
