// Faults an instructor injects into a working lab to practise diagnosis: `sandbox fault list|inject NAME|clear [NAME]`.
// Each fault is one script (exercises/shared/faults/NAME.sh, argument inject|clear), the same one its break-fix
// exercise's setup runs, so the fault an instructor injects is exactly the one the exercise's checks are proved on.
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Command } from 'commander'
import type { SandboxHandle } from '../checker/sandbox-handle.ts'
import { UserError } from '../core/errors.ts'
import type { LabName, ServiceName } from '../core/labs.ts'
import type { Localized } from '../core/i18n.ts'
import { stripControl } from '../core/text.ts'
import { DEFAULT_SESSION, getSandbox, validateSession } from './engine.ts'
import { SANDBOX_DIR } from './topology.ts'

export const FAULTS_DIR = join(SANDBOX_DIR, '..', 'exercises', 'shared', 'faults')

export interface Fault {
  readonly name: string
  readonly lab: LabName
  /** Where the script runs. */
  readonly service: ServiceName
  readonly title: Localized
  /** The tool that diagnoses it: the break-fix exercise's hint says the same. */
  readonly diagnose: Localized
  /** The break-fix exercise that practises it. */
  readonly exercise: string
  /**
   * Set when `clear` cannot undo the fault: why, and what repairs it instead. `clear` then runs nothing and says so,
   * rather than reporting a repair that did not happen.
   */
  readonly cannotClear?: Localized
}

export const FAULTS: readonly Fault[] = [
  {
    name: 'cert-expired',
    lab: 'postfix',
    service: 'mail',
    title: { fr: 'Remplace le certificat servi sur 25 par le même, expiré (dates passées, même clé, mêmes noms)', en: 'Replaces the certificate served on 25 with the same one, expired (past dates, same key, same names)' },
    diagnose: { fr: '`openssl s_client -connect mail.domaine.tld:25 -starttls smtp | openssl x509 -noout -dates`', en: '`openssl s_client -connect mail.domaine.tld:25 -starttls smtp | openssl x509 -noout -dates`' },
    exercise: 'postfix-fault-cert-expired',
  },
  {
    name: 'ca-rotated',
    lab: 'postfix',
    service: 'acme',
    title: {
      fr: 'Fait changer de racine l’autorité du lab (Pebble redémarre : nouvelle racine, comptes ACME oubliés ; irréversible)',
      en: 'Rotates the lab CA’s root (Pebble restarts: new root, ACME accounts forgotten; cannot be undone)',
    },
    diagnose: { fr: '`curl https://acme.lab.test:15000/roots/0` et `openssl verify`', en: '`curl https://acme.lab.test:15000/roots/0` and `openssl verify`' },
    exercise: 'postfix-fault-ca-rotated',
    // Pebble 2.4 generates its root and intermediate keys at start (ca.New) and keeps them, and its ACME accounts, in
    // memory only; neither its config file nor its PEBBLE_* variables can load a saved root. Restarting it makes a
    // third root, not the first one back.
    cannotClear: {
      fr: 'Cette panne ne se défait pas : Pebble génère les clés de sa racine et de son intermédiaire à chaque démarrage et ne les garde qu’en mémoire (comme ses comptes ACME), sans option pour recharger une racine enregistrée. La clé de l’ancienne racine a disparu avec le Pebble arrêté ; le redémarrer encore donnerait une troisième racine. Réparation : réémettre les certificats auprès de la nouvelle racine (exercice postfix-fault-ca-rotated, dernier indice) puis recharger Postfix, ou repartir d’un bac à sable neuf (sandbox down puis sandbox up).',
      en: 'This fault cannot be undone: Pebble generates its root and intermediate keys at every start and keeps them in memory only (like its ACME accounts), with no option to load a saved root. The old root’s key went away with the Pebble that was stopped; restarting it again would make a third root. Repair: issue the certificates again from the new root (exercise postfix-fault-ca-rotated, last hint) then reload Postfix, or start from a fresh sandbox (sandbox down, then sandbox up).',
    },
  },
  {
    name: 'mta-sts-record-removed',
    lab: 'postfix',
    service: 'toolbox',
    title: { fr: 'Supprime l’enregistrement TXT _mta-sts.domaine.tld', en: 'Removes the _mta-sts.domaine.tld TXT record' },
    diagnose: { fr: '`dig +short TXT _mta-sts.domaine.tld`', en: '`dig +short TXT _mta-sts.domaine.tld`' },
    exercise: 'postfix-fault-mta-sts-record',
  },
  {
    name: 'tlsa-record-removed',
    lab: 'postfix',
    service: 'toolbox',
    title: { fr: 'Supprime le TLSA _25._tcp.mail.domaine.tld', en: 'Removes the _25._tcp.mail.domaine.tld TLSA record' },
    diagnose: { fr: '`dig +dnssec TLSA _25._tcp.mail.domaine.tld`', en: '`dig +dnssec TLSA _25._tcp.mail.domaine.tld`' },
    exercise: 'postfix-fault-tlsa-record',
  },
  {
    name: 'port25-blocked-from-partners',
    lab: 'postfix',
    service: 'mail',
    title: { fr: 'Rend le port 25 du serveur injoignable depuis les partenaires (règle nftables)', en: 'Makes the mail host’s port 25 unreachable from the partners (nftables rule)' },
    diagnose: { fr: '`nft list ruleset` sur mail', en: '`nft list ruleset` on mail' },
    exercise: 'postfix-fault-port25-blocked',
  },
  {
    name: 'queue-disk-full',
    lab: 'postfix',
    service: 'mail',
    title: {
      fr: 'Remplit le système de fichiers de la file de Postfix (un core dump de 32 Mo dans /var/spool/postfix)',
      en: 'Fills the filesystem of Postfix’s queue (a 32 MB core dump in /var/spool/postfix)',
    },
    diagnose: { fr: '`grep "free space" /var/log/mail.log`, puis `df -h /var/spool/postfix` et `du -sh /var/spool/postfix/*`', en: '`grep "free space" /var/log/mail.log`, then `df -h /var/spool/postfix` and `du -sh /var/spool/postfix/*`' },
    exercise: 'postfix-fault-queue-disk-full',
  },
  {
    name: 'resolver-stopped',
    lab: 'postfix',
    service: 'dns',
    title: { fr: 'Arrête le résolveur validant du lab (named) : plus aucune résolution DNS', en: 'Stops the lab’s validating resolver (named): no DNS lookup answers' },
    diagnose: { fr: '`mailq`, puis `dig MX secure-partner.com` sur mail', en: '`mailq`, then `dig MX secure-partner.com` on mail' },
    exercise: 'postfix-fault-resolver-stopped',
  },
]

export function findFault(name: string): Fault {
  const f = FAULTS.find((x) => x.name === name)
  if (!f) throw new UserError(`unknown fault "${name}": choose one of ${FAULTS.map((x) => x.name).join(', ')} (sandbox fault list)`)
  return f
}

export interface FaultRun {
  readonly fault: string
  readonly action: 'inject' | 'clear'
  readonly ok: boolean
  readonly output: string
  /** `clear` of a fault that cannot be undone: nothing ran, nothing was repaired. */
  readonly cannotClear?: true
}

/** Runs the fault's script in its service (copied under /var/tmp, removed after), as exercise steps do. */
export async function runFault(h: SandboxHandle, fault: Fault, action: 'inject' | 'clear'): Promise<FaultRun> {
  if (h.lab !== fault.lab) throw new UserError(`fault ${fault.name} belongs to the ${fault.lab} lab; session ${h.session} runs the ${h.lab} lab`)
  if (action === 'clear' && fault.cannotClear) return { fault: fault.name, action, ok: false, output: fault.cannotClear.en, cannotClear: true }
  const source = await readFile(join(FAULTS_DIR, `${fault.name}.sh`), 'utf8')
  const remote = `/var/tmp/.stl-fault-${randomBytes(6).toString('hex')}.sh`
  await h.writeFile(fault.service, remote, source, 0o700)
  try {
    const r = await h.exec(fault.service, ['bash', remote, action], { timeoutMs: 60_000 })
    return { fault: fault.name, action, ok: r.exitCode === 0, output: stripControl((r.stdout + r.stderr).trim()) }
  } finally {
    await h.exec(fault.service, ['rm', '-f', remote]).catch(() => undefined)
  }
}

const out = (text: string): void => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)

/** `sandbox fault …`, registered by sandbox/cli.ts. */
export function registerFaults(sandbox: Command): void {
  const fault = sandbox.command('fault').description('Faults an instructor injects into a working lab to practise diagnosis (list, inject, clear)')
  const session = async (id: string) => {
    const h = await getSandbox(validateSession(id), { health: false })
    if (!h) throw new UserError(`no sandbox session "${id}": start one with \`sandbox up --lab postfix --session ${id}\``)
    return h
  }
  fault
    .command('list')
    .description('The faults, their lab, what each breaks, the tool that diagnoses it and its break-fix exercise')
    .option('--json', 'print JSON on stdout')
    .option('--en', 'English text')
    .action((o: { json?: boolean; en?: boolean }) => {
      if (o.json) return out(JSON.stringify({ faults: FAULTS }, null, 2))
      const lang = o.en ? 'en' : 'fr'
      for (const f of FAULTS) out(`${f.name.padEnd(30)} ${f.lab.padEnd(8)} ${f.title[lang]}\n${' '.repeat(40)}${o.en ? 'diagnose' : 'diagnostic'}: ${f.diagnose[lang]}; ${o.en ? 'exercise' : 'exercice'}: ${f.exercise}`)
    })
  fault
    .command('inject')
    .description('Break a running lab: inject the named fault into the session')
    .argument('<name>', `fault: ${FAULTS.map((f) => f.name).join(' | ')}`)
    .option('--session <id>', 'session id', DEFAULT_SESSION)
    .option('--json', 'print JSON on stdout')
    .action(async (name: string, o: { session: string; json?: boolean }) => {
      const r = await runFault(await session(o.session), findFault(name), 'inject')
      report([r], o.json)
    })
  fault
    .command('clear')
    .description('Repair: clear the named fault, or every fault of the session’s lab (each clear is harmless when the fault is absent)')
    .argument('[name]', 'fault name (default: all)')
    .option('--session <id>', 'session id', DEFAULT_SESSION)
    .option('--json', 'print JSON on stdout')
    .action(async (name: string | undefined, o: { session: string; json?: boolean }) => {
      const h = await session(o.session)
      const list = name ? [findFault(name)] : FAULTS.filter((f) => f.lab === h.lab)
      const runs: FaultRun[] = []
      for (const f of list) runs.push(await runFault(h, f, 'clear'))
      // Asked by name, a fault that cannot be undone fails the command; within "clear everything" it is named, not a failure.
      report(runs, o.json, name ? undefined : (r) => r.cannotClear === true)
    })
}

function report(runs: readonly FaultRun[], asJson: boolean | undefined, tolerated: (r: FaultRun) => boolean = () => false): void {
  if (asJson) out(JSON.stringify({ runs }, null, 2))
  else
    for (const r of runs) {
      const head = r.cannotClear ? `✗ ${r.action} ${r.fault}: cannot be undone, nothing was changed` : `${r.ok ? '✓' : '✗'} ${r.action} ${r.fault}`
      out(`${head}${r.output ? `\n  ${r.output.split('\n').join('\n  ')}` : ''}`)
    }
  if (runs.some((r) => !r.ok && !tolerated(r))) process.exitCode = 1
}
