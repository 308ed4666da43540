// How each command block of guide 000 runs in the exim lab: as written, or with a stated substitution, and what it must give.
//
// Order matters: the blocks run one after the other in one session, as a reader following the guide would, so a
// block may rely on what an earlier one left (certbot's lineage, files staged where acme.sh keeps them, the deploy
// script). Substitutions follow the lab's rules: lab names, Pebble instead of Let's Encrypt, RFC 2136 updates to the
// lab DNS instead of the Cloudflare API, certbot instead of acme.sh (acme.sh cannot be fetched on this machine),
// the one HestiaCP template instead of Debian's conf.d files.
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

const CERTBOT_DNS01 =
  'certbot certonly --non-interactive --agree-tos --register-unsafely-without-email ' +
  '--dns-rfc2136 --dns-rfc2136-credentials /etc/lab/rfc2136.ini'
const PEBBLE_ROOT = '/etc/lab/pebble-root.pem'
const TEMPLATE = '/etc/exim4/exim4.conf.template'
const WAIT_LISTENING = 'for i in $(seq 1 60); do lab-listening 25 465 587 2>/dev/null && exit 0; sleep 0.25; done; lab-listening 25 465 587'

const WHY_CERTBOT: Bilingual = {
  fr: 'acme.sh ne peut pas être téléchargé sur cette machine (ni paquet Debian, ni accès à get.acme.sh) : le client ACME du lab est certbot (paquet Debian), dans la toolbox.',
  en: 'acme.sh cannot be fetched on this machine (no Debian package, no access to get.acme.sh): the lab’s ACME client is certbot (Debian package), in the toolbox.',
}
const WHY_ISSUE: Bilingual = {
  fr: `${WHY_CERTBOT.fr} Même flux DNS-01 : certbot pose le TXT par RFC 2136 (clé TSIG) sur le DNS du lab au lieu de l’API Cloudflare, auprès de Pebble (réglé au §4.3) au lieu de Let’s Encrypt. Puis le lab recopie les fichiers sur l’hôte mail, là où acme.sh les range (~/.acme.sh/<domaine>_ecc/), pour que la suite du guide s’y applique telle quelle.`,
  en: `${WHY_CERTBOT.en} Same DNS-01 flow: certbot sets the TXT by RFC 2136 (TSIG key) on the lab DNS instead of the Cloudflare API, against Pebble (set in §4.3) instead of Let’s Encrypt. The lab then copies the files to the mail host where acme.sh keeps them (~/.acme.sh/<domain>_ecc/), so the rest of the guide applies to them as written.`,
}
const WHY_INSTALL: Bilingual = {
  fr: '`acme.sh --install-cert` copie le certificat et la clé vers --fullchain-file / --key-file puis exécute --reloadcmd. Sans acme.sh, le lab fait exactement cela sur l’hôte mail : `cat` vers ces chemins (une clé nouvelle est créée en 600, comme acme.sh), puis `eval` du texte --reloadcmd du guide, inchangé.',
  en: '`acme.sh --install-cert` copies the certificate and key to --fullchain-file / --key-file, then runs --reloadcmd. Without acme.sh the lab does exactly that on the mail host: `cat` to those paths (a new key file is made 600, as acme.sh does), then `eval` of the guide’s --reloadcmd text, unchanged.',
}
const WHY_RENEW: Bilingual = {
  fr: `${WHY_CERTBOT.fr} \`certbot renew --force-renewal\` renouvelle auprès de Pebble (--no-random-sleep-on-renew : sans terminal, certbot attendrait sinon jusqu’à 8 minutes, comme dans son cron) ; puis, comme \`acme.sh --renew\`, le lab réinstalle les fichiers selon le dernier --install-cert (mêmes chemins, même --reloadcmd).`,
  en: `${WHY_CERTBOT.en} \`certbot renew --force-renewal\` renews against Pebble (--no-random-sleep-on-renew: without a terminal certbot would otherwise wait up to 8 minutes, as in its cron); then, as \`acme.sh --renew\` does, the lab reinstalls the files per the last --install-cert (same paths, same --reloadcmd).`,
}
const WHY_TEMPLATE = (what: Bilingual): Bilingual => ({
  fr: `L’Exim de HestiaCP ne lit qu’un fichier, ${TEMPLATE} (dc_use_split_config='false') : un « override » dans conf.d/ n’y ferait rien. Le lab colle donc le bloc tel quel dans le modèle, après tls_advertise_hosts, pour voir ce qu’Exim en fait ; ${what.fr} Le modèle est ensuite restauré.`,
  en: `HestiaCP’s Exim reads one file, ${TEMPLATE} (dc_use_split_config='false'): an "override" in conf.d/ would do nothing. So the lab pastes the block verbatim into the template, after tls_advertise_hosts, to see what Exim makes of it; ${what.en} The template is then restored.`,
})
const WHY_PEBBLE_VERIFY: Bilingual = {
  fr: 'Pebble remplace Let’s Encrypt, et sa racine n’est pas dans le magasin de confiance du système : la commande telle quelle donne « Verify return code: 20 » (sonde ci-dessous). Avec -CAfile /etc/lab/pebble-root.pem, la racine de Pebble joue le rôle d’ISRG Root X1.',
  en: 'Pebble stands in for Let’s Encrypt, and its root is not in the system trust store: the command as written gives "Verify return code: 20" (probe below). With -CAfile /etc/lab/pebble-root.pem, Pebble’s root plays ISRG Root X1’s part.',
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

/** The four files acme.sh leaves for a certificate, from certbot's lineage in the toolbox to the mail host. */
function stageAsAcmeSh(lineage: string, dir: string, name: string): CopyStep[] {
  const live = `/etc/letsencrypt/live/${lineage}`
  const files: [string, string, number][] = [
    ['cert.pem', `${name}.cer`, 0o644],
    ['privkey.pem', `${name}.key`, 0o600],
    ['chain.pem', 'ca.cer', 0o644],
    ['fullchain.pem', 'fullchain.cer', 0o644],
  ]
  return files.map(([from, to, mode]) => ({
    copy: { from: ['toolbox', `${live}/${from}`], to: ['mail', `/root/.acme.sh/${dir}/${to}`], mode, owner: 'root:root' },
    what: {
      fr: `certbot → ~/.acme.sh/${dir}/${to} sur l’hôte mail (là où acme.sh l’aurait écrit)`,
      en: `certbot → ~/.acme.sh/${dir}/${to} on the mail host (where acme.sh would have written it)`,
    },
  }))
}

/**
 * `acme.sh --install-cert -d D --ecc --fullchain-file F --key-file K --reloadcmd "…"` done by hand from the
 * guide's own text: its --reloadcmd string, quotes and backslash-newlines included, is assigned by bash exactly as
 * bash would have passed it to acme.sh.
 */
export function installCertEmulation(text: string): string {
  const domain = /-d\s+(\S+)/.exec(text)?.[1]
  const fullchain = /--fullchain-file\s+(\S+)/.exec(text)?.[1]
  const key = /--key-file\s+(\S+)/.exec(text)?.[1]
  const reload = /--reloadcmd\s+("(?:[^"\\]|\\[\s\S])*")/.exec(text)?.[1]
  if (!domain || !fullchain || !key || !reload) throw new Error(`not an acme.sh --install-cert command: ${text}`)
  const dir = `/root/.acme.sh/${domain}${/--ecc\b/.test(text) ? '_ecc' : ''}`
  return [
    'set -e',
    `RELOADCMD=${reload}`,
    `cat ${dir}/fullchain.cer > ${fullchain}`,
    `[ -f ${key} ] || install -m 600 /dev/null ${key}`,
    `cat ${dir}/${domain}.key > ${key}`,
    'eval "$RELOADCMD"',
  ].join('\n')
}

/** The Exim option value of a configuration block, continuation lines joined the way Exim joins them. */
function optionValue(text: string, option: string): string {
  const joined = text.replace(/\\\n\s*/g, ' ')
  const m = new RegExp(`^${option}\\s*=\\s*(.*)$`, 'm').exec(joined)
  if (!m) throw new Error(`no ${option} in ${text}`)
  return m[1]!.trim()
}

/** Pastes a snippet file into the template after tls_advertise_hosts, keeping a copy of the template to restore. */
const pasteInTemplate = (id: string): string =>
  `cp ${TEMPLATE} /root/exim4.conf.template.before-${id} && sed -i '/^tls_advertise_hosts = /r /root/doc-${id}.snippet' ${TEMPLATE}`
const restoreTemplate = (id: string, restart: boolean): ExecStep => ({
  service: 'mail',
  command: `cp /root/exim4.conf.template.before-${id} ${TEMPLATE} && update-exim4.conf${restart ? ` && systemctl restart exim4 && ${WAIT_LISTENING.replace(/exit 0/, 'break')}` : ''}`,
  what: { fr: 'le modèle est restauré (le lecteur retire la ligne fautive)', en: 'the template is restored (the reader removes the faulty line)' },
})

/** Served certificate on 587 is the one certbot just renewed: the hook deployed it and Exim reads it per connection. */
const servedIsRenewed: ExecStep = {
  service: 'toolbox',
  command:
    'served=$(openssl s_client -connect mail.domaine.tld:587 -starttls smtp -servername mail.domaine.tld </dev/null 2>/dev/null | openssl x509 -noout -serial); ' +
    'renewed=$(openssl x509 -in /etc/letsencrypt/live/domaine.tld/cert.pem -noout -serial); echo "served $served"; echo "renewed $renewed"; [ "$served" = "$renewed" ]',
  expect: { exitCode: 0, output: [/served serial=[0-9A-F]+/] },
  what: { fr: 'le certificat servi sur 587 est celui qui vient d’être renouvelé', en: 'the certificate served on 587 is the one just renewed' },
}

function opensslVerifyEntry(doc: DocCommand, withCa: string): CommandEntry {
  return {
    service: 'toolbox',
    substitution: { command: withCa, why: WHY_PEBBLE_VERIFY },
    expect: { output: [/Verify return code: 0 \(ok\)/] },
    probe: [
      {
        service: 'toolbox',
        command: doc.text,
        expect: { output: [/Verify return code: 20 \(unable to get local issuer certificate\)/] },
        what: { fr: 'la commande telle quelle, sans la racine de Pebble', en: 'the command as written, without Pebble’s root' },
      },
    ],
  }
}

/** The table, keyed by command id (`L<line>`), built from the document's own command texts. */
export function commandTable(commands: readonly DocCommand[]): ReadonlyMap<string, CommandEntry> {
  const doc = (id: string): DocCommand => {
    const c = commands.find((x) => x.id === id)
    if (!c) throw new Error(`guide 000 has no command ${id}`)
    return c
  }
  const withCa = (id: string): string => doc(id).text.replace(/ -servername mail\.domaine\.tld /, ` -servername mail.domaine.tld -CAfile ${PEBBLE_ROOT} `)

  const t: Record<string, CommandEntry> = {
    // §4.1 Installation
    L52: {
      service: 'toolbox',
      substitution: {
        command: "dpkg-query -W -f '${Package} ${Version}\\n' certbot python3-certbot-dns-rfc2136",
        why: {
          fr: `${WHY_CERTBOT.fr} L’image de la toolbox l’installe avec apt (certbot et son greffon rfc2136) ; la commande montre ce qui est installé.`,
          en: `${WHY_CERTBOT.en} The toolbox image installs it with apt (certbot and its rfc2136 plugin); the command shows what is installed.`,
        },
      },
      expect: { output: [/^certbot 2\.\d/m, /^python3-certbot-dns-rfc2136 2\.\d/m] },
    },
    L53: {
      service: 'toolbox',
      asWritten: true,
      expect: { exitCode: 0 },
      note: { fr: 'Sans effet utile dans le lab : l’installeur d’acme.sh n’a pas ajouté d’alias.', en: 'No useful effect in the lab: no acme.sh installer added an alias.' },
    },
    L54: {
      service: 'toolbox',
      substitution: { command: 'certbot --version', why: WHY_CERTBOT },
      expect: { output: [/certbot 2\.\d+\.\d+/] },
    },
    // §4.2 Structure
    L56: {
      service: 'toolbox',
      substitution: {
        command: 'ls /etc/letsencrypt',
        why: {
          fr: `${WHY_CERTBOT.fr} L’arborescence de certbot est /etc/letsencrypt (live/, archive/, renewal/, cli.ini) ; avant toute émission, il n’y a que cli.ini. Après le §5.3, le lab range aussi les fichiers comme acme.sh sur l’hôte mail (~/.acme.sh/domaine.tld_ecc/).`,
          en: `${WHY_CERTBOT.en} certbot’s tree is /etc/letsencrypt (live/, archive/, renewal/, cli.ini); before any issuance only cli.ini is there. After §5.3 the lab also lays the files out as acme.sh does on the mail host (~/.acme.sh/domaine.tld_ecc/).`,
        },
      },
      expect: { output: [/cli\.ini/] },
    },
    // §4.3 Forcer Let's Encrypt comme CA
    L61: {
      service: 'toolbox',
      substitution: {
        command: "echo 'server = https://acme.lab.test:14000/dir' >> /etc/letsencrypt/cli.ini && grep '^server' /etc/letsencrypt/cli.ini",
        why: {
          fr: 'Pebble au lieu de Let’s Encrypt. Le « CA par défaut » de certbot se règle dans /etc/letsencrypt/cli.ini : les commandes certbot suivantes n’ont plus besoin de --server.',
          en: 'Pebble instead of Let’s Encrypt. certbot’s "default CA" is set in /etc/letsencrypt/cli.ini: the following certbot commands no longer need --server.',
        },
      },
      expect: { output: [/^server = https:\/\/acme\.lab\.test:14000\/dir$/m] },
    },
    // §4.4 Mise à jour
    L63: {
      service: 'toolbox',
      substitution: {
        command: 'apt-get --simulate install --only-upgrade certbot',
        why: {
          fr: `${WHY_CERTBOT.fr} certbot se met à jour par apt ; sans Internet, apt (simulé) ne connaît que la version installée.`,
          en: `${WHY_CERTBOT.en} certbot is updated by apt; without the Internet, apt (simulated) knows only the installed version.`,
        },
      },
      expect: { output: [/certbot is already the newest version \(2\./] },
    },
    L64: {
      service: 'toolbox',
      substitution: {
        command: 'apt-cache policy certbot',
        why: {
          fr: `${WHY_CERTBOT.fr} Revenir en arrière avec certbot, c’est installer une version antérieure du paquet (apt-get install certbot=<version>) depuis l’archive Debian, hors d’atteinte ici : le lab montre la seule version disponible.`,
          en: `${WHY_CERTBOT.en} Rolling certbot back means installing an earlier package version (apt-get install certbot=<version>) from the Debian archive, out of reach here: the lab shows the only version available.`,
        },
      },
      expect: { output: [/Installed: 2\.\d/, /Version table:/] },
      documentError: true,
      confirmedIn: 'source',
      evidence: 'Unknown parameter: --rollback',
      finding: {
        fr: '`acme.sh --upgrade --rollback` n’existe pas : la boucle d’options d’acme.sh ne connaît pas --rollback (« Unknown parameter »). Pour une version précise : `acme.sh --upgrade -b <étiquette>`. Non vérifiable dans le lab, faute d’acme.sh.',
        en: '`acme.sh --upgrade --rollback` does not exist: acme.sh’s option loop has no --rollback ("Unknown parameter"). For a given version: `acme.sh --upgrade -b <tag>`. Not checkable in the lab, which has no acme.sh.',
      },
    },
    // §5.2 Exporter les variables d'environnement
    L71: {
      service: 'toolbox',
      substitution: {
        command: "stat -c '%a %U %n' /etc/lab/rfc2136.ini /etc/lab/tsig.key && grep -E '^dns_rfc2136_(server|port|name|algorithm) ' /etc/lab/rfc2136.ini",
        why: {
          fr: 'RFC 2136 vers le DNS du lab au lieu de l’API Cloudflare : le rôle du jeton CF_Token est tenu par la clé TSIG de la session, déjà écrite (mode 600) dans /etc/lab/rfc2136.ini (format certbot) et /etc/lab/tsig.key (format nsupdate).',
          en: 'RFC 2136 to the lab DNS instead of the Cloudflare API: the CF_Token’s part is played by the session’s TSIG key, already written (mode 600) to /etc/lab/rfc2136.ini (certbot format) and /etc/lab/tsig.key (nsupdate format).',
        },
      },
      expect: { output: [/^600 root \/etc\/lab\/rfc2136\.ini$/m, /^600 root \/etc\/lab\/tsig\.key$/m, /^dns_rfc2136_name = lab-update$/m, /^dns_rfc2136_port = 5353$/m] },
    },
    L73: {
      service: 'toolbox',
      substitution: {
        command: "grep -c '^dns_rfc2136_secret = ' /etc/lab/rfc2136.ini",
        why: {
          fr: 'La clé globale Cloudflare n’a pas d’équivalent dans le lab : le seul secret est celui de la clé TSIG (dns_rfc2136_secret), non affiché.',
          en: 'Cloudflare’s global key has no lab counterpart: the one secret is the TSIG key’s (dns_rfc2136_secret), not printed.',
        },
      },
      expect: { output: [/^1$/m] },
    },
    L74: {
      service: 'toolbox',
      substitution: {
        command: "grep '^dns_rfc2136_name' /etc/lab/rfc2136.ini",
        why: {
          fr: 'L’e-mail du compte Cloudflare désignait qui signe ; côté RFC 2136, c’est le nom de la clé TSIG.',
          en: 'The Cloudflare account email said who signs; with RFC 2136 that is the TSIG key’s name.',
        },
      },
      expect: { output: [/^dns_rfc2136_name = lab-update$/m] },
    },
    L76: {
      service: 'toolbox',
      substitution: {
        command: 'dig -k /etc/lab/tsig.key -p 5353 @"$LAB_DNS_IP" domaine.tld SOA',
        why: {
          fr: 'Pas d’API Cloudflare (ni d’Internet) dans le lab : on vérifie la clé TSIG par une requête signée au serveur faisant autorité du lab, qui répond NOERROR et signe sa réponse (TSIG PSEUDOSECTION). jq n’est pas nécessaire.',
          en: 'No Cloudflare API (nor Internet) in the lab: the TSIG key is checked by a signed query to the lab’s authoritative server, which answers NOERROR and signs its reply (TSIG PSEUDOSECTION). No jq needed.',
        },
      },
      expect: { output: [/status: NOERROR/, /TSIG PSEUDOSECTION/, /^lab-update\.\s/m] },
    },
    // §5.3 Commande d'émission (ECC recommandé)
    L78: {
      service: 'toolbox',
      substitution: {
        command: `${CERTBOT_DNS01} --key-type ecdsa --elliptic-curve secp256r1 --cert-name domaine.tld -d domaine.tld -d '*.domaine.tld'`,
        why: WHY_ISSUE,
      },
      timeoutMs: 120_000,
      expect: { output: [/Successfully received certificate/] },
      then: stageAsAcmeSh('domaine.tld', 'domaine.tld_ecc', 'domaine.tld'),
    },
    // §5.4 Vérifier SAN & Dates
    L84: {
      service: 'mail',
      asWritten: true,
      expect: { output: [/DNS:domaine\.tld, DNS:\*\.domaine\.tld/, /^notAfter=/m, /^subject=CN = domaine\.tld$/m] },
    },
    // §5.5 Variante RSA
    L88: {
      service: 'toolbox',
      substitution: {
        command: `${CERTBOT_DNS01} --key-type rsa --rsa-key-size 2048 --cert-name domaine.tld-rsa -d domaine.tld -d '*.domaine.tld'`,
        why: {
          fr: `${WHY_ISSUE.fr} Lignée à part (domaine.tld-rsa), rangée dans ~/.acme.sh/domaine.tld/ comme le cert RSA d’acme.sh (§4.2).`,
          en: `${WHY_ISSUE.en} A separate lineage (domaine.tld-rsa), laid out in ~/.acme.sh/domaine.tld/ like acme.sh’s RSA certificate (§4.2).`,
        },
      },
      timeoutMs: 120_000,
      expect: { output: [/Successfully received certificate/] },
      then: stageAsAcmeSh('domaine.tld-rsa', 'domaine.tld', 'domaine.tld'),
      probe: [
        {
          service: 'mail',
          command: 'openssl x509 -in /root/.acme.sh/domaine.tld/domaine.tld.cer -noout -text | grep -E "Public-Key|DNS:"',
          expect: { output: [/Public-Key: \(2048 bit\)/, /DNS:domaine\.tld, DNS:\*\.domaine\.tld/] },
          what: { fr: 'clé RSA 2048 et mêmes SAN', en: 'RSA 2048 key and the same SANs' },
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
      substitution: { command: installCertEmulation(doc('L126').text), why: WHY_INSTALL },
      expect: { output: [/Reloading exim4 configuration files/] },
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
      substitution: { command: installCertEmulation(doc('L159').text), why: WHY_INSTALL },
      expect: { output: [/Reloading exim4 configuration files/] },
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
    // §11.1 Protocoles & Ciphers
    L204: {
      service: 'mail',
      writeTo: { path: '/root/doc-L204.snippet', mode: 0o644 },
      substitution: {
        command: `${pasteInTemplate('L204')} && update-exim4.conf`,
        why: WHY_TEMPLATE({
          fr: 'update-exim4.conf valide la configuration produite et refuse de l’installer.',
          en: 'update-exim4.conf checks the configuration it produced and refuses to install it.',
        }),
      },
      expect: { exitCode: 1, output: [/openssl_options is set but we're using GnuTLS/, /not installing/] },
      then: [restoreTemplate('L204', false)],
      documentError: true,
      evidence: "openssl_options is set but we're using GnuTLS",
      finding: {
        fr: 'L’Exim de Debian (donc de HestiaCP) est lié à GnuTLS : openssl_options y est une erreur de configuration. Les versions se règlent dans tls_require_ciphers, en syntaxe de priorité GnuTLS (NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2).',
        en: 'Debian’s (hence HestiaCP’s) Exim is linked with GnuTLS: openssl_options is a configuration error there. Versions are set in tls_require_ciphers, as a GnuTLS priority string (NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2).',
      },
    },
    L208: {
      service: 'mail',
      writeTo: { path: '/root/doc-L208.snippet', mode: 0o644 },
      substitution: {
        command: `${pasteInTemplate('L208')} && update-exim4.conf && { systemctl restart exim4; rc=$?; tail -n 2 /var/log/exim4/paniclog; exit $rc; }`,
        why: WHY_TEMPLATE({
          fr: 'update-exim4.conf l’accepte (exim -bV ne valide pas la chaîne), le redémarrage échoue et le démon reste arrêté.',
          en: 'update-exim4.conf accepts it (exim -bV does not check the string); the restart fails and the daemon stays down.',
        }),
      },
      expect: { exitCode: 1, output: [/tls_require_ciphers invalid: gnutls_priority_init\(HIGH:!aNULL:/] },
      then: [restoreTemplate('L208', true)],
      documentError: true,
      evidence: 'tls_require_ciphers invalid: gnutls_priority_init(HIGH:!aNULL:',
      finding: {
        fr: 'Chaîne OpenSSL sur un Exim GnuTLS : Exim ne démarre plus. Équivalent GnuTLS : NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305.',
        en: 'An OpenSSL string on a GnuTLS Exim: Exim no longer starts. GnuTLS equivalent: NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305.',
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
    // §12 Automatisation du renouvellement (inline in the prose)
    L223: {
      service: 'toolbox',
      substitution: {
        command: "certbot renew && grep -E '^[^#].*certbot -q renew' /etc/cron.d/certbot",
        why: {
          fr: `${WHY_CERTBOT.fr} L’équivalent du cron quotidien d’acme.sh est \`certbot renew\`, que le paquet Debian planifie (/etc/cron.d/certbot et certbot.timer) ; un conteneur n’a ni cron ni systemd, le lab lance donc la même commande à la main : rien n’est encore à renouveler.`,
          en: `${WHY_CERTBOT.en} The counterpart of acme.sh’s daily cron is \`certbot renew\`, which the Debian package schedules (/etc/cron.d/certbot and certbot.timer); a container has neither cron nor systemd, so the lab runs the same command by hand: nothing is due yet.`,
        },
      },
      timeoutMs: 120_000,
      expect: { output: [/Certificate not yet due for renewal/, /No renewals were attempted/, /certbot -q renew/] },
    },
    // §12.1 Test de renouvellement forcé
    L226: {
      service: 'toolbox',
      substitution: { command: 'certbot renew --cert-name domaine.tld --force-renewal --no-random-sleep-on-renew', why: WHY_RENEW },
      timeoutMs: 120_000,
      expect: { output: [/all renewals succeeded/] },
      then: [
        ...stageAsAcmeSh('domaine.tld', 'domaine.tld_ecc', 'domaine.tld'),
        {
          service: 'mail',
          command: installCertEmulation(doc('L159').text),
          expect: { output: [/Reloading exim4 configuration files/] },
          what: { fr: 'réinstallation selon le dernier --install-cert (L159) et son --reloadcmd', en: 'reinstall per the last --install-cert (L159) and its --reloadcmd' },
        },
      ],
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
    L247: opensslVerifyEntry(doc('L247'), withCa('L247')),
    L249: opensslVerifyEntry(doc('L249'), withCa('L249')),
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
      substitution: { command: installCertEmulation(doc('L321').text), why: WHY_INSTALL },
      expect: { output: [/Reloading exim4 configuration files/] },
      note: {
        fr: 'Ce --reloadcmd ne règle ni droits ni fallback ; la clé existante garde ses droits (acme.sh réécrit le contenu).',
        en: 'This --reloadcmd sets neither permissions nor the fallback; the existing key keeps its permissions (acme.sh rewrites the content).',
      },
    },
    L323: {
      service: 'toolbox',
      substitution: { command: 'certbot renew --cert-name domaine.tld --force-renewal --no-random-sleep-on-renew', why: WHY_RENEW },
      timeoutMs: 120_000,
      expect: { output: [/all renewals succeeded/] },
      then: [
        ...stageAsAcmeSh('domaine.tld', 'domaine.tld_ecc', 'domaine.tld'),
        {
          service: 'mail',
          command: installCertEmulation(doc('L321').text),
          expect: { output: [/Reloading exim4 configuration files/] },
          what: { fr: 'réinstallation selon le dernier --install-cert (L321)', en: 'reinstall per the last --install-cert (L321)' },
        },
      ],
      probe: [servedIsRenewed],
    },
    // §19.2 Exemple 01_local_tls_macros
    L325: {
      service: 'mail',
      writeTo: { path: '/root/doc-L325.snippet', mode: 0o644 },
      substitution: {
        command: `${pasteInTemplate('L325')} && update-exim4.conf`,
        why: WHY_TEMPLATE({
          fr: 'le modèle Hestia définit déjà daemon_smtp_ports : update-exim4.conf refuse la configuration. (Dans conf.d/, là où le guide le met, il est simplement ignoré : voir L172.)',
          en: 'the Hestia template already sets daemon_smtp_ports: update-exim4.conf refuses the configuration. (In conf.d/, where the guide puts it, it is just ignored: see L172.)',
        }),
      },
      expect: { exitCode: 1, output: [/"daemon_smtp_ports" option set for the second time/] },
      then: [restoreTemplate('L325', false)],
      documentError: true,
      evidence: '"daemon_smtp_ports" option set for the second time',
      finding: {
        fr: 'Ignoré dans conf.d/, refusé dans le modèle : sur HestiaCP, on vérifie les valeurs existantes du modèle (exim -bP) au lieu d’ajouter ces macros.',
        en: 'Ignored in conf.d/, refused in the template: on HestiaCP, check the template’s existing values (exim -bP) instead of adding these macros.',
      },
    },
    // §19.3 Séquence de tests OpenSSL
    L331: { service: 'toolbox', asWritten: true, expect: { output: [/^subject=CN = domaine\.tld$/m, /^notAfter=/m] } },
    L333: { service: 'toolbox', asWritten: true, expect: { output: [/^subject=CN = domaine\.tld$/m, /^notAfter=/m] } },
    L335: opensslVerifyEntry(doc('L335'), withCa('L335')),
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
    // §19.5 Profil ciphers
    L349: {
      service: 'mail',
      writeTo: { path: '/root/doc-L349.snippet', mode: 0o644 },
      substitution: {
        command: `${pasteInTemplate('L349')} && update-exim4.conf && { systemctl restart exim4; rc=$?; tail -n 2 /var/log/exim4/paniclog; exit $rc; }`,
        why: WHY_TEMPLATE({
          fr: 'comme au §11.1, le redémarrage échoue.',
          en: 'as in §11.1, the restart fails.',
        }),
      },
      expect: { exitCode: 1, output: [/tls_require_ciphers invalid: gnutls_priority_init\(ECDHE\+AESGCM:/] },
      then: [restoreTemplate('L349', true)],
      documentError: true,
      evidence: 'tls_require_ciphers invalid: gnutls_priority_init(ECDHE+AESGCM:',
      finding: {
        fr: 'Profil « OpenSSL style » sur un Exim GnuTLS : Exim ne démarre plus. Il faut une chaîne de priorité GnuTLS.',
        en: 'An "OpenSSL style" profile on a GnuTLS Exim: Exim no longer starts. It needs a GnuTLS priority string.',
      },
    },
    L355: { service: 'toolbox', coveredBy: 'L78', expect: {} },
  }
  return new Map(Object.entries(t))
}

/** The command a block runs in the lab: the document's own text, or its substitution, or the `apply` of a written file. */
export function labCommand(doc: DocCommand, entry: CommandEntry): string | null {
  if (entry.coveredBy) return null
  if (entry.substitution) return entry.substitution.command
  if (entry.writeTo) return entry.apply ?? null
  return doc.text
}
