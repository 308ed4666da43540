// Whether the compiled CLI (written by bin/build.mjs) may run: plain JavaScript, as it decides between the bundle and
// the TypeScript sources before anything can compile TypeScript.
import { readFileSync, statSync } from 'node:fs'

/** Where bin/build.mjs writes its builds and the manifest naming the current one, relative to the repository root. */
export const DIST = 'dist/cli/'

/**
 * The bundle's entry URL if its manifest lists only sources that still exist and are not newer than the build;
 * otherwise undefined. One stat per source (about 120: ~1 ms), so every start can afford it.
 */
export function freshBundle(root, dist = DIST) {
  let manifest
  try {
    manifest = JSON.parse(readFileSync(new URL(`${dist}manifest.json`, root), 'utf8'))
  } catch {
    return undefined
  }
  const { builtAt, dir, inputs } = manifest
  if (!Array.isArray(inputs) || !inputs.length || typeof builtAt !== 'number' || !/^b[0-9a-z]+-[0-9a-z]+$/.test(String(dir))) return undefined
  for (const rel of inputs) {
    const st = statSync(new URL(rel, root), { throwIfNoEntry: false })
    if (!st || st.mtimeMs > builtAt) return undefined
  }
  const main = new URL(`${dist}${dir}/main.js`, root)
  return statSync(main, { throwIfNoEntry: false }) ? main.href : undefined
}
