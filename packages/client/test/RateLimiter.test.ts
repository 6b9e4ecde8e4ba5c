import * as Limiter from "@effect/experimental/RateLimiter"
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
import { capture, type Captured } from "./support/Capture.js"
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

const clientLayer = (
  http: ReturnType<typeof MockHttp.layer>,
  limiter?: Layer.Layer<RateLimiter.RateLimiter>,
  options: Partial<LegitmarkClient.Options> = {}
) => {
  const client = LegitmarkClient.layer({
    apiKey: Redacted.make(apiKey),
    baseUrl: "https://api.legitmark.test",
    ...options
  })
    .pipe(Layer.provide(http))
  return Layer.merge(limiter === undefined ? client : Layer.provide(client, limiter), http)
}

interface ServerWindow {
  readonly start: number
  accepted: number
  rejected: number
}

/**
 * A server with Legitmark's fixed windows, as the simulator has them: `limit` requests per `windowMs`,
 * each window starting with the first request after the previous one ended, its reset sent in epoch
 * seconds rounded up. `foreign` requests of another consumer of the key are counted as each window opens.
 */
const fixedWindows = (limit: number, windowMs: number, foreign = 0) => {
  const windows: Array<ServerWindow> = []
  let count = 0
  const http = MockHttp.layer((request) => {
    let current = windows.at(-1)
    if (current === undefined || request.at >= current.start + windowMs) {
      current = { start: request.at, accepted: 0, rejected: 0 }
      windows.push(current)
      count = foreign
    }
    count++
    const resetAt = current.start + windowMs
    const headers = limits(limit, Math.max(0, limit - count), resetAt)
    if (count > limit) {
      current.rejected++
      return tooMany(Math.max(1, Math.ceil((resetAt - request.at) / 1000)), headers)
    }
    current.accepted++
    return ok(headers)
  })
  return { http, windows }
}

const sentAt = Effect.map(MockHttp.requests, (all) => all.map((r) => r.at - start))

/** Starts `n` calls at once, runs the clock `ms` forward, and waits for them all. */
const concurrently = (n: number, ms: number) =>
  Effect.gen(function*() {
    const client = yield* LegitmarkClient
    const fiber = yield* Effect.fork(
      Effect.forEach(Array.from({ length: n }), () => client.serviceRequests.get(srUuid), { concurrency: "unbounded" })
    )
    for (let t = 0; t < ms; t += 5_000) yield* TestClock.adjust(Duration.millis(Math.min(5_000, ms - t)))
    return yield* Fiber.join(fiber)
  })

/** One call alone (it teaches the limit), then `n - 1` at once for `ms` of the clock. */
const calls = (n: number, ms: number) =>
  Effect.gen(function*() {
    const client = yield* LegitmarkClient
    yield* client.serviceRequests.get(srUuid)
    yield* concurrently(n - 1, ms)
  })

describe("RateLimiter (the default: in memory, per client)", () => {
  it.effect("never throttles while the answers carry no rate-limit headers", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(start)
      yield* concurrently(30, 100)
      const times = yield* sentAt
      expect(times).toHaveLength(30)
      expect(new Set(times)).toEqual(new Set([0]))
    }).pipe(Effect.provide(clientLayer(MockHttp.layer([ok()])))))

  const server = fixedWindows(10, 10_000)
  it.effect("spends each window in full at once, then waits for its end instead of pacing", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(start)
      yield* calls(50, 60_000)
      const { windows } = server
      // 50 calls at 10 per window: five windows, each opened by its first request and spent at once.
      expect(windows.map((w) => w.accepted)).toEqual([10, 10, 10, 10, 10])
      expect(windows.every((w) => w.rejected <= 1)).toBe(true)
      const times = yield* sentAt
      expect(times.filter((t) => t === 0)).toHaveLength(10)
      // The fifth window cannot open before 40 s; it opens well within a second of that.
      expect(windows[4]!.start - start).toBeLessThan(41_000)
    }).pipe(Effect.provide(clientLayer(server.http))))

  const learning = fixedWindows(10, 10_000)
  it.effect("learns the window's length to well under a second, although the reset headers are in seconds", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(start + 300)
      yield* calls(120, 150_000)
      const { windows } = learning
      expect(windows.map((w) => w.accepted)).toEqual(Array(12).fill(10))
      // At most one 429 per window: a request sent to see whether a window was over.
      expect(windows.every((w) => w.rejected <= 1)).toBe(true)
      // Once learned, each window opens within 1% of its length after the previous one ended.
      const gaps = windows.slice(1).map((w, i) => w.start - (windows[i]!.start + 10_000))
      expect(gaps.every((gap) => gap >= 0)).toBe(true)
      expect(gaps.slice(-6).every((gap) => gap <= 100)).toBe(true)
    }).pipe(Effect.provide(clientLayer(learning.http))))

  const told = fixedWindows(10, 10_000)
  it.effect("with the window's length given, opens each window as soon as the previous one ends", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(start + 300)
      yield* calls(50, 60_000)
      const { windows } = told
      expect(windows.map((w) => w.accepted)).toEqual([10, 10, 10, 10, 10])
      expect(windows.every((w) => w.rejected === 0)).toBe(true)
      expect(windows.map((w) => w.start - start - 300)).toEqual([0, 10_000, 20_000, 30_000, 40_000])
    }).pipe(Effect.provide(clientLayer(told.http, RateLimiter.layer({ window: "10 seconds" })))))

  // Another consumer of the key (not sharing the store) spends 4 of each window's 10 first.
  const shared = fixedWindows(10, 10_000, 4)
  it.effect("counts what the server counted: requests the store did not see cause no burst of 429s", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(start)
      yield* calls(30, 80_000)
      const { windows } = shared
      expect(windows.map((w) => w.accepted)).toEqual([6, 6, 6, 6, 6])
      expect(windows.every((w) => w.rejected <= 1)).toBe(true)
    }).pipe(Effect.provide(clientLayer(shared.http))))

  it.effect("sends a window's first request alone: the others wait for its answer", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(start)
      const client = yield* LegitmarkClient
      yield* client.serviceRequests.get(srUuid)
      yield* concurrently(5, 10_000)
      // The window was spent: the first request after its end goes alone, the rest after its answer.
      expect(yield* sentAt).toEqual([0, 4_000, 4_200, 4_200, 4_200, 4_200])
    }).pipe(
      Effect.provide(clientLayer(MockHttp.layerEffect((_, n) =>
        n === 0 ?
          Effect.succeed(ok(limits(10, 0, start + 4_000))) :
          Effect.as(Effect.sleep("200 millis"), ok(limits(10, 9 - n, start + 14_000)))
      )))
    ))

  it.effect("a request that got no answer is no longer in flight (and is taken as counted)", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(start)
      const client = yield* LegitmarkClient
      yield* client.serviceRequests.get(srUuid)
      // 2 were left; this one times out, and may have been counted: 1 is left.
      const lost = yield* Effect.fork(
        Effect.either(client.serviceRequests.get(srUuid).pipe(Effect.provide(RetryPolicy.none)))
      )
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.join(lost)
      yield* concurrently(2, 10_000)
      // One goes at once; the other waits for the window's end.
      expect(yield* sentAt).toEqual([0, 0, 2_000, 5_000])
    }).pipe(
      Effect.provide(clientLayer(
        MockHttp.layer((_, n) =>
          n === 0 ?
            ok(limits(10, 2, start + 5_000)) :
            n === 1 ?
            { hang: true } :
            n === 2 ?
            ok(limits(10, 0, start + 5_000)) :
            ok(limits(10, 12 - n, start + 15_000))
        ),
        undefined,
        { timeout: "1 second" }
      ))
    ))

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
      // 2 are left: 2 of the 5 callers go, 3 wait; a 429 (someone else spent the window) holds them.
      yield* concurrently(5, 30_000)
      const times = yield* sentAt
      expect(times.slice(0, 3)).toEqual([0, 0, 0])
      expect(times.slice(3).every((t) => t >= 5_000)).toBe(true)
      expect(times).toHaveLength(7)
    }).pipe(
      Effect.provide(clientLayer(MockHttp.layer((_, n) =>
        n === 0 ?
          ok(limits(10, 2, start + 10_000)) :
          n === 1 ?
          tooMany(5, limits(10, 0, start + 10_000)) :
          n === 2 ?
          ok(limits(10, 0, start + 10_000)) :
          ok(limits(10, 12 - n, start + 15_000))
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

describe("RateLimiter: the permit of each request", () => {
  it.effect("is taken per attempt, handed back to the next attempt of the same call, and told its answer once", () => {
    const seen: Array<{ readonly previous: RateLimiter.Permit | undefined; readonly permit: RateLimiter.Permit }> = []
    const answers: Array<readonly [RateLimiter.Permit, number]> = []
    const recording = Layer.succeed(
      RateLimiter.RateLimiter,
      RateLimiter.RateLimiter.of({
        acquire: (_key, previous) =>
          Effect.sync(() => {
            const permit: RateLimiter.Permit = {
              observe: (answer) => Effect.sync(() => void answers.push([permit, answer.status]))
            }
            seen.push({ previous, permit })
            return permit
          })
      })
    )
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork((yield* LegitmarkClient).serviceRequests.get(srUuid))
      yield* TestClock.adjust("1 minute")
      yield* Fiber.join(fiber)
      expect(seen).toHaveLength(2)
      expect(seen[0]?.previous).toBeUndefined()
      expect(seen[1]?.previous).toBe(seen[0]?.permit)
      // The first got no answer (a connection reset), the second a 200.
      expect(answers).toEqual([[seen[0]?.permit, 0], [seen[1]?.permit, 200]])
      // Another call starts afresh.
      yield* (yield* LegitmarkClient).serviceRequests.get(srUuid)
      expect(seen[2]?.previous).toBeUndefined()
    }).pipe(Effect.provide(clientLayer(MockHttp.layer([{ reset: true }, ok()]), recording)))
  })
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

  // Two limiters on one store, as two processes sharing Redis.
  const fleet = fixedWindows(10, 10_000)
  it.scoped("limiters sharing a store count one budget per window: the server's", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(start + 300)
      const store = yield* Layer.build(Limiter.layerStoreMemory)
      const options = { apiKey: Redacted.make(apiKey), baseUrl: "https://api.legitmark.test" }
      const client = Effect.flatMap(
        Effect.provide(RateLimiter.make(), store),
        (limiter) => Effect.provideService(LegitmarkClient.make(options), RateLimiter.RateLimiter, limiter)
      )
      const clients = [yield* client, yield* client]
      const fiber = yield* Effect.fork(Effect.forEach(
        clients,
        (c) =>
          Effect.zipRight(
            c.serviceRequests.get(srUuid),
            Effect.forEach(Array.from({ length: 24 }), () => c.serviceRequests.get(srUuid), { concurrency: 4 })
          ),
        { concurrency: "unbounded" }
      ))
      for (let t = 0; t < 60_000; t += 5_000) yield* TestClock.adjust("5 seconds")
      yield* Fiber.join(fiber)
      const { windows } = fleet
      expect(windows.map((w) => w.accepted)).toEqual([10, 10, 10, 10, 10])
      // A 429 per window at most, on average: the one limiter that did not open a window knows it only
      // from its own answers, and its first request may come after the other has spent the window.
      expect(windows.reduce((n, w) => n + w.rejected, 0)).toBeLessThanOrEqual(windows.length)
    }).pipe(Effect.provide(fleet.http)))

  it.effect("takes the permits of a large limit from the store a hundredth of it at a time", () => {
    let storeCalls = 0
    const counting = Layer.effect(
      Limiter.RateLimiterStore,
      Effect.map(Limiter.RateLimiterStore, (inner) =>
        Limiter.RateLimiterStore.of({
          ...inner,
          fixedWindow: (o) => Effect.suspend(() => (storeCalls++, inner.fixedWindow(o)))
        }))
    ).pipe(Layer.provide(Limiter.layerStoreMemory))
    return Effect.gen(function*() {
      yield* TestClock.setTime(start)
      yield* calls(200, 1_000)
      expect(yield* MockHttp.requests).toHaveLength(200)
      // The first request's (it was not counted), then one lease.
      expect(storeCalls).toBeLessThanOrEqual(2)
    }).pipe(
      Effect.provide(
        clientLayer(
          MockHttp.layer([ok(limits(1e9, 1e9 - 1, start + 3_600_000))]),
          RateLimiter.layerStore().pipe(Layer.provide(counting))
        )
      )
    )
  })

  it.effect("keys budgets by a hash of the API key, never the key", () =>
    Effect.gen(function*() {
      const id = yield* RateLimiter.keyId(Redacted.make(apiKey))
      expect(id).toMatch(/^[0-9a-f]{16}$/)
      expect(apiKey.includes(id)).toBe(false)
      expect(yield* RateLimiter.keyId(Redacted.make(`${apiKey}x`))).not.toBe(id)
    }))
})

describe("RateLimiter on a shared store that fails", () => {
  /** A store that answers, fails at once, or never answers, as the test says; and the calls it got. */
  const switchable = () => {
    const store = { mode: "up" as "up" | "down" | "hung", calls: 0 }
    const layer = Layer.effect(
      Limiter.RateLimiterStore,
      Effect.map(Limiter.RateLimiterStore, (inner) =>
        Limiter.RateLimiterStore.of({
          ...inner,
          fixedWindow: (o) =>
            Effect.suspend(() => {
              store.calls++
              if (store.mode === "up") return inner.fixedWindow(o)
              if (store.mode === "hung") return Effect.never
              return Effect.fail(new Limiter.RateLimitStoreError({ message: "connect ECONNREFUSED" }))
            })
        }))
    ).pipe(Layer.provide(Limiter.layerStoreMemory))
    return { store, layer }
  }
  // 10 per window: every request but the window's first takes its permit from the store.
  const server = MockHttp.layer((_, n) => ok(limits(10, Math.max(0, 9 - n), start + 600_000)))
  const warnings = (logs: ReadonlyArray<string>) => logs.filter((line) => line.includes("rate-limit store failed"))
  const recoveries = (logs: ReadonlyArray<string>) => logs.filter((line) => line.includes("store answers again"))

  const hung = switchable()
  const hungLogs: Captured = { logs: [], spans: [] }
  it.effect("a store that does not answer costs a call storeTimeout, then it is counted in memory", () =>
    Effect.gen(function*() {
      hung.store.mode = "hung"
      yield* TestClock.setTime(start)
      const client = yield* LegitmarkClient
      // The first answer teaches the limit, and its request is counted in the store: it waits for it.
      const first = yield* Effect.fork(client.serviceRequests.get(srUuid))
      yield* TestClock.adjust("199 millis")
      expect(first.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(first)
      // The outage is known: the next calls count in memory without waiting (on a TestClock, a wait would hang).
      yield* client.serviceRequests.get(srUuid)
      yield* client.serviceRequests.get(srUuid)
      expect(yield* MockHttp.requests).toHaveLength(3)
      expect(hung.store.calls).toBe(1)
      expect(warnings(hungLogs.logs)).toHaveLength(1)
      expect(warnings(hungLogs.logs)[0]).toContain("no answer within 200ms")
    }).pipe(
      capture(hungLogs),
      Effect.provide(
        clientLayer(server, RateLimiter.layerStore({ storeTimeout: "200 millis" }).pipe(Layer.provide(hung.layer)))
      )
    ))

  const flaky = switchable()
  const flakyLogs: Captured = { logs: [], spans: [] }
  it.effect("warns once per outage, tries the store again each second, and counts in it again once it answers", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(start)
      const client = yield* LegitmarkClient
      flaky.store.mode = "down"
      for (let i = 0; i < 4; i++) yield* client.serviceRequests.get(srUuid)
      // Tried once; the others counted in memory.
      expect(flaky.store.calls).toBe(1)
      yield* TestClock.adjust("1 second")
      yield* client.serviceRequests.get(srUuid)
      expect(flaky.store.calls).toBe(2)
      expect(warnings(flakyLogs.logs)).toHaveLength(1)

      flaky.store.mode = "up"
      yield* TestClock.adjust("1 second")
      yield* client.serviceRequests.get(srUuid)
      yield* client.serviceRequests.get(srUuid)
      // Back: every permit from the store again.
      expect(flaky.store.calls).toBe(4)
      expect(recoveries(flakyLogs.logs)).toHaveLength(1)

      // Another outage, another warning.
      flaky.store.mode = "down"
      yield* client.serviceRequests.get(srUuid)
      expect(warnings(flakyLogs.logs)).toHaveLength(2)
      expect(yield* MockHttp.requests).toHaveLength(8)
    }).pipe(
      capture(flakyLogs),
      Effect.provide(clientLayer(server, RateLimiter.layerStore().pipe(Layer.provide(flaky.layer))))
    ))
})
