// Unit tests of the exercise manifests and their loader: every manifest loads, ids are unique, scripts exist.
import { existsSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { exercises, MANIFESTS } from './index.ts'
import { EXERCISES_DIR, loadExercise, resolveInside, scriptService } from './load.ts'
import { submissionPaths, type AnyExercise } from './define.ts'

const base = MANIFESTS[0]![1]

describe('the exercise catalog', () => {
  it('loads every manifest, each from a folder named NN-<id>', () => {
    expect(exercises.length).toBe(MANIFESTS.length)
    for (const e of exercises) expect(e.folder).toBe(`${String(e.order).padStart(2, '0')}-${e.id}`)
  })

  it('gives every exercise a distinct id and a distinct number', () => {
    expect(new Set(exercises.map((e) => e.id)).size).toBe(exercises.length)
    expect(new Set(exercises.map((e) => e.order)).size).toBe(exercises.length)
  })

  it('has the Postfix module exercises the course promises', () => {
    const ids = exercises.filter((e) => e.manifest.lab === 'postfix').map((e) => e.id)
    expect(ids).toEqual(
      expect.arrayContaining([
        'postfix-obtain-certificate',
        'postfix-tls-main-cf',
        'postfix-test-tls',
        'postfix-submission-587',
        'postfix-hardening',
        'postfix-outbound-policy',
        'postfix-mta-sts-dane',
      ]),
    )
  })

  it.each(exercises.map((e) => [e.id, e] as const))('%s has its scripts inside its folder or exercises/shared, bash with strict mode', (_id, e) => {
    for (const which of ['setup', 'solution'] as const) {
      const steps = e.steps(which)
      expect(steps.length).toBeGreaterThan(0)
      for (const s of steps) {
        if (s.kind !== 'script') continue
        expect(existsSync(s.file)).toBe(true)
        expect(s.file.startsWith(EXERCISES_DIR + path.sep)).toBe(true)
        expect(s.file.split(path.sep)).not.toContain('..')
        const src = readFileSync(s.file, 'utf8')
        expect(src.startsWith('#!/usr/bin/env bash\n')).toBe(true)
        expect(src).toMatch(/^set -euo pipefail$/m)
        // A script's header must agree with the service the manifest runs it in.
        expect(scriptService(src)).toBe(s.service)
      }
    }
  })

  it.each(exercises.map((e) => [e.id, e] as const))('%s has a French text, an English one, titles and hints in both languages', async (_id, e) => {
    const fr = await e.text('fr')
    expect(fr).toMatch(/^# /)
    expect(fr.length).toBeGreaterThan(400)
    const en = await e.text('en')
    expect(en).toMatch(/^# /)
    expect(en).not.toBe(fr)
    expect(e.manifest.title.fr && e.manifest.title.en).toBeTruthy()
    expect(e.manifest.hints.length).toBeGreaterThan(0)
    for (const h of e.manifest.hints) expect(h.fr && h.en).toBeTruthy()
    for (const p of submissionPaths(e.manifest)) expect(p.startsWith('/')).toBe(true)
  })

  it.each(exercises.filter((e) => e.manifest.submission.length > 0).map((e) => [e.id, e] as const))(
    '%s declares submission files a folder or a flat .zip can carry: distinct basenames, file checks on mail only',
    (_id, e) => {
      const names = submissionPaths(e.manifest).map((p) => path.posix.basename(p))
      expect(new Set(names).size).toBe(names.length)
      // A graded submission is installed on mail: a file check elsewhere (toolbox, dns) could never see it.
      for (const c of e.manifest.checks) if (c.id.startsWith('file.')) expect(c.target.service, `${c.key ?? c.id}`).toBe('mail')
    },
  )

  it('runs shared scripts from exercises/shared and a text file that exists', () => {
    for (const e of exercises) expect(statSync(path.join(e.dir, e.manifest.text)).isFile()).toBe(true)
  })
})

describe('the loader', () => {
  const dir = path.join(EXERCISES_DIR, '01-postfix-obtain-certificate')

  it('refuses a script path that climbs out of the exercise folder', () => {
    expect(() => resolveInside(dir, './../02-postfix-tls-main-cf/solve.sh')).toThrow(/\.\./)
    expect(() => resolveInside(dir, './a/../../x.sh')).toThrow(/\.\./)
  })

  it('refuses absolute paths and paths without ./', () => {
    expect(() => resolveInside(dir, '/etc/passwd')).toThrow(/\.\//)
    expect(() => resolveInside(dir, 'setup.sh')).toThrow(/\.\//)
    expect(() => resolveInside(dir, './a\\..\\b')).toThrow(/forbidden/)
  })

  it('resolves a plain ./ path inside the folder', () => {
    expect(resolveInside(dir, './setup.sh')).toBe(path.join(dir, 'setup.sh'))
  })

  it('refuses a manifest whose folder does not match its id', () => {
    expect(() => loadExercise('01-other-name', base)).toThrow(/differs from id/)
    expect(() => loadExercise('postfix-obtain-certificate', base)).toThrow(/NN-<id>/)
  })

  it('refuses a manifest that names the same check twice without keys', () => {
    const dup: AnyExercise = { ...base, checks: [{ ...base.checks[0]!, key: undefined }, { ...base.checks[0]!, key: undefined }] }
    expect(() => loadExercise('01-postfix-obtain-certificate', dup)).toThrow(/used twice/)
  })

  it('refuses a setup step that climbs out through a shared: path', () => {
    const bad: AnyExercise = { ...base, setup: [{ service: 'mail', script: 'shared:../01-postfix-obtain-certificate/setup.sh' }] }
    expect(() => loadExercise('01-postfix-obtain-certificate', bad)).toThrow(/\.\./)
  })

  it('refuses startFails keys that name no check', () => {
    const bad: AnyExercise = { ...base, startFails: ['no.such.check'] }
    expect(() => loadExercise('01-postfix-obtain-certificate', bad)).toThrow(/startFails/)
  })

  it('reads the service of a script from its header, mail by default', () => {
    expect(scriptService('#!/usr/bin/env bash\n# service: toolbox\nset -e\n')).toBe('toolbox')
    expect(scriptService('#!/usr/bin/env bash\nset -e\n')).toBe('mail')
  })
})
