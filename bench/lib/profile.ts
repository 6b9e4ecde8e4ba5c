/**
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof`) and totals self time by function (name + file),
 * the way DevTools' "Bottom-Up" view does.
 */
import { readFileSync } from "node:fs"
import * as path from "node:path"

interface ProfileNode {
  readonly id: number
  readonly callFrame: {
    readonly functionName: string
    readonly url: string
    readonly lineNumber: number
  }
}

interface CpuProfile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

export interface SelfTime {
  readonly name: string
  readonly where: string
  readonly ms: number
  /** Share of the busy (non-idle) time. */
  readonly share: number
}

const shorten = (url: string): string => {
  if (url === "") return ""
  const file = url.replace(/^file:\/\//, "")
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/(.*)$/.exec(file)
  if (pnpm) return pnpm[1]!
  const repo = file.indexOf("/packages/")
  if (repo >= 0) return file.slice(repo + 1)
  return file.startsWith("node:") ? file : path.relative(process.cwd(), file)
}

/** The busy time of a profile and its top `count` functions by self time. */
export const topSelfTime = (
  file: string,
  count = 15
): { readonly busyMs: number; readonly totalMs: number; readonly top: ReadonlyArray<SelfTime> } => {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const totals = new Map<string, { name: string; where: string; us: number }>()
  let totalUs = 0
  let idleUs = 0
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0
    const frame = byId.get(id)?.callFrame
    if (frame === undefined) return
    totalUs += delta
    if (frame.functionName === "(idle)") {
      idleUs += delta
      return
    }
    const where = shorten(frame.url)
    const name = frame.functionName === "" ? "(anonymous)" : frame.functionName
    const key = `${name}\u0000${where}:${frame.lineNumber + 1}`
    const entry = totals.get(key) ?? { name, where: where === "" ? "" : `${where}:${frame.lineNumber + 1}`, us: 0 }
    entry.us += delta
    totals.set(key, entry)
  })
  const busyUs = totalUs - idleUs
  const top = [...totals.values()].sort((a, b) => b.us - a.us).slice(0, count).map((e) => ({
    name: e.name,
    where: e.where,
    ms: e.us / 1000,
    share: busyUs > 0 ? e.us / busyUs : 0
  }))
  return { busyMs: busyUs / 1000, totalMs: totalUs / 1000, top }
}

/** Self time by file (package), to see which layer the time goes to. */
export const selfTimeByFile = (file: string, count = 10): ReadonlyArray<SelfTime> => {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const totals = new Map<string, number>()
  let busyUs = 0
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)?.callFrame
    if (frame === undefined || frame.functionName === "(idle)") return
    const delta = profile.timeDeltas[i] ?? 0
    busyUs += delta
    const where = frame.url === "" ? frame.functionName : shorten(frame.url)
    totals.set(where, (totals.get(where) ?? 0) + delta)
  })
  return [...totals.entries()].sort((a, b) => b[1] - a[1]).slice(0, count).map(([where, us]) => ({
    name: "",
    where,
    ms: us / 1000,
    share: busyUs > 0 ? us / busyUs : 0
  }))
}
