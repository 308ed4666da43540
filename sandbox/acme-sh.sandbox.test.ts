// acme.sh in the exim lab, as the guide runs it: installed by its own --install, Let's Encrypt's name answered by
// Pebble, Cloudflare's API answered by the lab (RFC 2136 behind it): token checks, the unmodified dns_cf.sh, a wrong
// token, and the RFC 2136 path (dns_nsupdate).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ACME_SH_SHA256 } from './acme-sh-source.ts'
import { type DockerSandbox, downSandbox, upLab } from './engine.ts'
import { testSession } from './test-session.ts'

const S = testSession('acmesh')
let ex: DockerSandbox

beforeAll(async () => {
  ex = await upLab({ lab: 'exim', session: S, fresh: true })
}, 120_000)

afterAll(async () => {
  await downSandbox(S)
})

/** A login shell on the mail host, as a learner's terminal is (profile, alias, /etc/lab/env). */
async function sh(script: string, timeoutMs = 60_000) {
  const r = await ex.exec('mail', ['bash', '-lc', script], { timeoutMs })
  return { ...r, out: r.stdout + r.stderr }
}

/** TXT values of a name through the lab's validating resolver, with its AD flag. */
async function digTxt(name: string): Promise<{ values: string[]; ad: boolean }> {
  const r = await sh(`dig +noall +comments +answer TXT ${name}`)
  const values = [...r.stdout.matchAll(/\bTXT\s+"([^"]*)"/g)].map((m) => m[1]!)
  return { values, ad: /flags:[^;]* ad[ ;]/.test(r.stdout) }
}

async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, ms = 8_000): Promise<T> {
  const end = Date.now() + ms
  let v = await probe()
  while (!ok(v) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 500))
    v = await probe()
  }
  return v
}

describe('acme.sh on the exim mail host', () => {
  it('is installed as its own --install does: ~/.acme.sh, alias, crontab line, cron running; dns_cf.sh unmodified', async () => {
    const r = await sh(
      'ls /root/.acme.sh/acme.sh /root/.acme.sh/dnsapi/dns_cf.sh && crontab -l && grep acme.sh.env /root/.bashrc && ' +
        'bash -ic "alias acme.sh" 2>/dev/null; pgrep -x cron >/dev/null && echo cron-running; ' +
        // --install rewrites line 1 (the shebang) to bash; the rest is the release byte for byte.
        "{ echo '#!/usr/bin/env sh'; tail -n +2 /root/.acme.sh/dnsapi/dns_cf.sh; } | sha256sum; acme.sh --version",
    )
    expect(r.exitCode, r.out).toBe(0)
    expect(r.stdout).toMatch(/^\d+ \d+ \* \* \* "\/root\/\.acme\.sh"\/acme\.sh --cron --home "\/root\/\.acme\.sh" > \/dev\/null$/m)
    expect(r.stdout).toContain('. "/root/.acme.sh/acme.sh.env"')
    expect(r.stdout).toContain("alias acme.sh='/root/.acme.sh/acme.sh'")
    expect(r.stdout).toContain('cron-running')
    expect(r.stdout).toContain(ACME_SH_SHA256['dnsapi/dns_cf.sh'])
    expect(r.stdout).toMatch(/^v3\.1\.3$/m)
  })

  it('Let’s Encrypt’s directory name answers with Pebble, over HTTPS the mail host trusts, with DNSSEC', async () => {
    const r = await sh(
      'dig +noall +comments +answer A acme-v02.api.letsencrypt.org; ' +
        'curl -sS --fail https://acme-v02.api.letsencrypt.org/directory',
    )
    expect(r.exitCode, r.out).toBe(0)
    expect(r.stdout).toMatch(/flags:[^;]* ad[ ;]/)
    expect(r.stdout).toContain(`A\t${ex.address('acme')}`)
    expect(JSON.parse(r.stdout.slice(r.stdout.indexOf('{')))).toMatchObject({
      newOrder: 'https://acme-v02.api.letsencrypt.org/order-plz',
      newAccount: 'https://acme-v02.api.letsencrypt.org/sign-me-up',
    })
  })

  it('the lab Cloudflare API checks the token with Cloudflare’s answers and error shape', async () => {
    const r = await sh(
      '. /etc/lab/cloudflare.env; V=https://api.cloudflare.com/client/v4; ' +
        'curl -s -H "Authorization: Bearer $CF_Token" $V/user/tokens/verify; echo; ' +
        'curl -s -H "Authorization: Bearer ${CF_Token%?}x" $V/user/tokens/verify; echo; ' +
        'curl -s -H "Authorization: Bearer ${CF_Token%?}x" "$V/zones?name=domaine.tld"; echo; ' +
        'curl -s -H "Authorization: Bearer $CF_Token" "$V/zones?name=domaine.tld&account.id=$CF_Account_ID"; echo; ' +
        'curl -s -H "Authorization: Bearer $CF_Token" "$V/zones/0123456789abcdef0123456789abcdef"; echo',
    )
    const [ok, badVerify, badZones, zones, unknownZone] = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(ok).toMatchObject({ success: true, result: { status: 'active' } })
    expect(badVerify).toEqual({ success: false, errors: [{ code: 1000, message: 'Invalid API Token' }], messages: [], result: null })
    expect(badZones).toMatchObject({ success: false, errors: [{ code: 10000, message: 'Authentication error' }] })
    expect(zones).toMatchObject({ success: true, result: [{ id: '5177d887f26bfcdd51da83c4f10fff7e', name: 'domaine.tld' }] })
    expect(unknownZone).toMatchObject({ success: false, errors: [{ code: 7003 }, { code: 7000, message: 'No route for that URI' }] })
  })

  it('drives the unmodified dns_cf.sh: add, list and remove a TXT record, seen by dig through the validating resolver', async () => {
    const name = '_acme-challenge.cf-test.domaine.tld'
    const lib = '. /etc/lab/cloudflare.env; . /root/.acme.sh/acme.sh >/dev/null; _initpath; . /root/.acme.sh/dnsapi/dns_cf.sh; '
    expect((await digTxt(name)).values).toEqual([])
    const add = await sh(`${lib} dns_cf_add ${name} lab-cf-value-1`)
    expect(add.exitCode, add.out).toBe(0)
    expect(add.out).toContain('Added, OK')
    const seen = await until(() => digTxt(name), (v) => v.values.includes('lab-cf-value-1'))
    expect(seen).toEqual({ values: ['lab-cf-value-1'], ad: true })
    const list = await sh(`${lib} _get_root ${name} && _cf_rest GET "zones/$_domain_id/dns_records?type=TXT&name=${name}" && echo "$response"`)
    expect(JSON.parse(list.stdout.trim().split('\n').pop()!)).toMatchObject({
      success: true,
      result: [{ name, type: 'TXT', content: 'lab-cf-value-1' }],
      result_info: { count: 1 },
    })
    const rm = await sh(`${lib} dns_cf_rm ${name} lab-cf-value-1`)
    expect(rm.exitCode, rm.out).toBe(0)
    // The resolver keeps an answer for at most 2 s.
    const gone = await until(() => digTxt(name), (v) => v.values.length === 0)
    expect(gone.values).toEqual([])
  })

  // The guide's issuance as written (`acme.sh --issue … --dns dns_cf --keylength ec-256` for domaine.tld and
  // *.domaine.tld, ECDSA P-256, chain to the lab CA's root) runs in slides/decks/02-acme-exim/commands/
  // commands.sandbox.test.ts (L78 and its probe): not repeated here, it costs 35 s.

  it('a wrong CF_Token fails as Cloudflare makes it fail', async () => {
    const r = await sh(
      '. /etc/lab/cloudflare.env; CF_Token=${CF_Token%?}x ' +
        "acme.sh --issue --server letsencrypt --dns dns_cf -d domaine.tld -d '*.domaine.tld' --keylength ec-256 --force --debug 2",
      120_000,
    )
    expect(r.exitCode).not.toBe(0)
    expect(r.out).toContain(`response='{"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"messages":[],"result":null}'`)
    expect(r.out).toContain('Error adding TXT record to domain: _acme-challenge.domaine.tld')
  }, 150_000)

  it('dns_nsupdate (RFC 2136 with the session’s TSIG key) issues too', async () => {
    const r = await sh('. /etc/lab/nsupdate.env; acme.sh --issue --server letsencrypt --dns dns_nsupdate -d mail.example.com --keylength ec-256 --dnssleep 2', 120_000)
    expect(r.exitCode, r.out).toBe(0)
    expect(r.out).toContain('Cert success.')
    const c = await sh('openssl x509 -in /root/.acme.sh/mail.example.com_ecc/mail.example.com.cer -noout -ext subjectAltName')
    expect(c.stdout).toContain('DNS:mail.example.com')
  }, 150_000)
})
