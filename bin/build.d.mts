export declare const OUT_DIR: string
/** Builds the CLI bundle into `outDir` (default dist/cli, inside the repository), replacing it whole. */
export declare function buildCli(opts?: { outDir?: string; quiet?: boolean }): Promise<{ inputs: string[]; ms: number; main: string }>
