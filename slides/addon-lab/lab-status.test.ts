// What the sandbox panel says and offers for each state of the learner's lab.
import { describe, expect, it } from 'vitest'
import { confirmText, labView, pollDelayMs } from './lab-status.ts'
import type { LabInfo } from '../../core/lab-protocol.ts'

const up = (healthy: boolean[]): LabInfo => ({
  lab: 'postfix',
  session: 's1',
  state: 'up',
  services: healthy.map((h, i) => ({ name: ['mail', 'dns', 'acme'][i] ?? 'toolbox', address: `10.0.0.${i}`, healthy: h })),
})

describe('the lab status panel', () => {
  it('tells a learner of a full class that they wait for a free place, with their position, and offers nothing', () => {
    const v = labView({ lab: 'postfix', session: 's1', state: 'starting', services: [], queuePosition: 3 }, 'postfix')
    expect(v.headline).toBe('En attente d’une place libre pour votre lab (position 3)…')
    expect(v.actions).toEqual([])
  })

  it('offers only Démarrer when no sandbox runs', () => {
    const v = labView({ lab: null, session: null, state: 'down', services: [] }, 'postfix')
    expect(v.headline).toBe('Lab Postfix arrêté')
    expect(v.actions).toEqual(['up'])
  })

  it('says ready and offers reset and stop when every service is healthy', () => {
    const v = labView(up([true, true, true]), 'postfix')
    expect(v).toMatchObject({ headline: 'Lab Postfix prêt', tone: 'ok', actions: ['reset', 'down'] })
  })

  it('names the services that are not healthy yet and polls fast meanwhile', () => {
    const v = labView(up([true, false, true]), 'postfix')
    expect(v.headline).toContain('dns')
    expect(v.tone).toBe('busy')
    expect(pollDelayMs('up', false)).toBeLessThan(pollDelayMs('up', true))
  })

  it('warns when another lab than the deck’s is running and offers to start this one', () => {
    const v = labView({ ...up([true]), lab: 'exim' }, 'postfix')
    expect(v.otherLab).toBe('exim')
    expect(v.actions).toContain('up')
  })

  it('shows the server’s error text when the sandbox failed to start', () => {
    const v = labView({ lab: 'postfix', session: 's', state: 'error', services: [], error: 'image smtp-tls-lab/postfix absente' }, 'postfix')
    expect(v.tone).toBe('bad')
    expect(v.headline).toContain('image smtp-tls-lab/postfix absente')
  })

  it('asks before a reset, which throws away the learner’s changes, but not before starting', () => {
    expect(confirmText('reset')).toMatch(/efface vos modifications/)
    expect(confirmText('up')).toBeNull()
  })
})
