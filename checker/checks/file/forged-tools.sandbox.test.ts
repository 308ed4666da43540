// A submission's hook that replaces stat, cat, postconf and postfix in the graded container (and shadows them
// earlier in PATH) still gets its true verdicts: facts come through the engine and from the trusted tools.
// Also config.effective on real postconf output: an equivalent spelling of >=TLSv1.2 passes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DockerSandbox, downSandbox, upLab } from '../../../sandbox/engine.ts'
import { testSession } from '../../../sandbox/test-session.ts'
import { markLogs, reloadService } from '../../../grading/service.ts'
import { connectDocker } from '../../../sandbox/docker.ts'
import { LABEL_TOOLS_FOR, withOneStaging } from '../../../sandbox/toolset.ts'
import { execRaw } from '../../../sandbox/docker.ts'
import type { CheckDefinition, Verdict } from '../../types.ts'
import { runCheck } from '../dns/test-context.ts'
import effective from '../config/effective.ts'
import keyPermissions from './key-permissions.ts'
import keyMatches from './key-matches-cert.ts'
import tls11Rejected from '../tls/version-tls1-1-rejected.ts'

const SESSION = testSession('forge')
const KEY = '/etc/ssl/private/other.key'
const SNAKEOIL_KEY = '/etc/ssl/private/ssl-cert-snakeoil.key'

/**
 * What a learner's deploy hook (run as root) could do: forged stat says "600 root:root" for any key, forged cat
 * serves the certificate's own key in place of the mismatched one, forged postconf claims TLS ≥ 1.2 and
 * `encrypt`, a forged `postfix` and `lab-listening` say "running" for a stopped Postfix. Copies go to
 * /usr/local/{bin,sbin}, first in PATH, and the profile prepends a directory of its own.
 */
const HOOK = String.raw`set -e
mkdir -p /opt/forge
forge() { real="$1"; shift; mv "$real" "$real.real"; printf '%s\n' '#!/bin/sh' "$@" > "$real"; chmod 755 "$real"; cp "$real" "/opt/forge/$(basename "$real")"; }
forge /usr/bin/stat 'case "$*" in *%a*) echo "600|0|0|root|root|1704|regular file" ;; *) exec /usr/bin/stat.real "$@" ;; esac'
forge /usr/bin/cat 'case "$*" in *other.key*) exec /usr/bin/cat.real ${SNAKEOIL_KEY} ;; *) exec /usr/bin/cat.real "$@" ;; esac'
forge /usr/bin/readlink 'exec /usr/bin/readlink.real "$@"'
forge /usr/sbin/postconf '/usr/sbin/postconf.real "$@" | sed -e "s/^smtpd_tls_protocols = .*/smtpd_tls_protocols = >=TLSv1.2/" -e "s/^smtpd_tls_security_level = .*/smtpd_tls_security_level = encrypt/"'
/usr/sbin/postfix stop >/dev/null 2>&1 || true
forge /usr/sbin/postfix 'exit 0'
forge /usr/local/bin/lab-listening 'exit 0'
mkdir -p /usr/local/sbin
for f in stat cat readlink; do cp /opt/forge/$f /usr/local/bin/$f; done
cp /opt/forge/postconf /usr/local/sbin/postconf
echo 'export PATH=/opt/forge:$PATH' >> /etc/profile
`

let sb: DockerSandbox

beforeAll(async () => {
  sb = await upLab({ lab: 'postfix', session: SESSION, fresh: true })
})
afterAll(() => downSandbox(SESSION))

const check = (c: CheckDefinition, params: Record<string, unknown> = {}): Promise<Verdict> =>
  runCheck(c, { target: { host: sb.address('mail'), port: 25, mode: 'starttls', service: 'mail' }, sandbox: sb, params })

describe('config.effective on the real postconf of a running Postfix', () => {
  it('passes for the exclusion form of >=TLSv1.2, which the live probe confirms refuses TLS 1.1', async () => {
    const r = await sb.exec('mail', [
      'sh',
      '-c',
      "postconf -e 'smtpd_tls_protocols = !SSLv2, !SSLv3, !TLSv1, !TLSv1.1' 'smtpd_tls_mandatory_protocols = !SSLv2 !SSLv3 !TLSv1 !TLSv1.1' && postfix reload",
    ])
    expect(r.exitCode, r.stderr).toBe(0)
    const v = await check(effective, { expect: { smtpd_tls_protocols: '>=TLSv1.2', smtpd_tls_mandatory_protocols: '>=TLSv1.2' } })
    expect(v.status, v.summary.en).toBe('pass')
    expect(v.evidence.lines).toContain('smtpd_tls_protocols = !SSLv2, !SSLv3, !TLSv1, !TLSv1.1')
    const live = await check(tls11Rejected)
    expect(live.status, live.summary.en).toBe('pass')
  })
})

describe('service.starts decided from the host', () => {
  it('counts a Postfix that greets on port 25 as started, without the grader’s own connections in the evidence', async () => {
    const mark = await markLogs(sb)
    const outcome = await reloadService(sb, [], mark, [])
    expect(outcome.started, outcome.lines.join('\n')).toBe(true)
    expect(outcome.lines.join('\n')).toContain('reload')
    expect(outcome.lines.join('\n')).not.toMatch(/connect from/)
  })
})

describe('a hook that forges stat, cat, postconf and postfix', () => {
  beforeAll(async () => {
    // The truth: a world-readable key that is not the certificate's, and TLS 1.0/1.1 still allowed.
    const setup = await sb.exec('mail', [
      'sh',
      '-c',
      `set -e; openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ${KEY} 2>/dev/null; chmod 644 ${KEY}; ` +
        `postconf -e smtpd_tls_key_file=${KEY} 'smtpd_tls_protocols=!SSLv2, !SSLv3' smtpd_tls_security_level=may`,
    ])
    expect(setup.exitCode, setup.stderr).toBe(0)
    const hook = await sb.exec('mail', ['sh', '-c', HOOK])
    expect(hook.exitCode, hook.stderr).toBe(0)
    // The forgeries are in place: the container's own programs now lie.
    expect((await sb.exec('mail', ['stat', '-c', '%a|%u|%g|%U|%G|%s|%F', KEY])).stdout).toContain('600|0|0|root|root')
    expect((await sb.exec('mail', ['postconf', 'smtpd_tls_protocols'])).stdout).toContain('>=TLSv1.2')
  })

  it('still fails file.key.permissions for the world-readable key', async () => {
    const v = await check(keyPermissions)
    expect(v.status, v.summary.en).toBe('fail')
    expect(v.evidence.facts).toMatchObject({ path: KEY, mode: '644', owner: 'root:root' })
    expect(v.summary.en).toContain('world-readable')
  })

  it('still fails file.key.matches-cert for a key that is not the certificate’s', async () => {
    const v = await check(keyMatches)
    expect(v.status, v.summary.en).toBe('fail')
    expect(v.summary.en).toContain('is not the key of')
  })

  it('still fails config.effective for the TLS versions main.cf really allows', async () => {
    const v = await check(effective, { expect: { smtpd_tls_protocols: '>=TLSv1.2' } })
    expect(v.status, v.summary.en).toBe('fail')
    expect(v.evidence.facts).toMatchObject({ smtpd_tls_protocols: '!SSLv2, !SSLv3' })
  })

  it('still passes config.effective for the value main.cf really sets', async () => {
    const v = await check(effective, { expect: { smtpd_tls_security_level: 'may' } })
    expect(v.status, v.summary.en).toBe('pass')
  })

  it('does not count a stopped Postfix as started because `postfix status` says so', async () => {
    const mark = await markLogs(sb)
    const outcome = await reloadService(sb, [], mark, [])
    expect(outcome.started, outcome.lines.join('\n')).toBe(false)
  })
})

describe('the grader tools container', () => {
  it('runs the mail image read-only, without network or capabilities beyond reading files, labelled with the session', async () => {
    const docker = await connectDocker()
    const tools = await docker.getContainer(`${sb.containerName('mail')}-tools`).inspect()
    const mail = await docker.getContainer(sb.containerName('mail')).inspect()
    expect(tools.Image).toBe(mail.Image)
    expect(tools.Config.Labels[LABEL_TOOLS_FOR]).toBe(SESSION)
    expect(tools.HostConfig).toMatchObject({ ReadonlyRootfs: true, NetworkMode: 'none', CapDrop: ['ALL'], Privileged: false })
    expect((await sb.tool('mail', 'openssl', ['version'])).exitCode).toBe(0)
    const r = await docker.getContainer(tools.Id).exec({ Cmd: ['sh', '-c', 'touch /usr/sbin/postconf /etc/ld.so.preload'], AttachStdout: true, AttachStderr: true })
    const stream = await r.start({})
    await new Promise((res) => stream.on('end', res).resume())
    expect((await r.inspect()).ExitCode).not.toBe(0)
  })

  it('stages the configuration once per check run: a change behind the grader’s back is not seen within the run, one made through the sandbox is', async () => {
    const banner = async () => (await sb.tool('mail', 'postconf', ['-h', '--', 'smtpd_banner'])).stdout.trim()
    // Straight through the engine, not the handle: what a learner's edit during a run looks like to the grader.
    const behindTheBack = (v: string) => execRaw(sb.client, sb.containerName('mail'), ['postconf', '-e', `smtpd_banner = ${v}`])
    await behindTheBack('first')
    await withOneStaging(async () => {
      expect(await banner()).toBe('first')
      await behindTheBack('second')
      expect(await banner()).toBe('first')
      // A command the grader runs itself may change the configuration: the next call reads it again.
      await sb.exec('mail', ['postconf', '-e', 'smtpd_banner = third'])
      expect(await banner()).toBe('third')
    })
    await behindTheBack('fourth')
    expect(await banner()).toBe('fourth')
  })

  it('goes with the session', async () => {
    const docker = await connectDocker()
    await downSandbox(SESSION)
    const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL_TOOLS_FOR}=${SESSION}`] } })
    expect(left).toEqual([])
  })
})

