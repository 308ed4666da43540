// Steps shared by several exercises' setups and solutions: issuing a Pebble certificate and installing it on mail.
import type { Step } from '../define.ts'

/** Issues a certificate in the toolbox (certbot, DNS-01 by RFC 2136) for the given names; the first names it. */
export function issueCert(...names: [string, ...string[]]): Step {
  return { service: 'toolbox', script: 'shared:issue-cert.sh', args: names }
}

/**
 * Copies a staged certificate from the toolbox to the mail service, in the layout certbot would have left there
 * (/etc/letsencrypt/live/NAME/), as plain files: the course's paths work as written.
 */
export function installCertOnMail(name: string, dest = `/etc/letsencrypt/live/${name}`): Step[] {
  const files: [string, number][] = [
    ['cert.pem', 0o644],
    ['chain.pem', 0o644],
    ['fullchain.pem', 0o644],
    ['privkey.pem', 0o600],
  ]
  return files.map(([file, mode]) => ({
    copy: {
      from: { service: 'toolbox', path: `/root/lab-certs/${name}/${file}` },
      to: { service: 'mail', path: `${dest}/${file}` },
      mode,
      owner: 'root:root',
    },
  }))
}

/** The mail host's certificate from Pebble, installed where the course's main.cf expects it. */
export function mailCertInstalled(): Step[] {
  return [issueCert('mail.domaine.tld'), ...installCertOnMail('mail.domaine.tld')]
}

/** Exercise 2's end state: the Pebble certificate installed and configured, TLS 1.2 and later only. */
export function postfixTlsBaseline(): Step[] {
  return [...mailCertInstalled(), { service: 'mail', script: 'shared:postfix-tls-baseline.sh' }]
}
