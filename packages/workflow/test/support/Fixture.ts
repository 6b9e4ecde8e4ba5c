/**
 * What the workflow tests share: the simulator's sample item and photos, a fast simulator, a temporary
 * directory, and the checks that every authentication happened exactly once.
 */
import { Simulator } from "@effect-legitmark/simulator"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

export const apiKey = "leo_workflow_tests"

/** Footwear → Sneakers: two required sides. */
export const item = { category: "25ed7133-f230-4d64-850d-0cfc698e2931", type: "95e428c2-7c4f-11ef-a623-02595575faeb" }

const photo = (name: string) => fileURLToPath(new URL(`../../../../examples/photos/${name}.png`, import.meta.url))

export const photos = { "Outer Sides": photo("outer-sides"), "Interior Size Tag or Stamp": photo("size-tag") }
export const anotherPhoto = photo("top")

/**
 * A simulator on 127.0.0.1 whose SRs move a step every `stepMs` real milliseconds (four steps from
 * submit to verdict), without a rate limit worth the name.
 */
export const simulator = (options: { readonly stepMs?: number; readonly webhookUrl?: string } = {}) =>
  Simulator.start({
    apiKeys: [apiKey],
    speed: 1000 / (options.stepMs ?? 100),
    stepMs: 1000,
    rateLimit: { limit: 1_000_000, windowMs: 60_000 },
    ...(options.webhookUrl === undefined ? {} : { webhookUrl: options.webhookUrl })
  })

export const tempDir: Effect.Effect<string, never, Scope.Scope> = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "legitmark-workflow-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

export interface Tally {
  /** SRs per reference id. */
  readonly srs: ReadonlyMap<string, number>
  /** Photo versions per SR and side, for the SRs of the reference ids asked about. */
  readonly versions: ReadonlyArray<number>
  /** Submits the server acted on, per SR of the reference ids asked about. */
  readonly submits: ReadonlyArray<number>
  /** Outcome rows recorded by the handler, per reference id. */
  readonly outcomes: ReadonlyMap<string, ReadonlyArray<string>>
  readonly creates: number
  readonly puts: number
}

/** What the simulator and the outcome table say happened to `referenceIds`. */
export const tally = (sim: Simulator.SimulatorInfo, referenceIds: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const wanted = new Set(referenceIds)
    const all = (yield* sim.serviceRequests).filter((sr) => wanted.has(sr.externalId))
    const stats = yield* sim.stats
    const srs = new Map<string, number>()
    for (const sr of all) srs.set(sr.externalId, (srs.get(sr.externalId) ?? 0) + 1)
    const versions = all.flatMap((sr) => [...HashMap.values(sr.media)].map((media) => media.length))
    const submits = all.map((sr) => stats.submits[sr.uuid] ?? 0)
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ readonly reference_id: string; readonly outcome: string }>`
      SELECT reference_id, outcome FROM test_outcomes`
    const outcomes = new Map<string, Array<string>>()
    for (const row of rows) outcomes.set(row.reference_id, [...(outcomes.get(row.reference_id) ?? []), row.outcome])
    return {
      srs,
      versions,
      submits,
      outcomes,
      creates: stats.routes["sr.create"] ?? 0,
      puts: stats.routes["media.upload"] ?? 0
    } satisfies Tally
  })

/** The reference ids whose count in `counts` is not exactly one. */
export const notOnce = (
  counts: ReadonlyMap<string, number | ReadonlyArray<string>>,
  referenceIds: ReadonlyArray<string>
) =>
  referenceIds.filter((id) => {
    const value = Option.fromNullable(counts.get(id))
    return Option.match(value, {
      onNone: () => true,
      onSome: (v) => (typeof v === "number" ? v : v.length) !== 1
    })
  })
