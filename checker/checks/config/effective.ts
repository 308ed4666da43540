// config.effective: the values Postfix or Exim really use (trusted postconf / exim -bP), compared with what the exercise expects.
import { defineCheck, verdict } from '../../define.ts'
import type { SandboxHandle, ServiceName } from '../../sandbox-handle.ts'
import type { CheckContext, Verdict } from '../../types.ts'
import { isVerdict } from '../dns/shared.ts'
import { needSandbox, serviceOf } from '../file/shared.ts'
import { sameMeaning, type Software } from './equivalence.ts'

export type { Software } from './equivalence.ts'

/**
 * What a parameter must be: exact text (whitespace-insensitive), one of several, a pattern (RegExp, or
 * { regex, flags } in params), a boolean (Exim), or null = unset/empty.
 */
export type Expectation = string | number | boolean | RegExp | readonly string[] | null

export interface Setting {
  readonly name: string
  /** null when the software does not know the name. */
  readonly value: string | null
  /** Postfix: the value comes from main.cf/master.cf (postconf -n / -P), not a built-in default. */
  readonly explicit?: boolean
  readonly line: string
}

const norm = (s: string): string => s.trim().replace(/\s+/g, ' ')

/** `postconf a b` / `postconf -P x/y/z` lines: "name = value". */
export function parsePostconf(stdout: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of stdout.split('\n')) {
    const m = /^(\S+)\s*=\s?(.*)$/.exec(line.trimEnd())
    if (m) out.set(m[1]!, m[2]!)
  }
  return out
}

/** `exim -bP` lines: "name = value", or a bare "name" / "no_name" for booleans. */
export function parseEximBp(stdout: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of stdout.split('\n')) {
    const t = line.trim()
    if (!t) continue
    const m = /^([A-Za-z0-9_]+)\s*=\s?(.*)$/.exec(t)
    if (m) out.set(m[1]!, m[2]!)
    else if (/^no_[A-Za-z0-9_]+$/.test(t)) out.set(t.slice(3), 'false')
    else if (/^[A-Za-z0-9_]+$/.test(t)) out.set(t, 'true')
  }
  return out
}

/**
 * Whether an effective value meets the expectation. Given the parameter (`of`), text expectations compare
 * meanings (equivalence.ts: `!SSLv2, !SSLv3, !TLSv1, !TLSv1.1` is `>=TLSv1.2`); without it, spellings up to spacing.
 */
export function matches(expect: Expectation, value: string | null, of?: { name: string; software: Software }): boolean {
  if (expect === null) return value === null || norm(value) === ''
  if (value === null) return false
  if (expect instanceof RegExp) return expect.test(value)
  const same = (e: string) => (of ? sameMeaning(of.name, of.software, e, value) : norm(e) === norm(value))
  if (Array.isArray(expect)) return expect.some(same)
  if (typeof expect === 'boolean') return ['true', 'yes', '1'].includes(norm(value).toLowerCase()) === expect
  return same(String(expect))
}

export function describeExpectation(e: Expectation): string {
  if (e === null) return '(unset)'
  if (e instanceof RegExp) return `~ ${String(e)}`
  if (Array.isArray(e)) return `one of ${e.map((x) => JSON.stringify(x)).join(', ')}`
  return JSON.stringify(e)
}

interface Read {
  readonly settings: Setting[]
  readonly lines: string[]
  readonly failure?: Verdict
}

function commandFailure(cmd: string, code: number, output: string, lines: string[]): Verdict {
  const tail = output.trim().split('\n').slice(-5)
  lines.push(...tail)
  // A configuration the software refuses to read is the learner's to fix; anything else is ours.
  if (/configuration error|fatal:|syntax error/i.test(output))
    return verdict.fail(
      {
        fr: `${cmd} refuse la configuration : ${tail.at(-1) ?? ''}`,
        en: `${cmd} rejects the configuration: ${tail.at(-1) ?? ''}`,
      },
      { lines },
    )
  return verdict.inconclusive(
    code === 124 ? 'timeout' : 'protocol',
    { fr: `${cmd} a échoué (code ${code}).`, en: `${cmd} failed (exit code ${code}).` },
    { lines },
  )
}

async function readPostfix(sb: SandboxHandle, service: ServiceName, names: readonly string[]): Promise<Read> {
  const lines: string[] = []
  const mainNames = names.filter((n) => !n.includes('/'))
  const masterNames = names.filter((n) => n.includes('/'))
  const values = new Map<string, string>()
  const explicitSet = new Set<string>()
  if (mainNames.length) {
    const r = await sb.tool(service, 'postconf', ['--', ...mainNames], { timeoutMs: 15_000 })
    lines.push(`$ postconf ${mainNames.join(' ')}`)
    if (r.exitCode !== 0) return { settings: [], lines, failure: commandFailure('postconf', r.exitCode, r.stderr + r.stdout, lines) }
    for (const [k, v] of parsePostconf(r.stdout)) values.set(k, v)
    const n = await sb.tool(service, 'postconf', ['-n'], { timeoutMs: 15_000 })
    if (n.exitCode === 0) for (const k of parsePostconf(n.stdout).keys()) explicitSet.add(k)
  }
  if (masterNames.length) {
    const r = await sb.tool(service, 'postconf', ['-P', '--', ...masterNames], { timeoutMs: 15_000 })
    lines.push(`$ postconf -P ${masterNames.join(' ')}`)
    if (r.exitCode !== 0) return { settings: [], lines, failure: commandFailure('postconf -P', r.exitCode, r.stderr + r.stdout, lines) }
    for (const [k, v] of parsePostconf(r.stdout)) {
      values.set(k, v)
      explicitSet.add(k)
    }
  }
  const settings = names.map((name) => {
    const value = values.get(name) ?? null
    const explicit = explicitSet.has(name)
    const line = value === null ? `${name}: (not set / unknown)` : `${name} = ${value}${explicit ? '' : '   # default'}`
    return { name, value, explicit, line }
  })
  lines.push(...settings.map((s) => s.line))
  return { settings, lines }
}

async function readExim(sb: SandboxHandle, service: ServiceName, names: readonly string[]): Promise<Read> {
  const lines: string[] = [`$ exim -bP ${names.join(' ')}`]
  const r = await sb.tool(service, 'exim', ['-bP', ...names], { timeoutMs: 15_000 })
  const values = parseEximBp(r.stdout)
  // exim -bP exits 1 when one name is unknown but still prints the others.
  if (r.exitCode !== 0 && values.size === 0) return { settings: [], lines, failure: commandFailure('exim -bP', r.exitCode, r.stderr + r.stdout, lines) }
  const settings = names.map((name) => {
    const value = values.get(name) ?? null
    return { name, value, line: value === null ? `${name}: (unknown option)` : `${name} = ${value}` }
  })
  lines.push(...settings.map((s) => s.line))
  return { settings, lines }
}

function expectationsOf(ctx: CheckContext): Map<string, Expectation> | null {
  const e = ctx.params['expect']
  if (typeof e !== 'object' || e === null || Array.isArray(e) || e instanceof RegExp) return null
  const out = new Map<string, Expectation>()
  for (const [k, v] of Object.entries(e as Record<string, unknown>)) {
    if (!/^[A-Za-z0-9_./-]+$/.test(k)) return null
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v instanceof RegExp) out.set(k, v)
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out.set(k, v as string[])
    // JSON form of a pattern, for manifests that travel as JSON: { "regex": "…", "flags": "i" }
    else if (typeof v === 'object' && typeof (v as { regex?: unknown }).regex === 'string') {
      const { regex, flags } = v as { regex: string; flags?: unknown }
      try {
        out.set(k, new RegExp(regex, typeof flags === 'string' ? flags : ''))
      } catch {
        return null
      }
    } else return null
  }
  return out.size ? out : null
}

export default defineCheck({
  id: 'config.effective',
  title: { fr: 'Valeurs effectives de la configuration', en: 'Effective configuration values' },
  explain: {
    fr: 'Ce qui compte est la valeur que le logiciel utilise réellement, pas ce qu’on croit avoir écrit : une ligne dupliquée plus bas dans main.cf, une faute de frappe dans un nom de paramètre ou une macro Exim non reprise gardent l’ancienne valeur. postconf (Postfix) et exim -bP (Exim) affichent les valeurs effectives ; « # default » signale une valeur par défaut que main.cf ne fixe pas.',
    en: 'What counts is the value the software really uses, not what you think you wrote: a duplicate line further down main.cf, a typo in a parameter name or an Exim macro not picked up keep the old value. postconf (Postfix) and exim -bP (Exim) show effective values; "# default" marks a built-in default that main.cf does not set.',
  },
  remedy: {
    postfix: 'postconf -e "nom = valeur" (ou éditez /etc/postfix/main.cf), vérifiez avec postconf nom, puis systemctl reload postfix.',
    exim: 'Corrigez le fichier de configuration d’Exim (le modèle unique de HestiaCP), vérifiez avec exim -bP nom, puis systemctl reload exim4.',
  },
  appliesTo: ['sandbox'],
  timeoutMs: 30_000,
  async run(ctx): Promise<Verdict> {
    const sb = needSandbox(ctx)
    if (isVerdict(sb)) return sb
    const expect = expectationsOf(ctx)
    if (!expect)
      return verdict.inconclusive('bug', {
        fr: 'L’exercice doit donner params.expect = { nom: valeur attendue }.',
        en: 'The exercise must give params.expect = { name: expected value }.',
      })
    const software: Software = ctx.params['software'] === 'postfix' || ctx.params['software'] === 'exim' ? ctx.params['software'] : sb.lab
    const service = serviceOf(ctx)
    const names = [...expect.keys()]
    const read = software === 'postfix' ? await readPostfix(sb, service, names) : await readExim(sb, service, names)
    if (read.failure) return read.failure
    const wrong = read.settings.filter((s) => !matches(expect.get(s.name)!, s.value, { name: s.name, software }))
    const lines = [...read.lines, ...wrong.map((s) => `expected ${s.name}: ${describeExpectation(expect.get(s.name)!)}`)]
    const facts = Object.fromEntries(read.settings.map((s) => [s.name, s.value]))
    if (wrong.length)
      return verdict.fail(
        {
          fr: `Valeur(s) effective(s) inattendue(s) : ${wrong.map((s) => `${s.name} = ${s.value ?? '(non défini)'}`).join(' ; ')}.`,
          en: `Unexpected effective value(s): ${wrong.map((s) => `${s.name} = ${s.value ?? '(unset)'}`).join('; ')}.`,
        },
        { lines, facts },
      )
    return verdict.pass(
      {
        fr: `${software === 'postfix' ? 'Postfix' : 'Exim'} utilise bien : ${read.settings.map((s) => `${s.name} = ${s.value ?? '(vide)'}`).join(' ; ')}.`,
        en: `${software === 'postfix' ? 'Postfix' : 'Exim'} really uses: ${read.settings.map((s) => `${s.name} = ${s.value ?? '(empty)'}`).join('; ')}.`,
      },
      { lines, facts },
    )
  },
})
