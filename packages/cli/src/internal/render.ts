/**
 * What the commands print: tables, progress bars, states and service requests, for people; JSON for
 * scripts.
 */
import type { ServiceRequest } from "@effect-legitmark/schema/ServiceRequest"
import * as SR from "@effect-legitmark/schema/ServiceRequest"
import type { State } from "@effect-legitmark/schema/State"
import type { Outcome } from "effect-legitmark/Legitmark"
import * as Schema from "effect/Schema"

/** Columns padded to their widest cell; the last column is not padded. */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const all = [header, ...rows]
  const widths = header.map((_, i) => Math.max(...all.map((row) => [...(row[i] ?? "")].length)))
  const line = (row: ReadonlyArray<string>) =>
    row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]! + cell.length - [...cell].length)))
      .join("  ").trimEnd()
  return all.map(line).join("\n")
}

/** `1.2 MB`, `840 KB`, `12 B`. */
export const bytes = (n: number): string =>
  n >= 1_000_000 ? `${(n / 1_000_000).toFixed(1)} MB` : n >= 1_000 ? `${Math.round(n / 1_000)} KB` : `${n} B`

/** `[██████░░░░░░]  50%` */
export const bar = (fraction: number, width = 24): string => {
  const clamped = Math.min(Math.max(fraction, 0), 1)
  const filled = Math.round(clamped * width)
  return `[${"█".repeat(filled)}${"░".repeat(width - filled)}] ${String(Math.floor(clamped * 100)).padStart(3)}%`
}

/** `QC/PENDING`, or `CANCELLED` when there is no supplement. */
export const stateLabel = (state: State): string =>
  state.supplement === null ? state.primary : `${state.primary}/${state.supplement}`

const meanings: Readonly<Record<string, string>> = {
  "DRAFT": "not submitted: photos missing",
  "QC/PENDING": "queued for quality control",
  "QC/REJECTED": "photos rejected: upload them again and resubmit",
  "QC/APPROVED": "photos passed quality control",
  "QC/COMPLETE": "fast-tracked past quality control",
  "UNDERWAY/PENDING": "waiting for an authenticator",
  "UNDERWAY/ASSIGNED": "being authenticated",
  "UNDERWAY/APPROVED": "authenticated, result pending",
  "COMPLETE/APPROVED": "authentic",
  "COMPLETE/REJECTED": "not authentic",
  "COMPLETE/COMPLETE": "processed, no verdict stated",
  "CANCELLED": "cancelled"
}

/** What a state means, in a few words (empty for a state this version does not know). */
export const stateMeaning = (state: State): string => meanings[stateLabel(state)] ?? meanings[state.primary] ?? ""

/** `QC/PENDING  queued for quality control` */
export const describeState = (state: State): string => {
  const meaning = stateMeaning(state)
  return meaning === "" ? stateLabel(state) : `${stateLabel(state).padEnd(18)} ${meaning}`
}

/** The outcome as scripts see it: AUTHENTIC, NOT_AUTHENTIC, INCONCLUSIVE, CANCELLED or MEDIA_REJECTED. */
export const outcomeCode = (outcome: Outcome): string => {
  switch (outcome._tag) {
    case "Authentic":
      return "AUTHENTIC"
    case "NotAuthentic":
      return "NOT_AUTHENTIC"
    case "Inconclusive":
      return "INCONCLUSIVE"
    case "Cancelled":
      return "CANCELLED"
    case "MediaRejected":
      return "MEDIA_REJECTED"
  }
}

/** The verdict line, with the certificate or the sides to photograph again. */
export const describeOutcome = (outcome: Outcome): string => {
  const certificate = outcome.sr.certificate_url
  switch (outcome._tag) {
    case "Authentic":
      return `Verdict: AUTHENTIC${certificate ? `  certificate ${certificate}` : ""}`
    case "NotAuthentic":
      return "Verdict: NOT AUTHENTIC"
    case "Inconclusive":
      return "Verdict: INCONCLUSIVE (processed, no verdict stated)"
    case "Cancelled":
      return "Verdict: CANCELLED"
    case "MediaRejected":
      return `Photos rejected by quality control: ${
        outcome.sides.map((side) => side.name).join(", ") || "see the SR"
      }; run authenticate again with new photos of those sides`
  }
}

const nodeName = (slot: unknown): string | undefined =>
  typeof slot === "object" && slot !== null && "name" in slot && typeof slot.name === "string" ? slot.name : undefined

/** `Footwear → Sneakers → Nike` */
export const itemLabel = (sr: ServiceRequest): string => {
  const item = sr.item
  if (item === undefined || item === null) return ""
  return [item.category, item.resolvedType, item.brand, item.model].map(nodeName)
    .filter((name): name is string => name !== undefined).join(" → ")
}

/** A service request as a few labelled lines. */
export const serviceRequest = (sr: ServiceRequest): string => {
  const rows: Array<readonly [string, string]> = [
    ["SR", `${sr.uuid}${sr.micro_id === undefined || sr.micro_id === null ? "" : `  (micro id ${sr.micro_id})`}`],
    ["reference", sr.external_id ?? ""],
    ["state", describeState(sr.state)],
    ["item", itemLabel(sr)]
  ]
  const required = sr.sides?.required ?? []
  const optional = sr.sides?.optional ?? []
  if (required.length + optional.length > 0) {
    const count = (sides: typeof required) => sides.filter((side) => side.hasMedia).length
    rows.push([
      "photos",
      `${count(required)}/${required.length} required, ${count(optional)}/${optional.length} optional`
    ])
  }
  if (sr.certificate_url) rows.push(["certificate", sr.certificate_url])
  if (sr.created_at) rows.push(["created", sr.created_at])
  if (sr.updated_at) rows.push(["updated", sr.updated_at])
  const width = Math.max(...rows.map(([label]) => label.length))
  const lines = rows.filter(([, value]) => value !== "").map(([label, value]) => `${label.padEnd(width)}  ${value}`)
  for (const [sides, kind] of [[required, "required"], [optional, "optional"]] as const) {
    for (const side of sides) lines.push(`  ${side.hasMedia ? "✓" : "·"} ${side.name} (${kind})`)
  }
  return lines.join("\n")
}

const encodeServiceRequest = Schema.encodeSync(SR.ServiceRequest)

/** A service request in the API's own field names. */
export const serviceRequestJson = (sr: ServiceRequest): unknown => encodeServiceRequest(sr)

/** JSON for scripts: one document, two-space indented. */
export const json = (value: unknown): string => JSON.stringify(value, null, 2)
