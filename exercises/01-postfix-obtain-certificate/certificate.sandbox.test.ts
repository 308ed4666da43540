// Exercise 1 checks what the obtained certificate is: a well-ordered chain from some other CA, for another name,
// with its matching key, does not pass for "a certificate from the lab's Pebble for mail.domaine.tld".
import { describe, expect, it } from 'vitest'
import { makeTestPki } from '../../checker/probes/test-pki.ts'
import { useSolvedSandbox } from '../test-support.ts'
import { gradeExercise, type GradeReport } from '../runner.ts'

const solved = useSolvedSandbox('postfix-obtain-certificate', 'ex01-cert')
const exercise = solved.exercise
const LIVE = '/etc/letsencrypt/live/mail.domaine.tld'

const failed = (r: GradeReport): string[] => r.results.filter((x) => x.status !== 'pass').map((x) => x.key)
const explain = (r: GradeReport): string => r.results.map((x) => `${x.status} ${x.key}: ${x.summary.en}`).join('\n')

describe('postfix-obtain-certificate grades what the certificate is', () => {
  it('the scripted solution (Pebble, mail.domaine.tld) passes every check', async () => {
    const r = await gradeExercise(solved.handle(), exercise, { lang: 'en' })
    expect(failed(r), explain(r)).toEqual([])
  })

  it('a leaf + intermediate from another CA, named www.example.org, with its key, does not get full marks', async () => {
    const pki = await makeTestPki('Rogue')
    const leaf = await pki.leaf(['www.example.org'])
    await solved.handle().writeFile('mail', `${LIVE}/fullchain.pem`, leaf.fullchain, 0o644)
    await solved.handle().writeFile('mail', `${LIVE}/privkey.pem`, leaf.key, 0o600)
    const r = await gradeExercise(solved.handle(), exercise, { lang: 'en' })
    expect(failed(r), explain(r)).toEqual(['file.cert.lab-issued'])
    const lab = r.results.find((x) => x.key === 'file.cert.lab-issued')!
    expect(lab.summary.en).toMatch(/name\(s\) missing from the SAN: mail\.domaine\.tld/)
    expect(lab.summary.en).toMatch(/not issued by the lab ACME CA \(Pebble\)/)
  })
})
