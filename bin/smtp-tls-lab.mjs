#!/usr/bin/env node
// Entry point of the `smtp-tls-lab` command: loads the TypeScript CLI through tsx so no build step is needed.
import { register } from 'tsx/esm/api'
register()
await import('./main.ts')
