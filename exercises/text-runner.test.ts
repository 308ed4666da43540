// Unit tests of the text runner: block extraction from sample markdown, the errors a text author gets, running blocks
// in order with real bash (a host-side handle), and the catalog rules (fr/en blocks identical, the grader section).
import { execFile } from 'node:child_process'
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { ExecOptions, ExecResult, SandboxHandle } from '../checker/sandbox-handle.ts'
import { exercises, MANIFESTS } from './index.ts'
import { labServices, loadExercise } from './load.ts'
import type { AnyExercise } from './define.ts'
import { StepError } from './runner.ts'
import { hintLines } from './cli.ts'
import {
  applyTextSolution,
  blockLabel,
  extractRunBlocks,
  hintRunBlocks,
  runBlockDifferences,
  textSolution,
  TextFormatError,
} from './text-runner.ts'

const SAMPLE = [
  '# Titre',
  '',
  'Sur le serveur :',
  '',
  '```bash run=mail',
  "postconf -e 'smtpd_tls_security_level = may'",
  'postfix check && systemctl reload postfix',
  '```',
  '',
  'Résultat attendu (illustration, jamais exécutée) :',
  '',
  '```',
  'smtpd_tls_security_level = may',
  '```',
  '',
  '```bash',
  'echo exemple sans run',
  '```',
  '',
  '1. Dans une liste :',
  '',
  '   ```bash run=toolbox',
  '   systemctl enable --now nginx',
  '   ```',
  '',
  '> ```bash run=mail',
  '> echo dans une citation',
  '> ```',
  '',
  '~~~bash run=dns',
  'echo tilde',
  '~~~',
  '',
].join('\n')

describe('extractRunBlocks', () => {
  it('keeps only `bash run=SERVICE` fences, in document order, with their service, rank and line', () => {
    const blocks = extractRunBlocks(SAMPLE, 'text.fr.md')
    expect(blocks.map((b) => [b.service, b.index, b.line])).toEqual([
      ['mail', 1, 5],
      ['toolbox', 2, 22],
      ['mail', 3, 26],
      ['dns', 4, 30],
    ])
    expect(blocks[0]!.script).toBe("postconf -e 'smtpd_tls_security_level = may'\npostfix check && systemctl reload postfix\n")
    // A list item's indentation is the markdown's, not the command's.
    expect(blocks[1]!.script).toBe('systemctl enable --now nginx\n')
    expect(blocks[2]!.script).toBe('echo dans une citation\n')
  })

  it('is not fooled by a run= fence shown inside a longer fence (an example of the format)', () => {
    const text = ['````markdown', '```bash run=mail', 'rm -rf /', '```', '````', ''].join('\n')
    expect(extractRunBlocks(text, 'x.md')).toEqual([])
  })

  it('names the file and line of a malformed run= block', () => {
    expect(() => extractRunBlocks('\n```sh run=mail\nls\n```\n', 'text.en.md')).toThrow(/text\.en\.md:2: a run= block must be `bash run=SERVICE`/)
    expect(() => extractRunBlocks('```bash run=\nls\n```\n', 't.md')).toThrow(/t\.md:1: run= needs a service name/)
    expect(() => extractRunBlocks('```bash run=mail run=dns\nls\n```\n', 't.md')).toThrow(/one run= per block/)
    expect(() => extractRunBlocks('```bash run=mail\n\n```\n', 't.md')).toThrow(/block is empty/)
    expect(() => extractRunBlocks('```bash run=mial\nls\n```\n', 't.md', ['mail', 'dns'])).toThrow(
      /t\.md:1: run=mial names no service of the lab \(it has mail, dns\)/,
    )
    expect(() => extractRunBlocks('```bash run=mial\nls\n```\n', 't.md')).not.toThrow()
  })

  it('labels blocks for errors by file, rank, service and line; hints by number', () => {
    const [b] = extractRunBlocks(SAMPLE, 'text.fr.md')
    expect(blockLabel(b!)).toBe('text.fr.md block 1 (run=mail, line 5)')
    expect(blockLabel({ service: 'toolbox', script: 'x', source: 'hint 3', index: 1 })).toBe('hint 3 (run=toolbox)')
  })

  it('compares the French and English blocks: count, then each block', () => {
    const fr = extractRunBlocks(SAMPLE, 'text.fr.md')
    expect(runBlockDifferences(fr, extractRunBlocks(SAMPLE.replace('Sur le serveur', 'On the server'), 'text.en.md'))).toEqual([])
    expect(runBlockDifferences(fr, fr.slice(1))).toContain('4 run blocks in French, 3 in English')
    const en = extractRunBlocks(SAMPLE.replace('echo tilde', 'echo tilda'), 'text.en.md')
    expect(runBlockDifferences(fr, en)).toEqual(['block 4 differs (fr line 30, en line 30)'])
  })
})

const base = MANIFESTS[0]![1]
const folder = MANIFESTS[0]![0]

describe('hints with run scripts', () => {
  it('are loaded, listed after the text blocks, and must name a service of the lab', async () => {
    const withRun: AnyExercise = {
      ...base,
      hints: [...base.hints, { fr: 'Corrigez :', en: 'Fix it:', run: { service: 'toolbox', script: 'systemctl restart nginx\n' } }],
    }
    const ex = loadExercise(folder, withRun)
    expect(hintRunBlocks(ex)).toEqual([{ service: 'toolbox', script: 'systemctl restart nginx\n', source: `hint ${withRun.hints.length}`, index: 1 }])
    const all = await textSolution(ex)
    expect(all.at(-1)!.source).toBe(`hint ${withRun.hints.length}`)
    const bad: AnyExercise = { ...base, hints: [{ fr: 'x', en: 'x', run: { service: 'mial', script: 'ls' } }] }
    expect(() => loadExercise(folder, bad)).toThrow(/hint 1 runs in "mial", which the postfix lab lacks/)
  })

  it('are printed by `exercises show` with their script as a fenced block for their service', () => {
    expect(hintLines({ fr: 'Corrigez :', en: 'Fix it:', run: { service: 'mail', script: 'postconf -e a=b\npostfix reload\n' } }, 2, 'en')).toEqual([
      '3. Fix it:',
      '',
      '   ```bash run=mail',
      '   postconf -e a=b',
      '   postfix reload',
      '   ```',
      '',
    ])
    expect(hintLines({ fr: 'Regardez', en: 'Look' }, 0, 'fr')).toEqual(['1. Regardez'])
  })

  it('the loader also refuses steps aimed at a service the lab lacks', () => {
    const bad: AnyExercise = { ...base, solution: [{ service: 'partners', script: './setup.sh' }], lab: 'exim' }
    expect(() => loadExercise(folder, bad)).toThrow(/solution setup\.sh runs in "partners", which the exim lab lacks/)
  })
})

/** A SandboxHandle whose services are folders on the host and whose exec is real bash there: enough to run blocks. */
function hostHandle(root: string): SandboxHandle & { calls: string[][] } {
  const map = (service: string, p: string) => path.join(root, service, p)
  const calls: string[][] = []
  return {
    session: 'h2-local',
    lab: 'postfix',
    calls,
    address: () => '127.0.0.1',
    async writeFile(service, p, content, mode) {
      mkdirSync(path.dirname(map(service, p)), { recursive: true })
      writeFileSync(map(service, p), content, { mode: mode ?? 0o644 })
    },
    async readFile(service, p) {
      return readFileSync(map(service, p))
    },
    stat: async () => null,
    tool: async () => ({ exitCode: 1, stdout: '', stderr: 'no tools here' }),
    exec(service, cmd, opts: ExecOptions = {}): Promise<ExecResult> {
      calls.push([service, ...cmd])
      const args = cmd.slice(1).map((a) => (a.startsWith('/var/tmp/') ? map(service, a) : a))
      const cwd = map(service, opts.workdir ?? '/')
      mkdirSync(cwd, { recursive: true })
      return new Promise((resolve) => {
        execFile(cmd[0]!, args, { cwd, env: { PATH: process.env.PATH, ...opts.env, SERVICE: service } }, (err, stdout, stderr) =>
          resolve({ exitCode: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        )
      })
    },
  }
}

describe('applyTextSolution (real bash on the host)', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'h2-text-runner-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  function exerciseWith(text: string, hints: AnyExercise['hints'] = base.hints) {
    const ex = loadExercise(folder, { ...base, hints })
    return { ...ex, text: async () => text }
  }

  it('runs the blocks in order, each in its service, in /root, under bash -euo pipefail, then the hints', async () => {
    const h = hostHandle(root)
    const ex = exerciseWith(
      ['```bash run=mail', 'echo a > order', '```', '```bash run=toolbox', 'echo b > order', '```'].join('\n'),
      [{ fr: 'x', en: 'x', run: { service: 'mail', script: 'cat order >> order2; echo c >> order2\n' } }],
    )
    const log: string[] = []
    await applyTextSolution(h, ex, (l) => log.push(l))
    expect(readFileSync(path.join(root, 'mail/root/order2'), 'utf8')).toBe('a\nc\n')
    expect(readFileSync(path.join(root, 'toolbox/root/order'), 'utf8')).toBe('b\n')
    expect(h.calls.filter((c) => c[1] === 'bash').map((c) => [c[0], c[2], c[3], c[4]])).toEqual([
      ['mail', '-euo', 'pipefail', expect.stringMatching(/^\/var\/tmp\/\.stl-step-/)],
      ['toolbox', '-euo', 'pipefail', expect.stringMatching(/^\/var\/tmp\/\.stl-step-/)],
      ['mail', '-euo', 'pipefail', expect.stringMatching(/^\/var\/tmp\/\.stl-step-/)],
    ])
    expect(log).toEqual([
      `mail: ${folder}/text.fr.md block 1 (run=mail, line 1)`,
      `toolbox: ${folder}/text.fr.md block 2 (run=toolbox, line 4)`,
      `mail: ${folder}/hint 1 (run=mail)`,
    ])
  })

  it('stops at the first failing block: the error names exercise, file, block, service and shows stripped stderr', async () => {
    const h = hostHandle(root)
    const ex = exerciseWith(
      [
        '```bash run=mail',
        'true',
        '```',
        '```bash run=mail',
        // pipefail: the failure of the left side is not hidden by the right one.
        "printf 'bad \\033[31mred\\033[0m thing\\n' >&2; false | cat",
        '```',
        '```bash run=mail',
        'touch never-here',
        '```',
      ].join('\n'),
    )
    const err = await applyTextSolution(h, ex).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StepError)
    const msg = (err as Error).message
    expect(msg).toContain(`${ex.id}: text.fr.md block 2 (run=mail, line 4) failed in mail (exit 1)`)
    expect(msg).toContain('bad red thing')
    expect(msg).not.toContain('\x1b')
    expect(() => readFileSync(path.join(root, 'mail/root/never-here'))).toThrow()
  })

  it("reports bash's line numbers as the block's own lines (the profile preamble shares the first line)", async () => {
    const ex = exerciseWith(['```bash run=mail', 'true', 'no-such-command-h2', '```'].join('\n'))
    const err = await applyTextSolution(hostHandle(root), ex).catch((e: unknown) => e)
    expect((err as Error).message).toMatch(/line 2: no-such-command-h2: command not found/)
  })

  it('refuses a text with nothing to run', async () => {
    await expect(applyTextSolution(hostHandle(root), exerciseWith('# rien\n'))).rejects.toThrow(TextFormatError)
  })
})

/** Top-level bullets of the `## heading` section (up to the next `## `), or null without that section. */
function graderSection(text: string, heading: string): number | null {
  const lines = text.split('\n')
  const at = lines.findIndex((l) => l === `## ${heading}` || l.startsWith(`## ${heading} `))
  if (at < 0) return null
  const end = lines.findIndex((l, i) => i > at && /^#{1,2} /.test(l))
  return lines.slice(at + 1, end < 0 ? undefined : end).filter((l) => /^(?:[-*]|\d+\.) /.test(l)).length
}

// The catalog rules of the spec (notes/text-runner-spec.md). They list every offender so the authors see the whole
// remaining work at once.
describe('the exercise texts', () => {
  it('give the same run= blocks in French and English (count, order, content), each aimed at a service of the lab', async () => {
    const offenders: string[] = []
    for (const e of exercises) {
      try {
        const services = labServices(e.manifest.lab)
        const fr = extractRunBlocks(await e.text('fr'), 'text.fr.md', services)
        const en = extractRunBlocks(await e.text('en'), 'text.en.md', services)
        for (const d of runBlockDifferences(fr, en)) offenders.push(`${e.id}: ${d}`)
      } catch (err) {
        offenders.push(`${e.id}: ${(err as Error).message}`)
      }
    }
    expect(offenders).toEqual([])
  })

  it('give something to run: at least one run= block or hint run script', async () => {
    const offenders: string[] = []
    for (const e of exercises) if ((await textSolution(e).catch(() => [])).length === 0) offenders.push(e.id)
    expect(offenders).toEqual([])
  })

  it('say what the grader checks, under `## Ce que le correcteur vérifie` / `## What the grader checks`, one bullet per check', async () => {
    const offenders: string[] = []
    for (const e of exercises) {
      for (const [lang, heading] of [['fr', 'Ce que le correcteur vérifie'], ['en', 'What the grader checks']] as const) {
        const bullets = graderSection(await e.text(lang), heading)
        if (bullets === null) offenders.push(`${e.id} (${lang}): no "## ${heading}" section`)
        else if (bullets !== e.manifest.checks.length) offenders.push(`${e.id} (${lang}): ${bullets} bullets for ${e.manifest.checks.length} checks`)
      }
    }
    expect(offenders).toEqual([])
  })
})
