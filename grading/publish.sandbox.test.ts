// Exercise 07's answer lives in the lab DNS and the toolbox's website: graded from the hand-in through the manifest's
// publish steps, and able to fail on what the learner got wrong (a TLSA digest, the policy mode, a site nginx refuses).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exercises } from '../exercises/index.ts'
import { testSession } from '../sandbox/test-session.ts'
import { gradeSubmission, SERVICE_KEY, type SubmissionGrade } from './grade.ts'
import { harvest, writeSubmission, type Harvest } from './harvest.ts'

const exercise = exercises.find((e) => e.id === 'postfix-mta-sts-dane')!
const ZONE = '/root/domaine.tld.zone'
const POLICY = '/var/www/mta-sts/.well-known/mta-sts.txt'
const SITE = '/etc/nginx/sites-available/mta-sts'

let work: string
let ref: Harvest

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'stl-publish-'))
  ref = await harvest(exercise, { session: testSession('pb') })
}, 180_000)

afterAll(() => rmSync(work, { recursive: true, force: true }))

function variant(name: string, edit: Readonly<Record<string, (text: string) => string>>): string {
  const files = new Map(ref.solution)
  for (const [p, f] of Object.entries(edit)) files.set(p, Buffer.from(f(files.get(p)!.toString('utf8'))))
  return writeSubmission(path.join(work, name), files, ref.solutionModes)
}

const status = (g: SubmissionGrade): Record<string, string> => Object.fromEntries(g.criteria.map((c) => [c.key, c.status]))

describe('postfix-mta-sts-dane through grade', () => {
  it.concurrent('fails the TLSA and policy criteria for a wrong digest and mode: testing, and passes the rest', async () => {
    const g = await gradeSubmission(
      exercise,
      variant('wrong', {
        // One hex digit changed: the record names a key the server does not have.
        [ZONE]: (t) => t.replace(/(TLSA\s+3\s+1\s+1\s+)([0-9A-Fa-f])/, (_m, head: string, d: string) => head + (d === '0' ? '1' : '0')),
        [POLICY]: (t) => t.replace('mode: enforce', 'mode: testing'),
      }),
      { learner: 'wrong', session: testSession('pw'), lang: 'en' },
    )
    expect(g.verdict).toBe('graded')
    expect(status(g)).toEqual({
      [SERVICE_KEY]: 'pass',
      'dns.mta-sts.record': 'pass',
      'dns.mta-sts.policy': 'fail',
      'dns.tlsrpt.record': 'pass',
      'dns.dane.tlsa-matches': 'fail',
    })
    expect(g.state).toBe('complete')
    expect(g.score).toBe(2)
  }, 240_000)

  it.concurrent('counts the service as down, with nginx’s own words, when the handed-in site does not load', async () => {
    const g = await gradeSubmission(exercise, variant('badsite', { [SITE]: (t) => t.replace('listen 443 ssl;', 'listen 443 ssl') }), {
      learner: 'badsite',
      session: testSession('px'),
      lang: 'en',
    })
    expect(g.verdict).toBe('graded')
    const service = g.criteria.find((c) => c.key === SERVICE_KEY)!
    expect(service.status).toBe('fail')
    expect(service.evidence.lines.join('\n')).toMatch(/nginx -t: .*(emerg|invalid|unexpected)/)
    expect(g.score).toBe(0)
    expect(g.state).toBe('complete')
  }, 240_000)
})
