// Steps the Exim exercises share: a certificate issued with acme.sh on the mail host (the guide's own tool, against the
// lab's CA and Cloudflare API), and deployed into HestiaCP's paths with `acme.sh --install-cert`.
import type { Step } from '../define.ts'
import type { ExerciseCheck } from '../define.ts'
import type { CheckId } from '../../checker/registry.ts'

export const HESTIA_SSL = '/usr/local/hestia/ssl'
export const HESTIA_MAIL = `${HESTIA_SSL}/mail`

/** Where acme.sh keeps an ECC certificate for NAME (doc §4.2): the learner finds the files where the course says. */
export function acmeShDir(name: string): string {
  return `/root/.acme.sh/${name}_ecc`
}

/** Issues an ECDSA P-256 certificate with acme.sh on the mail host (dns_cf, --server letsencrypt), in acmeShDir(FIRST). */
export function issueWithAcmeSh(...names: [string, ...string[]]): Step {
  return { service: 'mail', script: 'shared:acme-sh-issue.sh', args: names }
}

/**
 * `acme.sh --install-cert` of CERT_NAME into HestiaCP's SNI files for SNI_NAME (and the panel fallback), with the
 * guide's §8.1 --reloadcmd (owner root:Debian-exim, mode 640 on the key, reload Exim): later renewals deploy too.
 */
export function deployToHestia(certName: string, sniName: string, opts: { fallback?: boolean } = {}): Step[] {
  return [{ service: 'mail', script: 'shared:acme-sh-install-cert.sh', args: [certName, sniName, ...(opts.fallback ? ['fallback'] : [])] }]
}

/** Exercise 2's end state: the wildcard for domaine.tld issued by acme.sh and installed (SNI file + fallback). */
export function wildcardDeployed(): Step[] {
  return [issueWithAcmeSh('domaine.tld', '*.domaine.tld'), ...deployToHestia('domaine.tld', 'mail.domaine.tld', { fallback: true })]
}

/** The three listening ports of the lab's Exim and the transport each uses. */
export const MAIL_PORTS = [25, 587, 465] as const

/** One check per port, keyed `<id>.<port>`, e.g. cert.trusted.465. */
export function onPorts(id: CheckId, extra: Partial<Omit<ExerciseCheck, 'id' | 'key'>> = {}, ports: readonly number[] = MAIL_PORTS): ExerciseCheck[] {
  return ports.map((port) => ({ ...extra, id, key: `${id}.${port}`, target: { service: 'mail', port, ...extra.target } }))
}
