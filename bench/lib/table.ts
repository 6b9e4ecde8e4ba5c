/** Medians and plain-text tables. */

export const median = (values: ReadonlyArray<number>): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Half the range as a share of the median: how much the repetitions disagree. */
export const spread = (values: ReadonlyArray<number>): number => {
  if (values.length < 2) return 0
  const m = median(values)
  return m === 0 ? 0 : (Math.max(...values) - Math.min(...values)) / 2 / Math.abs(m)
}

export const fmt = (value: number, digits = 0): string =>
  Number.isFinite(value) ?
    value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) :
    "–"

/** A median with its spread, e.g. "1,234 ±3%". */
export const withSpread = (values: ReadonlyArray<number>, digits = 0): string =>
  values.length < 2 ? fmt(median(values), digits) : `${fmt(median(values), digits)} ±${fmt(spread(values) * 100)}%`

export const ratio = (value: number, base: number): string =>
  Number.isFinite(value) && Number.isFinite(base) && base !== 0 ? `${fmt(value / base, 2)}×` : "–"

/** Renders rows under a header, numbers right-aligned, as a Markdown-compatible table. */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const numeric = (cell: string) => /^[-+]?[\d,.]+|^–$|×$/.test(cell)
  const line = (cells: ReadonlyArray<string>) =>
    `| ${cells.map((c, i) => (i > 0 && numeric(c) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ")} |`
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n")
}
