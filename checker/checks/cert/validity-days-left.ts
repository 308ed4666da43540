// cert.validity.days-left: the certificate is valid now and not about to expire (renewal works).
import { defineCheck, verdict } from '../../define.ts'
import { daysLeft } from '../../probes/tls.ts'
import { certFacts, guard, L } from '../support.ts'

export const DEFAULT_MIN_DAYS = 20

export default defineCheck({
  id: 'cert.validity.days-left',
  title: L('Certificat valide et loin de l’expiration', 'Certificate valid and far from expiry'),
  explain: L(
    'Un certificat expiré bloque les clients qui vérifient. Les certificats ACME durent 90 jours et se renouvellent vers 30 jours restants : s’il en reste moins de 20, le renouvellement automatique ne fonctionne sans doute pas.',
    'An expired certificate blocks verifying clients. ACME certificates last 90 days and renew around 30 days left: with fewer than 20 left, automatic renewal is probably not working.',
  ),
  remedy: {
    postfix: 'certbot renew --deploy-hook "systemctl reload postfix" (vérifier le timer: systemctl list-timers certbot)',
    exim: 'acme.sh --cron (vérifier crontab -l) avec --reloadcmd "systemctl restart exim4" lors de --install-cert',
  },
  appliesTo: ['remote', 'sandbox'],
  async run(ctx) {
    const minDays = typeof ctx.params['minDays'] === 'number' ? ctx.params['minDays'] : DEFAULT_MIN_DAYS
    const failDays = typeof ctx.params['failDays'] === 'number' ? ctx.params['failDays'] : 0
    return guard(L('la date d’expiration du certificat', 'the certificate expiry date'), async () => {
      const f = await certFacts(ctx)
      const left = daysLeft(f.leaf)
      const notYet = Date.parse(f.leaf.validFrom) > Date.now()
      const evidence = { lines: [`notBefore=${f.leaf.validFrom}`, `notAfter=${f.leaf.validTo}`], facts: { daysLeft: left, minDays, notAfter: f.leaf.validTo } }
      if (notYet) return verdict.fail(L(`Votre certificat n’est pas encore valide (début : ${f.leaf.validFrom}).`, `Your certificate is not valid yet (starts ${f.leaf.validFrom}).`), evidence)
      if (left < 0) return verdict.fail(L(`Votre certificat a expiré le ${f.leaf.validTo}.`, `Your certificate expired on ${f.leaf.validTo}.`), evidence)
      if (left < failDays) return verdict.fail(L(`Votre certificat expire dans ${left} jour(s) : renouvelez-le.`, `Your certificate expires in ${left} day(s): renew it.`), evidence)
      if (left < minDays)
        return verdict.warn(L(`Votre certificat expire dans ${left} jour(s) (moins de ${minDays}) : le renouvellement automatique fonctionne-t-il ?`, `Your certificate expires in ${left} day(s) (fewer than ${minDays}): is automatic renewal working?`), evidence)
      return verdict.pass(L(`Le certificat est valide encore ${left} jours.`, `The certificate is valid for ${left} more days.`), evidence)
    })
  },
})
