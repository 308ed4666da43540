// smtp.banner.no-version: the greeting must not tell an attacker which software and version answer.
import { defineCheck, verdict } from '../../define.ts'
import { dialogue, guard, L, lastLine } from '../support.ts'

const PRODUCTS = 'exim|postfix|sendmail|haraka|opensmtpd|courier|qmail|zimbra|mdaemon|kerio|exchange|smtpd|coremail|axigen'
const VERSION = new RegExp(`\\b(${PRODUCTS})\\b[^\\d\\r\\n]{0,24}v?\\d+\\.\\d+(\\.\\d+)*`, 'i')
const SOFTWARE = new RegExp(`\\b(${PRODUCTS})\\b|\\((debian|ubuntu|centos|red hat|gnu)[^)]*\\)`, 'i')

export function bannerLeak(text: string): { version: string | null; software: string | null } {
  return { version: VERSION.exec(text)?.[0] ?? null, software: SOFTWARE.exec(text)?.[0] ?? null }
}

export default defineCheck({
  id: 'smtp.banner.no-version',
  title: L('La bannière SMTP ne révèle pas de version', 'The SMTP banner reveals no version'),
  explain: L(
    'La première ligne envoyée par le serveur (bannière 220) est lue par tous les scanners. Y afficher « Exim 4.96 » ou « Postfix (Debian) » leur indique quelles failles connues essayer. Le nom d’hôte et « ESMTP » suffisent.',
    'The first line the server sends (the 220 banner) is read by every scanner. Showing "Exim 4.96" or "Postfix (Debian)" tells them which known flaws to try. The host name and "ESMTP" are enough.',
  ),
  remedy: {
    postfix: 'main.cf: smtpd_banner = $myhostname ESMTP   puis: postfix reload',
    exim: 'smtp_banner = $smtp_active_hostname ESMTP $tod_full   (section principale de exim.conf) puis: systemctl restart exim4',
  },
  appliesTo: ['remote', 'sandbox'],
  async run(ctx) {
    return guard(L('la bannière SMTP', 'the SMTP banner'), async () => {
      const facts = await dialogue(ctx)
      const text = facts.greeting.lines.join(' ')
      const leak = bannerLeak(text)
      const evidence = { lines: [`S: ${lastLine(facts.greeting)}`], facts: { banner: text, version: leak.version, software: leak.software } }
      if (leak.version)
        return verdict.fail(
          L(`Votre bannière annonce « ${leak.version} » : un attaquant sait quelle version attaquer.`, `Your banner announces "${leak.version}": an attacker knows which version to target.`),
          evidence,
        )
      if (leak.software)
        return verdict.warn(
          L(`Votre bannière ne donne pas de version mais nomme le logiciel (« ${leak.software} »).`, `Your banner gives no version but names the software ("${leak.software}").`),
          evidence,
        )
      return verdict.pass(L('La bannière ne révèle ni logiciel ni version.', 'The banner reveals neither software nor version.'), evidence)
    })
  },
})
