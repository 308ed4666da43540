// The image builder against the real daemon, on two scratch roles: build order, context.json copies, up-to-date skips.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LABEL_CONTEXT_HASH, execRaw } from './docker.ts'
import { type BuildEvent, buildImages } from './images.ts'
import { testRunId } from './test-session.ts'

const docker = new Docker()
const tagFor = (role: string) => `smtp-tls-lab-test/${testRunId()}-${role}:latest`
let dir: string
/** Every image this file made, tagged or superseded by a rebuild, removed at the end. */
const made = new Set<string>()

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stl-images-test-'))
  await mkdir(join(dir, 'alpha'))
  await writeFile(join(dir, 'alpha', 'Dockerfile'), 'FROM smtp-tls-lab/base:bookworm\nCOPY hello.txt pkg.json /srv/\n')
  await writeFile(join(dir, 'alpha', 'hello.txt'), 'one\n')
  await writeFile(join(dir, 'alpha', 'context.json'), JSON.stringify({ copy: { 'package.json': 'pkg.json' } }))
  await mkdir(join(dir, 'beta'))
  await writeFile(join(dir, 'beta', 'Dockerfile'), `FROM ${tagFor('alpha')}\nRUN cat /srv/hello.txt > /srv/from-alpha.txt\n`)
})

afterAll(async () => {
  for (const id of [...made].reverse()) await docker.getImage(id).remove({ force: true }).catch(() => {})
  await rm(dir, { recursive: true, force: true })
})

async function build(roles: string[]) {
  const events: BuildEvent[] = []
  try {
    const report = await buildImages({ offline: true, imagesDir: dir, tagFor, roles, onEvent: (e) => events.push(e) })
    return { report, events }
  } finally {
    for (const role of ['alpha', 'beta']) {
      const info = await docker.getImage(tagFor(role)).inspect().catch(() => null)
      if (info) made.add(info.Id)
    }
  }
}

async function fileIn(tag: string, path: string): Promise<string> {
  const c = await docker.createContainer({ Image: tag, Cmd: ['sleep', '30'], HostConfig: { NetworkMode: 'none' } })
  try {
    await c.start()
    return (await execRaw(docker, c.id, ['cat', path])).stdout.toString()
  } finally {
    await c.remove({ force: true })
  }
}

describe('the image builder', () => {
  it('builds a role after the role it is built FROM, with files copied in by context.json', async () => {
    const { report, events } = await build(['beta'])
    expect(report.base.action).toBe('present')
    expect(report.roles.map((r) => [r.role, r.action])).toEqual([
      ['alpha', 'built'],
      ['beta', 'built'],
    ])
    const steps = events.filter((e): e is Extract<BuildEvent, { kind: 'role-step' }> => e.kind === 'role-step' && e.role === 'alpha')
    // The daemon appends one step per label to the Dockerfile's two.
    const total = steps[0]!.total
    expect(total).toBeGreaterThanOrEqual(2)
    expect(steps.map((s) => `${s.step}/${s.total}`)).toEqual(Array.from({ length: total }, (_, i) => `${i + 1}/${total}`))
    const info = await docker.getImage(tagFor('alpha')).inspect()
    expect(info.Config.Labels?.[LABEL_CONTEXT_HASH]).toBe(report.roles[0]!.contextHash)
    expect(await fileIn(tagFor('beta'), '/srv/from-alpha.txt')).toBe('one\n')
    expect(JSON.parse(await fileIn(tagFor('alpha'), '/srv/pkg.json')).name).toBe('smtp-tls-lab')
  })

  it('skips roles whose context did not change', async () => {
    const { report } = await build(['alpha', 'beta'])
    expect(report.roles.map((r) => r.action)).toEqual(['up-to-date', 'up-to-date'])
  })

  it('rebuilds a changed role and the roles built from it', async () => {
    await writeFile(join(dir, 'alpha', 'hello.txt'), 'two\n')
    const { report } = await build(['beta'])
    expect(report.roles.map((r) => [r.role, r.action])).toEqual([
      ['alpha', 'built'],
      ['beta', 'built'],
    ])
    expect(await fileIn(tagFor('beta'), '/srv/from-alpha.txt')).toBe('two\n')
  })

  it('names the failing step and its output when a build fails', async () => {
    await mkdir(join(dir, 'gamma'))
    await writeFile(join(dir, 'gamma', 'Dockerfile'), 'FROM smtp-tls-lab/base:bookworm\nRUN echo about to fail && false\n')
    await expect(build(['gamma'])).rejects.toThrow(/building smtp-tls-lab-test\/.*-gamma:latest failed[\s\S]*about to fail/)
  })
})
