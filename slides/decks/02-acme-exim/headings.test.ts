// The Exim deck mirrors the guide 000 (acme.sh + HestiaCP + Exim4): every heading in order, its tables, its lab slides.
import { describe, expect, it } from 'vitest'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parseSync } from '@slidev/parser'
import { coverage, describeCoverageProblems, REPO_ROOT, seedPath } from '../headings.ts'
import { flatHeadings, flatToMarkdown } from './flat-headings.ts'

const DOCUMENT = '000_da3a04f47dee1e08.txt'
const DECK = path.join(REPO_ROOT, 'slides', 'decks', '02-acme-exim', 'slides.md')

/** The Exim exercises, each graded from a CheckPanel of this deck (one lab slide per break-fix scenario). */
const EXERCISES = [
  'exim-issue-wildcard-ecc',
  'exim-deploy-hestia',
  'exim-sni-multi-domain',
  'exim-auth-tls-policy',
  'exim-renewal-hook',
  'exim-expiry-monitoring',
  'exim-break-fix-empty-tls-certificate',
  'exim-break-fix-self-signed',
  'exim-break-fix-private-key',
  'exim-break-fix-no-starttls-587',
  'exim-break-fix-auth-before-tls',
  'exim-break-fix-verify-21',
  'exim-break-fix-new-domain',
  'exim-break-fix-ecc-rejected',
  'exim-production-checklist',
] as const

describe('headings of a page stored as flat text', () => {
  it('reads the title, numbered sections with or without a space after the number, and skips bare port numbers', () => {
    const page = ['Publié le : 09/08/2025', 'Titre du guide', '1. Introduction', '1.1Pourquoi ?', '25', '(SMTP),587', '12.3 Monitoring (cron)'].join('\n')
    expect(flatHeadings(page).map((h) => [h.level, h.text])).toEqual([
      [1, 'Titre du guide'],
      [1, '1. Introduction'],
      [2, '1.1 Pourquoi ?'],
      [2, '12.3 Monitoring (cron)'],
    ])
    // Same line numbers as the page, so a missing heading is reported where it is in the document.
    expect(flatToMarkdown(page).split('\n')).toEqual(['', '# Titre du guide', '# 1. Introduction', '## 1.1 Pourquoi ?', '', '', '## 12.3 Monitoring (cron)'])
  })
})

describe('the deck 02-acme-exim', () => {
  const docPath = seedPath(DOCUMENT)
  const deck = readFileSync(DECK, 'utf8')
  const slides = parseSync(deck, DECK).slides

  it(`has a slide for each of the 59 headings of ${DOCUMENT} (title and 58 numbered sections), in the document's order`, () => {
    expect(existsSync(docPath), `course document not found at ${docPath}`).toBe(true)
    const doc = flatToMarkdown(readFileSync(docPath, 'utf8'))
    const c = coverage(doc, deck, DECK)
    // The guide is read-only: 20 sections and 38 subsections plus its title; a different count means a broken reader.
    expect(c.headings.length).toBe(59)
    expect(c.headings.filter((h) => /^\d+\. /.test(h.text)).length).toBe(20)
    expect(describeCoverageProblems(c)).toBe('')
    expect(c.slideOf.every((i, k) => i > (c.slideOf[k - 1] ?? -1))).toBe(true)
  })

  it('rebuilds the flattened tables of the guide as markdown tables', () => {
    const headers = [
      '| Terme | Description | Impact Exim4 |',
      '| Erreur | Cause | Solution |',
      '| Stratégie | Description | Quand | Avantages | Inconvénients |',
      '| Méthode | Avantage | Inconvénient |',
      '| Aspect | 465 (SMTPS implicite) | 587 (Submission STARTTLS) |',
      '| Symptôme | Analyse | Correctif |',
      '| Scénario | Action rapide |',
      '| Item | OK |',
    ]
    const lines = deck.split('\n')
    for (const header of headers) {
      const at = lines.indexOf(header)
      expect(at, `table header not found: ${header}`).toBeGreaterThan(-1)
      expect(lines[at + 1], `no separator row under ${header}`).toMatch(/^\|(---\|)+$/)
      expect(lines[at + 2] ?? '', `no body row under ${header}`).toMatch(/^\| .+ \|$/)
    }
    // The troubleshooting table keeps its eight rows, the checklist its eleven items.
    const rowsAfter = (header: string): number => {
      let n = 0
      for (const [i, line] of lines.entries()) {
        if (line !== header) continue
        for (let j = i + 2; j < lines.length && (lines[j] ?? '').startsWith('|'); j++) n++
      }
      return n
    }
    expect(rowsAfter('| Symptôme | Analyse | Correctif |')).toBe(8)
    expect(rowsAfter('| Item | OK |')).toBe(11)
  })

  it('draws the certificate flow from the ACME CA through the client and the Hestia paths to Exim’s SNI choice', () => {
    const flow = /```mermaid[^\n]*\n(flowchart[\s\S]*?)```/.exec(deck)?.[1] ?? ''
    for (const node of ['Pebble', 'acme.sh', 'hôte mail', 'ssl/mail/FQDN.crt', 'ssl/certificate', '$tls_in_sni', 'Client SMTP']) {
      expect(flow, `flowchart lacks ${node}`).toContain(node)
    }
  })

  it('grades every exercise of the Exim module from a CheckPanel bound to the exim lab', () => {
    const panels = [...deck.matchAll(/<CheckPanel\s+exercise="([^"]+)"([^>]*)\/>/g)]
    expect(panels.map((m) => m[1]).sort()).toEqual([...EXERCISES].sort())
    for (const m of panels) expect(m[2], `CheckPanel ${m[1]} must name lab="exim"`).toContain('lab="exim"')
  })

  it('opens its terminals in the exim lab, on the toolbox or the mail host', () => {
    const terminals = [...deck.matchAll(/<LabTerminal\b([^>]*)\/>/g)].map((m) => m[1] ?? '')
    expect(terminals.length).toBeGreaterThanOrEqual(EXERCISES.length)
    for (const attrs of terminals) {
      expect(attrs).toContain('lab="exim"')
      expect(attrs).toMatch(/service="(toolbox|mail)"/)
    }
    expect(deck).toContain('<LabStatus lab="exim" />')
  })

  it('flags the Debian/GnuTLS and HestiaCP corrections in "Dans le lab" boxes, with the evidence the lab shows', () => {
    const notes = deck.split('<LabNote').length - 1
    expect(notes).toBeGreaterThanOrEqual(30)
    for (const evidence of [
      "openssl_options is set but we're using GnuTLS",
      'tls_require_ciphers invalid: gnutls_priority_init(',
      'NORMAL:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1',
      'internal run-parts: ignoring file',
      '"daemon_smtp_ports" option set for the second time',
      "dc_use_split_config='false'",
      'exim -bP tls_certificate',
      'NSUPDATE_SERVER',
      '/etc/lab/nsupdate.env',
      'CF_Token=LDMXBIE4XK63nIIa10ha6S5igXN9vQ3bbt93rbJS',
      'Invalid API Token',
      '<LabTerminal lab="exim" service="mail" height="21rem" />\n<div class="text-sm">\n\n```bash\n. /etc/lab/cloudflare.env',
      'Unknown parameter: --rollback',
      'P=esmtps',
    ]) {
      expect(deck, `missing evidence: ${evidence}`).toContain(evidence)
    }
    // Issue 11: acme.sh runs on the mail host, so no slide may still send the learner to certbot.
    expect(deck).not.toMatch(/certbot (certonly|renew)|acme\.sh n’est pas installé|lab : certbot/)
  })

  it('gives most slides presenter notes', () => {
    const withNotes = slides.filter((s) => (s.note ?? '').trim() !== '').length
    expect(withNotes / slides.length).toBeGreaterThan(0.75)
  })
})
