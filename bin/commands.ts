// Which module registers which top-level command, so that a command loads only its own module (and what that module
// imports): `check` must not pay for dockerode, SQLite or the lab server. Help and unknown commands load them all.
import type { Command } from 'commander'

interface CliModule {
  register(program: Command): void
}

/** In the order their commands are listed by `--help`. */
export const MODULES = {
  sandbox: () => import('../sandbox/cli.ts'),
  checker: () => import('../checker/cli.ts'),
  exercises: () => import('../exercises/cli.ts'),
  labs: () => import('../labs/cli.ts'),
  slides: () => import('../slides/cli.ts'),
  grading: () => import('../grading/cli.ts'),
  class: () => import('../labs/class/cli.ts'),
} satisfies Record<string, () => Promise<CliModule>>

export type ModuleName = keyof typeof MODULES

/** Top-level command → module that registers it. A command missing here still works: it only loads every module. */
export const COMMAND_MODULE: Readonly<Record<string, ModuleName>> = {
  images: 'sandbox',
  sandbox: 'sandbox',
  check: 'checker',
  checks: 'checker',
  exercises: 'exercises',
  start: 'labs',
  serve: 'labs',
  slides: 'slides',
  grade: 'grading',
  class: 'class',
  'grade-worker': 'class',
}

/** Commands for the program's own processes (the class server's grader): registered, never listed by --help. */
export const HIDDEN_COMMANDS: ReadonlySet<string> = new Set(['grade-worker'])

/** The modules `argv` (user arguments, without node and script) needs: the command's own, or all of them. */
export function modulesFor(argv: readonly string[]): ModuleName[] {
  // The program itself takes no option with a value, so the first word that is not an option is the command.
  const command = argv.find((a) => !a.startsWith('-'))
  const own = command === undefined ? undefined : COMMAND_MODULE[command]
  return own ? [own] : (Object.keys(MODULES) as ModuleName[])
}

export async function registerCommands(program: Command, argv: readonly string[]): Promise<void> {
  const names = modulesFor(argv)
  const loaded = await Promise.all(names.map((n) => MODULES[n]()))
  for (const m of loaded) m.register(program)
}
