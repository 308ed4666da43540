// The command extractor reads guide 000's flattened text into the 49 command blocks and 6 inline mentions a reader meets.
import { describe, expect, it } from 'vitest'
import { extractCommands, loadDocumentCommands } from './commands.ts'
import { commandTable, labCommand } from './commands-table.ts'

const { commands } = loadDocumentCommands()
const byId = new Map(commands.map((c) => [c.id, c]))

describe('the commands of guide 000 (acme.sh + HestiaCP + Exim4)', () => {
  it('are 49 command blocks and 6 commands quoted inside sentences, in document order', () => {
    const blocks = commands.filter((c) => !c.inline)
    expect(blocks.length).toBe(49)
    expect(commands.filter((c) => c.inline).map((c) => c.id)).toEqual(['L124', 'L223', 'L230', 'L296', 'L300', 'L355'])
    const kinds = Object.fromEntries(['shell', 'config', 'script', 'smtp', 'listing'].map((k) => [k, blocks.filter((c) => c.kind === k).length]))
    expect(kinds).toEqual({ shell: 37, config: 7, script: 3, smtp: 1, listing: 1 })
    expect(commands.map((c) => c.line)).toEqual([...commands.map((c) => c.line)].sort((a, b) => a - b))
  })

  it('joins a backslash-continued acme.sh --issue into one command of section 5.3, lines 78 to 82', () => {
    const issue = byId.get('L78')!
    expect([issue.section, issue.kind, issue.endLine]).toEqual(['5.3', 'shell', 82])
    expect(issue.text).toBe("acme.sh --issue \\\n-d domaine.tld \\\n-d '*.domaine.tld' \\\n--dns dns_cf \\\n--keylength ec-256")
  })

  it('keeps the --reloadcmd of section 8.1 whole, quotes and continuations included', () => {
    const install = byId.get('L126')!
    expect(install.endLine).toBe(136)
    expect(install.text.split('\n').at(-1)).toBe('systemctl reload exim4"')
  })

  it('reads the deploy script of section 8.2 up to its last line, and the chmod +x after it as a command of its own', () => {
    const script = byId.get('L140')!
    expect([script.kind, script.endLine]).toEqual(['script', 156])
    expect(script.text.startsWith('#!/usr/bin/env bash\nset -euo pipefail\nFQDN="$1"')).toBe(true)
    expect(byId.get('L157')).toMatchObject({ kind: 'shell', text: 'chmod +x /usr/local/bin/deploy-mail-cert.sh' })
    expect(byId.get('L237')).toMatchObject({ kind: 'script', endLine: 244, section: '12.3' })
    expect(byId.get('L337')).toMatchObject({ kind: 'script', endLine: 347, section: '19.4' })
  })

  it('finds commented-out commands, the acme.sh typo of the annex and the EHLO typed in an SMTP session', () => {
    expect(byId.get('L64')).toMatchObject({ commented: true, command: 'acme.sh --upgrade --rollback', text: '# rollback (rare) : acme.sh --upgrade --rollback' })
    expect(byId.get('L73')).toMatchObject({ commented: true, command: 'export CF_Key="GLOBAL_API_KEY"' })
    expect(byId.get('L319')).toMatchObject({ section: '19.1', comments: ['# Wildcard ECC'] })
    expect(byId.get('L319')!.text.startsWith('a cme.sh --issue')).toBe(true)
    expect(byId.get('L253')).toMatchObject({ kind: 'smtp', text: 'EHLO test', section: '13.3' })
  })

  it('reads Exim configuration snippets as one block each, comments included, and not the troubleshooting table row', () => {
    expect(byId.get('L107')).toMatchObject({ kind: 'config', endLine: 111, section: '7' })
    expect(byId.get('L172')!.text.split('\n')).toEqual([
      'MAIN_TLS_ENABLE = yes',
      'MAIN_TLS_ADVERTISE_HOSTS = *',
      '# Ports SMTP (server, submission, SMTPS)',
      'daemon_smtp_ports = 25 : 587 : 465',
      '# SMTPS implicite',
      'tls_on_connect_ports = 465',
    ])
    expect(byId.get('L349')).toMatchObject({ kind: 'config', endLine: 351, section: '19.5' })
    expect(byId.has('L265')).toBe(false)
  })

  it('keeps pipes in commands but not flattened table rows, and a bare program name is not a command', () => {
    const page = [
      '1. Titre',
      'curl https://get.acme.sh | sh',
      'Erreur | Cause | Solution |',
      'acme.sh',
      'est léger (bash pur)',
      '- Recharge Exim4 (',
      'systemctl reload exim4',
      ').',
    ].join('\n')
    expect(extractCommands(page).map((c) => [c.line, c.inline])).toEqual([
      [2, false],
      [7, true],
    ])
  })
})

describe('the lab table of guide 000’s commands', () => {
  const table = commandTable(commands)

  it('has exactly one row per command, each run as written, substituted for a stated reason, or covered by a block', () => {
    expect([...table.keys()].sort()).toEqual(commands.map((c) => c.id).sort())
    for (const doc of commands) {
      const e = table.get(doc.id)!
      const ways = [e.asWritten === true, e.substitution !== undefined, e.coveredBy !== undefined].filter(Boolean).length
      expect(ways, `${doc.id} must be exactly one of asWritten, substitution, coveredBy`).toBe(1)
      if (e.substitution) {
        expect(e.substitution.command.trim(), doc.id).not.toBe('')
        expect(e.substitution.why.fr.length, doc.id).toBeGreaterThan(40)
        expect(e.substitution.why.en.length, doc.id).toBeGreaterThan(40)
      }
      if (e.coveredBy) {
        expect(doc.inline, `${doc.id}: only inline mentions may be covered by another block`).toBe(true)
        expect(table.get(e.coveredBy)?.coveredBy, doc.id).toBeUndefined()
      } else expect(labCommand(doc, e), doc.id).not.toBeNull()
      // SMTP lines and listings cannot run "as written" in a shell: they need a stated substitution. A commented
      // command runs as the command itself, without its "# label :".
      if (doc.kind === 'smtp' || doc.kind === 'listing') expect(e.asWritten, doc.id).toBeUndefined()
      if (doc.commented && e.asWritten) expect(labCommand(doc, e), doc.id).toBe(doc.command)
      if (e.asWritten && doc.kind !== 'shell') expect(e.writeTo, `${doc.id}: a ${doc.kind} block runs by being written`).toBeDefined()
      if (e.documentError) {
        expect(e.evidence?.length ?? 0, doc.id).toBeGreaterThan(5)
        expect(e.finding?.fr && e.finding.en, doc.id).toBeTruthy()
      }
    }
  })

  it('counts 44 blocks run as written, 5 substituted (offline, or not a command), and 12 document errors, all confirmed in the lab', () => {
    const rows = commands.map((c) => [c, table.get(c.id)!] as const)
    const blocks = rows.filter(([c]) => !c.inline)
    expect(blocks.filter(([, e]) => e.asWritten).length).toBe(44)
    expect(blocks.filter(([, e]) => e.substitution).map(([c]) => c.id)).toEqual(['L52', 'L56', 'L63', 'L107', 'L253'])
    // The inline acme.sh --cron runs as written; the other inline mentions are covered by the block they quote.
    expect(rows.filter(([c, e]) => c.inline && !e.coveredBy).map(([c]) => c.id)).toEqual(['L223'])
    expect(table.get('L223')!.asWritten).toBe(true)
    // 55 commands: 44 blocks, the inline --cron and the 5 inline mentions covered by as-written blocks run as written.
    const covered = rows.filter(([, e]) => e.coveredBy).map(([, e]) => table.get(e.coveredBy!)!)
    expect(covered.every((e) => e.asWritten)).toBe(true)
    expect(44 + 1 + covered.length).toBe(50)
    expect(rows.filter(([, e]) => e.documentError).map(([c]) => c.id)).toEqual(['L64', 'L172', 'L182', 'L204', 'L208', 'L237', 'L253', 'L286', 'L319', 'L325', 'L337', 'L349'])
    expect(rows.filter(([, e]) => e.confirmedIn === 'source').map(([c]) => c.id)).toEqual([])
  })
})
