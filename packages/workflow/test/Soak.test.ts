/**
 * The soak: 200 authentications through one runner (SQLite) while a fifth of the simulator's answers
 * are faults (5xx, bare 429s, connections dropped before and after the server acted, truncated JSON)
 * and the runner is killed with SIGKILL five times at seeded moments. Every item still ends with one
 * SR, one submit the server acted on and one outcome row: none lost, none twice.
 */
import type { Faults } from "@effect-legitmark/simulator"
import { freePort } from "@effect-legitmark/testing"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { join } from "node:path"
import * as Fixture from "./support/Fixture.js"
import * as Processes from "./support/Processes.js"

const seed = Number(process.env.WORKFLOW_SOAK_SEED ?? 7)
const items = 200
const kills = 5
const faultKinds: ReadonlyArray<Faults.Kind> = [
  "500",
  "502",
  "503",
  "429-no-headers",
  "drop-before",
  "drop-after",
  "truncated-json"
]
// Independent draws that together fault 20% of requests: 1 - (1 - p)^7 = 0.2.
const perKind = 1 - Math.pow(0.8, 1 / faultKinds.length)

describe("the soak", () => {
  it.live(
    `${items} authentications, 20% of requests faulted, ${kills} kills (seed ${seed})`,
    () =>
      Effect.gen(function*() {
        const random = Processes.prng(seed)
        const webhookPort = yield* freePort
        const sim = yield* Fixture.simulator({ stepMs: 200, webhookUrl: `http://127.0.0.1:${webhookPort}/` })
        for (const [i, fault] of faultKinds.entries()) {
          yield* sim.injectFault({ route: "*", fault, probability: perKind, seed: seed * 100 + i, retryAfter: 0 })
        }
        const dir = yield* Fixture.tempDir
        const filename = join(dir, "soak.db")
        const options = {
          simulator: sim.baseUrl,
          apiKey: Fixture.apiKey,
          sqlite: filename,
          webhookPort,
          prefix: `SOAK-${seed}-`,
          items,
          start: true,
          photos: Fixture.photos,
          item: Fixture.item,
          pollMs: 1000,
          handlerMs: 0,
          sharding: { entityMessagePollInterval: "250 millis" }
        }
        const moments: Array<number> = []
        for (let k = 0; k < kills; k++) {
          const ms = 500 + random(3000)
          moments.push(ms)
          yield* Effect.scoped(Effect.gen(function*() {
            const runner = yield* Processes.start(options)
            yield* runner.waitFor(/^@@started$/)
            yield* Effect.sleep(ms)
            yield* runner.kill
          }))
        }
        yield* Effect.scoped(Effect.gen(function*() {
          const runner = yield* Processes.start(options)
          yield* runner.exit
        }))

        const stats = yield* sim.stats
        const faults = Object.values(stats.faults).reduce((a, b) => a + b, 0)
        const requests = Object.entries(stats.routes).filter(([route]) => !route.startsWith("control.")).reduce(
          (n, [, count]) => n + count,
          0
        )
        const referenceIds = Array.from({ length: items }, (_, i) => `${options.prefix}${i}`)
        const tally = yield* Fixture.tally(sim, referenceIds).pipe(
          Effect.provide(SqliteClient.layer({ filename })),
          Effect.scoped
        )
        const outcomes = [...tally.outcomes.values()].flat().length
        const context = `seed ${seed}, kills at started + ${moments.join(", ")} ms; ${faults} faults in ` +
          `${requests} requests (${JSON.stringify(stats.faults)}); ${tally.srs.size} items with an SR, ` +
          `${outcomes} outcomes`
        yield* Effect.logInfo(`soak: ${context}`)
        expect(faults / requests, context).toBeGreaterThan(0.15)
        expect(Fixture.notOnce(tally.srs, referenceIds), context).toEqual([])
        expect(tally.submits, context).toEqual(Array(items).fill(1))
        expect(Fixture.notOnce(tally.outcomes, referenceIds), context).toEqual([])
        expect(new Set([...tally.outcomes.values()].flat()), context).toEqual(new Set(["Authentic"]))
      }).pipe(Effect.scoped),
    { timeout: 400_000 }
  )
})
