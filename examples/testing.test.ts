/**
 * Testing your own code with `LegitmarkTest`: the real client and `Legitmark` workflows over the
 * simulator's core in process. No server, no fixture files, deterministic under `TestClock`. The same
 * code is in packages/legitmark/README.md.
 *
 *   pnpm vitest --project examples
 */
import { LegitmarkError, type Photo, RetryPolicy } from "@effect-legitmark/client"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, TestClock } from "effect"
import { Legitmark, LegitmarkTest } from "effect-legitmark"

// The code under test: a marketplace lists an item for sale only once it is authenticated.
const listForSale = (sku: string, photos: Readonly<Record<string, Photo.Photo>>) =>
  Effect.gen(function*() {
    const legitmark = yield* Legitmark
    const item = { category: LegitmarkTest.ids.footwear, type: LegitmarkTest.ids.sneakers }
    const { sr } = yield* legitmark.authenticate({ referenceId: sku, item, photos })
    const outcome = yield* legitmark.awaitVerdict(sr.uuid)
    return outcome._tag === "Authentic" ? "listed" : "held back"
  })

// Valid 600×600 PNGs made in code, one per required side of a pair of sneakers.
const photos = Effect.all({
  "Interior Size Tag or Stamp": LegitmarkTest.photo(1),
  "Outer Sides": LegitmarkTest.photo(2)
})

describe("listForSale", () => {
  it.effect("lists an authentic item", () =>
    Effect.gen(function*() {
      // Legitmark reviews at once: the first poll of awaitVerdict finds the verdict.
      expect(yield* listForSale("SKU-1", yield* photos)).toBe("listed")
      const test = yield* LegitmarkTest
      expect((yield* test.uploads).map((upload) => upload.contentType)).toEqual(["image/png", "image/png"])
    }).pipe(Effect.provide(LegitmarkTest.layer())))

  it.effect("holds back a counterfeit (FAKE in the reference id makes the verdict)", () =>
    Effect.gen(function*() {
      expect(yield* listForSale("SKU-FAKE-2", yield* photos)).toBe("held back")
    }).pipe(Effect.provide(LegitmarkTest.layer())))

  it.effect("waits out a rate limit, as the real client does", () =>
    Effect.gen(function*() {
      const test = yield* LegitmarkTest
      yield* test.failNext(
        "serviceRequests.create",
        new LegitmarkError.RateLimitError({ status: 429, message: "slow down", retryAfter: Duration.seconds(5) })
      )
      const fiber = yield* Effect.fork(listForSale("SKU-3", yield* photos))
      // The client retries after the server's Retry-After, on the test's clock.
      yield* TestClock.adjust("5 seconds")
      expect(yield* Fiber.join(fiber)).toBe("listed")
      const creates = (yield* test.calls).filter((call) => call.method === "serviceRequests.create")
      expect(creates.map((call) => call.status)).toEqual([429, 200])
    }).pipe(Effect.provide(LegitmarkTest.layer())))

  it.effect("surfaces a rate limit as a typed error when retries are off", () =>
    Effect.gen(function*() {
      const test = yield* LegitmarkTest
      yield* test.failNext(
        "serviceRequests.create",
        new LegitmarkError.RateLimitError({ status: 429, message: "slow down", retryAfter: Duration.seconds(5) })
      )
      const error = yield* Effect.flip(listForSale("SKU-4", yield* photos))
      expect(error._tag).toBe("RateLimitError")
    }).pipe(Effect.provide(LegitmarkTest.layer()), Effect.provide(RetryPolicy.none)))

  it.effect("waits for a verdict that comes later", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(listForSale("SKU-5", yield* photos))
      // Legitmark takes a step every minute here, and awaitVerdict polls on its schedule meanwhile.
      yield* TestClock.adjust("5 minutes")
      expect(yield* Fiber.join(fiber)).toBe("listed")
    }).pipe(Effect.provide(LegitmarkTest.layer({ review: "1 minute" }))))
})
