// Commands of the exercises module, registered on the top-level CLI.
import type { Command } from 'commander'

export function register(_program: Command): void {}
