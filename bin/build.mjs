#!/usr/bin/env node
// Compiles the CLI (bin/main.ts and everything it reaches) into dist/cli/ so that `smtp-tls-lab` starts without
// compiling TypeScript. Run by `npm install` (the `prepare` script) and `npm run build:cli`.
//
// One ES module bundle with a chunk per dynamic import, so a command loads only the code it runs; npm packages stay
// external (native addons, and node_modules is there anyway). Every `import.meta.url` in the sources is replaced by
// the URL the source file itself would have, so paths to assets beside the sources (exercise scripts, topologies,
// decks…) resolve exactly as when the .ts files run under tsx. bin/smtp-tls-lab.mjs runs the bundle only while
// dist/cli/manifest.json says it is newer than every source it was built from.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
export const OUT_DIR = path.join(ROOT, 'dist', 'cli')

const IMPORT_META = /\bimport\.meta\.(url|filename|dirname)\b/g

/**
 * The URL, file name or folder `import.meta` would give in `file`, computed at run time from the bundle's place
 * (`toRoot`: from the output folder back to the root; chunks are written flat there, so it holds for every chunk).
 */
function sourceMeta(file, prop, toRoot) {
  const rel = path.relative(ROOT, file).split(path.sep).join('/')
  const url = `new URL(${JSON.stringify(rel)}, new URL(${JSON.stringify(toRoot)}, import.meta.url))`
  if (prop === 'url') return `${url}.href`
  // fileURLToPath is not in scope in the source file: decode the URL's path the way Node does for file: URLs.
  const filename = `decodeURIComponent(${url}.pathname)`
  return prop === 'filename' ? filename : `${filename}.replace(/\\/[^/]*$/, '')`
}

const sourceUrls = (toRoot) => ({
  name: 'source-import-meta',
  setup(b) {
    b.onLoad({ filter: /\.[cm]?ts$/, namespace: 'file' }, (args) => {
      const text = readFileSync(args.path, 'utf8')
      if (!text.includes('import.meta.')) return undefined
      return { contents: text.replace(IMPORT_META, (_, prop) => `(${sourceMeta(args.path, prop, toRoot)})`), loader: 'ts' }
    })
  },
})

/** Builds older than this are removed by the next build, unless current: a long-running command may still load chunks. */
const KEEP_OLD_BUILDS_MS = 24 * 3600_000

/**
 * Builds into a new folder `outDir/<build>/` then points `outDir/manifest.json` at it (written by rename, so a command
 * starting meanwhile reads the old manifest or the new one). Older builds stay a day: a command started from one (the
 * lab server runs for hours) loads its chunks only when it needs them. `outDir` must be inside the repository, so
 * that the bundle finds node_modules.
 */
export async function buildCli({ outDir = OUT_DIR, quiet = false } = {}) {
  const t0 = performance.now()
  // Taken before any source is read: a file saved during the build is newer than the bundle, hence stale.
  const builtAt = Date.now()
  const dir = `b${builtAt.toString(36)}-${process.pid.toString(36)}`
  const buildDir = path.join(outDir, dir)
  const toRoot = `${path.relative(buildDir, ROOT).split(path.sep).join('/')}/`
  mkdirSync(buildDir, { recursive: true })
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { main: 'bin/main.ts' },
    outdir: buildDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    chunkNames: '[name]-[hash]',
    sourcemap: 'linked',
    metafile: true,
    logLevel: quiet ? 'error' : 'warning',
    plugins: [sourceUrls(toRoot)],
  })
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/')).sort()
  const manifest = path.join(outDir, 'manifest.json')
  const tmp = `${manifest}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify({ builtAt, dir, inputs }, null, 1)}\n`)
  renameSync(tmp, manifest)
  for (const e of readdirSync(outDir, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name === dir || !/^b[0-9a-z]+-[0-9a-z]+$/.test(e.name)) continue
    const at = parseInt(e.name.slice(1).split('-')[0], 36)
    if (builtAt - at > KEEP_OLD_BUILDS_MS) rmSync(path.join(outDir, e.name), { recursive: true, force: true })
  }
  const ms = Math.round(performance.now() - t0)
  if (!quiet) process.stderr.write(`smtp-tls-lab: CLI compiled into ${path.relative(ROOT, buildDir)}/ (${inputs.length} sources, ${ms} ms)\n`)
  return { inputs, ms, main: path.join(buildDir, 'main.js') }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildCli({ quiet: process.argv.includes('--quiet') })
}
