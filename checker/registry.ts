// The closed catalog of checks: a literal map from stable ID to definition, so `CheckId` is a type.
import type { CheckDefinition } from './types.ts'
import smtpBannerNoVersion from './checks/smtp/banner-no-version.ts'
import smtpStarttlsOffered from './checks/smtp/starttls-offered.ts'
import smtpAuthHiddenBeforeTls from './checks/smtp/auth-hidden-before-tls.ts'
import smtpAuthOfferedAfterTls from './checks/smtp/auth-offered-after-tls.ts'
import smtpTlsRequiredBeforeMail from './checks/smtp/tls-required-before-mail.ts'
import smtpVrfyDisabled from './checks/smtp/vrfy-disabled.ts'
import smtpEtrnRejected from './checks/smtp/etrn-rejected.ts'
import smtpConnectionLimit from './checks/smtp/connection-limit.ts'
import tlsImplicit from './checks/tls/implicit.ts'
import tlsVersionSsl3Rejected from './checks/tls/version-ssl3-rejected.ts'
import tlsVersionTls10Rejected from './checks/tls/version-tls1-0-rejected.ts'
import tlsVersionTls11Rejected from './checks/tls/version-tls1-1-rejected.ts'
import tlsVersionTls12Accepted from './checks/tls/version-tls1-2-accepted.ts'
import tlsVersionTls13Accepted from './checks/tls/version-tls1-3-accepted.ts'
import tlsCipherNoWeak from './checks/tls/cipher-no-weak.ts'
import tlsCipherForwardSecrecy from './checks/tls/cipher-forward-secrecy.ts'
import certTrusted from './checks/cert/trusted.ts'
import certChainComplete from './checks/cert/chain-complete.ts'
import certNameMatches from './checks/cert/name-matches.ts'
import certSniSelects from './checks/cert/sni-selects.ts'
import certValidityDaysLeft from './checks/cert/validity-days-left.ts'
import certKeyStrength from './checks/cert/key-strength.ts'
import certKeyTypeRsa from './checks/cert/key-type-rsa.ts'
import certKeyTypeEcdsa from './checks/cert/key-type-ecdsa.ts'
import dnsMxResolves from './checks/dns/mx-resolves.ts'
import dnsMtaStsRecord from './checks/dns/mta-sts-record.ts'
import dnsMtaStsPolicy from './checks/dns/mta-sts-policy.ts'
import dnsTlsrptRecord from './checks/dns/tlsrpt-record.ts'
import dnsDaneTlsaMatches from './checks/dns/dane-tlsa-matches.ts'
import fileKeyPermissions from './checks/file/key-permissions.ts'
import fileCertFullchain from './checks/file/cert-fullchain.ts'
import fileKeyMatchesCert from './checks/file/key-matches-cert.ts'
import configEffective from './checks/config/effective.ts'
import renewalReloads from './checks/renewal/reloads.ts'

export const registry = {
  'smtp.banner.no-version': smtpBannerNoVersion,
  'smtp.starttls.offered': smtpStarttlsOffered,
  'smtp.auth.hidden-before-tls': smtpAuthHiddenBeforeTls,
  'smtp.auth.offered-after-tls': smtpAuthOfferedAfterTls,
  'smtp.tls.required-before-mail': smtpTlsRequiredBeforeMail,
  'smtp.vrfy.disabled': smtpVrfyDisabled,
  'smtp.etrn.rejected': smtpEtrnRejected,
  'smtp.connection-limit': smtpConnectionLimit,
  'tls.implicit': tlsImplicit,
  'tls.version.ssl3.rejected': tlsVersionSsl3Rejected,
  'tls.version.tls1_0.rejected': tlsVersionTls10Rejected,
  'tls.version.tls1_1.rejected': tlsVersionTls11Rejected,
  'tls.version.tls1_2.accepted': tlsVersionTls12Accepted,
  'tls.version.tls1_3.accepted': tlsVersionTls13Accepted,
  'tls.cipher.no-weak': tlsCipherNoWeak,
  'tls.cipher.forward-secrecy': tlsCipherForwardSecrecy,
  'cert.trusted': certTrusted,
  'cert.chain.complete': certChainComplete,
  'cert.name.matches': certNameMatches,
  'cert.sni.selects': certSniSelects,
  'cert.validity.days-left': certValidityDaysLeft,
  'cert.key.strength': certKeyStrength,
  'cert.key-type.rsa': certKeyTypeRsa,
  'cert.key-type.ecdsa': certKeyTypeEcdsa,
  'dns.mx.resolves': dnsMxResolves,
  'dns.mta-sts.record': dnsMtaStsRecord,
  'dns.mta-sts.policy': dnsMtaStsPolicy,
  'dns.tlsrpt.record': dnsTlsrptRecord,
  'dns.dane.tlsa-matches': dnsDaneTlsaMatches,
  'file.key.permissions': fileKeyPermissions,
  'file.cert.fullchain': fileCertFullchain,
  'file.key.matches-cert': fileKeyMatchesCert,
  'config.effective': configEffective,
  'renewal.reloads': renewalReloads,
} as const satisfies Record<string, CheckDefinition>

export type CheckId = keyof typeof registry

export function isCheckId(id: string): id is CheckId {
  return Object.hasOwn(registry, id)
}

export function getCheck(id: CheckId): CheckDefinition {
  return registry[id]
}

export const allChecks: readonly CheckDefinition[] = Object.values(registry)
