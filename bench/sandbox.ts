// Benchmark of the sandbox engine: time from `up` to all healthy, `down` time and memory of one whole sandbox,
// against the targets (up ≤ 5 s, ≤ 150 MB) and a floor measured in the same run (one bare container start).
import { availableParallelism, loadavg } from 'node:os'
import Docker from 'dockerode'
import { BASE_IMAGE, connectDocker, imageExists } from '../sandbox/docker.ts'
import { type DockerSandbox, LABS, downSandbox, upLab, validateLab } from '../sandbox/engine.ts'
import { missingImages } from '../sandbox/images.ts'

const TARGET_UP_MS = 5_000
const TARGET_MEM_MB = 150

function argValue(name: string, fallback: string): string {
  const i = process.argv.indexOf(name)
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback
}

const runs = Number(argValue('--runs', '3'))
const labs = argValue('--lab', LABS.join(',')).split(',').map(validateLab)
const settleMs = Number(argValue('--settle-ms', '3000'))

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const ms = (x: number) => `${Math.round(x)} ms`
const mb = (bytes: number) => bytes / 1024 / 1024
const sleep = (t: number) => new Promise((r) => setTimeout(r, t))

interface MemStats {
  usage?: number
  stats?: { cache?: number; rss?: number; inactive_file?: number; total_inactive_file?: number; anon?: number }
}

/** What `docker stats` calls usage: charged memory minus page cache (cgroup v1) or inactive file pages (v2). */
function workingSet(m: MemStats): number {
  const usage = m.usage ?? 0
  const s = m.stats ?? {}
  const reclaimable = s.total_inactive_file ?? s.inactive_file ?? s.cache ?? 0
  return Math.max(0, usage - reclaimable)
}

async function sandboxMemory(docker: Docker, h: DockerSandbox): Promise<{ total: number; per: Record<string, number>; rss: number }> {
  const per: Record<string, number> = {}
  let total = 0
  let rss = 0
  await Promise.all(
    h.services.map(async (s) => {
      const st = (await docker.getContainer(s.container).stats({ stream: false })) as { memory_stats: MemStats }
      const w = workingSet(st.memory_stats)
      per[s.name] = w
      total += w
      rss += st.memory_stats.stats?.rss ?? st.memory_stats.stats?.anon ?? 0
    }),
  )
  return { total, per, rss }
}

/** The floor: create, start, wait for and remove one container running `true`, the least any `up` must do. */
async function bareContainer(docker: Docker): Promise<number> {
  const t0 = performance.now()
  const c = await docker.createContainer({ Image: BASE_IMAGE, Cmd: ['true'], HostConfig: { NetworkMode: 'none' }, Labels: { 'smtp-tls-lab.bench': '1' } })
  await c.start()
  await c.wait()
  await c.remove({ force: true })
  return performance.now() - t0
}

async function main(): Promise<void> {
  const docker = await connectDocker()
  const missing = await missingImages(docker)
  if (missing.length || !(await imageExists(docker, BASE_IMAGE))) {
    process.stderr.write(`bench/sandbox: images missing (${missing.join(', ') || BASE_IMAGE}): run \`npx smtp-tls-lab images build\`\n`)
    process.exit(2)
  }
  const floor: number[] = []
  for (let i = 0; i < runs; i++) floor.push(await bareContainer(docker))
  const floorMs = median(floor)
  console.log(`load average before: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${availableParallelism()} CPUs`)
  console.log(`reference: docker run --rm ${BASE_IMAGE} true (create+start+wait+remove), median of ${runs}: ${ms(floorMs)}`)

  let failed = false
  for (const lab of labs) {
    const up: number[] = []
    const down: number[] = []
    const mem: number[] = []
    const rssAll: number[] = []
    let per: Record<string, number> = {}
    const healthyAt: Record<string, number[]> = {}
    let count = 0
    for (let i = 0; i < runs; i++) {
      const session = `bench-${process.pid}-${lab}`.slice(0, 31)
      await downSandbox(session)
      const t0 = performance.now()
      const h = await upLab({ lab, session })
      up.push(performance.now() - t0)
      count = h.services.length
      for (const s of h.services) (healthyAt[s.name] ??= []).push(s.healthyAfterMs ?? NaN)
      // Memory once the servers settle after start (startup bursts are not what a sandbox costs while used).
      await sleep(settleMs)
      const m = await sandboxMemory(docker, h)
      mem.push(m.total)
      rssAll.push(m.rss)
      per = m.per
      const t1 = performance.now()
      await downSandbox(session)
      down.push(performance.now() - t1)
    }
    const upMed = median(up)
    const memMed = mb(median(mem))
    const okUp = upMed <= TARGET_UP_MS
    const okMem = memMed <= TARGET_MEM_MB
    failed ||= !okUp || !okMem
    console.log(`\nlab ${lab} (${count} containers), ${runs} runs`)
    console.log(`  up → all healthy: median ${ms(upMed)} [${up.map(ms).join(', ')}]  target ≤ ${ms(TARGET_UP_MS)} ${okUp ? 'OK' : 'MISSED'}  ratio to reference ${(upMed / floorMs).toFixed(1)}×`)
    console.log(`  healthy after (median): ${Object.entries(healthyAt).map(([k, v]) => `${k} ${ms(median(v))}`).join(', ')}`)
    console.log(`  down:             median ${ms(median(down))} [${down.map(ms).join(', ')}]  ratio to reference ${(median(down) / floorMs).toFixed(1)}×`)
    console.log(`  memory (usage − page cache, sum of containers): median ${memMed.toFixed(1)} MB  target ≤ ${TARGET_MEM_MB} MB ${okMem ? 'OK' : 'MISSED'}  (rss ${mb(median(rssAll)).toFixed(1)} MB)`)
    console.log(`  per service: ${Object.entries(per).sort().map(([k, v]) => `${k} ${mb(v).toFixed(1)} MB`).join(', ')}`)
  }
  console.log(`\nload average after: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`)
  process.exitCode = failed ? 1 : 0
}

await main()
