/**
 * What users expect of a call, on a recording mock `HttpClient`: the request id of a success (on the call's
 * span, in its Debug line, through `withResponse`), the head of the answer with `withResponse` (after a
 * retry, on a failure, for several calls), a timeout of its own with `withTimeout` in place of the client's
 * either way (per attempt, under the TestClock), and OpenTelemetry's HTTP client attributes on its span.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import type * as Tracer from "effect/Tracer"
import { LegitmarkClient } from "../src/LegitmarkClient.js"
import * as Photo from "../src/Photo.js"
import * as RetryPolicy from "../src/RetryPolicy.js"
import { capture, type Captured } from "./support/Capture.js"
import * as Fixtures from "./support/fixtures.js"
import * as Images from "./support/images.js"
import * as MockHttp from "./support/MockHttp.js"

const key = "leo_unit_test_key"
const base = "https://api.legitmark.test"
const asset = "https://asset.legitmark.test:8443"
const sr = "8e61c991-553a-4a58-9eb6-561b64c11908"
const side = "ec883c70-f896-47c9-81b6-8d6ff0b5856a"
const presigned =
  `https://bucket.s3.amazonaws.test/upload/${sr}/${side}.png?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA`
const photo = Effect.runSync(Photo.fromBytes(Images.png(800, 800), "png"))

interface Setup {
  readonly timeout?: Duration.DurationInput
  readonly inDoubtWindow?: Duration.DurationInput
  readonly retries?: number
}

type Script =
  | ReadonlyArray<MockHttp.Answer>
  | ((request: MockHttp.Recorded, n: number) => MockHttp.Answer | Effect.Effect<MockHttp.Answer>)

/** The client on a mock answering the nth request with `script` (the last answer repeats), and the recorder. */
const mock = (script: Script, setup: Setup = {}) => {
  const http = MockHttp.layerEffect((request, n) => {
    if (typeof script !== "function") return Effect.succeed(script[Math.min(n, script.length - 1)]!)
    const answer = script(request, n)
    return Effect.isEffect(answer) ? answer : Effect.succeed(answer)
  })
  const policy = setup.retries === undefined
    ? RetryPolicy.none
    : RetryPolicy.fromSchedule(Schedule.recurs(setup.retries))
  return Layer.merge(
    LegitmarkClient.layer({
      apiKey: Redacted.make(key),
      baseUrl: base,
      assetUrl: asset,
      ...(setup.timeout === undefined ? {} : { timeout: setup.timeout }),
      ...(setup.inDoubtWindow === undefined ? {} : { inDoubtWindow: setup.inDoubtWindow })
    }).pipe(Layer.provide(Layer.merge(http, policy))),
    http
  )
}

const get = Effect.flatMap(LegitmarkClient, (client) => client.serviceRequests.get(sr))
const ok = (headers: Record<string, string> = {}) => MockHttp.json(200, Fixtures.getResponse, headers)
const callSpans = (captured: Captured, name: string): ReadonlyArray<Tracer.Span> =>
  captured.spans.filter((span) => span.name === name)
const onlySpan = (captured: Captured, name: string): Tracer.Span => {
  const spans = callSpans(captured, name)
  expect(spans).toHaveLength(1)
  return spans[0]!
}

describe("the request id of a success", () => {
  for (const header of ["x-request-id", "x-amzn-requestid", "x-amz-request-id", "cf-ray"]) {
    it.effect(`from ${header}: on the call's span, in its Debug line, and through withResponse`, () => {
      const captured: Captured = { logs: [], spans: [] }
      return Effect.gen(function*() {
        const { response, value } = yield* LegitmarkClient.withResponse(get).pipe(capture(captured))
        expect(value.uuid).toBe(sr)
        expect(Option.map(response, (r) => r.requestId)).toEqual(Option.some(`id-${header}`))
        const span = onlySpan(captured, "Legitmark.serviceRequests.get")
        expect(span.attributes.get("legitmark.request_id")).toBe(`id-${header}`)
        expect(captured.logs.filter((line) => line.includes(`answered 200 (request id id-${header})`))).toHaveLength(1)
      }).pipe(Effect.provide(mock([ok({ [header]: `id-${header}` })])))
    })
  }

  it.effect("x-request-id first when an answer has several; an id that echoes the key is scrubbed", () => {
    const captured: Captured = { logs: [], spans: [] }
    return Effect.gen(function*() {
      const first = yield* LegitmarkClient.withResponse(get).pipe(capture(captured))
      expect(Option.map(first.response, (r) => r.requestId)).toEqual(Option.some("api-1"))
      const echoed = yield* LegitmarkClient.withResponse(get).pipe(capture(captured))
      expect(Option.map(echoed.response, (r) => r.requestId)).toEqual(Option.some("req-<redacted>"))
      expect(JSON.stringify(captured.logs)).not.toContain(key)
      expect(captured.spans.map((span) => JSON.stringify([...span.attributes.values()])).join()).not.toContain(key)
    }).pipe(
      Effect.provide(
        mock((_, n) =>
          n === 0 ? ok({ "cf-ray": "ray-1", "x-request-id": "api-1" }) : ok({ "x-request-id": `req-${key}` })
        )
      )
    )
  })

  it.effect("no id, no attribute and no id in the line", () => {
    const captured: Captured = { logs: [], spans: [] }
    return Effect.gen(function*() {
      const { response } = yield* LegitmarkClient.withResponse(get).pipe(capture(captured))
      assert(Option.isSome(response))
      expect("requestId" in response.value).toBe(false)
      expect(onlySpan(captured, "Legitmark.serviceRequests.get").attributes.has("legitmark.request_id")).toBe(false)
      expect(captured.logs.some((line) => line.includes(" answered 200\""))).toBe(true)
    }).pipe(Effect.provide(mock([ok()])))
  })
})

describe("withResponse", () => {
  it.effect("a success: the status and the headers as the server sent them, nothing of the request", () =>
    Effect.gen(function*() {
      const { response } = yield* LegitmarkClient.withResponse(get)
      assert(Option.isSome(response))
      const { headers, method, status, url } = response.value
      expect({ status, method, url }).toEqual({ status: 200, method: "GET", url: `${base}/api/v2/sr/${sr}` })
      expect(headers["x-ratelimit-remaining-partner"]).toBe("99")
      expect(headers["x-echo"]).toBe("Bearer <redacted>")
      expect(headers["authorization"]).toBeUndefined()
      expect(JSON.stringify(headers)).not.toContain(key)
    }).pipe(Effect.provide(mock([ok({ "x-ratelimit-remaining-partner": "99", "x-echo": `Bearer ${key}` })]))))

  it.effect("after retries: the answer of the attempt that answered", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(LegitmarkClient.withResponse(get))
      yield* TestClock.adjust("1 minute")
      const { response } = yield* Fiber.join(fiber)
      expect(Option.map(response, (r) => [r.status, r.requestId])).toEqual(Option.some([200, "third"]))
      expect(yield* MockHttp.requests).toHaveLength(3)
    }).pipe(Effect.provide(mock(
      [
        MockHttp.json(503, { success: false }, { "x-request-id": "first" }),
        { reset: true },
        ok({ "x-request-id": "third" })
      ],
      { retries: 3 }
    ))))

  it.effect("a failure: the call's error as it is, its request id in it", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(LegitmarkClient.withResponse(get))
      expect(error).toMatchObject({ _tag: "NotFoundError", status: 404, requestId: "missing-1" })
    }).pipe(Effect.provide(mock([
      MockHttp.json(404, { success: false, error: { message: "SR not found" } }, { "x-request-id": "missing-1" })
    ]))))

  it.effect("several calls: the latest to succeed; none: None; an enclosing withResponse hears of inner calls", () =>
    Effect.gen(function*() {
      const client = yield* LegitmarkClient
      const both = yield* LegitmarkClient.withResponse(
        Effect.zip(client.serviceRequests.get(sr), Effect.orElse(client.serviceRequests.get(sr), () => Effect.void))
      )
      // The second call failed (a 404), so the first is the latest to succeed.
      expect(Option.map(both.response, (r) => r.requestId)).toEqual(Option.some("r-0"))
      const upload = yield* LegitmarkClient.withResponse(
        Effect.flatMap(client.serviceRequests.get(sr), () => client.media.put(presigned, photo))
      )
      expect(Option.map(upload.response, (r) => [r.method, r.url, r.requestId])).toEqual(
        Option.some(["PUT", presigned.slice(0, presigned.indexOf("?")), "r-3"])
      )
      expect(yield* LegitmarkClient.withResponse(Effect.succeed(1))).toEqual({ value: 1, response: Option.none() })
      const outer = yield* LegitmarkClient.withResponse(
        Effect.zipRight(LegitmarkClient.withResponse(client.serviceRequests.get(sr)), Effect.succeed("done"))
      )
      expect(outer.value).toBe("done")
      expect(Option.map(outer.response, (r) => r.requestId)).toEqual(Option.some("r-4"))
    }).pipe(Effect.provide(mock((request, n) =>
      n === 1
        ? MockHttp.json(404, { success: false }, { "x-request-id": `r-${n}` })
        : request.method === "PUT"
        ? { status: 200, body: "", headers: { "x-amz-request-id": `r-${n}` } }
        : ok({ "x-request-id": `r-${n}` })
    ))))

  it.effect("a call whose value is void (a PUT): its answer's status", () =>
    Effect.gen(function*() {
      const client = yield* LegitmarkClient
      const put = yield* LegitmarkClient.withResponse(client.media.put(presigned, photo))
      expect(put.value).toBeUndefined()
      expect(Option.map(put.response, (r) => r.status)).toEqual(Option.some(201))
    }).pipe(Effect.provide(mock([{ status: 201, body: "" }]))))
})

describe("withTimeout", () => {
  const hang: MockHttp.Answer = { hang: true }

  it.effect("shorter than the client's: the call times out at it, and its TimeoutError names it", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(LegitmarkClient.withTimeout(get, "2 seconds"))
      yield* TestClock.adjust("2 seconds")
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error._tag).toBe("TimeoutError")
      assert(error._tag === "TimeoutError")
      expect(Duration.toMillis(error.timeout)).toBe(2000)
      expect(error.message).toBe("No answer within 2s")
    }).pipe(Effect.provide(mock([hang], { timeout: "30 seconds" }))))

  it.live("on the live clock, over an HttpClient that never answers and ignores its abort signal", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(LegitmarkClient.withTimeout(get, "100 millis"))
      assert(error._tag === "TimeoutError")
      expect(Duration.toMillis(error.timeout)).toBe(100)
    }).pipe(Effect.provide(mock([hang], { timeout: "30 seconds" }))))

  it.effect("longer than the client's: the call waits for the answer the client alone gives up on", () =>
    Effect.gen(function*() {
      const slow = yield* Effect.fork(get.pipe(LegitmarkClient.withTimeout("1 minute")))
      yield* TestClock.adjust("5 seconds")
      const sr_ = yield* Fiber.join(slow)
      expect(sr_.uuid).toBe(sr)
      const bare = yield* Effect.fork(get)
      yield* TestClock.adjust("1 second")
      const error = yield* Effect.flip(Fiber.join(bare))
      assert(error._tag === "TimeoutError")
      expect(Duration.toMillis(error.timeout)).toBe(1000)
    }).pipe(Effect.provide(mock(() => Effect.as(Effect.sleep("5 seconds"), ok()), { timeout: "1 second" }))))

  it.effect("per attempt, as the client's: each retry has it whole", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(LegitmarkClient.withTimeout(get, "3 seconds"))
      yield* TestClock.adjust("3 seconds")
      expect(yield* MockHttp.requests).toHaveLength(2)
      yield* TestClock.adjust("3 seconds")
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert(error._tag === "TimeoutError")
      expect(Duration.toMillis(error.timeout)).toBe(3000)
      expect(yield* MockHttp.requests).toHaveLength(2)
    }).pipe(Effect.provide(mock([hang], { timeout: "30 seconds", retries: 1 }))))

  it.effect("the innermost wins; the calls outside keep the client's", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        get.pipe(LegitmarkClient.withTimeout("1 second"), LegitmarkClient.withTimeout("1 minute"))
      )
      yield* TestClock.adjust("1 second")
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert(error._tag === "TimeoutError")
      expect(Duration.toMillis(error.timeout)).toBe(1000)
      const outside = yield* Effect.fork(get)
      yield* TestClock.adjust("30 seconds")
      const clients = yield* Effect.flip(Fiber.join(outside))
      assert(clients._tag === "TimeoutError")
      expect(Duration.toMillis(clients.timeout)).toBe(30_000)
    }).pipe(Effect.provide(mock([hang], { timeout: "30 seconds" }))))
})

describe("withTimeout and a create in doubt", () => {
  const createBody = { reference_id: "ITEM-1", item: { category: sr, type: side } }
  const notFound = MockHttp.json(404, { success: false, error: { message: "Not found" } })

  it.effect("a create given a longer timeout stays in doubt for longer: its window covers that timeout", () =>
    Effect.gen(function*() {
      const client = yield* LegitmarkClient
      const fiber = yield* Effect.fork(
        Effect.flip(client.serviceRequests.create(createBody).pipe(LegitmarkClient.withTimeout("2 minutes")))
      )
      yield* TestClock.adjust("2 minutes")
      yield* TestClock.adjust("10 seconds")
      const error = yield* Fiber.join(fiber)
      assert(error._tag === "InDoubtError")
      expect(error.lastFailure?._tag).toBe("TimeoutError")
      // Held 2 minutes, it may still land for the lookup's lag after: not re-sent before 150 s.
      expect(DateTime.toEpochMillis(error.resendAfter)).toBe(150_000)
      const sent = (yield* MockHttp.requests).map((request) => request.method)
      expect(sent.filter((method) => method === "POST")).toHaveLength(1)
      expect(sent.filter((method) => method === "GET").length).toBeGreaterThan(0)
    }).pipe(Effect.provide(mock((request) => request.method === "POST" ? { hang: true } : notFound, {
      timeout: "1 second",
      retries: 3
    }))))
  it.effect("an unbounded window: in doubt for ever, with the latest time there is as resendAfter", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.flatMap(LegitmarkClient, (c) => c.serviceRequests.create(createBody)))
      assert(error._tag === "InDoubtError")
      expect(DateTime.toEpochMillis(error.resendAfter)).toBe(8.64e15)
    }).pipe(Effect.provide(mock(
      (request) => request.method === "POST" ? MockHttp.json(500, { success: false }) : notFound,
      { inDoubtWindow: Duration.infinity }
    ))))
})

describe("OpenTelemetry's HTTP client attributes on the call's span", () => {
  it.effect("a GET: where it went, its path, the final status", () => {
    const captured: Captured = { logs: [], spans: [] }
    return Effect.gen(function*() {
      yield* Effect.flatMap(LegitmarkClient, (client) => client.taxonomy.categories({ pageNumber: 2 })).pipe(
        capture(captured)
      )
      const span = onlySpan(captured, "Legitmark.taxonomy.categories")
      expect(Object.fromEntries(span.attributes)).toMatchObject({
        "http.request.method": "GET",
        "http.response.status_code": 200,
        "server.address": "api.legitmark.test",
        "server.port": 443,
        "url.full": `${base}/api/v2/categories`,
        "url.path": "/api/v2/categories",
        "legitmark.page_number": 2
      })
      expect(span.attributes.has("error.type")).toBe(false)
    }).pipe(Effect.provide(mock([
      MockHttp.json(200, { success: true, data: [], metadata: { total_count: 0, total_pages: 1 } })
    ])))
  })

  it.effect("a presigned PUT: its path, never its query (the signature); a port that is not the default", () => {
    const captured: Captured = { logs: [], spans: [] }
    return Effect.gen(function*() {
      const client = yield* LegitmarkClient
      yield* client.media.intent(sr, side, "png").pipe(capture(captured))
      yield* client.media.put(presigned, photo).pipe(capture(captured))
      const intent = onlySpan(captured, "Legitmark.media.intent")
      expect(intent.attributes.get("server.address")).toBe("asset.legitmark.test")
      expect(intent.attributes.get("server.port")).toBe(8443)
      expect(intent.attributes.get("url.path")).toBe("/intent")
      const put = onlySpan(captured, "Legitmark.media.put")
      expect(put.attributes.get("url.path")).toBe(`/upload/${sr}/${side}.png`)
      expect(put.attributes.get("url.full")).toBe(`https://bucket.s3.amazonaws.test/upload/${sr}/${side}.png`)
      expect(put.attributes.get("http.response.status_code")).toBe(200)
      const text = JSON.stringify([...put.attributes.values()])
      expect(text).not.toContain("Signature")
      expect(text).not.toContain("deadbeef")
    }).pipe(Effect.provide(mock((request) =>
      request.method === "PUT"
        ? { status: 200, body: "" }
        : MockHttp.json(200, { message: "ok", url: presigned })
    )))
  })

  it.effect("a failure: error.type is the error's tag; the status is the one the final answer gave", () => {
    const captured: Captured = { logs: [], spans: [] }
    return Effect.gen(function*() {
      yield* Effect.flip(get.pipe(capture(captured)))
      const answered = onlySpan(captured, "Legitmark.serviceRequests.get")
      expect(answered.attributes.get("error.type")).toBe("NotFoundError")
      expect(answered.attributes.get("http.response.status_code")).toBe(404)
      expect(answered.attributes.get("legitmark.request_id")).toBe("nf")
      expect(answered.status._tag === "Ended" && Exit.isFailure(answered.status.exit)).toBe(true)
    }).pipe(Effect.provide(mock([
      MockHttp.json(404, { success: false, error: { message: "SR not found" } }, { "x-request-id": "nf" })
    ])))
  })

  it.effect("no answer: error.type and no status; after retries the final answer's status", () => {
    const captured: Captured = { logs: [], spans: [] }
    return Effect.gen(function*() {
      const first = yield* Effect.fork(Effect.flip(get.pipe(capture(captured))))
      yield* TestClock.adjust("1 minute")
      expect((yield* Fiber.join(first))._tag).toBe("TransportError")
      const [noAnswer] = callSpans(captured, "Legitmark.serviceRequests.get")
      expect(noAnswer?.attributes.get("error.type")).toBe("TransportError")
      expect(noAnswer?.attributes.has("http.response.status_code")).toBe(false)
      const fiber = yield* Effect.fork(get.pipe(capture(captured)))
      yield* TestClock.adjust("1 minute")
      yield* Fiber.join(fiber)
      const retried = callSpans(captured, "Legitmark.serviceRequests.get")[1]
      expect(retried?.attributes.get("http.response.status_code")).toBe(200)
      expect(retried?.attributes.get("legitmark.retries")).toBe(1)
      expect(retried?.attributes.get("http.request.resend_count")).toBe(1)
      expect(retried?.attributes.has("error.type")).toBe(false)
    }).pipe(Effect.provide(mock(
      (_, n) => n <= 3 ? { refused: true } : n === 4 ? MockHttp.json(503, { success: false }) : ok(),
      { retries: 3 }
    )))
  })
})
