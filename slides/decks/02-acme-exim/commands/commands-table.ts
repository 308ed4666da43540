// How each command block of guide 000 runs in the exim lab: as written, or with a stated substitution, and what it must give.
//
// Order matters: the blocks run one after the other in one session, as a reader following the guide would, so a
// block may rely on what an earlier one left (acme.sh's account and certificates, the deploy script). acme.sh 3.1.3
// is installed on the mail host as its own --install does, and the guide's names answer inside the lab:
// acme-v02.api.letsencrypt.org is Pebble, api.cloudflare.com is the lab's Cloudflare API (RFC 2136 to the lab DNS
// behind it), and the lab's Cloudflare credentials are loaded by the mail host's shells. What is still substituted
// cannot run offline or is not a command: the installer and --upgrade (they download from the Internet), a directory
// listing, a configuration excerpt to read, and a line typed inside an SMTP session.
import type { DocCommand } from './commands.ts'

export type LabService = 'toolbox' | 'mail'

export interface Bilingual {
  readonly fr: string
  readonly en: string
}

export interface Expectation {
  /** Default 0. */
  readonly exitCode?: number
  /** Each must match stdout+stderr. */
  readonly output?: readonly RegExp[]
  /** None may match stdout+stderr. */
  readonly notOutput?: readonly RegExp[]
}

/** A command run for the lab's own plumbing or observation, with its own expectation. */
export interface ExecStep {
  readonly service: LabService
  readonly command: string
  readonly expect?: Expectation
  readonly what: Bilingual
}

/** A file carried from one container to another, where the real host would already have it. */
export interface CopyStep {
  readonly copy: { readonly from: [LabService, string]; readonly to: [LabService, string]; readonly mode: number; readonly owner: string }
  readonly what: Bilingual
}

export type Step = ExecStep | CopyStep

export interface CommandEntry {
  readonly service: LabService
  /** The block runs exactly as printed (script and config blocks: written verbatim to `writeTo`, then `apply`). */
  readonly asWritten?: true
  readonly substitution?: { readonly command: string; readonly why: Bilingual }
  /** Script and configuration blocks: the block's text, verbatim, is written to this file first. */
  readonly writeTo?: { readonly path: string; readonly mode: number }
  /** As-written script or configuration blocks: how the lab puts the written file to work or reads its effect. */
  readonly apply?: string
  readonly timeoutMs?: number
  readonly expect: Expectation
  /** Lab plumbing after the block: files acme.sh would leave on the mail host, the template restored after a failure. */
  readonly then?: readonly Step[]
  /** Observations after the block that show its effect (and the evidence of a document error). */
  readonly probe?: readonly ExecStep[]
  /** The guide is wrong here: the expected outcome above is the failure the reader meets. */
  readonly documentError?: true
  /** A string that the block's or its probes' output must contain, proving the error in the lab. */
  readonly evidence?: string
  /** Where the error is proven: in this lab run (default), or only in the tool's source (the tool is not in the lab). */
  readonly confirmedIn?: 'lab' | 'source'
  readonly finding?: Bilingual
  /** Inline mentions only: the block that runs the same command. */
  readonly coveredBy?: string
  readonly note?: Bilingual
}

const PEBBLE_ROOT = '/etc/lab/pebble-root.pem'
const TEMPLATE = '/etc/exim4/exim4.conf.template'
const WAIT_LISTENING = 'for i in $(seq 1 60); do lab-listening 25 465 587 2>/dev/null && exit 0; sleep 0.25; done; lab-listening 25 465 587'
/** acme.sh --issue waits 20 s, then checks its TXT records by DNS-over-HTTPS before asking the CA: give it room. */
const ISSUE_TIMEOUT_MS = 180_000

const WHY_OFFLINE: Bilingual = {
  fr: 'Le lab est hors ligne : cette commande télécharge depuis Internet (get.acme.sh, GitHub).',
  en: 'The lab is offline: this command downloads from the Internet (get.acme.sh, GitHub).',
}
const WHY_TEMPLATE_PROBE = (what: Bilingual): Bilingual => ({
  fr: `L’Exim de HestiaCP ne lit qu’un fichier, ${TEMPLATE} : le lab y colle aussi le bloc, pour voir ce qu’Exim en fait ; ${what.fr}`,
  en: `HestiaCP’s Exim reads one file, ${TEMPLATE}: the lab also pastes the block there, to see what Exim makes of it; ${what.en}`,
})

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

/** The Exim option value of a configuration block, continuation lines joined the way Exim joins them. */
function optionValue(text: string, option: string): string {
  const joined = text.replace(/\\\n\s*/g, ' ')
  const m = new RegExp(`^${option}\\s*=\\s*(.*)$`, 'm').exec(joined)
  if (!m) throw new Error(`no ${option} in ${text}`)
  return m[1]!.trim()
}

/** Pastes a file into the template after tls_advertise_hosts, keeping a copy of the template to restore. */
const pasteInTemplate = (id: string, file = `/root/doc-${id}.snippet`): string =>
  `cp ${TEMPLATE} /root/exim4.conf.template.before-${id} && sed -i '/^tls_advertise_hosts = /r ${file}' ${TEMPLATE}`
const restoreTemplate = (id: string, restart: boolean): ExecStep => ({
  service: 'mail',
  command: `cp /root/exim4.conf.template.before-${id} ${TEMPLATE} && update-exim4.conf${restart ? ` && systemctl restart exim4 && ${WAIT_LISTENING.replace(/exit 0/, 'break')}` : ''}`,
  what: { fr: 'le modèle est restauré (le lecteur retire la ligne fautive)', en: 'the template is restored (the reader removes the faulty line)' },
})
/** A conf.d override written as the guide says, then what update-exim4.conf makes of it on HestiaCP. */
const confdIgnored = (id: string, option: string): string =>
  `update-exim4.conf -v -o /tmp/doc-${id}.conf 2>&1 | grep -E 'using (non-)?split' ; echo "${option} lines in the generated configuration: $(grep -c '^${option}' /tmp/doc-${id}.conf)"`

/** The certificate served on 587 is the one acme.sh just renewed: its --reloadcmd deployed it. */
const servedIsRenewed: ExecStep = {
  service: 'mail',
  command:
    'served=$(openssl s_client -connect mail.domaine.tld:587 -starttls smtp -servername mail.domaine.tld </dev/null 2>/dev/null | openssl x509 -noout -serial); ' +
    'renewed=$(openssl x509 -in /root/.acme.sh/domaine.tld_ecc/domaine.tld.cer -noout -serial); echo "served $served"; echo "renewed $renewed"; [ "$served" = "$renewed" ]',
  expect: { exitCode: 0, output: [/served serial=[0-9A-F]+/] },
  what: { fr: 'le certificat servi sur 587 est celui qui vient d’être renouvelé', en: 'the certificate served on 587 is the one just renewed' },
}

/** §13/§19.3 openssl tests, as written on the mail host (which trusts Pebble's root); the toolbox does not. */
function opensslVerifyEntry(doc: DocCommand): CommandEntry {
  return {
    service: 'mail',
    asWritten: true,
    expect: { output: [/Verify return code: 0 \(ok\)/] },
    probe: [
      {
        service: 'toolbox',
        command: doc.text,
        expect: { output: [/Verify return code: 20 \(unable to get local issuer certificate\)/] },
        what: {
          fr: 'la même commande depuis la toolbox, qui ne fait pas confiance à la racine de Pebble (code 20 ; -CAfile /etc/lab/pebble-root.pem y donne 0)',
          en: 'the same command from the toolbox, which does not trust Pebble’s root (code 20; -CAfile /etc/lab/pebble-root.pem gives 0 there)',
        },
      },
    ],
    note: {
      fr: 'L’hôte mail fait confiance à la racine de Pebble comme un vrai hôte à ISRG Root X1 : la commande y donne le code 0 telle quelle.',
      en: 'The mail host trusts Pebble’s root as a real host trusts ISRG Root X1: the command gives code 0 there as written.',
    },
  }
}

export function commandTable(commands: readonly DocCommand[]): ReadonlyMap<string, CommandEntry> {
  const doc = (id: string): DocCommand => {
    const c = commands.find((x) => x.id === id)
    if (!c) throw new Error(`guide 000 has no command ${id}`)
    return c
  }

  const t: Record<string, CommandEntry> = {
    // §4.1 Installation
    L52: {
      service: 'mail',
      substitution: {
        command: "ls -d ~/.acme.sh/acme.sh ~/.acme.sh/dnsapi ~/.acme.sh/deploy && crontab -l | grep -F 'acme.sh --cron' && grep -F acme.sh.env ~/.bashrc",
        why: {
          fr: `${WHY_OFFLINE.fr} L’image du lab a installé acme.sh 3.1.3 (version publiée, sommes de contrôle vérifiées à la construction) avec son propre \`--install\`, ce que fait le script de get.acme.sh : ~/.acme.sh/, l’alias dans ~/.bashrc, la ligne de crontab. La commande montre ce résultat.`,
          en: `${WHY_OFFLINE.en} The lab image installed acme.sh 3.1.3 (the release, checksums verified at build) with its own \`--install\`, which is what the get.acme.sh script does: ~/.acme.sh/, the alias in ~/.bashrc, the crontab line. The command shows that result.`,
        },
      },
      expect: { output: [/^\/root\/\.acme\.sh\/acme\.sh$/m, /"\/root\/\.acme\.sh"\/acme\.sh --cron --home "\/root\/\.acme\.sh" > \/dev\/null/, /acme\.sh\.env/] },
    },
    L53: {
      service: 'mail',
      asWritten: true,
      expect: { exitCode: 0 },
      note: {
        fr: 'Dans un shell non interactif, le ~/.bashrc de Debian s’arrête avant l’alias : les terminaux du lab (interactifs) l’ont, et /usr/local/bin/acme.sh sert les scripts.',
        en: 'In a non-interactive shell Debian’s ~/.bashrc stops before the alias: the lab’s (interactive) terminals have it, and /usr/local/bin/acme.sh serves scripts.',
      },
    },
    L54: { service: 'mail', asWritten: true, expect: { output: [/^v3\.1\.3$/m] } },
    // §4.2 Structure
    L56: {
      service: 'mail',
      substitution: {
        command: 'ls ~/.acme.sh/',
        why: {
          fr: 'Une arborescence montrée dans un bloc de code, pas une commande : le lab liste le dossier qu’elle décrit. Avant toute émission, il n’y a pas encore de dossier de domaine (domaine.tld_ecc/ apparaît au §5.3).',
          en: 'A directory tree shown in a code block, not a command: the lab lists the folder it describes. Before any issuance there is no domain folder yet (domaine.tld_ecc/ appears in §5.3).',
        },
      },
      expect: { output: [/^account\.conf$/m, /^acme\.sh$/m, /^dnsapi$/m] },
    },
    // §4.3 Forcer Let's Encrypt comme CA
    L61: {
      service: 'mail',
      asWritten: true,
      expect: { output: [/Changed default CA to: https:\/\/acme-v02\.api\.letsencrypt\.org\/directory/] },
      probe: [
        {
          service: 'mail',
          command: 'dig +short acme-v02.api.letsencrypt.org; curl -sS https://acme-v02.api.letsencrypt.org/directory | jq -r .newOrder',
          expect: { output: [/^https:\/\/acme-v02\.api\.letsencrypt\.org\/order-plz$/m] },
          what: {
            fr: 'dans le lab, ce nom mène à Pebble (l’AC du lab), derrière un certificat de l’AC du lab',
            en: 'in the lab this name leads to Pebble (the lab’s CA), behind a certificate from the lab CA',
          },
        },
      ],
    },
    // §4.4 Mise à jour
    L63: {
      service: 'mail',
      substitution: {
        command: "acme.sh --version && grep -E '^UPGRADE_HASH=' ~/.acme.sh/account.conf",
        why: {
          fr: `${WHY_OFFLINE.fr} \`acme.sh --upgrade\` récupère la dernière version sur GitHub ; le lab montre la version installée et l’empreinte de mise à jour que \`--install\` n’a pas pu obtenir hors ligne (vide).`,
          en: `${WHY_OFFLINE.en} \`acme.sh --upgrade\` fetches the latest version from GitHub; the lab shows the installed version and the upgrade hash \`--install\` could not get offline (empty).`,
        },
      },
      expect: { output: [/^v3\.1\.3$/m, /^UPGRADE_HASH=''$/m] },
    },
    L64: {
      service: 'mail',
      asWritten: true,
      expect: { exitCode: 1, output: [/Unknown parameter: --rollback/] },
      documentError: true,
      evidence: 'Unknown parameter: --rollback',
      finding: {
        fr: '`acme.sh --upgrade --rollback` n’existe pas : acme.sh répond « Unknown parameter: --rollback » et ne fait rien. Pour une version précise : `acme.sh --upgrade -b <étiquette>`.',
        en: '`acme.sh --upgrade --rollback` does not exist: acme.sh answers "Unknown parameter: --rollback" and does nothing. For a given version: `acme.sh --upgrade -b <tag>`.',
      },
      note: { fr: 'Commande commentée dans le guide : le lab lance la commande elle-même.', en: 'Commented out in the guide: the lab runs the command itself.' },
    },
    // §5.2 Exporter les variables d'environnement
    L71: {
      service: 'mail',
      asWritten: true,
      expect: { exitCode: 0 },
      note: {
        fr: 'Le jeton du guide est un exemple, dans un shell à part. Le vrai jeton du lab est dans /etc/lab/cloudflare.env, que les shells de l’hôte mail chargent (profil, BASH_ENV), comme un administrateur l’aurait dans son profil.',
        en: 'The guide’s token is a placeholder, in a shell of its own. The lab’s real token is in /etc/lab/cloudflare.env, which the mail host’s shells load (profile, BASH_ENV), as an admin would keep it in a profile.',
      },
    },
    L73: {
      service: 'mail',
      asWritten: true,
      expect: { exitCode: 0 },
      probe: [
        {
          service: 'mail',
          command: 'curl -s -H "X-Auth-Email: email@cloudflare" -H "X-Auth-Key: GLOBAL_API_KEY" "https://api.cloudflare.com/client/v4/zones?name=domaine.tld"',
          expect: { output: [/"code":9103,"message":"Unknown X-Auth-Key or X-Auth-Email"/] },
          what: {
            fr: 'la clé globale d’exemple, refusée par l’API Cloudflare du lab comme par Cloudflare',
            en: 'the example global key, refused by the lab’s Cloudflare API as Cloudflare refuses it',
          },
        },
      ],
    },
    L74: { service: 'mail', asWritten: true, expect: { exitCode: 0 } },
    L76: {
      service: 'mail',
      asWritten: true,
      expect: { output: [/"success": true/, /This API Token is valid and active/] },
      probe: [
        {
          service: 'mail',
          command: 'curl -s -H "Authorization: Bearer ${CF_Token%?}x" https://api.cloudflare.com/client/v4/user/tokens/verify',
          expect: { output: [/^\{"success":false,"errors":\[\{"code":1000,"message":"Invalid API Token"\}\]/m] },
          what: { fr: 'un jeton faux reçoit la réponse de Cloudflare', en: 'a wrong token gets Cloudflare’s answer' },
        },
      ],
    },
    // §5.3 Commande d'émission (ECC recommandé)
    L78: {
      service: 'mail',
      asWritten: true,
      timeoutMs: ISSUE_TIMEOUT_MS,
      expect: { output: [/Using CA: https:\/\/acme-v02\.api\.letsencrypt\.org\/directory/, /Cert success\./, /Your cert is in: \/root\/\.acme\.sh\/domaine\.tld_ecc\/domaine\.tld\.cer/] },
      probe: [
        {
          service: 'mail',
          command:
            'd=~/.acme.sh/domaine.tld_ecc; openssl x509 -in $d/domaine.tld.cer -noout -text | grep -E "NIST CURVE|DNS:"; ' +
            `openssl verify -CAfile ${PEBBLE_ROOT} -untrusted $d/ca.cer $d/domaine.tld.cer`,
          expect: { output: [/NIST CURVE: P-256/, /DNS:domaine\.tld, DNS:\*\.domaine\.tld/, /domaine\.tld\.cer: OK$/m] },
          what: { fr: 'ECDSA P-256, les deux noms, chaîne jusqu’à la racine de l’AC du lab', en: 'ECDSA P-256, both names, chain up to the lab CA’s root' },
        },
      ],
    },
    // §5.4 Vérifier SAN & Dates
    L84: {
      service: 'mail',
      asWritten: true,
      expect: { output: [/DNS:domaine\.tld, DNS:\*\.domaine\.tld/, /^notAfter=/m, /^subject=CN = domaine\.tld$/m] },
    },
    // §5.5 Variante RSA
    L88: {
      service: 'mail',
      asWritten: true,
      timeoutMs: ISSUE_TIMEOUT_MS,
      expect: { output: [/Cert success\./, /Your cert is in: \/root\/\.acme\.sh\/domaine\.tld\/domaine\.tld\.cer/] },
      probe: [
        {
          service: 'mail',
          command: 'openssl x509 -in /root/.acme.sh/domaine.tld/domaine.tld.cer -noout -text | grep -E "Public-Key|DNS:"',
          expect: { output: [/Public-Key: \(2048 bit\)/, /DNS:domaine\.tld, DNS:\*\.domaine\.tld/] },
          what: { fr: 'clé RSA 2048 et mêmes SAN, dans ~/.acme.sh/domaine.tld/ (sans _ecc)', en: 'RSA 2048 key and the same SANs, in ~/.acme.sh/domaine.tld/ (no _ecc)' },
        },
      ],
    },
    // §7 Comprendre la config TLS générée par Hestia
    L107: {
      service: 'mail',
      substitution: {
        command: `exim -be ${q(optionValue(doc('L107').text, 'tls_certificate'))}`,
        why: {
          fr: 'Un extrait de configuration, pas une commande : le lab évalue l’expression du guide avec `exim -be` (hors connexion TLS, $tls_in_sni est vide, d’où le fallback). Le modèle du lab a la forme plus simple `${if exists{…/${tls_in_sni}.crt}…}` (sonde : exim -bP).',
          en: 'A configuration excerpt, not a command: the lab evaluates the guide’s expression with `exim -be` (outside a TLS connection $tls_in_sni is empty, hence the fallback). The lab’s template has the simpler form `${if exists{…/${tls_in_sni}.crt}…}` (probe: exim -bP).',
        },
      },
      expect: { output: [/^\/usr\/local\/hestia\/ssl\/certificate\.crt$/m] },
      probe: [
        {
          service: 'mail',
          command: 'exim -bP tls_certificate',
          expect: { output: [/^tls_certificate = \$\{if exists\{\/usr\/local\/hestia\/ssl\/mail\/\$\{tls_in_sni\}\.crt\}/m] },
          what: { fr: 'l’expression effective du modèle du lab', en: 'the lab template’s effective expression' },
        },
      ],
    },
    L124: { service: 'mail', coveredBy: 'L126', expect: {} },
    // §8.1 Déploiement direct
    L126: {
      service: 'mail',
      asWritten: true,
      expect: { output: [/Reloading exim4 configuration files/, /Reload success/] },
      probe: [
        {
          service: 'mail',
          command: "stat -c '%a %U:%G %n' /usr/local/hestia/ssl/mail/mail.domaine.tld.key /usr/local/hestia/ssl/certificate.key /usr/local/hestia/ssl/mail/mail.domaine.tld.crt",
          expect: { output: [/^640 root:Debian-exim \/usr\/local\/hestia\/ssl\/mail\/mail\.domaine\.tld\.key$/m, /^640 root:Debian-exim \/usr\/local\/hestia\/ssl\/certificate\.key$/m, /^644 root:root /m] },
          what: { fr: 'droits posés par le --reloadcmd', en: 'permissions set by the --reloadcmd' },
        },
      ],
    },
    // §8.2 Variante script
    L140: {
      service: 'mail',
      asWritten: true,
      writeTo: { path: '/usr/local/bin/deploy-mail-cert.sh', mode: 0o644 },
      apply: 'bash -n /usr/local/bin/deploy-mail-cert.sh && head -n 1 /usr/local/bin/deploy-mail-cert.sh',
      expect: { output: [/^#!\/usr\/bin\/env bash$/m] },
      note: {
        fr: 'Le lab écrit le script tel quel à l’emplacement que nomme le guide, puis vérifie sa syntaxe ; il s’exécute au bloc L159.',
        en: 'The lab writes the script verbatim where the guide says, then checks its syntax; it runs in block L159.',
      },
    },
    L157: {
      service: 'mail',
      asWritten: true,
      expect: { exitCode: 0 },
      probe: [
        {
          service: 'mail',
          command: 'test -x /usr/local/bin/deploy-mail-cert.sh && echo executable',
          expect: { output: [/^executable$/m] },
          what: { fr: 'le script est exécutable', en: 'the script is executable' },
        },
      ],
    },
    L159: {
      service: 'mail',
      asWritten: true,
      expect: { output: [/Reloading exim4 configuration files/, /Reload success/] },
      probe: [
        {
          service: 'toolbox',
          command: `openssl s_client -connect mail.domaine.tld:465 -servername mail.domaine.tld -CAfile ${PEBBLE_ROOT} </dev/null 2>/dev/null | grep -E 'issuer=|Verify return code'`,
          expect: { output: [/issuer=CN = Pebble Intermediate CA/, /Verify return code: 0 \(ok\)/] },
          what: { fr: 'Exim sert la chaîne Pebble', en: 'Exim serves the Pebble chain' },
        },
      ],
    },
    // §9 Configuration TLS Exim4
    L172: {
      service: 'mail',
      asWritten: true,
      writeTo: { path: '/etc/exim4/conf.d/main/01_local_tls_macros', mode: 0o644 },
      apply:
        'update-exim4.conf -v -o /tmp/doc-L172.conf && echo "lines of 01_local_tls_macros in the generated configuration: $(grep -c -e MAIN_TLS_ENABLE -e \'25 : 587 : 465\' /tmp/doc-L172.conf)"',
      expect: { output: [/using non-split configuration scheme from \/etc\/exim4\/exim4\.conf\.template/, /in the generated configuration: 0$/m] },
      documentError: true,
      evidence: 'using non-split configuration scheme from /etc/exim4/exim4.conf.template',
      finding: {
        fr: 'HestiaCP n’utilise pas la configuration éclatée de Debian : conf.d/ n’est jamais lu, le fichier de macros reste sans effet (et MAIN_TLS_ENABLE est une macro du modèle Debian, que le modèle Hestia ignore).',
        en: 'HestiaCP does not use Debian’s split configuration: conf.d/ is never read, so the macros file has no effect (and MAIN_TLS_ENABLE is a Debian-template macro the Hestia template ignores).',
      },
    },
    L182: {
      service: 'mail',
      asWritten: true,
      writeTo: { path: '/etc/exim4/conf.d/main/40_local_auth_tls.conf', mode: 0o644 },
      apply: [
        'update-exim4.conf -v -o /tmp/doc-L182.conf && echo "tls_in_cipher lines in the generated configuration: $(grep -c tls_in_cipher /tmp/doc-L182.conf)"',
        // Even a split configuration would skip it: update-exim4.conf only takes file names without a dot.
        "rm -rf /tmp/doc-split && cp -a /etc/exim4 /tmp/doc-split && sed -i \"s/^dc_use_split_config=.*/dc_use_split_config='true'/\" /tmp/doc-split/update-exim4.conf.conf",
        'update-exim4.conf -v -d /tmp/doc-split -o /tmp/doc-split.conf',
      ].join('\n'),
      expect: {
        output: [/tls_in_cipher lines in the generated configuration: 0$/m, /internal run-parts: ignoring file: \/tmp\/doc-split\/conf\.d\/main\/40_local_auth_tls\.conf/],
      },
      documentError: true,
      evidence: 'internal run-parts: ignoring file: /tmp/doc-split/conf.d/main/40_local_auth_tls.conf',
      finding: {
        fr: 'Deux fois sans effet : conf.d/ n’est pas lu sur HestiaCP, et même en configuration éclatée update-exim4.conf ignore un nom contenant un point (.conf). AUTH reste annoncé avant STARTTLS (voir L253).',
        en: 'Ineffective twice over: conf.d/ is not read on HestiaCP, and even in a split configuration update-exim4.conf skips a file name with a dot (.conf). AUTH stays offered before STARTTLS (see L253).',
      },
    },
    L184: { service: 'mail', asWritten: true, expect: { exitCode: 0 } },
    L185: { service: 'mail', asWritten: true, expect: { output: [/Reloading exim4 configuration files/] } },
    // §9.1 Vérifier paramètres effectifs
    L187: {
      service: 'mail',
      asWritten: true,
      expect: { output: [/^daemon_smtp_ports = 25 : 465 : 587$/m] },
      note: {
        fr: 'L’ordre est celui du modèle Hestia (25 : 465 : 587), pas celui du fichier de macros du §9 (25 : 587 : 465) : preuve qu’il n’a pas été lu.',
        en: 'The order is the Hestia template’s (25 : 465 : 587), not the §9 macros file’s (25 : 587 : 465): proof it was not read.',
      },
    },
    L188: { service: 'mail', asWritten: true, expect: { output: [/^tls_on_connect_ports = 465$/m] } },
    L189: { service: 'mail', asWritten: true, expect: { output: [/^tls_certificate = \$\{if exists\{/m] } },
    L190: { service: 'mail', asWritten: true, expect: { output: [/^tls_privatekey = \$\{if exists\{/m] } },
    // §11.1 Protocoles & Ciphers: "Dans un override (ex. 50_local_tls_policies.conf)"
    L204: {
      service: 'mail',
      asWritten: true,
      writeTo: { path: '/etc/exim4/conf.d/main/50_local_tls_policies.conf', mode: 0o644 },
      apply: 'update-exim4.conf -v -o /tmp/doc-L204.conf && echo "openssl_options lines in the generated configuration: $(grep -c openssl_options /tmp/doc-L204.conf)"',
      expect: { output: [/using non-split configuration scheme from \/etc\/exim4\/exim4\.conf\.template/, /in the generated configuration: 0$/m] },
      probe: [
        {
          service: 'mail',
          command: `${pasteInTemplate('L204', '/etc/exim4/conf.d/main/50_local_tls_policies.conf')} && update-exim4.conf`,
          expect: { exitCode: 1, output: [/openssl_options is set but we're using GnuTLS/, /not installing/] },
          what: WHY_TEMPLATE_PROBE({
            fr: 'update-exim4.conf valide la configuration produite et refuse de l’installer.',
            en: 'update-exim4.conf checks the configuration it produced and refuses to install it.',
          }),
        },
        restoreTemplate('L204', false),
      ],
      documentError: true,
      evidence: "openssl_options is set but we're using GnuTLS",
      finding: {
        fr: 'Sur HestiaCP, l’override de conf.d/ n’est pas lu ; et dans le modèle qu’Exim lit, openssl_options est une erreur : l’Exim de Debian (donc de HestiaCP) est lié à GnuTLS. Les versions se règlent dans tls_require_ciphers, en syntaxe de priorité GnuTLS (NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2).',
        en: 'On HestiaCP the conf.d/ override is not read; and in the template Exim reads, openssl_options is an error: Debian’s (hence HestiaCP’s) Exim is linked with GnuTLS. Versions are set in tls_require_ciphers, as a GnuTLS priority string (NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2).',
      },
    },
    L208: {
      service: 'mail',
      asWritten: true,
      writeTo: { path: '/etc/exim4/conf.d/main/50_local_tls_policies.conf', mode: 0o644 },
      apply: 'update-exim4.conf -v -o /tmp/doc-L208.conf && echo "tls_require_ciphers lines in the generated configuration: $(grep -c ^tls_require_ciphers /tmp/doc-L208.conf)"',
      expect: { output: [/using non-split configuration scheme/, /in the generated configuration: 0$/m] },
      probe: [
        {
          service: 'mail',
          command: `${pasteInTemplate('L208', '/etc/exim4/conf.d/main/50_local_tls_policies.conf')} && update-exim4.conf && { systemctl restart exim4; rc=$?; tail -n 2 /var/log/exim4/paniclog; exit $rc; }`,
          expect: { exitCode: 1, output: [/tls_require_ciphers invalid: gnutls_priority_init\(HIGH:!aNULL:/] },
          what: WHY_TEMPLATE_PROBE({
            fr: 'update-exim4.conf l’accepte (exim -bV ne valide pas la chaîne), le redémarrage échoue et le démon reste arrêté.',
            en: 'update-exim4.conf accepts it (exim -bV does not check the string); the restart fails and the daemon stays down.',
          }),
        },
        restoreTemplate('L208', true),
      ],
      documentError: true,
      evidence: 'tls_require_ciphers invalid: gnutls_priority_init(HIGH:!aNULL:',
      finding: {
        fr: 'Ignorée dans l’override ; dans le modèle, une chaîne OpenSSL sur un Exim GnuTLS : Exim ne démarre plus. Équivalent GnuTLS : NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305.',
        en: 'Ignored in the override; in the template, an OpenSSL string on a GnuTLS Exim: Exim no longer starts. GnuTLS equivalent: NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305.',
      },
    },
    // §11.3 Permissions clé
    L213: { service: 'mail', asWritten: true, expect: { exitCode: 0 } },
    L214: {
      service: 'mail',
      asWritten: true,
      expect: { exitCode: 0 },
      probe: [
        {
          service: 'mail',
          command: "stat -c '%a %U:%G' /usr/local/hestia/ssl/mail/mail.domaine.tld.key",
          expect: { output: [/^640 root:Debian-exim$/m] },
          what: { fr: 'clé en 640 root:Debian-exim', en: 'key is 640 root:Debian-exim' },
        },
      ],
    },
    // §12 Automatisation du renouvellement (inline in the prose: "acme.sh crée un cron quotidien (~/.acme.sh/acme.sh --cron")
    L223: {
      service: 'mail',
      asWritten: true,
      timeoutMs: 120_000,
      expect: { output: [/Skipping\. Next renewal time is: /, /Skipped domaine\.tld_ecc/] },
      probe: [
        {
          service: 'mail',
          command: "crontab -l | grep -F 'acme.sh --cron'; pgrep -x cron >/dev/null && echo 'cron is running'",
          expect: { output: [/acme\.sh --cron --home "\/root\/\.acme\.sh"/, /^cron is running$/m] },
          what: { fr: 'la ligne de crontab posée par --install, et cron qui tourne', en: 'the crontab line --install put there, and cron running' },
        },
      ],
      note: {
        fr: 'Rien n’est encore dû. Le renouvellement par la date (la tâche cron sous une horloge avancée par faketime) est prouvé par l’exercice 15.',
        en: 'Nothing is due yet. Renewal by date (the cron job under a clock moved by faketime) is proven by exercise 15.',
      },
    },
    // §12.1 Test de renouvellement forcé
    L226: {
      service: 'mail',
      asWritten: true,
      timeoutMs: ISSUE_TIMEOUT_MS,
      expect: { output: [/Cert success\./, /Reload success/] },
      probe: [servedIsRenewed],
    },
    L230: { service: 'mail', coveredBy: 'L185', expect: {} },
    // §12.2 Vérification post-renouvellement
    L233: { service: 'toolbox', asWritten: true, expect: { output: [/^notBefore=/m, /^notAfter=/m] } },
    // §12.3 Monitoring expiration
    L237: {
      service: 'mail',
      asWritten: true,
      writeTo: { path: '/usr/local/bin/check-mail-cert-expiry.sh', mode: 0o755 },
      apply: '/usr/local/bin/check-mail-cert-expiry.sh',
      expect: { exitCode: 0, notOutput: [/ALERTE/] },
      probe: [
        {
          service: 'mail',
          command: 'for rcpt in [email protected]; do echo "recipient: $rcpt"; exim -bt "$rcpt" 2>&1; done; command -v mail || echo "mail: not installed"',
          expect: { output: [/^recipient: \[email$/m, /^recipient: protected\]$/m, /malformed local part/, /^mail: not installed$/m] },
          what: {
            fr: 'le destinataire de l’alerte tel que le shell le découpe, vu par Exim ; et la commande mail',
            en: 'the alert’s recipient as the shell splits it, seen by Exim; and the mail command',
          },
        },
      ],
      documentError: true,
      evidence: 'malformed local part',
      finding: {
        fr: '`[email protected]` est l’artefact de la protection d’e-mails de Cloudflare sur la page publiée : le shell en fait deux « adresses » invalides. Et `mail` (bsd-mailx) n’est pas installé sur un hôte Debian minimal. Le certificat Pebble vaut 5 ans : le script se tait.',
        en: '`[email protected]` is the artefact of Cloudflare’s email protection on the published page: the shell makes two invalid "addresses" of it. And `mail` (bsd-mailx) is not installed on a minimal Debian host. Pebble’s certificate lasts 5 years: the script stays silent.',
      },
      note: { fr: 'Le guide ne nomme pas le fichier : le lab l’écrit dans /usr/local/bin/check-mail-cert-expiry.sh.', en: 'The guide names no file: the lab writes it to /usr/local/bin/check-mail-cert-expiry.sh.' },
    },
    // §13.1 / §13.2
    L247: opensslVerifyEntry(doc('L247')),
    L249: opensslVerifyEntry(doc('L249')),
    // §13.3 Vérifier annonce AUTH après TLS
    L253: {
      service: 'toolbox',
      substitution: {
        command: "(sleep 1; echo 'EHLO test'; sleep 1; echo QUIT) | openssl s_client -connect mail.domaine.tld:587 -starttls smtp -servername mail.domaine.tld -crlf -quiet 2>/dev/null",
        why: {
          fr: 'Une ligne à taper dans une session SMTP, pas une commande shell : le lab ouvre la session STARTTLS avec openssl s_client et y envoie EHLO test.',
          en: 'A line typed inside an SMTP session, not a shell command: the lab opens the STARTTLS session with openssl s_client and sends EHLO test in it.',
        },
      },
      expect: { output: [/^250-AUTH PLAIN LOGIN/m] },
      probe: [
        {
          service: 'toolbox',
          command: "(sleep 1; printf 'EHLO test\\r\\n'; sleep 1; printf 'QUIT\\r\\n') | nc -w 5 mail.domaine.tld 587",
          expect: { output: [/^250-STARTTLS/m, /^250-AUTH PLAIN LOGIN/m] },
          what: { fr: 'EHLO en clair, avant STARTTLS', en: 'EHLO in clear, before STARTTLS' },
        },
      ],
      documentError: true,
      evidence: '250-STARTTLS',
      finding: {
        fr: 'AUTH est « attendu absent en clair avant STARTTLS », mais il y est : l’override du §9 n’est jamais lu. Il faut mettre auth_advertise_hosts dans le modèle Hestia.',
        en: 'AUTH is "expected absent in clear before STARTTLS", yet it is there: the §9 override is never read. auth_advertise_hosts belongs in the Hestia template.',
      },
    },
    // §13.4 Paramètres Exim
    L257: { service: 'mail', asWritten: true, expect: { output: [/^tls_certificate = /m] } },
    L258: {
      service: 'mail',
      asWritten: true,
      expect: { exitCode: 0, notOutput: [/\S/] },
      note: {
        fr: 'La ligne affecte une variable du shell et n’affiche rien (sans doute `exim -bP tls_privatekey` abîmé par la mise en page).',
        en: 'The line assigns a shell variable and prints nothing (probably `exim -bP tls_privatekey` mangled by the page layout).',
      },
    },
    // §16.2 Script stats
    L286: {
      service: 'mail',
      asWritten: true,
      expect: { output: [/^0$/m] },
      probe: [
        {
          service: 'toolbox',
          command: "swaks --server mail.domaine.tld --port 25 --tls --from probe@example.com --to alice@domaine.tld --header 'Subject: L286' --silent 2",
          expect: { exitCode: 0 },
          what: { fr: 'un message reçu en STARTTLS', en: 'one message received over STARTTLS' },
        },
        {
          service: 'mail',
          command: 'sleep 1; echo "STARTTLS lines: $(grep -ci STARTTLS /var/log/exim4/mainlog)"; grep -m1 -o "P=esmtps X=TLS[^ ]*" /var/log/exim4/mainlog',
          expect: { output: [/^STARTTLS lines: 0$/m, /P=esmtps X=TLS1\.[23]/] },
          what: { fr: 'ce que le mainlog enregistre pour ce message', en: 'what the mainlog records for that message' },
        },
      ],
      documentError: true,
      evidence: 'P=esmtps',
      finding: {
        fr: 'Exim n’écrit pas « STARTTLS » dans le mainlog : le compte reste 0 même après un message chiffré. Compter P=esmtps (ou X=TLS) sur les lignes <=.',
        en: 'Exim does not write "STARTTLS" in the mainlog: the count stays 0 even after an encrypted message. Count P=esmtps (or X=TLS) on the <= lines.',
      },
    },
    L296: { service: 'mail', coveredBy: 'L182', expect: {} },
    L300: { service: 'mail', coveredBy: 'L185', expect: {} },
    // §19.1 Commandes acme.sh essentielles
    L319: {
      service: 'toolbox',
      asWritten: true,
      expect: { exitCode: 127, output: [/a: command not found/] },
      documentError: true,
      evidence: 'a: command not found',
      finding: { fr: 'Coquille « a cme.sh » : le shell cherche une commande « a ».', en: 'Typo "a cme.sh": the shell looks for a command "a".' },
    },
    L321: {
      service: 'mail',
      asWritten: true,
      expect: { output: [/Reload success/] },
      note: {
        fr: 'Ce --reloadcmd ne règle ni droits ni fallback ; la clé existante garde ses droits (acme.sh réécrit le contenu).',
        en: 'This --reloadcmd sets neither permissions nor the fallback; the existing key keeps its permissions (acme.sh rewrites the content).',
      },
    },
    L323: {
      service: 'mail',
      asWritten: true,
      timeoutMs: ISSUE_TIMEOUT_MS,
      expect: { output: [/Cert success\./, /Reload success/] },
      probe: [servedIsRenewed],
    },
    // §19.2 Exemple 01_local_tls_macros
    L325: {
      service: 'mail',
      asWritten: true,
      writeTo: { path: '/etc/exim4/conf.d/main/01_local_tls_macros', mode: 0o644 },
      apply: 'update-exim4.conf -v -o /tmp/doc-L325.conf && echo "lines of 01_local_tls_macros in the generated configuration: $(grep -c -e MAIN_TLS_ENABLE -e \'25 : 587 : 465\' /tmp/doc-L325.conf)"',
      expect: { output: [/using non-split configuration scheme/, /in the generated configuration: 0$/m] },
      probe: [
        {
          service: 'mail',
          command: `${pasteInTemplate('L325', '/etc/exim4/conf.d/main/01_local_tls_macros')} && update-exim4.conf`,
          expect: { exitCode: 1, output: [/"daemon_smtp_ports" option set for the second time/] },
          what: WHY_TEMPLATE_PROBE({
            fr: 'le modèle Hestia définit déjà daemon_smtp_ports : update-exim4.conf refuse la configuration.',
            en: 'the Hestia template already sets daemon_smtp_ports: update-exim4.conf refuses the configuration.',
          }),
        },
        restoreTemplate('L325', false),
      ],
      documentError: true,
      evidence: '"daemon_smtp_ports" option set for the second time',
      finding: {
        fr: 'Ignoré dans conf.d/, refusé dans le modèle : sur HestiaCP, on vérifie les valeurs existantes du modèle (exim -bP) au lieu d’ajouter ces macros.',
        en: 'Ignored in conf.d/, refused in the template: on HestiaCP, check the template’s existing values (exim -bP) instead of adding these macros.',
      },
    },
    // §19.3 Séquence de tests OpenSSL
    L331: { service: 'mail', asWritten: true, expect: { output: [/^subject=CN = domaine\.tld$/m, /^notAfter=/m] } },
    L333: { service: 'mail', asWritten: true, expect: { output: [/^subject=CN = domaine\.tld$/m, /^notAfter=/m] } },
    L335: opensslVerifyEntry(doc('L335')),
    // §19.4 Exemple hook multi-actions minimal
    L337: {
      service: 'mail',
      asWritten: true,
      writeTo: { path: '/usr/local/bin/deploy-mail-cert.sh', mode: 0o755 },
      apply: '/usr/local/bin/deploy-mail-cert.sh',
      expect: { output: [/Reloading exim4 configuration files/] },
      probe: [
        {
          service: 'mail',
          command:
            '/usr/local/bin/deploy-mail-cert.sh mail.client2.tld /root/.acme.sh/domaine.tld/fullchain.cer /root/.acme.sh/domaine.tld/domaine.tld.key >/dev/null; ' +
            'echo "files for mail.client2.tld: $(ls /usr/local/hestia/ssl/mail | grep -c client2)"',
          expect: { output: [/^files for mail\.client2\.tld: 0$/m] },
          what: {
            fr: 'l’appel du §8.2 (FQDN, certificat, clé) sur le nouveau script : ses arguments sont ignorés',
            en: 'the §8.2 call (FQDN, certificate, key) on the new script: its arguments are ignored',
          },
        },
      ],
      documentError: true,
      evidence: 'files for mail.client2.tld: 0',
      finding: {
        fr: 'Même chemin que le script du §8.2 mais une autre interface (aucun argument) : il l’écrase, et le --reloadcmd du §8.2 ne déploie plus ce qu’on lui passe.',
        en: 'Same path as the §8.2 script but another interface (no arguments): it overwrites it, and the §8.2 --reloadcmd no longer deploys what it is given.',
      },
      note: { fr: 'Écrit au chemin que nomme son commentaire.', en: 'Written to the path its comment names.' },
    },
    // §19.5 Profil ciphers: no file named; the §11.1 override is where the guide puts cipher settings.
    L349: {
      service: 'mail',
      asWritten: true,
      writeTo: { path: '/etc/exim4/conf.d/main/50_local_tls_policies.conf', mode: 0o644 },
      apply: 'update-exim4.conf -v -o /tmp/doc-L349.conf && echo "tls_require_ciphers lines in the generated configuration: $(grep -c ^tls_require_ciphers /tmp/doc-L349.conf)"',
      expect: { output: [/using non-split configuration scheme/, /in the generated configuration: 0$/m] },
      probe: [
        {
          service: 'mail',
          command: `${pasteInTemplate('L349', '/etc/exim4/conf.d/main/50_local_tls_policies.conf')} && update-exim4.conf && { systemctl restart exim4; rc=$?; tail -n 2 /var/log/exim4/paniclog; exit $rc; }`,
          expect: { exitCode: 1, output: [/tls_require_ciphers invalid: gnutls_priority_init\(ECDHE\+AESGCM:/] },
          what: WHY_TEMPLATE_PROBE({ fr: 'comme au §11.1, le redémarrage échoue.', en: 'as in §11.1, the restart fails.' }),
        },
        restoreTemplate('L349', true),
      ],
      documentError: true,
      evidence: 'tls_require_ciphers invalid: gnutls_priority_init(ECDHE+AESGCM:',
      finding: {
        fr: 'Profil « OpenSSL style » sur un Exim GnuTLS : ignoré dans l’override, il empêche Exim de démarrer dans le modèle. Il faut une chaîne de priorité GnuTLS.',
        en: 'An "OpenSSL style" profile on a GnuTLS Exim: ignored in the override, it stops Exim from starting in the template. It needs a GnuTLS priority string.',
      },
    },
    L355: { service: 'mail', coveredBy: 'L78', expect: {} },
  }
  return new Map(Object.entries(t))
}

/**
 * The command a block runs in the lab: its substitution, or the `apply` of a written file, or the document's text
 * (for a command the guide prints commented out, the command itself).
 */
export function labCommand(doc: DocCommand, entry: CommandEntry): string | null {
  if (entry.coveredBy) return null
  if (entry.substitution) return entry.substitution.command
  if (entry.writeTo) return entry.apply ?? null
  return doc.commented ? doc.command : doc.text
}
