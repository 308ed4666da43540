import { Command } from 'commander'
import { register } from './cli.ts'
const p = new Command().name('smtp-tls-lab'); register(p)
try { await p.parseAsync(process.argv) } catch (e) { const x = e as Error & {userFacing?: boolean; exitCode?: number}; process.stderr.write(`smtp-tls-lab: ${x.userFacing ? x.message : x.stack}\n`); process.exit(x.exitCode ?? 2) }
