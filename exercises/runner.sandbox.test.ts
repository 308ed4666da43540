// The exercise runner against a real sandbox: steps run where they say, failures carry the script's output, trust is fetched.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SandboxHandle } from '../checker/sandbox-handle.ts'
import { downSandbox, upLab } from '../sandbox/engine.ts'
import { testSession } from '../sandbox/test-session.ts'
import { defineExercise } from './define.ts'
import { loadExercise } from './load.ts'
import { applySetup, applySolution, labTrust, StepError } from './runner.ts'

const session = testSession('exrun')
let handle: SandboxHandle

function demoExercise() {
  const root = mkdtempSync(path.join(tmpdir(), 'stl-ex-'))
  const dir = path.join(root, '99-demo-steps')
  mkdirSync(dir)
  writeFileSync(path.join(dir, 'text.fr.md'), '# Démo\n')
  writeFileSync(
    path.join(dir, 'setup.sh'),
    '#!/usr/bin/env bash\n# service: toolbox\nset -euo pipefail\necho "from $(hostname) for $LAB_EXERCISE" > /root/demo.txt\n',
  )
  writeFileSync(path.join(dir, 'solve.sh'), '#!/usr/bin/env bash\nset -euo pipefail\necho "postconf says no" >&2\nexit 3\n')
  const manifest = defineExercise({
    id: 'demo-steps',
    lab: 'postfix',
    title: { fr: 'Démo', en: 'Demo' },
    text: './text.fr.md',
    setup: [
      { service: 'toolbox', script: './setup.sh' },
      { copy: { from: { service: 'toolbox', path: '/root/demo.txt' }, to: { service: 'mail', path: '/etc/postfix/demo/demo.txt' }, mode: 0o640, owner: 'root:postfix' } },
    ],
    solution: './solve.sh',
    submission: [],
    checks: [{ id: 'smtp.starttls.offered', target: { service: 'mail' } }],
    hints: [{ fr: 'aucun', en: 'none' }],
  })
  return loadExercise('99-demo-steps', manifest, root)
}

beforeAll(async () => {
  handle = await upLab({ lab: 'postfix', session, fresh: true })
})

afterAll(async () => {
  await downSandbox(session)
})

describe('the exercise runner on a postfix sandbox', () => {
  it('runs a toolbox step in the toolbox and copies its output to mail with the mode and owner asked', async () => {
    await applySetup(handle, demoExercise())
    expect((await handle.readFile('mail', '/etc/postfix/demo/demo.txt')).toString()).toBe('from toolbox.lab.test for demo-steps\n')
    const st = await handle.stat('mail', '/etc/postfix/demo/demo.txt')
    expect(st).toMatchObject({ mode: 0o640, user: 'root', group: 'postfix' })
  })

  it('reports a failing step with its exit code and stderr, and leaves no script behind', async () => {
    const err = await applySolution(handle, demoExercise()).then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(StepError)
    expect((err as StepError).message).toMatch(/solve\.sh failed in mail \(exit 3\)/)
    expect((err as StepError).stderr).toContain('postconf says no')
    const left = await handle.exec('mail', ['sh', '-c', 'ls -a /var/tmp | grep -c stl-step || true'])
    expect(left.stdout.trim()).toBe('0')
  })

  it('fetches the running Pebble root from the host when the toolbox cannot', async () => {
    const fromToolbox = (await handle.readFile('toolbox', '/etc/lab/pebble-root.pem')).toString()
    // A handle whose toolbox refuses every command: the runner must fall back to the host path.
    const noToolbox: SandboxHandle = {
      session: handle.session,
      lab: handle.lab,
      address: (s) => handle.address(s),
      exec: (s, cmd, o) => (s === 'toolbox' ? Promise.reject(new Error('toolbox down')) : handle.exec(s, cmd, o)),
      readFile: (s, p, m) => handle.readFile(s, p, m),
      stat: (s, p) => handle.stat(s, p),
      tool: (s, t, a, o) => handle.tool(s, t, a, o),
      writeFile: (s, p, c, m) => handle.writeFile(s, p, c, m),
    }
    const trust = await labTrust(noToolbox)
    expect(trust.root?.trim()).toBe(fromToolbox.trim())
    expect(trust.ca).toContain(fromToolbox.trim())
    expect(trust.dnsServer).toBe(handle.address('dns'))
  })
})
