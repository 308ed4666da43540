// File facts through the engine on a real container: links followed outside it, sizes refused before reading,
// names from the container's own /etc/passwd, and a container whose stat and cat lie.
import type Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LABEL_SESSION, connectDocker, execRaw, roleImage } from './docker.ts'
import { FileFacts } from './file-facts.ts'
import { testSession } from './test-session.ts'

const SESSION = testSession('facts')
const NAME = `stl-${SESSION}-bare`
let docker: Docker
let facts: FileFacts

async function sh(script: string): Promise<void> {
  const r = await execRaw(docker, NAME, ['sh', '-c', script])
  expect(r.exitCode, r.stderr.toString()).toBe(0)
}

beforeAll(async () => {
  docker = await connectDocker()
  // A bare container of the postfix image (no lab around it); the session label lets the global teardown find it.
  await docker.getContainer(NAME).remove({ force: true }).catch(() => undefined)
  const c = await docker.createContainer({
    name: NAME,
    Image: roleImage('postfix'),
    Entrypoint: ['sleep', 'infinity'],
    Labels: { [LABEL_SESSION]: SESSION },
    HostConfig: { NetworkMode: 'none' },
  })
  await c.start()
  facts = new FileFacts(docker, NAME, 'bare')
  await sh(
    [
      'set -e',
      'mkdir -p /srv/live/site /srv/archive/site',
      'printf key > /srv/archive/site/privkey1.pem && chown root:ssl-cert /srv/archive/site/privkey1.pem && chmod 640 /srv/archive/site/privkey1.pem',
      'ln -s ../../archive/site/privkey1.pem /srv/live/site/privkey.pem',
      'ln -s /srv/live/site/privkey.pem /srv/hop2',
      'ln -s /nowhere /srv/dangling',
      'ln -s /srv/loop-b /srv/loop-a && ln -s /srv/loop-a /srv/loop-b',
      'head -c 300000 /dev/zero > /srv/big',
      'groupadd -g 4242 renamed-group && touch /srv/owned && chgrp 4242 /srv/owned',
    ].join('\n'),
  )
})
afterAll(async () => {
  await docker.getContainer(NAME).remove({ force: true }).catch(() => undefined)
})

describe('file facts read through the archive endpoint', () => {
  it('describes a link chain by its target, with the path it ends at', async () => {
    const st = await facts.stat('/srv/hop2')
    expect(st).toMatchObject({ mode: 0o640, user: 'root', group: 'ssl-cert', size: 3, isFile: true, isSymlink: true, realPath: '/srv/archive/site/privkey1.pem' })
    expect((await facts.readFile('/srv/hop2', 1024)).toString()).toBe('key')
  })

  it('reads a dangling link as a link to nothing, a loop too, and a missing path as null', async () => {
    expect(await facts.stat('/srv/dangling')).toMatchObject({ isSymlink: true, isFile: false, mode: 0 })
    expect(await facts.stat('/srv/loop-a')).toMatchObject({ isSymlink: true, isFile: false })
    await expect(facts.readFile('/srv/loop-a', 1024)).rejects.toThrow(/too many levels|no such file/)
    expect(await facts.stat('/srv/none')).toBeNull()
    await expect(facts.readFile('/srv/none', 1024)).rejects.toThrow(/no such file/)
  })

  it('refuses a file over the limit and a directory without reading them', async () => {
    await expect(facts.readFile('/srv/big', 1000)).rejects.toThrow(/larger than 1000 bytes \(300000 bytes\)/)
    await expect(facts.readFile('/srv', 1000)).rejects.toThrow(/not a regular file/)
    expect(await facts.stat('/srv')).toMatchObject({ isFile: false, isSymlink: false, mode: 0o755 })
  })

  it('names a group added in the container from the container’s own /etc/group', async () => {
    expect(await facts.stat('/srv/owned')).toMatchObject({ gid: 4242, group: 'renamed-group' })
  })

  it('keeps the truth when the container’s stat, cat and sh lie', async () => {
    await sh(
      "for b in stat cat readlink; do mv /usr/bin/$b /usr/bin/$b.real; printf '#!/bin/sh\\necho 600\\n' > /usr/bin/$b; chmod 755 /usr/bin/$b; done",
    )
    expect((await execRaw(docker, NAME, ['stat', '/srv/big'])).stdout.toString().trim()).toBe('600')
    expect(await facts.stat('/srv/live/site/privkey.pem')).toMatchObject({ mode: 0o640, group: 'ssl-cert' })
    expect((await facts.readFile('/srv/archive/site/privkey1.pem', 100)).toString()).toBe('key')
  })
})
