#!/usr/bin/env node
// Compiles the CLI (bin/main.ts and everything it reaches) into dist/cli/ so that `smtp-tls-lab` starts without
// compiling TypeScript. Run by `npm install` (the `prepare` script) and `npm run build:cli`.
//
// One ES module bundle with a chunk per dynamic import, so a command loads only the code it runs; npm packages stay
// external (native addons, and node_modules is there anyway). Every `import.meta.url` in the sources is replaced by
// the URL the source file itself would have, so paths to assets beside the sources (exercise scripts, topologies,
// decks…) resolve exactly as when the .ts files run under tsx. bin/smtp-tls-lab.mjs runs the bundle only while
// dist/cli/manifest.json says it is newer than every source it was built from.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
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

/** Builds into `outDir` (must be inside the repository, so the bundle finds node_modules), replacing it whole. */
export async function buildCli({ outDir = OUT_DIR, quiet = false } = {}) {
  const t0 = performance.now()
  // Taken before any source is read: a file saved during the build is newer than the bundle, hence stale.
  const builtAt = Date.now()
  const toRoot = `${path.relative(outDir, ROOT).split(path.sep).join('/')}/`
  const tmp = `${outDir}.tmp-${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp, { recursive: true })
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { main: 'bin/main.ts' },
    outdir: tmp,
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
  writeFileSync(path.join(tmp, 'manifest.json'), `${JSON.stringify({ builtAt, inputs }, null, 1)}\n`)
  // Swap the whole folder so a CLI starting meanwhile sees the old bundle or the new one, never half of each.
  const old = `${outDir}.old-${process.pid}`
  try {
    renameSync(outDir, old)
  } catch {
    /* first build */
  }
  renameSync(tmp, outDir)
  rmSync(old, { recursive: true, force: true })
  const ms = Math.round(performance.now() - t0)
  if (!quiet) process.stderr.write(`smtp-tls-lab: CLI compiled into ${path.relative(ROOT, outDir)}/ (${inputs.length} sources, ${ms} ms)\n`)
  return { inputs, ms }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildCli({ quiet: process.argv.includes('--quiet') })
}
