import { readFileSync } from 'node:fs'
import { upLab, downSandbox } from '../sandbox/engine.ts'
import { labTrust } from '../exercises/runner.ts'
const busy = () => { const f = readFileSync('/proc/stat','utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number); const t=f.reduce((a,b)=>a+b,0); return t - f[3]! - f[4]! }
const s = 'probe-cpu4'
const h = await upLab({ lab: 'postfix', session: s, fresh: true, owner: 'job:probe' })
await new Promise(r => setTimeout(r, 8000))
const measure = async (name: string, n: number, fn: () => Promise<unknown>) => { const b0 = busy(); const c0 = process.cpuUsage(); const t0 = performance.now(); for (let i=0;i<n;i++) await fn(); const b1 = busy(); const c = process.cpuUsage(c0); console.log(`${name}: ${(((b1-b0)*10)/n).toFixed(1)} ms machine CPU each (this process ${((c.user+c.system)/1000/n).toFixed(0)}), ${((performance.now()-t0)/n).toFixed(1)} ms wall`) }
await measure('labTrust first', 1, () => labTrust(h))
await measure('first tool call', 1, () => h.tool('mail', 'postconf', ['-n']))
await measure('next tool call', 5, () => h.tool('mail', 'postconf', ['-n']))
await measure('inspect', 10, () => h.container('mail').inspect())
await measure('exec true in mail', 10, () => h.exec('mail', ['true']))
await downSandbox(s)
