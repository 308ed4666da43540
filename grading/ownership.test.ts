// The install rule for a submitted file's mode and owner: archive names on the allow-list, else the manifest, else the start state.
import { describe, expect, it } from 'vitest'
import type { FileStat } from '../checker/sandbox-handle.ts'
import { idsByName, LAB_ACCOUNTS, planInstall, type Accounts } from './ownership.ts'

// The exim image's own files (docker run smtp-tls-lab/exim: grep … /etc/passwd /etc/group).
const PASSWD = 'root:x:0:0:root:/root:/bin/bash\nmail:x:8:8:mail:/var/mail:/usr/sbin/nologin\nDebian-exim:x:100:103::/var/spool/exim4:/usr/sbin/nologin\nalice:x:1000:1000::/home/alice:/bin/sh\n'
const GROUP = 'root:x:0:\nmail:x:8:Debian-exim,dovecot\nssl-cert:x:102:\nDebian-exim:x:103:\nalice:x:1000:\n'
const ACC: Accounts = { users: idsByName(PASSWD), groups: idsByName(GROUP) }
const key = Buffer.from('-----BEGIN PRIVATE KEY-----\n')
const START: FileStat = { mode: 0o660, uid: 0, gid: 8, user: 'root', group: 'mail', size: 10, isFile: true, isSymlink: false }

describe('planInstall', () => {
  it('takes a tar owner when both names are lab accounts present in the container', () => {
    expect(planInstall({ content: key, mode: 0o640, owner: { user: 'root', group: 'Debian-exim' }, declaredOwner: null }, null, ACC)).toEqual({
      mode: 0o640, uid: 0, gid: 103, owner: 'root:Debian-exim', ownerFrom: 'archive',
    })
  })

  it('ignores a tar owner off the allow-list (even one the container has) and falls back to the manifest', () => {
    expect(LAB_ACCOUNTS.has('alice')).toBe(false)
    const p = planInstall({ content: key, mode: 0o640, owner: { user: 'alice', group: 'alice' }, declaredOwner: 'root:Debian-exim' }, START, ACC)
    expect(p).toMatchObject({ uid: 0, gid: 103, ownerFrom: 'manifest', refused: 'alice:alice' })
  })

  it('ignores an allow-listed name the container lacks (postfix on the exim image)', () => {
    expect(planInstall({ content: key, mode: 0o640, owner: { user: 'postfix', group: 'postfix' }, declaredOwner: null }, null, ACC)).toMatchObject({
      uid: 0, gid: 0, owner: 'root:root', ownerFrom: 'default', refused: 'postfix:postfix',
    })
  })

  it('with no owner anywhere keeps the start state owner of an existing file, root:root for a new one', () => {
    expect(planInstall({ content: key, mode: 0o600, owner: { user: 'evil', group: 'evil' }, declaredOwner: null }, START, ACC)).toMatchObject({
      mode: 0o600, uid: 0, gid: 8, owner: 'root:mail', ownerFrom: 'start state',
    })
    expect(planInstall({ content: key, mode: null, owner: null, declaredOwner: null }, null, ACC)).toMatchObject({ mode: 0o644, uid: 0, gid: 0, ownerFrom: 'default' })
  })

  it('keeps the submitted mode over the start state one; without a mode, the start state one, else 0644 (0755 for #!)', () => {
    expect(planInstall({ content: key, mode: 0o4640, owner: null, declaredOwner: null }, START, ACC).mode).toBe(0o640)
    expect(planInstall({ content: key, mode: null, owner: null, declaredOwner: null }, START, ACC).mode).toBe(0o660)
    expect(planInstall({ content: Buffer.from('#!/bin/sh\n'), mode: null, owner: null, declaredOwner: null }, null, ACC).mode).toBe(0o755)
  })

  it('refuses a manifest owner the image lacks: a lab bug, not a learner mistake', () => {
    expect(() => planInstall({ content: key, mode: null, owner: null, declaredOwner: 'root:postfix' }, null, ACC)).toThrow(/not an account/)
  })
})
