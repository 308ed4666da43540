// The `smtp-tls-lab` CLI: each module registers its own commands, this file only wires them together.
import { Command } from 'commander'
import { registerCommands } from './commands.ts'

// `smtp-tls-lab checks | head` closes the pipe early: that is the reader's choice, not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0)
  throw err
})

const program = new Command()
program
  .name('smtp-tls-lab')
  .description('Interactive lab for securing mail servers with TLS (Postfix, Exim): sandboxes, checker, course.')
  .showHelpAfterError()

try {
  await registerCommands(program, process.argv.slice(2))
  await program.parseAsync(process.argv)
} catch (err) {
  // Commands throw UserError for problems the user can fix; anything else is a bug and keeps its stack.
  const e = err as Error & { exitCode?: number; userFacing?: boolean }
  process.stderr.write(`smtp-tls-lab: ${e.userFacing ? e.message : (e.stack ?? String(e))}\n`)
  process.exit(e.exitCode ?? 2)
}
