import Docker from 'dockerode'
import { Parser } from 'tar'
import { execRaw } from './sandbox/docker.ts'
const d = new Docker()
const c = d.getContainer('stl-h2-pf-mail')
for (const p of ['/etc/postfix/main.cf', '/etc/postfix/makedefs.out', '/etc/ssl/rel-link', '/etc/postfix']) {
  const i: any = await c.infoArchive({ path: p }); 
  console.log(p, i.headers?.['x-docker-container-path-stat'] && Buffer.from(i.headers['x-docker-container-path-stat'], 'base64').toString(), typeof i, Object.keys(i).slice(0,10))
}
async function get(p: string) {
  const s = await c.getArchive({ path: p }) as NodeJS.ReadableStream
  const parser = new Parser()
  parser.on('entry', (e: any) => { e.resume() })
  await new Promise((res, rej) => { s.pipe(parser as any); parser.on('end', res); parser.on('error', rej) })
}
for (let k = 0; k < 3; k++) {
  let t0 = performance.now(); for (let i = 0; i < 10; i++) await get('/etc/postfix/main.cf'); console.log('GET x10', (performance.now()-t0).toFixed(0))
  t0 = performance.now(); for (let i = 0; i < 10; i++) await c.infoArchive({ path: '/etc/postfix/main.cf' }); console.log('HEAD x10', (performance.now()-t0).toFixed(0))
  t0 = performance.now(); for (let i = 0; i < 10; i++) await execRaw(d, 'stl-h2-pf-mail', ['cat', '/etc/postfix/main.cf']); console.log('exec x10', (performance.now()-t0).toFixed(0))
}
