// Steps the Exim exercises share: a Pebble certificate issued in the toolbox, staged on the mail host as acme.sh lays it out, and deployed into HestiaCP's paths.
import type { CopyStep, Step } from '../define.ts'
import type { ExerciseCheck } from '../define.ts'
import type { CheckId } from '../../checker/registry.ts'

export const HESTIA_SSL = '/usr/local/hestia/ssl'
export const HESTIA_MAIL = `${HESTIA_SSL}/mail`

/** Where acme.sh keeps an ECC certificate for NAME (doc §4.2): the learner finds the files where the course says. */
export function acmeShDir(name: string): string {
  return `/root/.acme.sh/${name}_ecc`
}

/** Issues a certificate in the toolbox (certbot 2 defaults to ECDSA P-256), staged in /root/lab-certs/FIRST/. */
export function issueInToolbox(...names: [string, ...string[]]): Step {
  return { service: 'toolbox', script: 'shared:issue-cert.sh', args: names }
}

function copy(name: string, file: string, to: string, mode: number, owner: string): CopyStep {
  return {
    copy: {
      from: { service: 'toolbox', path: `/root/lab-certs/${name}/${file}` },
      to: { service: 'mail', path: to },
      mode,
      owner,
    },
  }
}

/** The staged certificate copied to the mail host in acme.sh's file names (NAME.cer, NAME.key, ca.cer, fullchain.cer). */
export function stageAsAcmeSh(name: string): Step[] {
  const dir = acmeShDir(name)
  return [
    copy(name, 'cert.pem', `${dir}/${name}.cer`, 0o644, 'root:root'),
    copy(name, 'privkey.pem', `${dir}/${name}.key`, 0o600, 'root:root'),
    copy(name, 'chain.pem', `${dir}/ca.cer`, 0o644, 'root:root'),
    copy(name, 'fullchain.pem', `${dir}/fullchain.cer`, 0o644, 'root:root'),
  ]
}

/** Full chain and key installed for one SNI name (and optionally as the panel fallback), as the course's hook leaves them. */
export function deployToHestia(certName: string, sniName: string, opts: { fallback?: boolean } = {}): Step[] {
  const steps: Step[] = [
    copy(certName, 'fullchain.pem', `${HESTIA_MAIL}/${sniName}.crt`, 0o644, 'root:root'),
    copy(certName, 'privkey.pem', `${HESTIA_MAIL}/${sniName}.key`, 0o640, 'root:Debian-exim'),
  ]
  if (opts.fallback) {
    steps.push(
      copy(certName, 'fullchain.pem', `${HESTIA_SSL}/certificate.crt`, 0o644, 'root:root'),
      copy(certName, 'privkey.pem', `${HESTIA_SSL}/certificate.key`, 0o640, 'root:Debian-exim'),
    )
  }
  return steps
}

/** Exercise 2's end state: the wildcard for domaine.tld issued, staged as acme.sh would, and deployed (SNI file + fallback). */
export function wildcardDeployed(): Step[] {
  return [issueInToolbox('domaine.tld', '*.domaine.tld'), ...stageAsAcmeSh('domaine.tld'), ...deployToHestia('domaine.tld', 'mail.domaine.tld', { fallback: true })]
}

/** The three listening ports of the lab's Exim and the transport each uses. */
export const MAIL_PORTS = [25, 587, 465] as const

/** One check per port, keyed `<id>.<port>`, e.g. cert.trusted.465. */
export function onPorts(id: CheckId, extra: Partial<Omit<ExerciseCheck, 'id' | 'key'>> = {}, ports: readonly number[] = MAIL_PORTS): ExerciseCheck[] {
  return ports.map((port) => ({ ...extra, id, key: `${id}.${port}`, target: { service: 'mail', port, ...extra.target } }))
}
