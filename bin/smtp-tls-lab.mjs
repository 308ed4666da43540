#!/usr/bin/env node
// Entry point of the `smtp-tls-lab` command. Runs the compiled CLI (dist/cli/, built by `npm install` through
// bin/build.mjs) while it is newer than every source it was built from; otherwise the TypeScript sources through
// tsx, so a developer who edits a .ts file is never served stale code (`npm run build:cli` makes it fast again).
// SMTP_TLS_LAB_FROM_SOURCE=1 forces the sources; SMTP_TLS_LAB_SHOW_BUILD=1 says on stderr which one runs.
import { freshBundle } from './compiled.mjs'

const bundle = process.env.SMTP_TLS_LAB_FROM_SOURCE ? undefined : freshBundle(new URL('../', import.meta.url))
if (process.env.SMTP_TLS_LAB_SHOW_BUILD) process.stderr.write(`smtp-tls-lab: running ${bundle ? 'the compiled CLI (dist/cli)' : 'the TypeScript sources (tsx)'}\n`)
if (bundle) {
  // Stack traces of bugs then name the .ts sources.
  process.setSourceMapsEnabled(true)
  await import(bundle)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import('./main.ts')
}
