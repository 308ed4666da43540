// Reconfigures the postfix lab's mail service for tests: Debian's main.cf/master.cf, then settings, then a reload.
import type { SandboxHandle } from '../sandbox-handle.ts'
import { sh } from './sandbox-audit.ts'

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

/** Keeps a copy of the shipped files once, so each scenario starts from Debian's configuration. */
export async function savePostfixDefaults(sb: SandboxHandle): Promise<void> {
  await sh(sb, 'mail', 'cp -n /etc/postfix/main.cf /etc/postfix/main.cf.ck-orig && cp -n /etc/postfix/master.cf /etc/postfix/master.cf.ck-orig')
}

export async function configurePostfix(sb: SandboxHandle, main: Record<string, string>, master: readonly string[] = []): Promise<void> {
  const steps = [
    'cp /etc/postfix/main.cf.ck-orig /etc/postfix/main.cf',
    'cp /etc/postfix/master.cf.ck-orig /etc/postfix/master.cf',
    ...Object.entries(main).map(([k, v]) => `postconf -e ${q(`${k}=${v}`)}`),
    ...master.map((m) => `printf '%s\\n' ${q(m)} >> /etc/postfix/master.cf`),
    'postfix check',
    'postfix reload >/dev/null 2>&1',
  ]
  await sh(sb, 'mail', steps.join(' && '))
  // Idle smtpd processes of the old configuration exit on reload; give the master a moment to replace them.
  await new Promise((r) => setTimeout(r, 800))
}
