// Global setup of the vitest `sandbox` project: Docker must answer (a missing Docker fails the run, never skips it)
// and every lab image must exist, built offline here when missing.
import { BASE_IMAGE, connectDocker, imageExists } from './docker.ts'
import { buildImages, missingImages } from './images.ts'
import { listSessions, downSandbox } from './engine.ts'
import { ensureHost, imagesNeedBootstrap } from './host-setup.ts'
import { isThisRunSession, testRunId } from './test-session.ts'

export async function setup(): Promise<void> {
  testRunId()
  let docker
  try {
    // A fresh machine: Docker (and debootstrap) installed and started here, as `start` does; vitest takes no
    // --yes of ours, so SMTP_TLS_LAB_YES=1 stands for it (CI=true acts too; a terminal gets the question).
    await ensureHost({ yes: process.env.SMTP_TLS_LAB_YES === '1', needsImages: imagesNeedBootstrap, say: (l) => void process.stderr.write(`sandbox tests: ${l}\n`) })
    docker = await connectDocker()
  } catch (err) {
    throw new Error(`sandbox tests need a running Docker engine and none answered.\n${(err as Error).message}`)
  }
  const missing = await missingImages(docker)
  if (missing.length === 0 && (await imageExists(docker, BASE_IMAGE))) return
  process.stderr.write(`sandbox tests: building missing images offline: ${missing.join(', ') || BASE_IMAGE}\n`)
  const t0 = Date.now()
  // Only the missing roles: rebuilding images another process is iterating on would race with it.
  const roles = missing.map((tag) => tag.replace(/^smtp-tls-lab\//, '').replace(/:latest$/, ''))
  await buildImages({
    offline: true,
    roles,
    onEvent: (e) => {
      if (e.kind === 'role-done' || e.kind === 'base') process.stderr.write(`  ${JSON.stringify(e)}\n`)
    },
  })
  process.stderr.write(`sandbox tests: images ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`)
}

export async function teardown(): Promise<void> {
  // Only this run's sessions: another run of the suite may be using its own at this very moment.
  for (const s of await listSessions()) if (isThisRunSession(s.session)) await downSandbox(s.session)
}
