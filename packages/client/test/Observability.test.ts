/**
 * What a call shows of itself: its debug log line, and its span.
 *
 * Spans: every call's span reaches a provided tracer, whatever the transport, and is the current span
 * of any other `HttpClient` the call runs through. Under Effect's native tracer, on any transport, a call
 * that succeeds makes none (nothing could see it), and one that fails still names itself in
 * `Cause.pretty`. Any other `HttpClient` runs with the caller's context and FiberRefs.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import * as AgentHttpClient from "../src/AgentHttpClient.js"
import { LegitmarkClient } from "../src/LegitmarkClient.js"
import * as RetryPolicy from "../src/RetryPolicy.js"
import * as UndiciHttpClient from "../src/UndiciHttpClient.js"
import { capture, type Captured } from "./support/Capture.js"
import * as Fixtures from "./support/fixtures.js"
import * as MockHttp from "./support/MockHttp.js"

const apiKey = Redacted.make("leo_unit_test_key")
const srUuid = "8e61c991-553a-4a58-9eb6-561b64c11908"
const getBody = JSON.stringify(Fixtures.getResponse)

/** A loopback server answering every request with `status` (200: the full-SR payload), until the scope closes. */
const serverAnswering = (status: number) =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly close: (done: () => void) => void }>((resume) => {
      const http = createServer((_, response) => {
        response.writeHead(status, { "content-type": "application/json" })
        response.end(status === 200 ? getBody : JSON.stringify({ success: false, error: { message: "SR not found" } }))
      })
      http.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({
          url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
          close: (done) => {
            http.closeAllConnections()
            http.close(() => done())
          }
        })))
    }),
    ({ close }) => Effect.async<void>((resume) => close(() => resume(Effect.void)))
  )
const server = serverAnswering(200)

const legitmark = (baseUrl: string, transport: Layer.Layer<HttpClient.HttpClient>) =>
  Effect.map(
    Layer.build(
      LegitmarkClient.layer({ apiKey, baseUrl }).pipe(Layer.provide(Layer.merge(transport, RetryPolicy.none)))
    ),
    Context.get(LegitmarkClient)
  )

describe("spans on the client's own transports", () => {
  for (
    const [name, transport] of [["AgentHttpClient", AgentHttpClient.layer], [
      "UndiciHttpClient",
      UndiciHttpClient.layer
    ]] as const
  ) {
    it.scopedLive(`${name}: a provided tracer gets each call's span, named, with its attributes`, () => {
      const captured: Captured = { logs: [], spans: [] }
      return Effect.gen(function*() {
        const { url } = yield* server
        const api = yield* legitmark(url, transport)
        yield* api.serviceRequests.get(srUuid).pipe(capture(captured))
        yield* api.serviceRequests.get(srUuid).pipe(capture(captured))
        const spans = captured.spans.filter((s) => s.name.startsWith("Legitmark."))
        expect(spans.map((s) => s.name)).toEqual(["Legitmark.serviceRequests.get", "Legitmark.serviceRequests.get"])
        expect(spans[0]?.attributes.get("legitmark.sr_uuid")).toBe(srUuid)
        expect(spans[0]?.attributes.get("http.request.method")).toBe("GET")
        expect(spans.every((s) => s.status._tag === "Ended")).toBe(true)
        const { hostname, port } = new URL(url)
        expect(Object.fromEntries(spans[0]?.attributes ?? [])).toMatchObject({
          "http.response.status_code": 200,
          "server.address": hostname,
          "server.port": Number(port),
          "url.path": `/api/v2/sr/${srUuid}`
        })
      })
    })

    it.scopedLive(`${name}: under the native tracer, a call touches no span of the caller's`, () =>
      Effect.gen(function*() {
        const { url } = yield* server
        const api = yield* legitmark(url, transport)
        const caller = yield* Effect.zipRight(api.serviceRequests.get(srUuid), Effect.currentSpan).pipe(
          Effect.withSpan("caller")
        )
        expect(caller.name).toBe("caller")
        expect([...caller.attributes.keys()]).toEqual([])
      }))

    it.scopedLive(`${name}: under the native tracer, a failed call still names itself in Cause.pretty`, () =>
      Effect.gen(function*() {
        const { url } = yield* serverAnswering(404)
        const api = yield* legitmark(url, transport)
        const exit = yield* Effect.exit(api.serviceRequests.get(srUuid))
        expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).toContain("at Legitmark.serviceRequests.get")
        // And so does one inside the caller's own span, below it.
        const nested = yield* Effect.exit(api.serviceRequests.get(srUuid).pipe(Effect.withSpan("caller")))
        const pretty = Exit.isFailure(nested) ? Cause.pretty(nested.cause) : ""
        expect(pretty).toMatch(/at Legitmark\.serviceRequests\.get\n\s+at caller/)
      }))
  }
})

describe("through any other HttpClient", () => {
  const UserService = Context.GenericTag<{ readonly name: string }>("test/UserService")
  const userRef = FiberRef.unsafeMake(0)
  interface Seen {
    readonly span: string
    readonly service: string
    readonly annotation: unknown
    readonly userRef: number
    readonly level: string
  }
  // What the transport's code finds of the caller's when the call reaches it.
  const transportSeeing = (seen: Array<Seen>) =>
    MockHttp.layerEffect(() =>
      Effect.gen(function*() {
        const span = yield* Effect.option(Effect.currentSpan)
        const annotations = yield* FiberRef.get(FiberRef.currentLogAnnotations)
        seen.push({
          span: Option.match(span, { onNone: () => "(none)", onSome: (s) => s.name }),
          service: Option.match(yield* Effect.serviceOption(UserService), {
            onNone: () => "(none)",
            onSome: (s) => s.name
          }),
          annotation: HashMap.get(annotations, "partner").pipe(Option.getOrUndefined),
          userRef: yield* FiberRef.get(userRef),
          level: (yield* FiberRef.get(FiberRef.currentMinimumLogLevel)).label
        })
        return MockHttp.json(200, Fixtures.getResponse)
      })
    )
  const client = (http: Layer.Layer<HttpClient.HttpClient>) =>
    Effect.provide(
      LegitmarkClient,
      LegitmarkClient.layer({ apiKey, baseUrl: "https://api.legitmark.test" }).pipe(
        Layer.provide(Layer.merge(http, RetryPolicy.none))
      )
    )
  const asCaller = <A, E, R>(self: Effect.Effect<A, E, R>) =>
    self.pipe(
      Effect.provideService(UserService, { name: "partner-service" }),
      Effect.annotateLogs("partner", "p1"),
      Effect.locally(userRef, 7),
      Logger.withMinimumLogLevel(LogLevel.Warning),
      Effect.withSpan("caller")
    )

  // On the live clock the deadline is kept by the transport path's timer (the request runs in a fiber of
  // its own); under the TestClock, by the Clock, around the request run in the caller's fiber.
  for (const [clock, test] of [["live clock", it.live], ["TestClock", it.effect]] as const) {
    test(`${clock}: the transport runs with the caller's services, log annotations, FiberRefs and log level`, () =>
      Effect.gen(function*() {
        const seen: Array<Seen> = []
        const api = yield* client(transportSeeing(seen))
        yield* asCaller(api.serviceRequests.get(srUuid))
        expect(seen).toEqual([{
          span: "caller",
          service: "partner-service",
          annotation: "p1",
          userRef: 7,
          level: "WARN"
        }])
      }))

    test(`${clock}: under the native tracer no span is made: the transport's current span is the caller's`, () =>
      Effect.gen(function*() {
        const seen: Array<Seen> = []
        const api = yield* client(transportSeeing(seen))
        yield* api.serviceRequests.get(srUuid)
        yield* api.serviceRequests.get(srUuid).pipe(Effect.withSpan("caller"))
        expect(seen.map((s) => s.span)).toEqual(["(none)", "caller"])
      }))

    test(`${clock}: a provided tracer gets the call's span, which is the transport's current span`, () => {
      const captured: Captured = { logs: [], spans: [] }
      return Effect.gen(function*() {
        const seen: Array<Seen> = []
        const api = yield* client(transportSeeing(seen))
        yield* api.serviceRequests.get(srUuid).pipe(Effect.withSpan("caller"), capture(captured))
        expect(seen.map((s) => s.span)).toEqual(["Legitmark.serviceRequests.get"])
        const call = captured.spans.find((s) => s.name === "Legitmark.serviceRequests.get")
        expect(Option.map(Option.fromNullable(call).pipe(Option.flatMap((s) => s.parent)), (p) => p.spanId)).toEqual(
          Option.map(Option.fromNullable(captured.spans.find((s) => s.name === "caller")), (s) => s.spanId)
        )
      })
    })
  }
})

describe("log lines", () => {
  const mock = (status: number) =>
    LegitmarkClient.layer({ apiKey, baseUrl: "https://api.legitmark.test" }).pipe(
      Layer.provide(Layer.merge(
        MockHttp.layer([
          status === 200 ? MockHttp.json(200, Fixtures.getResponse) : MockHttp.json(status, { success: false })
        ]),
        RetryPolicy.none
      ))
    )
  const url = `https://api.legitmark.test/api/v2/sr/${srUuid}`

  it.effect("each attempt logs at Debug that it was answered, or how it failed", () => {
    const captured: Captured = { logs: [], spans: [] }
    return Effect.gen(function*() {
      yield* Effect.flatMap(LegitmarkClient, (api) => api.serviceRequests.get(srUuid)).pipe(
        Effect.provide(mock(200)),
        capture(captured)
      )
      yield* Effect.flatMap(LegitmarkClient, (api) => Effect.flip(api.serviceRequests.get(srUuid))).pipe(
        Effect.provide(mock(404)),
        capture(captured)
      )
      const lines = captured.logs.filter((line) => line.includes(`Legitmark: GET ${url}`))
      expect(lines).toHaveLength(2)
      expect(lines[0]).toContain(`Legitmark: GET ${url} answered`)
      expect(lines[1]).toContain(`Legitmark: GET ${url} failed: NotFoundError`)
    })
  })

  it.effect("none above Debug", () => {
    const captured: Captured = { logs: [], spans: [] }
    return Effect.flatMap(LegitmarkClient, (api) => api.serviceRequests.get(srUuid)).pipe(
      Effect.provide(mock(200)),
      // Inside the capture, which logs every level.
      Logger.withMinimumLogLevel(LogLevel.Info),
      capture(captured),
      Effect.andThen(() => expect(captured.logs.filter((line) => line.includes("Legitmark: GET"))).toEqual([]))
    )
  })
})
