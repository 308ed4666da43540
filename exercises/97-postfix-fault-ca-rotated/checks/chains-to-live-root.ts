// cert.trusted.live-root: the served certificate chains to the lab CA's CURRENT root alone. Grading otherwise also
// trusts every Pebble root this machine has seen (sandbox/lab-roots.ts), which would hide a CA rotation.
import https from 'node:https'
import http from 'node:http'
import { defineCheck, verdict } from '../../../checker/define.ts'
import { createProbeCache, runOne } from '../../../checker/runner.ts'
import certTrusted from '../../../checker/checks/cert/trusted.ts'
import type { Verdict } from '../../../checker/types.ts'

/** GET from the host straight to the acme container, as exercises/runner.ts does; never through a learner's shell. */
function get(url: string, opts: { ca?: string; servername?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : http
    const req = mod.get(url, { timeout: 10_000, ...(opts.ca ? { ca: opts.ca } : {}), ...(opts.servername ? { servername: opts.servername } : {}) }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: HTTP ${res.statusCode}`))))
    })
    req.on('timeout', () => req.destroy(new Error(`${url}: timeout`)))
    req.on('error', reject)
  })
}

export default defineCheck({
  id: 'cert.trusted.live-root',
  title: { fr: 'Certificat signé par la racine actuelle de l’autorité', en: 'Certificate signed by the authority’s current root' },
  explain: {
    fr: 'Le correcteur récupère la racine que l’autorité du lab (Pebble) utilise maintenant, puis vérifie le certificat présenté sur le port 25 avec cette seule racine. Un certificat émis avant une rotation de l’autorité ne remonte plus à la racine en vigueur.',
    en: 'The grader fetches the root the lab CA (Pebble) uses now and verifies the certificate presented on port 25 against that root alone. A certificate issued before a CA rotation no longer leads to the root in force.',
  },
  remedy: {
    postfix: 'Réémettre le certificat (certbot certonly --force-renewal …, avec un nouveau compte si l’autorité l’a oublié), l’installer, puis systemctl reload postfix.',
    exim: 'Réémettre le certificat (acme.sh --issue --force) puis --install-cert avec --reloadcmd.',
  },
  appliesTo: ['sandbox'],
  timeoutMs: 30_000,
  async run(ctx): Promise<Verdict> {
    const sandbox = ctx.sandbox
    if (!sandbox) return verdict.inconclusive('not-applicable', { fr: 'Cette vérification demande un bac à sable.', en: 'This check needs a sandbox.' })
    const acme = sandbox.address('acme')
    let root: string
    try {
      const httpsCa = await get(`http://${acme}:14080/https-ca.pem`)
      root = await get(`https://${acme}:15000/roots/0`, { ca: httpsCa, servername: 'acme.lab.test' })
    } catch (err) {
      return verdict.inconclusive('unreachable', { fr: `La racine actuelle de Pebble est introuvable (${(err as Error).message}).`, en: `Pebble’s current root could not be fetched (${(err as Error).message}).` })
    }
    const r = await runOne(certTrusted, { target: { ...ctx.target, ca: root }, params: {} }, { cache: createProbeCache(), sandbox, signal: ctx.signal })
    const lines = ['trust store: the lab CA’s current root only (https://acme.lab.test:15000/roots/0)', ...r.evidence.lines]
    if (r.status === 'pass')
      return verdict.pass({ fr: 'Le certificat remonte à la racine actuelle de l’autorité du lab.', en: 'The certificate leads to the lab CA’s current root.' }, { lines, ...(r.evidence.facts ? { facts: r.evidence.facts } : {}) })
    if (r.status === 'fail')
      return verdict.fail(
        {
          fr: `Le certificat ne remonte pas à la racine actuelle de l’autorité du lab : ${r.summary.fr} Émis avant une rotation de l’autorité ?`,
          en: `The certificate does not lead to the lab CA’s current root: ${r.summary.en} Issued before a CA rotation?`,
        },
        { lines, ...(r.evidence.facts ? { facts: r.evidence.facts } : {}) },
      )
    return verdict.inconclusive(r.reason ?? 'bug', r.summary, { lines })
  },
})
