// The compiled CLI (bin/build.mjs → dist/): what `npm install` ships must behave like the sources, find the assets
// beside them, start each command with only its own module, and never be run once a source is newer than it.
import { spawn } from 'node:child_process'
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Command } from 'commander'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPki, fullchain } from '../checker/test-support/pki.ts'
import { scriptedSmtp, type RunningServer } from '../checker/test-support/smtp-servers.ts'
import { buildCli } from './build.mjs'
import { COMMAND_MODULE, HIDDEN_COMMANDS, MODULES, modulesFor, type ModuleName } from './commands.ts'
import { freshBundle } from './compiled.mjs'

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
// Inside the repository, so that the bundle finds node_modules; dist/ is git-ignored.
const OUT = path.join(ROOT, 'dist', `test-cli-${process.pid}`)
let MAIN: string
let BUILD: string

// Prints every npm package the CLI imports, to stderr, from a module resolution hook.
const TRACE_PACKAGES = `data:text/javascript,${encodeURIComponent(`
import { register } from 'node:module'
register('data:text/javascript,' + encodeURIComponent(
  "export async function resolve(s, c, next) { if (/^[@a-z]/.test(s) && !s.includes(':')) process.stderr.write('PACKAGE ' + s + '\\\\n'); return next(s, c) }"))
`)}`

function run(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env } })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d) => (stdout += d))
    p.stderr.on('data', (d) => (stderr += d))
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })
}

let built: { inputs: string[]; main: string }
let server: RunningServer
let caFile: string
beforeAll(async () => {
  built = await buildCli({ outDir: OUT, quiet: true })
  MAIN = built.main
  BUILD = path.dirname(MAIN)
  const pki = await createPki()
  const leaf = await pki.leaf(['mail.domaine.tld'])
  server = await scriptedSmtp({ tls: { key: leaf.key, cert: fullchain(leaf, pki), minVersion: 'TLSv1.2' } })
  const dir = mkdtempSync(path.join(tmpdir(), 'stl-compiled-'))
  caFile = path.join(dir, 'ca.pem')
  writeFileSync(caFile, pki.root.cert)
}, 60_000)
afterAll(async () => {
  await server?.close()
  rmSync(OUT, { recursive: true, force: true })
})

describe('bin/build.mjs', () => {
  it('bundles every source the CLI reaches and leaves no TypeScript import behind', () => {
    expect(built.inputs).toEqual(expect.arrayContaining(['bin/main.ts', 'checker/cli.ts', 'grading/cli.ts', 'sandbox/cli.ts', 'exercises/index.ts']))
    expect(built.inputs.every((f) => !f.startsWith('node_modules/'))).toBe(true)
    const js = readdirSync(BUILD).filter((f) => f.endsWith('.js'))
    for (const f of js) {
      const text = readFileSync(path.join(BUILD, f), 'utf8')
      expect(text, f).not.toMatch(/\bfrom\s+["'][^"']+\.ts["']|\bimport\(\s*["'][^"']+\.ts["']\s*\)/)
    }
    const manifest = JSON.parse(readFileSync(path.join(OUT, 'manifest.json'), 'utf8')) as { builtAt: number; dir: string; inputs: string[] }
    expect(manifest.inputs).toEqual(built.inputs)
    expect(path.join(OUT, manifest.dir, 'main.js')).toBe(MAIN)
  })

  it('a new build leaves the previous one in place: a command started from it still loads its chunks', async () => {
    const again = await buildCli({ outDir: OUT, quiet: true })
    expect(again.main).not.toBe(MAIN)
    expect(readdirSync(BUILD).filter((f) => f.endsWith('.js')).length).toBeGreaterThan(1)
    const manifest = JSON.parse(readFileSync(path.join(OUT, 'manifest.json'), 'utf8')) as { dir: string }
    expect(path.join(OUT, manifest.dir, 'main.js')).toBe(again.main)
  })
})

describe('the compiled CLI', () => {
  it('--help lists every command and exits 0, the same text as from the sources', async () => {
    const r = await run([MAIN, '--help'])
    expect(r.code).toBe(0)
    for (const c of Object.keys(COMMAND_MODULE)) {
      if (HIDDEN_COMMANDS.has(c)) expect(r.stdout).not.toMatch(new RegExp(`^  ${c}\\b`, 'm'))
      else expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'))
    }
    const fromSources = await run([path.join(ROOT, 'bin', 'smtp-tls-lab.mjs'), '--help'], { SMTP_TLS_LAB_FROM_SOURCE: '1' })
    expect(fromSources.code).toBe(0)
    expect(r.stdout).toBe(fromSources.stdout)
  })

  it('check --help shows its options and loads no package but commander', async () => {
    const r = await run(['--import', TRACE_PACKAGES, MAIN, 'check', '--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Usage: smtp-tls-lab check [options] <host>')
    expect(r.stdout).toContain('--ca <file>')
    const packages = new Set([...r.stderr.matchAll(/^PACKAGE (\S+)$/gm)].map((m) => m[1]))
    expect([...packages]).toEqual(['commander'])
  })

  it('check audits a real TLS server from the bundle: JSON report, exit 0', async () => {
    const checks = 'smtp.starttls.offered,tls.version.tls1_0.rejected,tls.version.tls1_2.accepted,cert.trusted,cert.name.matches'
    const r = await run([MAIN, 'check', server.host, '--port', String(server.port), '--servername', 'mail.domaine.tld', '--ca', caFile, '--checks', checks, '--json', '--lang', 'en'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const j = JSON.parse(r.stdout) as { checks: { id: string; status: string }[] }
    expect(j.checks.map((c) => [c.id, c.status])).toEqual(checks.split(',').map((id) => [id, 'pass']))
  })

  it('finds the files beside the sources: an exercise text, the topologies, the decks', async () => {
    const ex = await run([MAIN, 'exercises', 'show', 'postfix-tls-main-cf', '--lang', 'en', '--json'])
    expect(ex.code).toBe(0)
    expect((JSON.parse(ex.stdout) as { text: string }).text).toMatch(/main\.cf/)
    const decks = await run([MAIN, 'slides', 'list', '--json'])
    expect(decks.code).toBe(0)
    expect((JSON.parse(decks.stdout) as unknown[]).length).toBeGreaterThan(0)
  })

  it('gives each source its own import.meta.url: every one names an existing source file', () => {
    const urls = readdirSync(BUILD)
      .filter((f) => f.endsWith('.js'))
      .flatMap((f) => [...readFileSync(path.join(BUILD, f), 'utf8').matchAll(/new URL\("([^"]+)", new URL\("([^"]+)", import\.meta\.url\)\)/g)])
    expect(urls.map((m) => m[1])).toEqual(expect.arrayContaining(['exercises/load.ts', 'sandbox/topology.ts', 'slides/deck-build.ts']))
    for (const [, file, toRoot] of urls) {
      expect(path.resolve(BUILD, toRoot!)).toBe(ROOT)
      expect(built.inputs).toContain(file)
    }
    expect(readdirSync(BUILD).filter((f) => f.endsWith('.js')).some((f) => /import\.meta\.(filename|dirname)/.test(readFileSync(path.join(BUILD, f), 'utf8')))).toBe(false)
  })

  it('a user error exits 2 with a message and no stack', async () => {
    const r = await run([MAIN, 'check', 'bad host!'])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('smtp-tls-lab: not a host name or address: bad host!\n')
  })
})

describe('bin/smtp-tls-lab.mjs (the installed command)', () => {
  it('--help and check --help exit 0 whichever build it runs', async () => {
    const help = await run(['bin/smtp-tls-lab.mjs', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('check [options] <host>')
    const check = await run(['bin/smtp-tls-lab.mjs', 'check', '--help'], { SMTP_TLS_LAB_SHOW_BUILD: '1' })
    expect(check.code).toBe(0)
    expect(check.stdout).toContain('--port <n>')
    expect(check.stderr).toMatch(/^smtp-tls-lab: running the (compiled CLI|TypeScript sources)/)
  })
})

describe('freshBundle', () => {
  function tree(): { root: URL; src: string } {
    const dir = mkdtempSync(path.join(tmpdir(), 'stl-fresh-'))
    mkdirSync(path.join(dir, 'dist', 'cli'), { recursive: true })
    const src = path.join(dir, 'a.ts')
    writeFileSync(src, 'export {}\n')
    const past = new Date(Date.now() - 60_000)
    utimesSync(src, past, past)
    writeFileSync(path.join(dir, 'dist', 'cli', 'manifest.json'), JSON.stringify({ builtAt: Date.now() - 30_000, dir: 'b1-2', inputs: ['a.ts'] }))
    mkdirSync(path.join(dir, 'dist', 'cli', 'b1-2'))
    writeFileSync(path.join(dir, 'dist', 'cli', 'b1-2', 'main.js'), '')
    return { root: pathToFileURL(`${dir}/`), src }
  }

  it('runs the bundle while no source is newer than the build', () => {
    const { root } = tree()
    expect(freshBundle(root)).toBe(new URL('dist/cli/b1-2/main.js', root).href)
  })

  it('runs the sources once a source was saved after the build, or is gone, or the build is', () => {
    const edited = tree()
    utimesSync(edited.src, new Date(), new Date())
    expect(freshBundle(edited.root)).toBeUndefined()
    const gone = tree()
    rmSync(gone.src)
    expect(freshBundle(gone.root)).toBeUndefined()
    const none = tree()
    rmSync(new URL('dist/cli/manifest.json', none.root))
    expect(freshBundle(none.root)).toBeUndefined()
    const removed = tree()
    rmSync(new URL('dist/cli/b1-2', removed.root), { recursive: true })
    expect(freshBundle(removed.root)).toBeUndefined()
  })
})

describe('bin/commands.ts', () => {
  it('maps each top-level command to the module that registers it', async () => {
    const owner: Record<string, ModuleName> = {}
    for (const name of Object.keys(MODULES) as ModuleName[]) {
      const program = new Command()
      ;(await MODULES[name]()).register(program)
      for (const c of program.commands) owner[c.name()] = name
    }
    expect(owner).toEqual(COMMAND_MODULE)
  })

  it('loads the command’s module only, and every module for help or an unknown command', () => {
    expect(modulesFor(['check', 'mail.example.com', '--port', '25'])).toEqual(['checker'])
    expect(modulesFor(['images', 'build'])).toEqual(['sandbox'])
    expect(modulesFor(['--help'])).toEqual(Object.keys(MODULES))
    expect(modulesFor(['help', 'check'])).toEqual(Object.keys(MODULES))
    expect(modulesFor(['chekc'])).toEqual(Object.keys(MODULES))
  })
})
