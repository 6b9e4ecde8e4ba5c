import { assert, describe, expect, it } from "@effect/vitest"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import { LegitmarkClient } from "../src/LegitmarkClient.js"
import * as RetryPolicy from "../src/RetryPolicy.js"
import { assertTag } from "./support/assertTag.js"
import { capture, type Captured } from "./support/Capture.js"
import * as Fixtures from "./support/fixtures.js"
import * as MockHttp from "./support/MockHttp.js"

const srUuid = "8e61c991-553a-4a58-9eb6-561b64c11908"
const createBody = {
  reference_id: "ITEM-1",
  item: { category: "cc30b104-7c47-11ef-a623-02595575faeb", type: "95e42d6b-7c4f-11ef-a623-02595575faeb" }
}
const ok = MockHttp.json(200, Fixtures.getResponse)
const created = MockHttp.json(200, Fixtures.createResponse)
const serverError = MockHttp.json(500, { success: false, error: { code: 500, message: "boom" } })
const rateLimited = (retryAfter?: string) => MockHttp.json(429, {}, retryAfter ? { "retry-after": retryAfter } : {})

const withMock = (
  script: Parameters<typeof MockHttp.layer>[0],
  policy?: Layer.Layer<RetryPolicy.RetryPolicy>,
  options: Partial<LegitmarkClient.Options> = {}
) => {
  const http = MockHttp.layer(script)
  const client = LegitmarkClient.layer({
    apiKey: Redacted.make("leo_k"),
    baseUrl: "https://api.legitmark.test",
    ...options
  })
    .pipe(Layer.provide(http))
  return Layer.merge(policy ? Layer.provide(client, policy) : client, http)
}

const attempts = Effect.map(MockHttp.requests, (all) => all.length)

/** Moves the clock by `ms` and lets every woken fiber run. */
const advance = (ms: number) => TestClock.adjust(Duration.millis(ms))

describe("the default policy", () => {
  it.effect("retries a GET on 5xx with jittered exponential backoff", () =>
    Effect.gen(function*() {
      const client = yield* LegitmarkClient
      const fiber = yield* Effect.fork(client.serviceRequests.get(srUuid))
      yield* advance(10_000)
      const sr = yield* Fiber.join(fiber)
      expect(sr.uuid).toBe(srUuid)
      const [first, second, third, ...rest] = (yield* MockHttp.requests).map((r) => r.at)
      expect(rest).toHaveLength(0)
      // 250 ms then 500 ms, each spread by ±20%.
      expect(second! - first!).toBeGreaterThanOrEqual(200)
      expect(second! - first!).toBeLessThanOrEqual(300)
      expect(third! - second!).toBeGreaterThanOrEqual(400)
      expect(third! - second!).toBeLessThanOrEqual(600)
    }).pipe(Effect.provide(withMock([serverError, serverError, ok]))))

  it.effect("spreads the delays so that a fleet does not retry in lockstep", () =>
    Effect.gen(function*() {
      const client = yield* LegitmarkClient
      for (let i = 0; i < 10; i++) {
        const fiber = yield* Effect.fork(client.serviceRequests.get(srUuid))
        yield* advance(1_000)
        yield* Fiber.join(fiber)
      }
      const at = (yield* MockHttp.requests).map((r) => r.at)
      const delays = new Set(at.flatMap((t, i) => (i % 2 === 1 ? [t - at[i - 1]!] : [])))
      expect(delays.size).toBeGreaterThan(1)
    }).pipe(Effect.provide(withMock((_, n) => (n % 2 === 0 ? serverError : ok)))))

  it.effect("gives up after 3 retries with the last error", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.flip((yield* LegitmarkClient).serviceRequests.get(srUuid)))
      yield* advance(60_000)
      const error = yield* Fiber.join(fiber)
      assertTag(error, "ServerError")
      expect(yield* attempts).toBe(4)
    }).pipe(Effect.provide(withMock([serverError]))))

  it.effect("waits for Retry-After when the server asks for longer than the backoff", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork((yield* LegitmarkClient).serviceRequests.get(srUuid))
      yield* advance(4_999)
      expect(yield* attempts).toBe(1)
      yield* advance(1)
      expect(yield* attempts).toBe(2)
      yield* Fiber.join(fiber)
    }).pipe(Effect.provide(withMock([rateLimited("5"), ok]))))

  it.effect("honours Retry-After on a 503 too", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork((yield* LegitmarkClient).serviceRequests.get(srUuid))
      yield* advance(1_999)
      expect(yield* attempts).toBe(1)
      yield* advance(1)
      expect(yield* attempts).toBe(2)
      yield* Fiber.join(fiber)
    }).pipe(Effect.provide(withMock([MockHttp.json(503, "<html/>", { "retry-after": "2" }), ok]))))

  it.effect("fails at once when Retry-After is beyond the cap", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* LegitmarkClient).serviceRequests.get(srUuid))
      assertTag(error, "RateLimitError")
      expect(yield* attempts).toBe(1)
    }).pipe(Effect.provide(withMock([rateLimited("3600"), ok]))))

  it.effect("never retries what cannot succeed (404)", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* LegitmarkClient).serviceRequests.get(srUuid))
      assertTag(error, "NotFoundError")
      expect(yield* attempts).toBe(1)
    }).pipe(Effect.provide(withMock([MockHttp.json(404, {}), ok]))))
})

describe("create and submit are never blindly re-sent", () => {
  const notFound = MockHttp.json(404, { success: false, error: { code: 404, message: "Not found" } })
  const calls = Effect.map(MockHttp.requests, (all) => all.map((r) => `${r.method} ${new URL(r.url).pathname}`))
  const create = "POST /api/v2/sr"
  const find = "GET /api/sr/find/ITEM-1"
  const draft = MockHttp.json(200, Fixtures.createResponse)

  const run = <A, E>(self: Effect.Effect<A, E>) =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.either(self))
      yield* advance(60_000)
      return yield* Fiber.join(fiber)
    })

  it.effect.each(
    [
      ["a 500", serverError],
      ["a reset connection", { reset: true } as const],
      ["a 502", MockHttp.json(502, "<html>Bad Gateway</html>")]
    ] as const
  )(
    "after %s, finding the SR under its reference id means it was created: nothing is re-sent",
    ([, answer]) =>
      Effect.gen(function*() {
        const result = yield* run((yield* LegitmarkClient).serviceRequests.create(createBody))
        expect(result._tag).toBe("Right")
        // Found by the public lookup, then read with this key to be sure it is this partner's.
        expect(yield* calls).toEqual([create, find, "GET /api/v2/sr/a1b2c3d4-e5f6-7890-abcd-ef1234567890"])
      }).pipe(Effect.provide(withMock([answer, created])))
  )

  it.effect("after a 500, a 404 from the lookup proves nothing while the create may land: InDoubtError, never re-sent", () =>
    Effect.gen(function*() {
      const result = yield* run((yield* LegitmarkClient).serviceRequests.create(createBody))
      assert(result._tag === "Left" && result.left._tag === "InDoubtError")
      // The default policy's 3 retries, each a lookup, all within the default window (30 s + 30 s).
      expect(yield* calls).toEqual([create, find, find, find])
      const error = result.left
      expect(error.referenceId).toBe("ITEM-1")
      expect(error.attempts).toBe(1)
      expect(error.lastFailure?._tag).toBe("ServerError")
      expect(DateTime.toEpochMillis(error.since)).toBe(0)
      expect(DateTime.toEpochMillis(error.resendAfter)).toBe(60_000)
    }).pipe(Effect.provide(withMock((_, n) => (n === 0 ? serverError : notFound)))))

  it.effect("once the lookup has said 404 for longer than the in-doubt window, it is re-sent once", () =>
    Effect.gen(function*() {
      const result = yield* run((yield* LegitmarkClient).serviceRequests.create(createBody))
      expect(result._tag).toBe("Right")
      const at = (yield* MockHttp.requests).map((r) => [`${r.method} ${new URL(r.url).pathname}`, r.at])
      // Lookups at 400 and 800 ms prove nothing; the one at 1,200 ms is past the 1 s window.
      expect(at).toEqual([[create, 0], [find, 400], [find, 800], [find, 1200], [create, 1200]])
    }).pipe(
      Effect.provide(
        withMock(
          [serverError, notFound, notFound, notFound, created],
          RetryPolicy.fromSchedule(Schedule.spaced("400 millis").pipe(Schedule.intersect(Schedule.recurs(5)))),
          { inDoubtWindow: "1 second" }
        )
      )
    ))

  it.effect("a create in doubt is remembered: the client's next create for that reference id sends no POST until the window is over", () =>
    Effect.gen(function*() {
      const client = yield* LegitmarkClient
      const once = RetryPolicy.none
      const first = yield* Effect.either(client.serviceRequests.create(createBody).pipe(Effect.provide(once)))
      assert(first._tag === "Left" && first.left._tag === "InDoubtError")
      expect(yield* calls).toEqual([create])
      // Called again while the first may still land: the lookup only.
      yield* advance(5_000)
      const second = yield* Effect.either(client.serviceRequests.create(createBody).pipe(Effect.provide(once)))
      assert(second._tag === "Left" && second.left._tag === "InDoubtError")
      expect(second.left.attempts).toBe(1)
      expect(yield* calls).toEqual([create, find])
      // Another reference id is not held back.
      const other = yield* Effect.either(
        client.serviceRequests.create({ ...createBody, reference_id: "ITEM-2" }).pipe(Effect.provide(once))
      )
      expect(other._tag).toBe("Right")
      // Past the window, a 404 proves that the first create will not land: one POST.
      yield* advance(60_000)
      const third = yield* Effect.either(client.serviceRequests.create(createBody).pipe(Effect.provide(once)))
      expect(third._tag).toBe("Right")
      expect(yield* calls).toEqual([create, find, create, find, create])
    }).pipe(
      Effect.provide(
        withMock((request, n) => n === 0 ? serverError : request.url.includes("/find/") ? notFound : created)
      )
    ))

  it.effect("the memory of creates in doubt is bounded (maxInDoubt): the least recently sent is forgotten first", () => {
    const kept = 3
    const item = (i: number) => ({ ...createBody, reference_id: `ITEM-${i}` })
    const lookup = (i: number) => `GET /api/sr/find/ITEM-${i}`
    const unavailable = MockHttp.json(503, { success: false, error: { code: 503, message: "unavailable" } })
    // Every create fails without proof (a 503) until the memory is past its bound; later ones succeed.
    const failing = kept + 3
    return Effect.gen(function*() {
      const client = yield* LegitmarkClient
      const once = (i: number) =>
        Effect.either(client.serviceRequests.create(item(i)).pipe(Effect.provide(RetryPolicy.none)))
      const sentFor = (i: number) =>
        Effect.gen(function*() {
          const before = (yield* MockHttp.requests).length
          const result = yield* once(i)
          return { result, sent: (yield* calls).slice(before) }
        })
      for (let i = 0; i < kept; i++) {
        const result = yield* once(i)
        assert(result._tag === "Left" && result.left._tag === "InDoubtError")
      }
      // Past the window, ITEM-0's lookup proves nothing landed: it is sent again, and is the latest sent.
      yield* advance(61_000)
      const resent = yield* sentFor(0)
      expect(resent.sent).toEqual([lookup(0), create])
      assert(resent.result._tag === "Left" && resent.result.left._tag === "InDoubtError")
      // One more in doubt: the least recently sent (ITEM-1) is forgotten, as after a restart.
      const newest = yield* once(kept)
      assert(newest._tag === "Left" && newest.left._tag === "InDoubtError")
      expect(yield* attempts).toBe(failing)
      // ITEM-2 is still remembered (the bound is 3, not less): its lookup is asked first.
      expect((yield* sentFor(2)).sent).toEqual([lookup(2), create])
      // The latest ones, still within their window: the lookup, and an InDoubtError.
      for (const i of [kept, 0]) {
        const again = yield* sentFor(i)
        expect(again.sent).toEqual([lookup(i)])
        assert(again.result._tag === "Left" && again.result.left._tag === "InDoubtError")
      }
      // ITEM-1 was forgotten: its create is sent straight away.
      const forgotten = yield* sentFor(1)
      expect(forgotten.sent).toEqual([create])
      expect(forgotten.result._tag).toBe("Right")
    }).pipe(
      Effect.provide(
        withMock(
          (request, n) => request.method === "POST" ? (n < failing ? unavailable : created) : notFound,
          undefined,
          { maxInDoubt: kept }
        )
      )
    )
  })

  it.effect("a create interrupted in flight may still land: the next create for its reference id asks first", () =>
    Effect.gen(function*() {
      const client = yield* LegitmarkClient
      const fiber = yield* Effect.fork(client.serviceRequests.create(createBody))
      yield* advance(1_000)
      yield* Fiber.interrupt(fiber)
      const again = yield* Effect.either(
        client.serviceRequests.create(createBody).pipe(Effect.provide(RetryPolicy.none))
      )
      assert(again._tag === "Left" && again.left._tag === "InDoubtError")
      expect(again.left.lastFailure).toBeUndefined()
      expect(yield* calls).toEqual([create, find])
    }).pipe(Effect.provide(withMock((_, n) => (n === 0 ? { hang: true } : notFound)))))

  it.effect.each(
    [
      ["a reset connection", { reset: true } as const],
      ["a timeout", { hang: true } as const]
    ] as const
  )(
    "after %s, finding nothing proves nothing: it keeps checking and is never re-sent",
    ([label, answer]) =>
      Effect.gen(function*() {
        const result = yield* run((yield* LegitmarkClient).serviceRequests.create(createBody))
        expect(result._tag).toBe("Left")
        const all = yield* calls
        expect(all.filter((c) => c === create)).toHaveLength(1)
        // 3 retries of the check, on the policy's schedule, in case the server acts late.
        expect(all.filter((c) => c === find)).toHaveLength(3)
        expect(label).toBeDefined()
      }).pipe(Effect.provide(withMock((_, n) => (n === 0 ? answer : notFound))))
  )

  it.effect("a 2xx whose body cannot be read means the server acted: the check recovers the SR", () =>
    Effect.gen(function*() {
      const result = yield* run((yield* LegitmarkClient).serviceRequests.create(createBody))
      expect(result._tag).toBe("Right")
      expect(yield* calls).toEqual([create, find, "GET /api/v2/sr/a1b2c3d4-e5f6-7890-abcd-ef1234567890"])
    }).pipe(Effect.provide(withMock([{ status: 200, body: "{\"sr\": {\"uuid\"" }, created]))))

  it.effect("an SR under the reference id that this key cannot read proves nothing: nothing is re-sent", () =>
    Effect.gen(function*() {
      const result = yield* run((yield* LegitmarkClient).serviceRequests.create(createBody))
      expect(result._tag).toBe("Left")
      expect((yield* calls).filter((c) => c === create)).toHaveLength(1)
    }).pipe(
      Effect.provide(
        withMock((request, n) => n === 0 ? serverError : request.url.includes("/find/") ? created : notFound)
      )
    ))

  it.effect("when it cannot be told whether the server acted, it keeps asking and never re-sends", () =>
    Effect.gen(function*() {
      const result = yield* run((yield* LegitmarkClient).serviceRequests.create(createBody))
      expect(result._tag).toBe("Left")
      const all = yield* calls
      expect(all.filter((c) => c === create)).toHaveLength(1)
      expect(all.filter((c) => c === find).length).toBeGreaterThan(1)
    }).pipe(Effect.provide(withMock((request, n) => (n === 0 || request.method === "GET" ? serverError : created)))))

  it.effect.each(
    [
      ["a 429", rateLimited("1")],
      ["a refused connection", { refused: true } as const]
    ] as const
  )("after %s (proof the server did not act) it is re-sent at once", ([, answer]) =>
    Effect.gen(function*() {
      const result = yield* run((yield* LegitmarkClient).serviceRequests.create(createBody))
      expect(result._tag).toBe("Right")
      expect(yield* calls).toEqual([create, create])
    }).pipe(Effect.provide(withMock([answer, created]))))

  it.effect("a submit whose SR has left DRAFT went through: it is not re-sent", () =>
    Effect.gen(function*() {
      const result = yield* run((yield* LegitmarkClient).serviceRequests.submit(srUuid))
      expect(result._tag).toBe("Right")
      expect(yield* calls).toEqual([`POST /api/v2/sr/${srUuid}/submit`, `GET /api/v2/sr/${srUuid}`])
    }).pipe(Effect.provide(withMock([serverError, ok]))))

  it.effect("a submit whose SR is still a DRAFT did not go through: it is re-sent", () =>
    Effect.gen(function*() {
      const result = yield* run((yield* LegitmarkClient).serviceRequests.submit(srUuid))
      expect(result._tag).toBe("Right")
      expect(yield* calls).toEqual([
        `POST /api/v2/sr/${srUuid}/submit`,
        `GET /api/v2/sr/${srUuid}`,
        `POST /api/v2/sr/${srUuid}/submit`
      ])
    }).pipe(Effect.provide(withMock([serverError, draft, MockHttp.json(200, Fixtures.submitResponse)]))))
})

describe("policies as Layers", () => {
  it.effect("none: a single attempt", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* LegitmarkClient).serviceRequests.get(srUuid))
      assertTag(error, "ServerError")
      expect(yield* attempts).toBe(1)
    }).pipe(Effect.provide(withMock([serverError, ok], RetryPolicy.none))))

  it.effect("layer(options): exact delays without jitter, capped", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.flip((yield* LegitmarkClient).serviceRequests.get(srUuid)))
      const seen: Array<number> = []
      for (const step of [0, 100, 200, 300, 300, 300]) {
        yield* advance(step)
        seen.push(yield* attempts)
      }
      // 100 ms, 200 ms, then capped at 300 ms; 4 retries in all.
      expect(seen).toEqual([1, 2, 3, 4, 5, 5])
      assert.strictEqual((yield* Fiber.join(fiber))._tag, "ServerError")
    }).pipe(Effect.provide(withMock(
      [serverError],
      RetryPolicy.layer({ retries: 4, base: "100 millis", maxDelay: "300 millis", jitter: false })
    ))))

  it.effect("fromSchedule: any Schedule, composed with Effect's combinators", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork((yield* LegitmarkClient).serviceRequests.get(srUuid))
      yield* advance(999)
      expect(yield* attempts).toBe(1)
      yield* advance(1)
      expect(yield* attempts).toBe(2)
      yield* advance(1_000)
      expect(yield* attempts).toBe(3)
      yield* Fiber.join(fiber)
    }).pipe(Effect.provide(withMock(
      [serverError, serverError, ok],
      RetryPolicy.fromSchedule(Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(5))))
    ))))

  it.effect("fromSchedule: a schedule can stop on the error it sees", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* LegitmarkClient).serviceRequests.get(srUuid))
      assertTag(error, "ServerError")
      expect(yield* attempts).toBe(1)
    }).pipe(Effect.provide(withMock(
      [serverError, ok],
      RetryPolicy.fromSchedule(
        RetryPolicy.defaultPolicy.schedule.pipe(Schedule.whileInput((e) => e._tag !== "ServerError"))
      )
    ))))

  it.effect("a policy provided to one call overrides the client's", () =>
    Effect.gen(function*() {
      const client = yield* LegitmarkClient
      const error = yield* Effect.flip(client.serviceRequests.get(srUuid).pipe(Effect.provide(RetryPolicy.none)))
      assertTag(error, "ServerError")
      expect(yield* attempts).toBe(1)
    }).pipe(Effect.provide(withMock([serverError, ok]))))

  it.effect("maxRetryAfter lowers the cap", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* LegitmarkClient).serviceRequests.get(srUuid))
      assertTag(error, "RateLimitError")
      expect(yield* attempts).toBe(1)
    }).pipe(Effect.provide(withMock([rateLimited("10"), ok], RetryPolicy.layer({ maxRetryAfter: "5 seconds" })))))
})

describe("a delay the server names only in its message", () => {
  // The official SDK's fixture: a 429 with no Retry-After, no rate-limit headers, no details.
  const inMessage = MockHttp.json(429, {
    success: false,
    error: { code: 429, timestamp: "2026-02-06T04:48:00.000Z", message: "Rate limit exceeded. Retry after 60 seconds." }
  })

  it.effect("sets retryAfter", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* LegitmarkClient).serviceRequests.get(srUuid))
      assertTag(error, "RateLimitError")
      expect(error.retryAfter).toEqual(Duration.seconds(60))
    }).pipe(Effect.provide(withMock([inMessage], RetryPolicy.none))))

  it.effect("the default policy waits for it before sending again", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork((yield* LegitmarkClient).serviceRequests.get(srUuid))
      yield* advance(59_999)
      expect(yield* attempts).toBe(1)
      yield* advance(1)
      expect(yield* attempts).toBe(2)
      yield* Fiber.join(fiber)
    }).pipe(Effect.provide(withMock([inMessage, ok]))))

  it.effect.each(
    [
      ["Retry after 2 minutes.", Duration.minutes(2)],
      ["Too many requests, please retry in 1.5 seconds", Duration.millis(1500)],
      ["Rate limit exceeded. Try again after 30s", Duration.seconds(30)]
    ] as const
  )("%s", ([message, expected]) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* LegitmarkClient).serviceRequests.get(srUuid))
      assertTag(error, "RateLimitError")
      expect(error.retryAfter).toEqual(expected)
    }).pipe(Effect.provide(withMock([MockHttp.json(429, { error: { message } })], RetryPolicy.none))))

  it.effect("the rate limiter holds the next call for it too", () =>
    Effect.gen(function*() {
      const client = yield* LegitmarkClient
      yield* Effect.flip(client.serviceRequests.get(srUuid))
      const next = yield* Effect.fork(client.serviceRequests.get(srUuid))
      yield* advance(59_000)
      expect(yield* attempts).toBe(1)
      yield* advance(1_000)
      yield* Fiber.join(next)
      expect(yield* attempts).toBe(2)
    }).pipe(Effect.provide(withMock([inMessage, ok], RetryPolicy.none))))

  it.effect("a header or the body's retry_after_seconds wins over the message", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* LegitmarkClient).serviceRequests.get(srUuid))
      assertTag(error, "RateLimitError")
      expect(error.retryAfter).toEqual(Duration.seconds(5))
    }).pipe(Effect.provide(withMock(
      [MockHttp.json(429, { error: { message: "Retry after 60 seconds." } }, { "retry-after": "5" })],
      RetryPolicy.none
    ))))
})

describe("a call reports only the retries that happen", () => {
  const notFound = MockHttp.json(404, { success: false, error: { code: 404, message: "Not found" } })
  const retrying = (captured: Captured) => captured.logs.filter((line) => line.includes("retrying after"))
  const retriesOf = (captured: Captured, name: string) =>
    captured.spans.filter((s) => s.name === name).map((s) => s.attributes.get("legitmark.retries"))

  const run = <A, E>(self: Effect.Effect<A, E, LegitmarkClient>, captured: Captured) =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.either(self).pipe(capture(captured)))
      yield* advance(60_000)
      return yield* Fiber.join(fiber)
    })

  it.effect("a 404 from find: sent once, no retry logged, no retries on the span", () => {
    const captured: Captured = { logs: [], spans: [] }
    return Effect.gen(function*() {
      const result = yield* run(Effect.flatMap(LegitmarkClient, (c) => c.serviceRequests.find("ITEM-1")), captured)
      expect(result._tag).toBe("Left")
      expect(yield* attempts).toBe(1)
      expect(retrying(captured)).toEqual([])
      expect(retriesOf(captured, "Legitmark.serviceRequests.find")).toEqual([undefined])
    }).pipe(Effect.provide(withMock([notFound])))
  })

  it.effect("two 500s then an answer: two retries logged, two on the span", () => {
    const captured: Captured = { logs: [], spans: [] }
    return Effect.gen(function*() {
      const result = yield* run(Effect.flatMap(LegitmarkClient, (c) => c.serviceRequests.get(srUuid)), captured)
      expect(result._tag).toBe("Right")
      expect(yield* attempts).toBe(3)
      expect(retrying(captured)).toHaveLength(2)
      expect(retriesOf(captured, "Legitmark.serviceRequests.get")).toEqual([2])
    }).pipe(Effect.provide(withMock([serverError, serverError, ok])))
  })

  it.effect("retries run out: 4 attempts are 3 retries, not 4", () => {
    const captured: Captured = { logs: [], spans: [] }
    return Effect.gen(function*() {
      const result = yield* run(Effect.flatMap(LegitmarkClient, (c) => c.serviceRequests.get(srUuid)), captured)
      expect(result._tag).toBe("Left")
      expect(yield* attempts).toBe(4)
      expect(retrying(captured)).toHaveLength(3)
      expect(retriesOf(captured, "Legitmark.serviceRequests.get")).toEqual([3])
    }).pipe(Effect.provide(withMock([serverError])))
  })
})
