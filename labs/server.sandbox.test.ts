// The lab server as `npm start` runs it, against a real postfix sandbox: a live terminal, and progress that survives SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { downSandbox, getSandbox } from '../sandbox/engine.ts'
import { testSession } from '../sandbox/test-session.ts'
import { CLOSE, type CheckStreamMessage } from '../core/lab-protocol.ts'

const REPO = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const session = testSession('labs-server')
let dataDir: string
let server: ChildProcess | null = null
let ready: { origin: string; token: string; state: string; session: string; pid: number }

/** Starts `smtp-tls-lab start` on a random port and resolves with its --json line. */
async function startServer(): Promise<typeof ready> {
  const child = spawn(
    process.execPath,
    [path.join(REPO, 'bin', 'smtp-tls-lab.mjs'), 'start', '--port', '0', '--json', '--no-build', '--data-dir', dataDir, '--session', session],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  server = child
  let err = ''
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const nl = out.indexOf('\n')
      if (nl !== -1) resolve(JSON.parse(out.slice(0, nl)) as typeof ready)
    })
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before it was ready:\n${err}`)))
  })
}

const api = async <T,>(p: string, init: RequestInit = {}): Promise<T> => {
  const res = await fetch(`${ready.origin}${p}`, { ...init, headers: { authorization: `Bearer ${ready.token}`, ...(init.headers ?? {}) } })
  const body = (await res.json()) as T
  if (!res.ok) throw new Error(`${p}: ${res.status} ${JSON.stringify(body)}`)
  return body
}
const wsUrl = (p: string): string => `${ready.origin.replace(/^http/, 'ws')}${p}${p.includes('?') ? '&' : '?'}token=${ready.token}`

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'stl-labs-sandbox-'))
  ready = await startServer()
}, 300_000)

afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((r) => server!.once('exit', r))
    server.kill('SIGTERM')
    await exited
  }
  await downSandbox(session)
  rmSync(dataDir, { recursive: true, force: true })
}, 120_000)

describe('lab server with a postfix sandbox', () => {
  it('starts the postfix lab and reports every service healthy', async () => {
    expect(ready.state).toBe('up')
    expect(ready.session).toBe(session)
    const lab = await api<{ lab: string; state: string; services: { name: string; healthy: boolean }[] }>('/api/lab')
    expect(lab.lab).toBe('postfix')
    expect(lab.state).toBe('up')
    expect(lab.services.map((s) => s.name).sort()).toEqual(['acme', 'attacker', 'dns', 'mail', 'partners', 'toolbox'])
    expect(lab.services.every((s) => s.healthy)).toBe(true)
  })

  it('a terminal on the mail service answers postconf mail_version with the real Postfix version, and exit closes it', async () => {
    const truth = (await (await getSandbox(session, { health: false }))!.exec('mail', ['postconf', '-h', 'mail_version'])).stdout.trim()
    expect(truth).toMatch(/^\d+\.\d+/)
    const ws = new WebSocket(wsUrl('/ws/terminal?service=mail&cols=120&rows=30'))
    let screen = ''
    ws.on('message', (d: Buffer) => (screen += d.toString('utf8')))
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)))
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)))
    // Type only once the prompt is there: bash discards what is typed before readline takes the terminal.
    await expect.poll(() => /root@mail:[^\n]*[#$] $/.test(screen), { timeout: 15_000 }).toBe(true)
    ws.send(JSON.stringify({ type: 'resize', cols: 100, rows: 40 }))
    ws.send(Buffer.from('stty size; postconf mail_version\r'))
    await expect.poll(() => screen, { timeout: 15_000 }).toMatch(/mail_version = \S+/)
    expect(/mail_version = (\S+)/.exec(screen)![1]).toBe(truth)
    expect(screen).toContain('40 100')
    ws.send(Buffer.from('exit\r'))
    expect(await closed).toBe(CLOSE.shellExited)
  })

  it('closing the browser side hangs up the shell in the container', async () => {
    const ws = new WebSocket(wsUrl('/ws/terminal?service=toolbox'))
    let screen = ''
    ws.on('message', (d: Buffer) => (screen += d.toString('utf8')))
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)))
    await expect.poll(() => /[#$] $/.test(screen), { timeout: 15_000 }).toBe(true)
    ws.send(Buffer.from('sleep 4242 &\r'))
    await expect.poll(() => screen, { timeout: 5_000 }).toMatch(/\[1\] \d+/)
    const sb = (await getSandbox(session, { health: false }))!
    // Command lines are NUL-separated; the [2] class keeps the pattern from matching this shell's own command line.
    const sleeping = async () =>
      (
        await sb.exec('toolbox', ['sh', '-c', `for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; done | grep -c '^sleep 424[2]'`])
      ).stdout.trim()
    expect(await sleeping()).toBe('1')
    ws.close()
    await expect.poll(sleeping, { timeout: 10_000, interval: 300 }).toBe('0')
  })

  it('a SIGKILL in the middle of a check run loses none of the learner’s earlier progress', async () => {
    const ids = (await api<{ id: string }[]>('/api/exercises')).map((e) => e.id)
    const count = async (id: string) => (await api<{ checks: unknown[] }>(`/api/exercises/${id}`)).checks.length
    const short = { id: 'postfix-submission-587', n: 0 }
    const long = { id: 'postfix-hardening', n: 0 }
    expect(ids).toEqual(expect.arrayContaining([short.id, long.id]))
    short.n = await count(short.id)
    long.n = await count(long.id)
    // Port 465 answers nothing in the start state; a tarpit there makes tls.implicit wait for its time bound while
    // the port 25 checks report at once: the run is reliably still going when its first result arrives.
    const sb = (await getSandbox(session, { health: false }))!
    const tarpit = await sb.exec('mail', [
      'sh',
      '-c',
      `setsid perl -MIO::Socket::INET -e '$s=IO::Socket::INET->new(LocalPort=>465,Listen=>64,ReuseAddr=>1) or die; while($c=$s->accept){push @k,$c}' </dev/null >/dev/null 2>&1 &`,
    ])
    expect(tarpit.exitCode).toBe(0)

    // A complete attempt first: the learner's earlier progress.
    const first = await api<{ runId: string }>(`/api/exercises/${short.id}/check`, { method: 'POST' })
    const firstMsgs = await new Promise<CheckStreamMessage[]>((resolve, reject) => {
      const got: CheckStreamMessage[] = []
      const ws = new WebSocket(wsUrl(`/ws/checks?run=${first.runId}`))
      ws.on('message', (d: Buffer) => got.push(JSON.parse(d.toString()) as CheckStreamMessage))
      ws.on('close', () => resolve(got))
      ws.on('error', reject)
    })
    expect(firstMsgs.at(-1)?.type).toBe('done')
    const firstResults = firstMsgs.flatMap((m) => (m.type === 'result' ? [[m.result.id, m.result.status]] : []))
    expect(firstResults).toHaveLength(short.n)

    // Then a long run, killed as soon as its first result reaches the page.
    const second = await api<{ runId: string }>(`/api/exercises/${long.id}/check`, { method: 'POST' })
    const seen: [string, string][] = []
    const victim = server!
    const killed = new Promise((r) => victim.once('exit', r))
    await new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(wsUrl(`/ws/checks?run=${second.runId}`))
      ws.on('message', (d: Buffer) => {
        const m = JSON.parse(d.toString()) as CheckStreamMessage
        if (m.type === 'result') seen.push([m.result.id, m.result.status])
        if (m.type === 'done') reject(new Error('the run ended before the kill: pick a longer exercise'))
        if (seen.length === 1 && victim.signalCode === null) {
          victim.kill('SIGKILL')
          resolve()
        }
      })
      ws.on('error', () => undefined)
    })
    await killed
    expect(victim.signalCode).toBe('SIGKILL')

    ready = await startServer()
    // The sandbox outlived the server: it is picked up as it is, not recreated.
    expect(ready.state).toBe('up')
    const progress = await api<{
      attempts: { id: number; exercise: string; status: string; results: { checkId: string; status: string }[] }[]
      exercises: Record<string, { attempts: number; last: string }>
    }>('/api/progress')
    const a1 = progress.attempts.find((a) => String(a.id) === first.runId)!
    const a2 = progress.attempts.find((a) => String(a.id) === second.runId)!
    expect(a1.status).toBe('done')
    expect(a1.results.map((r) => [r.checkId, r.status])).toEqual(firstResults)
    expect(a2.status).toBe('interrupted')
    expect(a2.results.length).toBeLessThan(long.n)
    expect(a2.results.slice(0, seen.length).map((r) => [r.checkId, r.status])).toEqual(seen)
    expect(progress.exercises[long.id]).toMatchObject({ attempts: 1, last: 'interrupted' })

    // The page reopening the interrupted run gets its results, an explanation, and the end.
    const replay = await new Promise<CheckStreamMessage[]>((resolve) => {
      const got: CheckStreamMessage[] = []
      const ws = new WebSocket(wsUrl(`/ws/checks?run=${second.runId}`))
      ws.on('message', (d: Buffer) => got.push(JSON.parse(d.toString()) as CheckStreamMessage))
      ws.on('close', () => resolve(got))
    })
    expect(replay.map((m) => m.type)).toEqual([...a2.results.map(() => 'result'), 'error', 'done'])
  })
})
