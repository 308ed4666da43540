// smtp.connection-limit: one client address cannot hold an unbounded number of simultaneous connections.
import { defineCheck, verdict } from '../../define.ts'
import { ProbeError } from '../../probes/probe-error.ts'
import { SmtpSession, timeoutsOf } from '../../probes/smtp.ts'
import { L } from '../support.ts'

export const DEFAULT_MAX_CONNECTIONS = 20
const WAVE = 4

export default defineCheck({
  id: 'smtp.connection-limit',
  title: L('Connexions simultanées limitées par IP', 'Concurrent connections capped per IP'),
  explain: L(
    'Un seul client qui ouvre des dizaines de connexions peut occuper tous les processus du serveur et bloquer le courrier des autres. Le serveur doit refuser (421) les connexions au-delà d’un plafond par adresse IP. Le test en ouvre jusqu’à 20, quatre par quatre, puis les referme.',
    'One client opening dozens of connections can take every server process and block everyone else’s mail. The server must refuse (421) connections beyond a per-IP cap. The test opens up to 20, four at a time, then closes them.',
  ),
  remedy: {
    postfix: 'main.cf: smtpd_client_connection_count_limit = 10 (et smtpd_client_connection_rate_limit = 30)   puis: postfix reload',
    exim: 'smtp_accept_max_per_host = 10 (et smtp_accept_max = 100)   puis: systemctl restart exim4',
  },
  appliesTo: ['remote', 'sandbox'],
  exclusive: true,
  timeoutMs: 60_000,
  async run(ctx) {
    const max = typeof ctx.params['max'] === 'number' ? Math.min(100, Math.max(2, ctx.params['max'])) : DEFAULT_MAX_CONNECTIONS
    // The whole point is to exceed the per-server connection gate, so this check connects without it.
    const t = timeoutsOf(ctx.target)
    const ep = { ...ctx.target, signal: ctx.signal, busyRetries: 0, timeouts: { ...t, greetingMs: Math.min(t.greetingMs, 5000) } }
    const open: SmtpSession[] = []
    const lines: string[] = []
    try {
      // Small waves keep the load polite while not paying one round trip per connection.
      for (let first = 1; first <= max; first += WAVE) {
        const wave = Array.from({ length: Math.min(WAVE, max - first + 1) }, (_, k) => first + k)
        const outcomes = await Promise.all(wave.map((i) => SmtpSession.open(ep).then((s) => ({ i, s }), (e: unknown) => ({ i, e }))))
        let refused: { i: number; e: ProbeError } | undefined
        for (const o of outcomes) {
          if ('s' in o) {
            open.push(o.s)
            lines.push(`#${o.i}: S: ${o.s.greeting.raw.at(-1) ?? ''}`)
          } else {
            if (!(o.e instanceof ProbeError)) throw o.e
            lines.push(`#${o.i}: ${o.e.message}`)
            refused ??= { i: o.i, e: o.e }
          }
        }
        if (!refused) continue
        const { i, e } = refused
        const facts = { accepted: open.length, attempted: first + wave.length - 1, limit: max }
        if (open.length === 0) return verdict.inconclusive(e.reason, L(`La première connexion a échoué : ${e.message}.`, `The first connection failed: ${e.message}.`), { lines, facts })
        if (e.reason === 'timeout')
          return verdict.warn(
            L(
              `Après ${open.length} connexions, le serveur ne répond plus sans refuser : il met les suivantes en attente au lieu de répondre 421.`,
              `After ${open.length} connections the server stops answering without refusing: it queues the next ones instead of answering 421.`,
            ),
            { lines, facts },
          )
        return verdict.pass(
          L(`Le serveur refuse la connexion n° ${i} après en avoir accepté ${open.length} (${e.message}).`, `The server refuses connection #${i} after accepting ${open.length} (${e.message}).`),
          { lines, facts },
        )
      }
      return verdict.fail(
        L(`Votre serveur accepte ${max} connexions simultanées depuis la même adresse IP sans broncher.`, `Your server accepts ${max} simultaneous connections from the same IP address without objection.`),
        { lines, facts: { accepted: open.length, attempted: max, limit: max } },
      )
    } finally {
      await Promise.all(open.map((s) => s.quit()))
    }
  },
})
