import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { LegitmarkClient } from "../src/LegitmarkClient.js"
import * as RetryPolicy from "../src/RetryPolicy.js"
import { TaxonomyCache } from "../src/TaxonomyCache.js"
import { assertTag } from "./support/assertTag.js"
import { capture, type Captured } from "./support/Capture.js"
import * as MockHttp from "./support/MockHttp.js"

const apiKey = Redacted.make("leo_unit_test_key")
const base = "https://api.legitmark.test"
const footwear = "25ed7133-f230-4d64-850d-0cfc698e2931"
const bag = "cc30b104-7c47-11ef-a623-02595575faeb"
const sneakers = "95e428c2-7c4f-11ef-a623-02595575faeb"
const crossbody = "95e42d6b-7c4f-11ef-a623-02595575faeb"
const nike = "a472b4d9-7f44-11ef-9ad3-0288afec8b95"

const treeBody = (sneakersName = "Sneakers") => ({
  message: "Category tree fetched successfully",
  category: "SUCCESS",
  data: [
    { uuid: footwear, name: "Footwear", active: true, types: [{ uuid: sneakers, name: sneakersName }] },
    { uuid: bag, name: "Bag", active: true, types: [{ uuid: crossbody, name: "Crossbody" }] }
  ],
  metadata: { total_categories: 2, total_types: 2 }
})
const brandsBody = {
  message: "ok",
  category: "SUCCESS",
  data: [{ uuid: nike, name: "Nike", active: true }]
}
const serverError = MockHttp.json(503, { success: false, error: { code: 503, message: "down" } })

const ttl = Duration.hours(24)

const clientLayer = (http: ReturnType<typeof MockHttp.layer>) =>
  LegitmarkClient.layer({ apiKey, baseUrl: base, acceptLanguage: "en" }).pipe(
    Layer.provide(http),
    Layer.provide(RetryPolicy.none)
  )

const withCache = (
  http: ReturnType<typeof MockHttp.layer>,
  options: Parameters<typeof TaxonomyCache.layer>[0] = {}
) => Layer.merge(TaxonomyCache.layer(options).pipe(Layer.provide(clientLayer(http))), http)

/** Answers by path: the tree or the brands of a type. */
const byPath = (tree: () => MockHttp.Answer) => (request: MockHttp.Recorded): MockHttp.Answer =>
  new URL(request.url).pathname.endsWith("/brands") ? MockHttp.json(200, brandsBody) : tree()

const paths = Effect.map(MockHttp.requests, (requests) => requests.map((r) => new URL(r.url).pathname))

// Background work (the refresh fiber, the mock's `Response`) settles on real time, not the TestClock.
const realPause = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 5)))
const eventually = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  until: (a: A) => boolean,
  attempts = 400
): Effect.Effect<A, E, R> =>
  Effect.flatMap(
    self,
    (a) =>
      until(a) || attempts <= 0 ? Effect.succeed(a) : Effect.zipRight(realPause, eventually(self, until, attempts - 1))
  )

describe("TaxonomyCache lookups", () => {
  it.effect("answers many lookups by name and UUID from one fetch of the tree", () =>
    Effect.gen(function*() {
      const cache = yield* TaxonomyCache
      expect(yield* MockHttp.requests).toHaveLength(0)
      const [a, b, c] = yield* Effect.all([cache.category("Footwear"), cache.category("  fOOTWEAR "), cache.tree], {
        concurrency: "unbounded"
      })
      expect(a.uuid).toBe(footwear)
      expect(b.uuid).toBe(footwear)
      expect(c).toHaveLength(2)
      expect((yield* cache.type("bag", "CROSSBODY")).uuid).toBe(crossbody)
      expect((yield* cache.categoryByUuid(bag)).name).toBe("Bag")
      expect((yield* cache.categoryByUuid(bag.toUpperCase())).name).toBe("Bag")
      expect((yield* cache.typeByUuid(sneakers)).name).toBe("Sneakers")
      const requests = yield* MockHttp.requests
      expect(requests.map((r) => r.url)).toEqual([`${base}/api/v2/categories/tree`])
      expect(requests[0]?.headers["accept-language"]).toBe("en")
    }).pipe(Effect.provide(withCache(MockHttp.layer([MockHttp.json(200, treeBody())])))))

  it.effect("finds brands through typeBrands, cached per type, by type name or UUID", () =>
    Effect.gen(function*() {
      const cache = yield* TaxonomyCache
      expect((yield* cache.brand("Sneakers", "nike")).uuid).toBe(nike)
      expect((yield* cache.brand(sneakers, " Nike ")).uuid).toBe(nike)
      expect((yield* cache.brand(sneakers.toUpperCase(), "NIKE")).uuid).toBe(nike)
      expect(yield* paths).toEqual(["/api/v2/categories/tree", `/api/v2/types/${sneakers}/brands`])
      yield* cache.brand("Crossbody", "Nike")
      expect(yield* paths).toHaveLength(3)
    }).pipe(Effect.provide(withCache(MockHttp.layer(byPath(() => MockHttp.json(200, treeBody())))))))

  it.effect("sends the cache's own Accept-Language", () =>
    Effect.gen(function*() {
      yield* (yield* TaxonomyCache).brand(sneakers, "Nike")
      const requests = yield* MockHttp.requests
      expect(requests.map((r) => r.headers["accept-language"])).toEqual(["ja"])
    }).pipe(Effect.provide(
      withCache(MockHttp.layer(byPath(() => MockHttp.json(200, treeBody()))), { acceptLanguage: "ja" })
    )))

  it.effect.each(
    [
      ["a category", (cache: TaxonomyCache.Service) => cache.category("Watches"), "Watches"],
      ["a type", (cache: TaxonomyCache.Service) => cache.type("Footwear", "Boots"), "Boots"],
      ["a type of an unknown category", (cache: TaxonomyCache.Service) => cache.type("Watches", "Boots"), "Watches"],
      ["a brand", (cache: TaxonomyCache.Service) => cache.brand("Sneakers", "Adidas"), "Adidas"],
      ["the type of a brand", (cache: TaxonomyCache.Service) => cache.brand("Boots", "Nike"), "Boots"],
      ["a category UUID", (cache: TaxonomyCache.Service) => cache.categoryByUuid(nike), nike],
      ["a type UUID", (cache: TaxonomyCache.Service) => cache.typeByUuid(footwear), footwear]
    ] as const
  )("%s that is missing is a NotFoundError naming it", ([, lookup, name]) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(lookup(yield* TaxonomyCache))
      assertTag(error, "NotFoundError")
      expect(error.message).toContain(`${name}`)
      expect(error.isRetryable).toBe(false)
    }).pipe(Effect.provide(withCache(MockHttp.layer(byPath(() => MockHttp.json(200, treeBody())))))))

  it.effect("a type UUID the API does not know is the API's NotFoundError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* TaxonomyCache).brand(nike, "Nike"))
      assertTag(error, "NotFoundError")
      expect(error).toMatchObject({ status: 404, method: "GET" })
    }).pipe(Effect.provide(withCache(MockHttp.layer([
      MockHttp.json(404, { success: false, error: { code: 404, message: "Type not found" } })
    ])))))

  it.effect("a failed first fetch fails the lookup and is not kept: the next lookup fetches again", () =>
    Effect.gen(function*() {
      const cache = yield* TaxonomyCache
      const error = yield* Effect.flip(cache.category("Footwear"))
      assertTag(error, "ServerError")
      expect((yield* cache.category("Footwear")).uuid).toBe(footwear)
      expect(yield* MockHttp.requests).toHaveLength(2)
    }).pipe(Effect.provide(withCache(MockHttp.layer([serverError, MockHttp.json(200, treeBody())])))))
})

describe("TaxonomyCache refresh", () => {
  it.effect("within the time to live nothing is fetched again", () =>
    Effect.gen(function*() {
      const cache = yield* TaxonomyCache
      yield* cache.category("Footwear")
      yield* TestClock.adjust(Duration.subtract(ttl, Duration.millis(1)))
      yield* cache.category("Footwear")
      yield* cache.brand(sneakers, "Nike")
      yield* cache.brand(sneakers, "Nike")
      expect(yield* MockHttp.requests).toHaveLength(2)
    }).pipe(Effect.provide(withCache(MockHttp.layer(byPath(() => MockHttp.json(200, treeBody())))))))

  it.effect("after the time to live serves the stale tree at once and refreshes once in the background", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const http = MockHttp.layerEffect((_, n) =>
        n === 0
          ? Effect.succeed(MockHttp.json(200, treeBody()))
          // The refresh is held in flight until the test opens the gate.
          : Effect.as(Deferred.await(gate), MockHttp.json(200, treeBody("Trainers")))
      )
      yield* Effect.gen(function*() {
        const cache = yield* TaxonomyCache
        expect((yield* cache.typeByUuid(sneakers)).name).toBe("Sneakers")
        yield* TestClock.adjust(ttl)
        // Stale: answered from the cache while the refresh waits at the gate.
        expect((yield* cache.typeByUuid(sneakers)).name).toBe("Sneakers")
        yield* eventually(MockHttp.requests, (rs) => rs.length === 2)
        expect((yield* cache.typeByUuid(sneakers)).name).toBe("Sneakers")
        expect((yield* cache.type("Footwear", "Sneakers")).uuid).toBe(sneakers)
        expect(yield* MockHttp.requests).toHaveLength(2)
        yield* Deferred.succeed(gate, undefined)
        const refreshed = yield* eventually(cache.typeByUuid(sneakers), (t) => t.name === "Trainers")
        expect(refreshed.name).toBe("Trainers")
        expect(yield* MockHttp.requests).toHaveLength(2)
      }).pipe(Effect.provide(withCache(http)))
    }))

  it.effect("a failed refresh keeps the old tree, logs at Debug, and is retried later", () => {
    const captured: Captured = { logs: [], spans: [] }
    return Effect.gen(function*() {
      const cache = yield* TaxonomyCache
      expect((yield* cache.category("Footwear")).uuid).toBe(footwear)
      yield* TestClock.adjust(ttl)
      expect((yield* cache.category("Footwear")).uuid).toBe(footwear)
      yield* eventually(Effect.sync(() => captured.logs), (logs) => logs.some((l) => l.includes("refresh failed")))
      const log = captured.logs.find((l) => l.includes("refresh failed"))
      expect(log).toContain("ServerError")
      // Still the old tree, without a new request for every call.
      expect((yield* cache.typeByUuid(sneakers)).name).toBe("Sneakers")
      expect((yield* cache.category("Bag")).uuid).toBe(bag)
      expect(yield* MockHttp.requests).toHaveLength(2)
      // A minute later the next lookup tries again, and that refresh succeeds.
      yield* TestClock.adjust(Duration.minutes(1))
      expect((yield* cache.typeByUuid(sneakers)).name).toBe("Sneakers")
      const refreshed = yield* eventually(cache.typeByUuid(sneakers), (t) => t.name === "Trainers")
      expect(refreshed.name).toBe("Trainers")
      expect(yield* MockHttp.requests).toHaveLength(3)
    }).pipe(
      capture(captured),
      Effect.provide(withCache(MockHttp.layer([
        MockHttp.json(200, treeBody()),
        serverError,
        MockHttp.json(200, treeBody("Trainers"))
      ])))
    )
  })

  it.effect("the brands of a type are refreshed the same way", () =>
    Effect.gen(function*() {
      let brandsAnswered = 0
      const http = MockHttp.layer((request) => {
        if (!new URL(request.url).pathname.endsWith("/brands")) return MockHttp.json(200, treeBody())
        brandsAnswered++
        return MockHttp.json(200, {
          ...brandsBody,
          data: [{ uuid: nike, name: brandsAnswered === 1 ? "Nike" : "Nike Inc" }]
        })
      })
      yield* Effect.gen(function*() {
        const cache = yield* TaxonomyCache
        yield* cache.brand(sneakers, "Nike")
        yield* TestClock.adjust(ttl)
        expect((yield* cache.brand(sneakers, "Nike")).name).toBe("Nike")
        const renamed = yield* eventually(Effect.either(cache.brand(sneakers, "nike inc")), Either.isRight)
        expect(Either.getOrThrow(renamed).uuid).toBe(nike)
        assertTag(yield* Effect.flip(cache.brand(sneakers, "Nike")), "NotFoundError")
        expect(brandsAnswered).toBe(2)
      }).pipe(Effect.provide(withCache(http)))
    }))

  it.effect("honours a custom time to live", () =>
    Effect.gen(function*() {
      const cache = yield* TaxonomyCache
      yield* cache.tree
      yield* TestClock.adjust(Duration.minutes(5))
      yield* cache.tree
      yield* eventually(MockHttp.requests, (rs) => rs.length === 2)
      expect(yield* MockHttp.requests).toHaveLength(2)
    }).pipe(
      Effect.provide(withCache(MockHttp.layer([MockHttp.json(200, treeBody())]), { timeToLive: "5 minutes" }))
    ))
})
