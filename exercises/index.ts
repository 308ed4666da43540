// Every exercise of the course, loaded from its folder (static imports, so tsc checks each manifest's check IDs).
import type { AnyExercise } from './define.ts'
import { loadExercise, type Exercise } from './load.ts'
import postfixObtainCertificate from './01-postfix-obtain-certificate/manifest.ts'
import postfixTlsMainCf from './02-postfix-tls-main-cf/manifest.ts'
import postfixTestTls from './03-postfix-test-tls/manifest.ts'
import postfixSubmission587 from './04-postfix-submission-587/manifest.ts'
import postfixHardening from './05-postfix-hardening/manifest.ts'
import postfixOutboundPolicy from './06-postfix-outbound-policy/manifest.ts'
import postfixMtaStsDane from './07-postfix-mta-sts-dane/manifest.ts'
import postfixStarttlsStripping from './08-postfix-starttls-stripping/manifest.ts'
import postfixFail2banSasl from './09-postfix-fail2ban-sasl/manifest.ts'
import postfixFirewallPorts from './10-postfix-firewall-ports/manifest.ts'
import postfixFaultMtaStsRecord from './91-postfix-fault-mta-sts-record/manifest.ts'
import postfixFaultTlsaRecord from './92-postfix-fault-tlsa-record/manifest.ts'
import postfixFaultPort25Blocked from './93-postfix-fault-port25-blocked/manifest.ts'
import postfixFaultQueueDiskFull from './94-postfix-fault-queue-disk-full/manifest.ts'
import postfixFaultResolverStopped from './95-postfix-fault-resolver-stopped/manifest.ts'
import postfixFaultCertExpired from './96-postfix-fault-cert-expired/manifest.ts'
import postfixFaultCaRotated from './97-postfix-fault-ca-rotated/manifest.ts'
import eximIssueWildcardEcc from './11-exim-issue-wildcard-ecc/manifest.ts'
import eximDeployHestia from './12-exim-deploy-hestia/manifest.ts'
import eximSniMultiDomain from './13-exim-sni-multi-domain/manifest.ts'
import eximAuthTlsPolicy from './14-exim-auth-tls-policy/manifest.ts'
import eximRenewalHook from './15-exim-renewal-hook/manifest.ts'
import eximExpiryMonitoring from './16-exim-expiry-monitoring/manifest.ts'
import eximBreakFixEmptyTlsCertificate from './17-exim-break-fix-empty-tls-certificate/manifest.ts'
import eximBreakFixSelfSigned from './18-exim-break-fix-self-signed/manifest.ts'
import eximBreakFixPrivateKey from './19-exim-break-fix-private-key/manifest.ts'
import eximBreakFixNoStarttls587 from './20-exim-break-fix-no-starttls-587/manifest.ts'
import eximBreakFixAuthBeforeTls from './21-exim-break-fix-auth-before-tls/manifest.ts'
import eximBreakFixVerify21 from './22-exim-break-fix-verify-21/manifest.ts'
import eximBreakFixNewDomain from './23-exim-break-fix-new-domain/manifest.ts'
import eximProductionChecklist from './24-exim-production-checklist/manifest.ts'
import eximBreakFixEccRejected from './25-exim-break-fix-ecc-rejected/manifest.ts'

/** Folder name → manifest; the folder must be `NN-<id>`. */
export const MANIFESTS: ReadonlyArray<readonly [string, AnyExercise]> = [
  ['01-postfix-obtain-certificate', postfixObtainCertificate],
  ['02-postfix-tls-main-cf', postfixTlsMainCf],
  ['03-postfix-test-tls', postfixTestTls],
  ['04-postfix-submission-587', postfixSubmission587],
  ['05-postfix-hardening', postfixHardening],
  ['06-postfix-outbound-policy', postfixOutboundPolicy],
  ['07-postfix-mta-sts-dane', postfixMtaStsDane],
  ['08-postfix-starttls-stripping', postfixStarttlsStripping],
  ['09-postfix-fail2ban-sasl', postfixFail2banSasl],
  ['10-postfix-firewall-ports', postfixFirewallPorts],
  ['11-exim-issue-wildcard-ecc', eximIssueWildcardEcc],
  ['12-exim-deploy-hestia', eximDeployHestia],
  ['13-exim-sni-multi-domain', eximSniMultiDomain],
  ['14-exim-auth-tls-policy', eximAuthTlsPolicy],
  ['15-exim-renewal-hook', eximRenewalHook],
  ['16-exim-expiry-monitoring', eximExpiryMonitoring],
  ['17-exim-break-fix-empty-tls-certificate', eximBreakFixEmptyTlsCertificate],
  ['18-exim-break-fix-self-signed', eximBreakFixSelfSigned],
  ['19-exim-break-fix-private-key', eximBreakFixPrivateKey],
  ['20-exim-break-fix-no-starttls-587', eximBreakFixNoStarttls587],
  ['21-exim-break-fix-auth-before-tls', eximBreakFixAuthBeforeTls],
  ['22-exim-break-fix-verify-21', eximBreakFixVerify21],
  ['23-exim-break-fix-new-domain', eximBreakFixNewDomain],
  ['24-exim-production-checklist', eximProductionChecklist],
  ['25-exim-break-fix-ecc-rejected', eximBreakFixEccRejected],
  ['91-postfix-fault-mta-sts-record', postfixFaultMtaStsRecord],
  ['92-postfix-fault-tlsa-record', postfixFaultTlsaRecord],
  ['93-postfix-fault-port25-blocked', postfixFaultPort25Blocked],
  ['94-postfix-fault-queue-disk-full', postfixFaultQueueDiskFull],
  ['95-postfix-fault-resolver-stopped', postfixFaultResolverStopped],
  ['96-postfix-fault-cert-expired', postfixFaultCertExpired],
  ['97-postfix-fault-ca-rotated', postfixFaultCaRotated],
]

function loadAll(): readonly Exercise[] {
  const list = MANIFESTS.map(([folder, manifest]) => loadExercise(folder, manifest))
  const seen = new Set<string>()
  for (const e of list) {
    if (seen.has(e.id)) throw new Error(`exercise id ${e.id} is used twice`)
    seen.add(e.id)
  }
  return Object.freeze(list)
}

export const exercises: readonly Exercise[] = loadAll()

export function findExercise(id: string): Exercise | undefined {
  return exercises.find((e) => e.id === id)
}
