// The benches' `--name value` and `--flag` arguments, read the same way by each of them.

/** `--name value` → value; a `--flag` followed by another option or nothing → 'true'. */
export function benchArgs(argv: readonly string[] = process.argv.slice(2)): Map<string, string> {
  const args = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a.startsWith('--')) args.set(a.slice(2), argv[i + 1]?.startsWith('--') ? 'true' : (argv[++i] ?? 'true'))
  }
  return args
}
