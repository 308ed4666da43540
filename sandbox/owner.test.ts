// Owner liveness from labels alone: a live process, a gone one, a reused pid, a reboot, another host.
import { spawnSync } from 'node:child_process'
import os from 'node:os'
import { describe, expect, it } from 'vitest'
import { LABEL_OWNER, LABEL_OWNER_BOOT, LABEL_OWNER_HOST, LABEL_OWNER_PID, LABEL_OWNER_START } from './docker.ts'
import { gradingOwner, isDisposable, ownerLabels, ownerOf, processStartTime } from './owner.ts'

describe('the owner of a session', () => {
  it('is alive while the process that stamped the labels runs', () => {
    const labels = ownerLabels('grade:b123456')
    expect(labels[LABEL_OWNER]).toBe('grade:b123456')
    expect(ownerOf(labels)).toMatchObject({ owner: 'grade:b123456', pid: process.pid, state: 'alive' })
  })

  it('is dead once its process exited', () => {
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
    const pid = Number(child.stdout.toString())
    const labels = { ...ownerLabels('grade:b1'), [LABEL_OWNER_PID]: String(pid), [LABEL_OWNER_START]: '1' }
    expect(ownerOf(labels)).toMatchObject({ state: 'dead', why: `process ${pid} is gone` })
  })

  it('is dead when its pid now belongs to a process that started at another time', () => {
    const labels = { ...ownerLabels('grade:b1'), [LABEL_OWNER_START]: String(Number(processStartTime(process.pid)) - 1) }
    expect(ownerOf(labels)).toMatchObject({ state: 'dead', why: `pid ${process.pid} now belongs to another process` })
  })

  it('is dead when the host rebooted since', () => {
    const labels = { ...ownerLabels('grade:b1'), [LABEL_OWNER_BOOT]: '00000000-0000-0000-0000-000000000000' }
    expect(ownerOf(labels).state).toBe('dead')
  })

  it('cannot be judged without labels or from another host', () => {
    expect(ownerOf({}).state).toBe('unknown')
    expect(ownerOf({ ...ownerLabels('grade:b1'), [LABEL_OWNER_HOST]: `${os.hostname()}-elsewhere` }).state).toBe('unknown')
  })

  it('of a grading is its batch, and only gradings and jobs are disposable', () => {
    expect(gradingOwner('b1a2b3c-007')).toBe('grade:b1a2b3c')
    expect(gradingOwner('g1a2b3c')).toBe('grade:g1a2b3c')
    expect(isDisposable('grade:b1')).toBe(true)
    expect(isDisposable('job:harvest')).toBe(true)
    expect(isDisposable('user')).toBe(false)
    expect(isDisposable(null)).toBe(false)
  })
})
