// The command extractor reads guide 000's flattened text into the 49 command blocks and 6 inline mentions a reader meets.
import { describe, expect, it } from 'vitest'
import { extractCommands, loadDocumentCommands } from './commands.ts'

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
