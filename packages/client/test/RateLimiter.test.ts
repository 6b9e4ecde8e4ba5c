import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { LegitmarkClient } from "../src/LegitmarkClient.js"
import * as RateLimiter from "../src/RateLimiter.js"
import * as RetryPolicy from "../src/RetryPolicy.js"
import * as Fixtures from "./support/fixtures.js"
import * as MockHttp from "./support/MockHttp.js"

const srUuid = "8e61c991-553a-4a58-9eb6-561b64c11908"
const apiKey = "leo_rate_limit_secret_key"
const start = 1_700_000_000_000

/** The documented headers: `limit` per window, `remaining` left, the window resetting at `resetAt` (epoch ms). */
const limits = (limit: number, remaining: number, resetAt: number): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const level of ["Partner", "User"]) {
    out[`X-RateLimit-Limit-${level}`] = String(limit)
    out[`X-RateLimit-Remaining-${level}`] = String(remaining)
    out[`X-RateLimit-Reset-${level}`] = String(Math.ceil(resetAt / 1000))
  }
  return out
}

const ok = (headers: Record<string, string> = {}) => MockHttp.json(200, Fixtures.getResponse, headers)
const tooMany = (retryAfter: number, headers: Record<string, string>) =>
  MockHttp.json(429, Fixtures.rateLimitBody, { ...headers, "Retry-After": String(retryAfter) })

const clientLayer = (http: ReturnType<typeof MockHttp.layer>, limiter?: Layer.Layer<RateLimiter.RateLimiter>) => {
  const client = LegitmarkClient.layer({ apiKey: Redacted.make(apiKey), baseUrl: "https://api.legitmark.test" })
    .pipe(Layer.provide(http))
  return Layer.merge(limiter === undefined ? client : Layer.provide(client, limiter), http)
}

const sentAt = Effect.map(MockHttp.requests, (all) => all.map((r) => r.at - start))

/** Starts `n` calls at once, runs the clock `ms` forward, and waits for them all. */
const concurrently = (n: number, ms: number) =>
  Effect.gen(function*() {
    const client = yield* LegitmarkClient
    const fiber = yield* Effect.fork(
      Effect.forEach(Array.from({ length: n }), () => client.serviceRequests.get(srUuid), { concurrency: "unbounded" })
    )
    for (let t = 0; t < ms; t += 500) yield* TestClock.adjust(Duration.millis(500))
    return yield* Fiber.join(fiber)
  })

/** The most requests sent within any `windowMs`. */
const busiest = (times: ReadonlyArray<number>, windowMs: number) =>
  Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + windowMs).length))

describe("RateLimiter (the default: in memory, per client)", () => {
  it.effect("never throttles while the answers carry no rate-limit headers", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(start)
      yield* concurrently(30, 100)
      const times = yield* sentAt
      expect(times).toHaveLength(30)
      expect(new Set(times)).toEqual(new Set([0]))
    }).pipe(Effect.provide(clientLayer(MockHttp.layer([ok()])))))

  it.effect("learns the limit from the headers and paces under it", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(start)
      const client = yield* LegitmarkClient
      // The first answer teaches 10 per 10 s window.
      yield* client.serviceRequests.get(srUuid)
      yield* concurrently(20, 40_000)
      const times = yield* sentAt
      expect(times).toHaveLength(21)
      // 90% of the limit at most in any window.
      expect(busiest(times, 10_000)).toBeLessThanOrEqual(9)
      // Paced, not serialized behind a whole window.
      expect(times.at(-1)!).toBeLessThan(30_000)
    }).pipe(Effect.provide(clientLayer(MockHttp.layer((_, n) => ok(limits(10, 9 - (n % 10), start + 10_000)))))))

  // The server walls every request of the next 5 s; one caller meets the wall, then 8 more start.
  const wall = MockHttp.layer((request) =>
    request.at - start < 5_000 ? tooMany(5, limits(100, 0, start + 5_000)) : ok(limits(100, 50, start + 60_000))
  )
  const afterTheWall = Effect.gen(function*() {
    yield* TestClock.setTime(start)
    const client = yield* LegitmarkClient
    yield* Effect.either(client.serviceRequests.get(srUuid).pipe(Effect.provide(RetryPolicy.none)))
    yield* concurrently(8, 30_000)
    return (yield* MockHttp.requests).filter((r) => r.at - start < 5_000).length
  })

  it.effect("on a 429, holds every caller until Retry-After: the server sees one 429, not one per fiber", () =>
    Effect.gen(function*() {
      expect(yield* afterTheWall).toBe(1)
      // The 8, all after the hold.
      expect(yield* MockHttp.requests).toHaveLength(9)
    }).pipe(Effect.provide(clientLayer(wall))))

  it.effect("without a limiter (RateLimiter.none), each fiber finds the wall on its own", () =>
    Effect.gen(function*() {
      expect(yield* afterTheWall).toBe(9)
    }).pipe(Effect.provide(clientLayer(wall, RateLimiter.none))))

  it.effect("holds every caller when an answer reports no request left, until the reset", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(start)
      const client = yield* LegitmarkClient
      yield* client.serviceRequests.get(srUuid)
      yield* concurrently(3, 10_000)
      expect(yield* sentAt).toEqual([0, 4_000, 4_000, 4_000])
    }).pipe(
      Effect.provide(clientLayer(MockHttp.layer((_, n) =>
        ok(n === 0 ? limits(100, 0, start + 4_000) : limits(100, 99, start + 64_000))
      )))
    ))

  it.effect("holds callers that were already waiting for a permit when the 429 came", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(start)
      const client = yield* LegitmarkClient
      yield* client.serviceRequests.get(srUuid)
      // 10 per 10 s: one permit every 1.25 s, so the 5 callers queue behind each other.
      yield* concurrently(5, 30_000)
      const all = yield* MockHttp.requests
      const times = all.map((r) => r.at - start)
      expect(times[1]).toBe(0)
      expect(times.slice(2).every((t) => t >= 5_000)).toBe(true)
      expect(all).toHaveLength(7)
    }).pipe(
      Effect.provide(clientLayer(MockHttp.layer((_, n) =>
        n === 1 ? tooMany(5, limits(10, 0, start + 5_000)) : ok(limits(10, 5, start + 10_000))
      )))
    ))

  it.effect("does not hold calls that do not spend the key's budget (the public lookup)", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(start)
      const client = yield* LegitmarkClient
      // Not retried, so that the hold is seen by the next call.
      yield* Effect.either(client.serviceRequests.get(srUuid).pipe(Effect.provide(RetryPolicy.none)))
      yield* client.serviceRequests.find(srUuid)
      const times = yield* sentAt
      expect(times).toEqual([0, 0])
    }).pipe(
      Effect.provide(
        clientLayer(MockHttp.layer((_, n) => n === 0 ? tooMany(30, limits(100, 0, start + 30_000)) : ok()))
      )
    ))
})

describe("RateLimiter.layer (shared)", () => {
  const oneWall = MockHttp.layer((_, n) => n === 0 ? tooMany(5, limits(100, 0, start + 5_000)) : ok())
  const twoClients = Effect.gen(function*() {
    yield* TestClock.setTime(start)
    const options = { apiKey: Redacted.make(apiKey), baseUrl: "https://api.legitmark.test" }
    const a = yield* LegitmarkClient.make(options)
    const b = yield* LegitmarkClient.make(options)
    yield* Effect.either(a.serviceRequests.get(srUuid))
    const fiber = yield* Effect.fork(b.serviceRequests.get(srUuid))
    yield* TestClock.adjust(Duration.seconds(6))
    yield* Fiber.join(fiber)
    return yield* sentAt
  })

  it.effect("shares one budget and one hold among the clients it is provided to", () =>
    Effect.gen(function*() {
      expect(yield* twoClients).toEqual([0, 5_000])
    }).pipe(Effect.provide(Layer.mergeAll(oneWall, RateLimiter.layer(), RetryPolicy.none))))

  it.effect("by default, each client keeps its own budget", () =>
    Effect.gen(function*() {
      expect(yield* twoClients).toEqual([0, 0])
    }).pipe(Effect.provide(Layer.mergeAll(oneWall, RetryPolicy.none))))

  it.effect("keys budgets by a hash of the API key, never the key", () =>
    Effect.gen(function*() {
      const id = yield* RateLimiter.keyId(Redacted.make(apiKey))
      expect(id).toMatch(/^[0-9a-f]{16}$/)
      expect(apiKey.includes(id)).toBe(false)
      expect(yield* RateLimiter.keyId(Redacted.make(`${apiKey}x`))).not.toBe(id)
    }))
})
