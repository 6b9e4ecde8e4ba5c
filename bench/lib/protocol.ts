/**
 * How a child case talks to the orchestrator: one line on stdout, prefixed, holding a JSON object.
 * Everything else a child prints is passed through as diagnostics.
 */
export const prefix = "@@bench "

/** A flat record of figures (numbers) and labels (strings) from one child run. */
export type Figures = Readonly<Record<string, number | string | boolean>>

/** Prints the child's result for the orchestrator. */
export const report = (figures: Figures): void => {
  process.stdout.write(`${prefix}${JSON.stringify(figures)}\n`)
}

/** Reads the results out of a child's stdout. */
export const parse = (stdout: string): ReadonlyArray<Figures> =>
  stdout.split("\n").filter((line) => line.startsWith(prefix)).map((line) =>
    JSON.parse(line.slice(prefix.length)) as Figures
  )

/** Reads `--name=value` / `--name value` arguments into a map (flags without a value read "true"). */
export const args = (argv: ReadonlyArray<string> = process.argv.slice(2)): ReadonlyMap<string, string> => {
  const out = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (!arg.startsWith("--")) continue
    const eq = arg.indexOf("=")
    if (eq >= 0) out.set(arg.slice(2, eq), arg.slice(eq + 1))
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) out.set(arg.slice(2), argv[++i]!)
    else out.set(arg.slice(2), "true")
  }
  return out
}

/** A required string argument. */
export const str = (all: ReadonlyMap<string, string>, name: string, fallback?: string): string => {
  const value = all.get(name) ?? fallback
  if (value === undefined) throw new Error(`missing --${name}`)
  return value
}

/** A numeric argument. */
export const num = (all: ReadonlyMap<string, string>, name: string, fallback?: number): number => {
  const raw = all.get(name)
  const value = raw === undefined ? fallback : Number(raw)
  if (value === undefined || !Number.isFinite(value)) throw new Error(`--${name} must be a number`)
  return value
}

/** Peak resident set of this process so far, in MB (the kernel's high-water mark). */
export const maxRssMb = (): number => process.resourceUsage().maxRSS / 1024

/** Current resident set, in MB. */
export const rssMb = (): number => process.memoryUsage.rss() / (1024 * 1024)
