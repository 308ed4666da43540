/** Where bin/build.mjs writes the bundle, relative to the repository root. */
export declare const DIST: string
/** The bundle's entry URL if it is newer than every source it was built from, else undefined. */
export declare function freshBundle(root: URL, dist?: string): string | undefined
