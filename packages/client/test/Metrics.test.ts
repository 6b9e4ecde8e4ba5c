/**
 * The client's metrics, read back with `Metric.value` after calls on a recording mock `HttpClient`. Each
 * test runs its calls under `Effect.tagMetrics("test", <its name>)`, so it reads its own series of the
 * process-wide metrics.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as MetricLabel from "effect/MetricLabel"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { LegitmarkClient } from "../src/LegitmarkClient.js"
import * as Metrics from "../src/Metrics.js"
import * as Photo from "../src/Photo.js"
import * as RateLimiter from "../src/RateLimiter.js"
import * as RetryPolicy from "../src/RetryPolicy.js"
import { assertTag } from "./support/assertTag.js"
import * as Fixtures from "./support/fixtures.js"
import * as Images from "./support/images.js"
import * as MockHttp from "./support/MockHttp.js"

const srUuid = "8e61c991-553a-4a58-9eb6-561b64c11908"
const sideUuid = "ec883c70-f896-47c9-81b6-8d6ff0b5856a"
const ok = MockHttp.json(200, Fixtures.getResponse)
const notFound = MockHttp.json(404, { success: false, error: { message: "SR not found" } })
const serverError = MockHttp.json(500, { success: false, error: { code: 500, message: "boom" } })
const presigned = (n: number) =>
  `https://storage.legitmark.test/sr/${srUuid}/${sideUuid}.png?X-Amz-Signature=sig${n}&X-Amz-Expires=300`

const withMock = (
  script: Parameters<typeof MockHttp.layer>[0],
  layers: { readonly policy?: Layer.Layer<RetryPolicy.RetryPolicy>; readonly limiter?: RateLimiter.Service } = {}
) => {
  const http = MockHttp.layer(script)
  const client = LegitmarkClient.layer({
    apiKey: Redacted.make("leo_metrics_key"),
    baseUrl: "https://api.legitmark.test",
    assetUrl: "https://asset.legitmark.test"
  }).pipe(
    Layer.provide(http),
    Layer.provide(layers.policy ?? Layer.empty),
    Layer.provide(
      layers.limiter === undefined ? Layer.empty : Layer.succeed(RateLimiter.RateLimiter, layers.limiter)
    )
  )
  return Layer.merge(client, http)
}

/** The series of `metric` with `labels` (in the order the client tags them), under the test's own label. */
const series = <Type, In, Out>(
  metric: Metric.Metric<Type, In, Out>,
  test: string,
  labels: ReadonlyArray<readonly [string, string]> = []
) =>
  Metric.value(
    Metric.taggedWithLabels(metric, [
      ...labels.map(([key, value]) => MetricLabel.make(key, value)),
      MetricLabel.make("test", test)
    ])
  )

const calls = (test: string, endpoint: string, outcome: string) =>
  Effect.map(series(Metrics.calls, test, [["endpoint", endpoint], ["outcome", outcome]]), (state) => state.count)
const retries = (test: string, endpoint: string) =>
  Effect.map(series(Metrics.retries, test, [["endpoint", endpoint]]), (state) => state.count)
const rateLimited = (test: string, endpoint: string) =>
  Effect.map(series(Metrics.rateLimited, test, [["endpoint", endpoint]]), (state) => state.count)
const duration = (test: string, endpoint: string) => series(Metrics.callDuration, test, [["endpoint", endpoint]])

const client = LegitmarkClient

describe("calls, retries and 429s", () => {
  it.effect("a 429 then a success: one call that succeeded, one retry, one 429, its duration", () =>
    Effect.gen(function*() {
      const test = "429-then-success"
      const api = yield* client
      const fiber = yield* Effect.fork(api.serviceRequests.get(srUuid).pipe(Effect.tagMetrics("test", test)))
      yield* TestClock.adjust(Duration.seconds(2))
      yield* Fiber.join(fiber)
      expect(yield* calls(test, "serviceRequests.get", "success")).toBe(1)
      expect(yield* calls(test, "serviceRequests.get", "RateLimitError")).toBe(0)
      expect(yield* retries(test, "serviceRequests.get")).toBe(1)
      expect(yield* rateLimited(test, "serviceRequests.get")).toBe(1)
      // On the TestClock, the call lasted exactly the second the server asked to wait.
      const histogram = yield* duration(test, "serviceRequests.get")
      expect(histogram.count).toBe(1)
      expect(histogram.sum).toBe(1_000)
      expect(histogram.buckets.find(([boundary]) => boundary === 1_000)?.[1]).toBe(1)
      expect(histogram.buckets.find(([boundary]) => boundary === 750)?.[1]).toBe(0)
    }).pipe(Effect.provide(withMock([MockHttp.json(429, {}, { "retry-after": "1" }), ok]))))

  it.effect("a 429 with no retries: a RateLimitError call, a 429, no retry", () =>
    Effect.gen(function*() {
      const test = "429-no-retry"
      const error = yield* Effect.flip(
        (yield* client).serviceRequests.get(srUuid).pipe(Effect.tagMetrics("test", test))
      )
      assertTag(error, "RateLimitError")
      expect(yield* calls(test, "serviceRequests.get", "RateLimitError")).toBe(1)
      expect(yield* rateLimited(test, "serviceRequests.get")).toBe(1)
      expect(yield* retries(test, "serviceRequests.get")).toBe(0)
    }).pipe(Effect.provide(withMock([MockHttp.json(429, {}, { "retry-after": "1" })], { policy: RetryPolicy.none }))))

  it.effect("a 404 from find: a NotFoundError call, and no retry under the default policy", () =>
    Effect.gen(function*() {
      const test = "find-404"
      const error = yield* Effect.flip(
        (yield* client).serviceRequests.find("SKU-1").pipe(Effect.tagMetrics("test", test))
      )
      assertTag(error, "NotFoundError")
      expect(yield* calls(test, "serviceRequests.find", "NotFoundError")).toBe(1)
      expect(yield* retries(test, "serviceRequests.find")).toBe(0)
      expect(yield* rateLimited(test, "serviceRequests.find")).toBe(0)
      expect(yield* MockHttp.requests).toHaveLength(1)
    }).pipe(Effect.provide(withMock([notFound]))))

  it.effect("the policy's final decision to stop is not a retry: 3 retries, 4 attempts", () =>
    Effect.gen(function*() {
      const test = "gives-up"
      const fiber = yield* Effect.fork(
        Effect.flip((yield* client).serviceRequests.get(srUuid)).pipe(Effect.tagMetrics("test", test))
      )
      yield* TestClock.adjust(Duration.minutes(1))
      assertTag(yield* Fiber.join(fiber), "ServerError")
      expect(yield* MockHttp.requests).toHaveLength(4)
      expect(yield* retries(test, "serviceRequests.get")).toBe(3)
      expect(yield* calls(test, "serviceRequests.get", "ServerError")).toBe(1)
    }).pipe(Effect.provide(withMock([serverError]))))

  it.effect("a call refused before sending counts as a call with its InvalidRequestError", () =>
    Effect.gen(function*() {
      const test = "refused"
      const error = yield* Effect.flip(
        (yield* client).serviceRequests.get("not-a-uuid").pipe(Effect.tagMetrics("test", test))
      )
      assertTag(error, "InvalidRequestError")
      expect(yield* calls(test, "serviceRequests.get", "InvalidRequestError")).toBe(1)
      expect(yield* MockHttp.requests).toHaveLength(0)
    }).pipe(Effect.provide(withMock([ok]))))

  it.effect("an interrupted call counts as interrupted", () =>
    Effect.gen(function*() {
      const test = "interrupted"
      const fiber = yield* Effect.fork(
        (yield* client).serviceRequests.get(srUuid).pipe(Effect.tagMetrics("test", test))
      )
      yield* TestClock.adjust(Duration.millis(1))
      yield* Fiber.interrupt(fiber)
      expect(yield* calls(test, "serviceRequests.get", "interrupted")).toBe(1)
      expect(yield* calls(test, "serviceRequests.get", "success")).toBe(0)
    }).pipe(Effect.provide(withMock([{ hang: true }]))))
})

describe("uploads", () => {
  const photoBytes = Images.png(800, 800)

  it.effect("counts the photo's bytes once its PUT succeeded, once even when the first URL had expired", () =>
    Effect.gen(function*() {
      const test = "upload"
      const api = yield* client
      const photo = yield* Photo.fromBytes(photoBytes, "png")
      yield* api.media.upload(srUuid, sideUuid, photo).pipe(Effect.tagMetrics("test", test))
      const requests = yield* MockHttp.requests
      expect(requests.map((r) => r.method)).toEqual(["GET", "PUT", "GET", "PUT"])
      expect((yield* series(Metrics.uploadBytes, test)).count).toBe(photoBytes.byteLength)
      expect(yield* calls(test, "media.put", "AuthenticationError")).toBe(1)
      expect(yield* calls(test, "media.put", "success")).toBe(1)
      expect(yield* calls(test, "media.intent", "success")).toBe(2)
    }).pipe(Effect.provide(withMock([
      MockHttp.json(200, { message: "ok", url: presigned(1) }),
      { status: 403, body: "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>" },
      MockHttp.json(200, { message: "ok", url: presigned(2) }),
      { status: 200, body: "" }
    ]))))

  it.effect("counts nothing for an upload that failed", () =>
    Effect.gen(function*() {
      const test = "upload-failed"
      const photo = yield* Photo.fromBytes(photoBytes, "png")
      yield* Effect.flip((yield* client).media.put(presigned(1), photo).pipe(Effect.tagMetrics("test", test)))
      expect((yield* series(Metrics.uploadBytes, test)).count).toBe(0)
      expect(yield* calls(test, "media.put", "ValidationError")).toBe(1)
    }).pipe(Effect.provide(withMock([{ status: 400, body: "" }], { policy: RetryPolicy.none }))))
})

describe("the rate limiter and its headroom", () => {
  it.effect("records each permit's wait: none for the first call, the hold after a 429 for the next", () =>
    Effect.gen(function*() {
      const test = "limiter-wait"
      const api = yield* client
      // The 429 (not retried) holds every caller of the key for the 2 s the server asked.
      const first = yield* Effect.flip(api.serviceRequests.get(srUuid).pipe(Effect.tagMetrics("test", test)))
      assertTag(first, "RateLimitError")
      const second = yield* Effect.fork(api.serviceRequests.get(srUuid).pipe(Effect.tagMetrics("test", test)))
      yield* TestClock.adjust(Duration.seconds(2))
      yield* Fiber.join(second)
      const waits = yield* series(Metrics.rateLimiterWait, test)
      expect(waits.count).toBe(2)
      expect(waits.min).toBe(0)
      expect(waits.max).toBe(2_000)
      expect(waits.buckets.find(([boundary]) => boundary === 0)?.[1]).toBe(1)
    }).pipe(
      Effect.provide(withMock([MockHttp.json(429, {}, { "retry-after": "2" }), ok], { policy: RetryPolicy.none }))
    ))

  it.effect("records the wait of any RateLimiter provided, and none for a request sent without the key", () =>
    Effect.gen(function*() {
      const test = "custom-limiter"
      const api = yield* client
      const fiber = yield* Effect.fork(api.serviceRequests.get(srUuid).pipe(Effect.tagMetrics("test", test)))
      yield* TestClock.adjust(Duration.millis(300))
      yield* Fiber.join(fiber)
      // The public lookup takes no permit.
      yield* Effect.flip(api.serviceRequests.find("SKU-1")).pipe(Effect.tagMetrics("test", test))
      const waits = yield* series(Metrics.rateLimiterWait, test)
      expect(waits.count).toBe(1)
      expect(waits.sum).toBe(300)
    }).pipe(Effect.provide(withMock((request) => request.url.includes("/find/") ? notFound : ok, {
      limiter: { acquire: () => Effect.as(Effect.sleep(Duration.millis(300)), { observe: () => Effect.void }) }
    }))))

  it.effect("sets the headroom of each level from the latest answer's headers", () =>
    Effect.gen(function*() {
      const test = "headroom"
      const api = yield* client
      const remaining = (level: string) =>
        Effect.map(series(Metrics.rateLimitRemaining, test, [["level", level]]), (state) => state.value)
      yield* api.serviceRequests.get(srUuid).pipe(Effect.tagMetrics("test", test))
      expect(yield* remaining("partner")).toBe(997)
      expect(yield* remaining("user")).toBe(42)
      yield* api.serviceRequests.get(srUuid).pipe(Effect.tagMetrics("test", test))
      expect(yield* remaining("partner")).toBe(996)
      expect(yield* remaining("user")).toBe(41)
    }).pipe(Effect.provide(withMock((_, n) =>
      MockHttp.json(200, Fixtures.getResponse, {
        "x-ratelimit-limit-partner": "1000",
        "x-ratelimit-remaining-partner": String(997 - n),
        "x-ratelimit-limit-user": "100",
        "x-ratelimit-remaining-user": String(42 - n)
      })
    ))))
})
