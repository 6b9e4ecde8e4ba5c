/**
 * What a call shows of itself: its debug log line, and its span.
 *
 * Spans: every call's span reaches a provided tracer, whatever the transport, and is the current span
 * of any other `HttpClient` the call runs through. Under Effect's native tracer, on the client's own
 * transport, a call that succeeds makes none (nothing could see it), and one that fails still names
 * itself in `Cause.pretty`.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
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

describe("spans through any other HttpClient", () => {
  it.effect("under the native tracer too, the call's span is the transport's current span", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const http = MockHttp.layerEffect(() =>
        Effect.map(Effect.option(Effect.currentSpan), (span) => {
          seen.push(Option.match(span, { onNone: () => "(none)", onSome: (s) => s.name }))
          return MockHttp.json(200, Fixtures.getResponse)
        })
      )
      const api = yield* Effect.provide(
        LegitmarkClient,
        LegitmarkClient.layer({ apiKey, baseUrl: "https://api.legitmark.test" }).pipe(
          Layer.provide(Layer.merge(http, RetryPolicy.none))
        )
      )
      yield* api.serviceRequests.get(srUuid)
      expect(seen).toEqual(["Legitmark.serviceRequests.get"])
    }))
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
