// When two spellings of a Postfix or Exim setting mean the same: protocol lists as the set of TLS versions they
// leave enabled, yes/no in any case, lists whatever their separators.
export type Software = 'postfix' | 'exim'

/** Postfix's protocol names, oldest first (TLSv1 is TLS 1.0). */
export const TLS_VERSIONS = ['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const
export type TlsVersion = (typeof TLS_VERSIONS)[number]

/** smtpd_tls_protocols, smtp_tls_mandatory_protocols, lmtp_…, tlsproxy_…; a master.cf override (service/type/name) too. */
export function isProtocolListParam(name: string): boolean {
  const base = name.split('/').at(-1) ?? name
  return /^(smtpd|smtp|lmtp|tlsproxy|tlsproxy_client)_tls_(mandatory_)?protocols$/.test(base)
}

const versionIndex = (name: string): number => TLS_VERSIONS.findIndex((v) => v.toLowerCase() === name.trim().toLowerCase())

/**
 * The TLS versions a Postfix protocol list leaves enabled, or null when a name is unknown (then only the spelling
 * can be compared). Postfix reads names in any case, separated by spaces, commas or colons: a list of names keeps
 * only those, `!name` removes one, `>=name` / `<=name` bound the range. SSLv2 is never enabled: OpenSSL 1.1.0
 * removed it, so `!SSLv2` changes nothing.
 */
export function postfixProtocols(value: string): ReadonlySet<TlsVersion> | null {
  // ">= TLSv1.2" written with a space is read as one bound.
  const tokens = value.replace(/([<>]=)\s+/g, '$1').split(/[\s,:]+/).filter(Boolean)
  const include = new Set<number>()
  const exclude = new Set<number>()
  let min = 0
  let max = TLS_VERSIONS.length - 1
  for (const t of tokens) {
    const bound = /^([<>]=)(.*)$/.exec(t)
    const name = bound ? bound[2]! : t.startsWith('!') ? t.slice(1) : t
    const i = versionIndex(name)
    if (i < 0) return null
    if (bound?.[1] === '>=') min = Math.max(min, i)
    else if (bound?.[1] === '<=') max = Math.min(max, i)
    else if (t.startsWith('!')) exclude.add(i)
    else include.add(i)
  }
  const out = new Set<TlsVersion>()
  TLS_VERSIONS.forEach((v, i) => {
    if (i > 0 && i >= min && i <= max && !exclude.has(i) && (include.size === 0 || include.has(i))) out.add(v)
  })
  return out
}

const sameSet = <T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean => a.size === b.size && [...a].every((x) => b.has(x))

const norm = (s: string): string => s.trim().replace(/\s+/g, ' ')

/** Postfix parameters whose value is free text, where a comma is a comma. */
const POSTFIX_TEXT = /(banner|footer|_text|_message|_notice)$/

const BOOLEAN: Record<string, boolean> = { yes: true, no: false, true: true, false: false }

/** Whether `value` (as postconf / exim -bP print it) means what `expected` (as an exercise spells it) means. */
export function sameMeaning(name: string, software: Software, expected: string, value: string): boolean {
  if (norm(expected) === norm(value)) return true
  const e = norm(expected).toLowerCase()
  const v = norm(value).toLowerCase()
  if (e in BOOLEAN && v in BOOLEAN) return BOOLEAN[e] === BOOLEAN[v]
  if (software === 'postfix') {
    if (isProtocolListParam(name)) {
      const a = postfixProtocols(expected)
      const b = postfixProtocols(value)
      if (a && b) return sameSet(a, b)
    }
    // Postfix lists take spaces and commas alike: "a, b" is "a b".
    if (!POSTFIX_TEXT.test(name)) return expected.split(/[\s,]+/).filter(Boolean).join(' ') === value.split(/[\s,]+/).filter(Boolean).join(' ')
    return false
  }
  // Exim lists: spaces around the colon separator do not count ("25 : 465" is "25:465").
  const colon = (s: string) => norm(s).replace(/\s*:\s*/g, ':')
  return colon(expected) === colon(value)
}
