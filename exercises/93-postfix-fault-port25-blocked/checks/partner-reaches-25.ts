// inbound.partner.reaches-25: the partners' MX (another mail server of the lab) gets Postfix's greeting on port 25.
// The connection is made from the partners container, which the learner does not configure.
import { defineCheck, verdict } from '../../../checker/define.ts'
import type { Verdict } from '../../../checker/types.ts'
import { stripControl } from '../../../core/text.ts'

// Prints one JSON line: the greeting, or how the connection ended. Node is the partners image's own runtime.
const PROBE = `
const s = require('net').connect(25, process.argv[1]);
const done = (o) => { console.log(JSON.stringify(o)); s.destroy(); process.exit(0) };
s.setTimeout(5000, () => done({ result: 'timeout' }));
s.on('error', (e) => done({ result: e.code || 'error', detail: e.message }));
s.on('data', (d) => done({ result: 'greeting', line: String(d).split('\\n')[0].trim() }));
`

export default defineCheck({
  id: 'inbound.partner.reaches-25',
  title: { fr: 'Les partenaires atteignent le port 25', en: 'The partners reach port 25' },
  explain: {
    fr: 'Le correcteur ouvre une connexion vers le port 25 du serveur depuis le MX des partenaires, c’est-à-dire depuis une autre machine qui vous envoie du courrier. Il attend la bannière 220 de Postfix.',
    en: 'The grader connects to the server’s port 25 from the partners’ MX, another machine that sends you mail, and expects Postfix’s 220 greeting.',
  },
  remedy: {
    postfix: 'nft list ruleset : retirer la règle (ou la table) qui rejette ces adresses sur le port 25 ; ufw status numbered / ufw delete N.',
    exim: 'Même diagnostic : nft list ruleset, ufw status.',
  },
  appliesTo: ['sandbox'],
  timeoutMs: 20_000,
  async run(ctx): Promise<Verdict> {
    const sandbox = ctx.sandbox
    if (!sandbox) return verdict.inconclusive('not-applicable', { fr: 'Cette vérification demande un bac à sable.', en: 'This check needs a sandbox.' })
    const mail = sandbox.address(ctx.target.service ?? 'mail')
    const r = await sandbox.exec('partners', ['node', '-e', PROBE, mail], { timeoutMs: 15_000 })
    let o: { result?: string; line?: string; detail?: string } = {}
    try {
      o = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as typeof o
    } catch {
      return verdict.inconclusive('bug', { fr: 'La sonde du partenaire n’a rien rendu de lisible.', en: 'The partner’s probe returned nothing readable.' }, { lines: [stripControl(r.stdout + r.stderr)] })
    }
    const lines = [`partners (${sandbox.address('partners')}) → ${mail}:25: ${stripControl(o.result ?? '')}${o.line ? ` ${stripControl(o.line)}` : ''}${o.detail ? ` (${stripControl(o.detail)})` : ''}`]
    const facts = { result: o.result ?? null }
    if (o.result === 'greeting' && /^220[ -]/.test(o.line ?? ''))
      return verdict.pass({ fr: 'Le MX des partenaires reçoit la bannière de Postfix sur le port 25.', en: 'The partners’ MX gets Postfix’s greeting on port 25.' }, { lines, facts })
    return verdict.fail(
      {
        fr: `Le MX des partenaires n’atteint pas le port 25 (${o.result === 'timeout' ? 'paquets ignorés : un pare-feu les jette' : o.result}) : leur courrier reste chez eux.`,
        en: `The partners’ MX cannot reach port 25 (${o.result === 'timeout' ? 'packets dropped: a firewall discards them' : o.result}): their mail stays with them.`,
      },
      { lines, facts },
    )
  },
})
