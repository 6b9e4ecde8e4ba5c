/**
 * Testing your own code with `LegitmarkTest`: the real `Legitmark` workflows on an in-memory API, with
 * a store you control. No HTTP, no simulator, deterministic under `TestClock`.
 *
 *   pnpm vitest --project examples
 */
import { LegitmarkClient, LegitmarkError, Photo } from "@effect-legitmark/client"
import { describe, expect, it } from "@effect/vitest"
import { Legitmark, LegitmarkTest } from "effect-legitmark"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

// The code under test: a marketplace lists an item for sale only once it is authenticated.
const listForSale = (sku: string, photo: Photo.Photo) =>
  Effect.gen(function*() {
    const legitmark = yield* Legitmark
    const client = yield* LegitmarkClient
    const item = { category: LegitmarkTest.ids.footwear, type: LegitmarkTest.ids.sneakers }
    const draft = yield* client.serviceRequests.create({ reference_id: sku, item })
    const { sides } = yield* client.serviceRequests.get(draft.uuid, { item: true, sides: true })
    const photos = Object.fromEntries((sides?.required ?? []).map((side) => [side.uuid, photo]))
    const { sr } = yield* legitmark.authenticate({ referenceId: sku, item, photos })
    const outcome = yield* legitmark.awaitVerdict(sr.uuid)
    return outcome._tag === "Authentic" ? "listed" as const : "held back" as const
  })

const photo = Photo.fromBytes(
  readFileSync(fileURLToPath(new URL("./photos/outer-sides.png", import.meta.url))),
  "png"
)

// Runs the code under test in a fiber and lets the polling schedule's time pass.
const settle = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(self)
    yield* TestClock.adjust("1 hour")
    return yield* Fiber.join(fiber)
  })

describe("listForSale", () => {
  it.effect("lists an authentic item", () =>
    Effect.gen(function*() {
      const result = yield* settle(Effect.flatMap(photo, (p) => listForSale("SKU-1", p)))
      expect(result).toBe("listed")
      const test = yield* LegitmarkTest
      expect((yield* test.uploads).length).toBe(2)
    }).pipe(Effect.provide(LegitmarkTest.layer({ autoAdvance: true }))))

  it.effect("holds back a counterfeit (the FAKE marker makes the in-memory API say so)", () =>
    Effect.gen(function*() {
      const result = yield* settle(Effect.flatMap(photo, (p) => listForSale("SKU-FAKE-2", p)))
      expect(result).toBe("held back")
    }).pipe(Effect.provide(LegitmarkTest.layer({ autoAdvance: true }))))

  it.effect("surfaces a rate limit as a typed error the caller can handle", () =>
    Effect.gen(function*() {
      const test = yield* LegitmarkTest
      yield* test.failNext(
        "serviceRequests.create",
        new LegitmarkError.RateLimitError({ status: 429, message: "slow down" })
      )
      const error = yield* Effect.flip(Effect.flatMap(photo, (p) => listForSale("SKU-3", p)))
      expect(error._tag).toBe("RateLimitError")
    }).pipe(Effect.provide(LegitmarkTest.layer())))
})
