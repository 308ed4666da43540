// Commands of the labs module: `start` (sandbox + course server, what `npm start` runs) and `serve` (decks only).
import type { Command } from 'commander'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { UserError } from '../core/errors.ts'
import { isSessionId, type LabName } from '../core/labs.ts'
import { DEFAULT_DATA_DIR, openDataDir } from './data-dir.ts'
import type { ExerciseCatalog } from './exercise-catalog.ts'
import { isLabName, type SandboxEngine } from './lab-controller.ts'
import { DEFAULT_HOST, DEFAULT_PORT, startLabServer } from './server.ts'
import { listDecks } from './static-files.ts'

const REPO_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
/** Where `slides build` puts the decks (slides/deck-build.ts DIST_DIR), served at /decks/<deck>/. */
export const DIST_DIR = path.join(REPO_DIR, 'slides', 'dist')

interface StartOptions {
  lab: string
  port: string
  host: string
  sandbox: boolean
  dataDir: string
  json?: boolean
  newToken?: boolean
  build: boolean
  downOnExit?: boolean
  session?: string
  yes?: boolean
}

export function parsePort(v: string): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UserError(`--port must be an integer from 0 to 65535, got "${v}"`)
  return n
}

export const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\./.test(host)

/** Progress lines go to stderr so that --json keeps stdout to one parseable document. */
export const say = (line: string): void => void process.stderr.write(`${line}\n`)

export function version(): string {
  try {
    return (JSON.parse(readFileSync(path.join(REPO_DIR, 'package.json'), 'utf8')) as { version?: string }).version ?? '0'
  } catch {
    return '0'
  }
}

/** Builds the role images that are missing, showing a bar on a terminal and plain lines otherwise. */
export async function ensureImages(json: boolean): Promise<void> {
  const { connectDocker } = await import('../sandbox/docker.ts')
  const docker = await connectDocker()
  const { missingImages, buildImages } = await import('../sandbox/images.ts')
  const missing = await missingImages(docker)
  if (missing.length === 0) return
  say(`Images manquantes (${missing.join(', ')}) : construction, cela prend quelques minutes la première fois…`)
  const t0 = Date.now()
  const fancy = !json && process.stderr.isTTY
  const { SingleBar, Presets } = await import('cli-progress')
  const bar = fancy ? new SingleBar({ format: ' {bar} {value}/{total} {role} {text}', hideCursor: true }, Presets.shades_classic) : null
  await buildImages({
    onEvent(e) {
      if (e.kind === 'role-start') {
        if (bar) {
          if (e.index === 0) bar.start(e.count, 0, { role: e.role, text: '' })
          bar.update(e.index, { role: e.role, text: '' })
        } else say(`  [${e.index + 1}/${e.count}] ${e.role}`)
      } else if (e.kind === 'role-step' && bar) {
        bar.update({ text: `étape ${e.step}/${e.total}` })
      } else if (e.kind === 'role-done') {
        if (bar) bar.increment(1, { text: e.action === 'built' ? 'construite' : 'à jour' })
        else say(`  ${e.role}: ${e.action} (${(e.durationMs / 1000).toFixed(1)} s)`)
      } else if (e.kind === 'base' && e.action !== 'present') {
        say(`  image de base : ${e.action}`)
      }
    },
  }).finally(() => bar?.stop())
  say(`Images construites en ${((Date.now() - t0) / 1000).toFixed(0)} s.`)
}

/**
 * A fresh machine: installs the Docker engine (and debootstrap when images remain to build) from the distribution's
 * packages and starts it, as root after a yes/no question or at once with --yes / CI=true; else names the commands.
 */
export async function ensureMachine(yes: boolean): Promise<void> {
  const { ensureHost, imagesNeedBootstrap } = await import('../sandbox/host-setup.ts')
  await ensureHost({ yes, say, needsImages: imagesNeedBootstrap })
}

/** Builds every deck that has no build yet; a failure leaves the lab usable and says how to retry. */
export async function ensureDecks(): Promise<void> {
  const slides = await import('../slides/deck-build.ts')
  const built = new Set(listDecks(DIST_DIR).map((d) => d.name))
  const todo = slides.listDecks().filter((d) => !built.has(d.name))
  for (const [i, deck] of todo.entries()) {
    say(`Construction du support ${deck.name} (${i + 1}/${todo.length}), environ une minute…`)
    try {
      const r = await slides.buildDeck(deck, { distDir: DIST_DIR })
      say(`  ${deck.name} construit en ${(r.durationMs / 1000).toFixed(0)} s.`)
    } catch (err) {
      say(`Attention : la construction de ${deck.name} a échoué : ${(err as Error).message}
Relancez : npx smtp-tls-lab slides build`)
    }
  }
}

export async function loadCatalog(): Promise<ExerciseCatalog> {
  const { exercisesCatalog } = await import('./exercises-adapter.ts')
  return exercisesCatalog()
}

async function run(opts: StartOptions, mode: 'start' | 'serve'): Promise<void> {
  const json = opts.json === true
  const port = parsePort(opts.port)
  const withSandbox = mode === 'start' && opts.sandbox
  if (!isLabName(opts.lab)) throw new UserError(`--lab must be postfix or exim, got "${opts.lab}"`)
  const lab: LabName = opts.lab
  if (!isLoopback(opts.host)) {
    say(
      `Attention : --host ${opts.host} rend le serveur joignable depuis le réseau. Le jeton protège l'API et les terminaux, ` +
        `mais le trafic n'est pas chiffré (HTTP) : à réserver à un réseau de confiance.`,
    )
  }

  let engine: SandboxEngine | null = null
  if (withSandbox) {
    try {
      await ensureMachine(opts.yes === true)
      await ensureImages(json)
    } catch (err) {
      if (err instanceof UserError) {
        throw new UserError(
          `${err.message}\nTo read the course without a lab meanwhile: npx smtp-tls-lab serve (or npm start -- --no-sandbox).`,
          err.exitCode,
        )
      }
      throw err
    }
    const { dockerEngine } = await import('./engine-adapter.ts')
    engine = dockerEngine({ onProgress: (m) => say(`  ${m}`) })
    // What a killed `grade --class` left (its owner process is dead) goes now; a learner's own sandbox never does.
    const { reapOrphans } = await import('../sandbox/engine.ts')
    const reaped = await reapOrphans().catch(() => [])
    if (reaped.length) say(`Bacs à sable abandonnés par une correction interrompue, supprimés : ${reaped.join(', ')}`)
  }
  if (opts.build) await ensureDecks()

  if (opts.session !== undefined && !isSessionId(opts.session)) {
    throw new UserError(`--session must be 1 to 31 lowercase letters, digits and dashes, got "${opts.session}"`)
  }
  const data = openDataDir(opts.dataDir, { newToken: opts.newToken === true, ...(opts.session ? { session: opts.session } : {}) })
  if (data.interrupted > 0) say(`${data.interrupted} vérification(s) interrompue(s) par un arrêt précédent : marquée(s) comme interrompue(s).`)
  let openTty
  if (withSandbox) {
    const { connectDocker } = await import('../sandbox/docker.ts')
    const { openDockerTty } = await import('./terminal-bridge.ts')
    const docker = await connectDocker()
    openTty = (container: string, size: { cols: number; rows: number }) => openDockerTty(docker, container, size)
  }
  let server
  try {
    server = await startLabServer({
      host: opts.host,
      port,
      store: data.store,
      engine,
      catalog: await loadCatalog(),
      distDir: DIST_DIR,
      defaultLab: lab,
      version: version(),
      ...(openTty ? { openTty } : {}),
      log: (line) => say(line),
    })
  } catch (err) {
    data.release()
    throw listenError(err, port, opts.host)
  }

  const controller = server.labFor(data.learner)
  if (withSandbox) {
    const t0 = Date.now()
    let info = await controller.adopt()
    if (info.state === 'up' && info.lab === lab) say(`Lab ${lab} déjà démarré (session ${data.learner.session}) : repris tel quel.`)
    else {
      say(`Démarrage du lab ${lab} (session ${data.learner.session})…`)
      info = await controller.up(lab)
    }
    if (info.state === 'up') say(`Lab ${lab} prêt en ${((Date.now() - t0) / 1000).toFixed(1)} s.`)
    else say(`Le lab n'a pas démarré : ${info.error ?? info.state}. Le cours reste servi ; réessayez depuis la page.`)
  }

  const url = `${server.origin}/?token=${data.token}`
  const decks = listDecks(DIST_DIR).map((d) => ({ ...d, url: `${server.origin}/decks/${d.name}/?token=${data.token}` }))
  const info = controller.info()
  if (json) {
    process.stdout.write(
      JSON.stringify({
        url,
        origin: server.origin,
        port: server.port,
        token: data.token,
        dataDir: data.dir,
        session: data.learner.session,
        sandbox: withSandbox,
        lab: info.lab,
        state: info.state,
        decks,
        pid: process.pid,
      }) + '\n',
    )
  } else {
    process.stdout.write(`\nCours et lab : ${url}\n`)
    for (const d of decks) process.stdout.write(`  ${d.title} : ${d.url}\n`)
    if (!withSandbox) process.stdout.write('  (sans bac à sable : terminaux et vérifications indisponibles)\n')
    process.stdout.write('Ctrl-C pour arrêter le serveur.\n')
  }

  let stopping = false
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return
    stopping = true
    say(`\n${signal} : arrêt du serveur…`)
    await server.close()
    if (withSandbox && opts.downOnExit) {
      await controller.down()
      say('Bac à sable arrêté.')
    } else if (withSandbox && controller.info().state === 'up') {
      say(
        `Le bac à sable reste démarré (votre travail y est conservé) ; il sera repris au prochain démarrage. ` +
          `Pour le supprimer : npx smtp-tls-lab sandbox down --session ${data.learner.session}`,
      )
    }
    data.release()
    process.exit(0)
  }
  process.once('SIGINT', () => void stop('SIGINT'))
  process.once('SIGTERM', () => void stop('SIGTERM'))
}

export function register(program: Command): void {
  program
    .command('start')
    .description('Start the course: checks Docker, builds missing images and decks, starts the lab sandbox and serves the course with a per-learner token')
    .option('--lab <lab>', 'lab to start: postfix or exim', 'postfix')
    .option('--port <port>', 'HTTP port (0 = a free random port)', String(DEFAULT_PORT))
    .option('--host <host>', 'address to listen on; anything but loopback exposes the lab to the network', DEFAULT_HOST)
    .option('--no-sandbox', 'serve the course and the API without starting a sandbox (no Docker needed)')
    .option('--data-dir <dir>', 'where progress and the token are kept', DEFAULT_DATA_DIR)
    .option('--new-token', 'issue a new token (the old course URL stops working)')
    .option('--no-build', 'do not build the decks even when slides/dist is missing')
    .option('--session <id>', "sandbox session of this learner (default: one made for the data directory); e.g. `default` to use the CLI's sandbox")
    .option('--down-on-exit', 'remove the sandbox when the server stops (by default it is kept with your work)')
    .option('--json', 'print one JSON line with the URL, token and lab state once ready')
    .option('-y, --yes', 'install and start the Docker engine (as root) without asking when it is missing or stopped; CI=true does the same')
    .action((opts: StartOptions) => run(opts, 'start'))

  program
    .command('serve')
    .description('Serve the built course without any sandbox (offline deck viewing; no Docker needed)')
    .option('--port <port>', 'HTTP port (0 = a free random port)', String(DEFAULT_PORT))
    .option('--host <host>', 'address to listen on; anything but loopback exposes the server to the network', DEFAULT_HOST)
    .option('--data-dir <dir>', 'where progress and the token are kept', DEFAULT_DATA_DIR)
    .option('--new-token', 'issue a new token (the old course URL stops working)')
    .option('--no-build', 'do not build the decks even when slides/dist is missing')
    .option('--json', 'print one JSON line with the URL and token once ready')
    .action((opts: Omit<StartOptions, 'lab' | 'sandbox'>) => run({ ...opts, lab: 'postfix', sandbox: false }, 'serve'))
}

/** A server that could not listen: the learner-facing words for a taken port or an address this machine lacks. */
export function listenError(err: unknown, port: number, host: string | undefined): unknown {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'EADDRINUSE') return new UserError(`Le port ${port} est déjà pris : choisissez-en un autre avec --port (0 = au hasard).`)
  if (code === 'EADDRNOTAVAIL') return new UserError(`Adresse --host ${host} indisponible sur cette machine.`)
  return err
}
