// `smtp-tls-lab class start`: one server for a whole class (seats, join links and sheet, HTTPS off loopback).
import type { Command } from 'commander'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { UserError } from '../../core/errors.ts'
import { isLabName, type LabName } from '../../core/labs.ts'
import { DIST_DIR, ensureDecks, ensureImages, ensureMachine, isLoopback, listenError, loadCatalog, parsePort, say, version } from '../cli.ts'
import type { SandboxEngine } from '../lab-controller.ts'
import type { Engine } from '../../sandbox/engines.ts'
import { DEFAULT_CLASS_DIR, openClassDir, serverCert } from './class-dir.ts'
import { startClassServer } from './class-server.ts'
import { runGradeWorker, workerGrader, WORKER_COMMAND } from '../grade-worker.ts'
import { publicAddress, servedNames } from './hosts.ts'
import { joinSheet } from './join-sheet.ts'
import { anonymousSeats, readRoster } from './roster.ts'

export const DEFAULT_CLASS_PORT = 4180

interface ClassStartOptions {
  learners?: string
  roster?: string
  lab: string
  host: string
  port: string
  cert?: string
  key?: string
  dataDir: string
  prestart: boolean
  sandbox: boolean
  build: boolean
  name?: string[]
  stuckMinutes: string
  maxSandboxes?: string
  minFreeMem: string
  idleMinutes: string
  parallelChecks?: string
  dockerHost?: string[]
  json?: boolean
  yes?: boolean
}

async function start(o: ClassStartOptions): Promise<void> {
  if (o.learners !== undefined && o.roster !== undefined) throw new UserError('Give either --learners N or --roster FILE.csv, not both.')
  if (!isLabName(o.lab)) throw new UserError(`--lab must be postfix or exim, got "${o.lab}"`)
  if ((o.cert === undefined) !== (o.key === undefined)) throw new UserError('--cert and --key go together.')
  const lab: LabName = o.lab
  const port = parsePort(o.port)
  const stuckMinutes = Number(o.stuckMinutes)
  if (!Number.isFinite(stuckMinutes) || stuckMinutes <= 0) throw new UserError(`--stuck-minutes must be a positive number, got "${o.stuckMinutes}"`)
  const seats = o.roster !== undefined ? readRoster(o.roster) : anonymousSeats(Number(o.learners ?? '20'))
  const maxSandboxes = o.maxSandboxes === undefined ? seats.length : Number(o.maxSandboxes)
  if (!Number.isInteger(maxSandboxes) || maxSandboxes < 1) throw new UserError(`--max-sandboxes must be a positive integer, got "${o.maxSandboxes}"`)
  const minFreeMiB = Number(o.minFreeMem)
  if (!Number.isFinite(minFreeMiB) || minFreeMiB < 0) throw new UserError(`--min-free-mem must be a number of MiB, got "${o.minFreeMem}"`)
  const idleMinutes = Number(o.idleMinutes)
  if (!Number.isFinite(idleMinutes) || idleMinutes < 0) throw new UserError(`--idle-minutes must be a number (0: never), got "${o.idleMinutes}"`)
  const parallelChecks = o.parallelChecks === undefined ? undefined : Number(o.parallelChecks)
  if (parallelChecks !== undefined && (!Number.isInteger(parallelChecks) || parallelChecks < 1))
    throw new UserError(`--parallel-checks must be a positive integer, got "${o.parallelChecks}"`)
  const json = o.json === true

  const dockerHosts = o.dockerHost ?? []
  if (dockerHosts.length && !o.sandbox) throw new UserError('--docker-host places sandboxes: it does not go with --no-sandbox.')
  // Read now: a wrong address or missing TLS files stop the command before anything starts.
  const engines = dockerHosts.length ? (await import('../../sandbox/engines.ts')).engineSet(dockerHosts) : null

  // The local engine builds the images even when sandboxes go elsewhere: a fresh machine gets it installed first.
  if (o.sandbox) await ensureMachine(o.yes === true)
  let engine: SandboxEngine | null = null
  let openTty
  if (o.sandbox && !engines) {
    await ensureImages(json)
    const { dockerEngine } = await import('../engine-adapter.ts')
    engine = dockerEngine({ onProgress: (m) => (json ? undefined : say(`  ${m}`)) })
    const { connectDocker } = await import('../../sandbox/docker.ts')
    const { openDockerTty } = await import('../terminal-bridge.ts')
    const docker = await connectDocker()
    openTty = (container: string, size: { cols: number; rows: number }) => openDockerTty(docker, container, size)
  }
  if (o.build) await ensureDecks()

  const names = servedNames(o.host, o.name ?? [])
  // Loopback stays plain HTTP (the browser treats it as secure); any network address gets HTTPS.
  const https = !isLoopback(o.host) || o.cert !== undefined
  const data = openClassDir(o.dataDir, seats, process.env.SMTP_TLS_LAB_TEST_PREFIX ? { sessionPrefix: process.env.SMTP_TLS_LAB_TEST_PREFIX } : {})
  if (data.interrupted > 0) say(`${data.interrupted} vérification(s) interrompue(s) par l’arrêt précédent.`)
  let freeBytes: (() => number) | undefined
  let engineOf: ((session: string) => string | undefined) | undefined
  if (engines) {
    try {
      const placed = await classEngines(engines, lab, data.dir, json)
      engine = placed.engine
      openTty = placed.openTty
      freeBytes = () => placed.engine.placement.bestFree()
      engineOf = (session) => placed.engine.engineOf(session)?.name
    } catch (err) {
      data.release()
      throw err
    }
  }
  // Check runs go to a grader process: the server's event loop stays free for the class's terminals (grade-worker.ts).
  const grader = engine ? workerGrader({ dockerHosts, ...(parallelChecks ? { parallel: parallelChecks } : {}), ...(engineOf ? { engineOf } : {}) }) : null
  const catalog = await loadCatalog()
  const cert = https ? await serverCert(data.dir, [...names], o.cert && o.key ? { cert: o.cert, key: o.key } : undefined) : null
  let cls
  try {
    cls = await startClassServer({
      data,
      lab,
      host: o.host,
      port,
      engine,
      catalog: grader ? { ...catalog, grade: grader.grade, warm: grader.warm } : catalog,
      distDir: DIST_DIR,
      version: version(),
      hostNames: names,
      publicHost: publicAddress(o.host),
      prestart: o.prestart,
      stuckAfterMs: stuckMinutes * 60_000,
      maxSandboxes,
      minFreeBytes: minFreeMiB * 1024 * 1024,
      idleAfterMs: idleMinutes * 60_000,
      ...(freeBytes ? { freeBytes } : {}),
      fingerprint: cert?.fingerprint ?? null,
      ...(cert ? { tls: { cert: cert.cert, key: cert.key } } : {}),
      ...(openTty ? { openTty } : {}),
      log: (line) => say(line),
    })
  } catch (err) {
    grader?.close()
    data.release()
    throw listenError(err, port, o.host)
  }
  const { links } = cls
  // The printable sheet also sits in the class directory, for printing without a browser session.
  const sheetFile = path.join(data.dir, 'join-sheet.html')
  writeFileSync(sheetFile, await joinSheet(links.learners, { fingerprint: cert?.fingerprint ?? null }), { mode: 0o600 })

  if (json) {
    process.stdout.write(
      JSON.stringify({
        url: links.url,
        instructor: links.instructor,
        learners: links.learners.map((l) => ({ name: l.name, url: l.url })),
        lab,
        https,
        fingerprint: cert?.fingerprint ?? null,
        dataDir: data.dir,
        joinSheet: sheetFile,
        pid: process.pid,
      }) + '\n',
    )
  } else {
    const out = (s: string): void => void process.stdout.write(`${s}\n`)
    out(`\nClasse servie sur ${links.url} (${seats.length} apprenant(s), lab ${lab}).`)
    if (cert) out(`Certificat HTTPS, empreinte SHA-256 à faire comparer aux apprenants :\n  ${cert.fingerprint}`)
    out(`Formateur (ne pas diffuser) : ${links.instructor.url}`)
    out(`Feuille à imprimer (liens et QR codes) : ${sheetFile}`)
    for (const l of links.learners) out(`  ${l.name} : ${l.url}`)
    out('Ctrl-C pour arrêter le serveur (les bacs à sable restent, avec le travail des apprenants).')
  }
  if (engine && o.prestart) {
    const t0 = Date.now()
    say(`Démarrage des bacs à sable (${seats.length})…`)
    void cls.sandboxesReady.then(() => say(`Bacs à sable prêts en ${((Date.now() - t0) / 1000).toFixed(0)} s.`))
  }

  let stopping = false
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return
    stopping = true
    say(`\n${signal} : arrêt du serveur de la classe…`)
    await cls.close()
    grader?.close()
    data.release()
    process.exit(0)
  }
  process.once('SIGINT', () => void stop('SIGINT'))
  process.once('SIGTERM', () => void stop('SIGTERM'))
}

/**
 * Several engines: images built here if missing, then carried to every other engine that lacks them (or has an
 * older build), each engine's memory printed, and the placing engine with its terminals.
 */
async function classEngines(engines: readonly Engine[], lab: LabName, dir: string, json: boolean) {
  const { connectDocker, connectEngine } = await import('../../sandbox/docker.ts')
  const { copyImages } = await import('../../sandbox/engines.ts')
  const { loadTopology } = await import('../../sandbox/topology.ts')
  const { placedDockerEngine } = await import('./engines.ts')
  const { openDockerTty } = await import('../terminal-bridge.ts')
  await ensureImages(json)
  const source = await connectDocker()
  const images = [...new Set(loadTopology(lab).services.map((s) => s.image))]
  for (const e of engines) {
    const copied = await copyImages(source, await connectEngine(e.endpoint), images, (m) => say(`  ${e.name}: ${m}`))
    if (copied.length && json) say(`${e.name}: ${copied.length} image(s) copied`)
  }
  const engine = placedDockerEngine(engines, { dir, ...(json ? {} : { onProgress: (m: string) => say(`  ${m}`) }) })
  await engine.placement.refresh()
  for (const s of engine.placement.snapshot()) {
    const m = s.memory
    say(`Moteur ${s.engine.name} (réseaux ${s.engine.pool}.0.0/16) : ${m ? `${gib(m.freeBytes)} Gio libres sur ${gib(m.totalBytes)} (${m.sessions} bac(s) à sable)` : `ne répond pas (${s.error})`}`)
  }
  const openTty = async (container: string, size: { cols: number; rows: number }) => openDockerTty(await engine.clientForContainer(container), container, size)
  return { engine, openTty }
}

const gib = (bytes: number): string => (bytes / 1024 ** 3).toFixed(1)

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value]

export function register(program: Command): void {
  const cls = program.command('class').description('Classroom mode: one server for a whole class, a sandbox per learner, the class live for the instructor')
  // The class server's own grader process (grade-worker.ts): not a command for people.
  program
    .command(WORKER_COMMAND, { hidden: true })
    .option('--docker-host <url>', 'an engine of the class', collect)
    .action((o: { dockerHost?: string[] }) => runGradeWorker(o.dockerHost ?? []))
  cls
    .command('start')
    .description('Serve the course to a class: join links and a printable QR sheet, per-learner sandboxes and progress, the instructor view')
    .option('--learners <n>', 'number of anonymous seats (default 20)')
    .option('--roster <file>', 'CSV of learner names (a "name"/"nom" column, or the first column)')
    .option('--lab <lab>', 'lab of every sandbox: postfix or exim', 'postfix')
    .option('--host <addr>', 'address to listen on (0.0.0.0 = every interface); anything but loopback serves HTTPS', '0.0.0.0')
    .option('--port <port>', 'port (0 = a free random port)', String(DEFAULT_CLASS_PORT))
    .option('--cert <file>', 'PEM certificate to serve instead of a self-signed one (with --key)')
    .option('--key <file>', 'PEM private key of --cert')
    .option('--name <host...>', 'more host names the server answers for (a DNS name learners use)')
    .option('--data-dir <dir>', 'where the class (seats, tokens, progress, certificate) is kept', DEFAULT_CLASS_DIR)
    .option('--no-prestart', 'start each sandbox when its learner joins, not all at once now')
    .option('--no-sandbox', 'serve the course and the class view without any sandbox (no Docker needed)')
    .option('--no-build', 'do not build the decks even when slides/dist is missing')
    .option('--stuck-minutes <m>', 'a connected learner with no passing run for this long is shown stuck', '10')
    .option('--max-sandboxes <n>', 'at most this many sandboxes at once; learners past it wait for a free place (default: one per seat)')
    .option('--min-free-mem <MiB>', 'start a sandbox only while this much memory is available', '1024')
    .option('--idle-minutes <m>', 'stop a sandbox unused this long (files kept; started again when its learner comes back); 0 = never', '30')
    .option('--parallel-checks <n>', 'check runs graded at once, the others queued (default: CPU cores − 1, at least 1): keeps the terminals responsive')
    .option(
      '--docker-host <url>',
      'a Docker engine for sandboxes (repeatable): unix:///path, tcp://host:2376 (TLS files from DOCKER_CERT_PATH), ssh://user@host, or a Docker context name; each new sandbox goes to the one with the most free memory (default: the local engine only)',
      collect,
    )
    .option('--json', 'print one JSON line with the links once ready')
    .option('-y, --yes', 'install and start the Docker engine (as root) without asking when it is missing or stopped; CI=true does the same')
    .action((o: ClassStartOptions) => start(o))
}
