/**
 * What users expect of a call, end to end: the real client over real HTTP against the simulator on
 * 127.0.0.1, on the client's own transports and on others' `HttpClient`s. The request id of a success (a
 * presigned PUT, which the storage host names as S3 does) on the call's span, in its Debug line and through
 * `withResponse`; the head of an API answer through `withResponse`; a per-call timeout shorter than the
 * client's (an answer the simulator holds) and longer (an answer it delays); OpenTelemetry's HTTP client
 * attributes on the call's span.
 */
import { LegitmarkClient, RetryPolicy } from "@effect-legitmark/client"
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import * as UndiciHttpClient from "@effect-legitmark/client/UndiciHttpClient"
import { Simulator } from "@effect-legitmark/simulator"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Tracer from "effect/Tracer"
import { capture, type Captured, empty } from "./support/Capture.js"
import { draftSide, missing, photo } from "./support/EndpointCalls.js"

const apiKey = "leo_e2e_calls_6d1f0a"

const transports: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["AgentHttpClient.layer", AgentHttpClient.layer],
  ["UndiciHttpClient.layer", UndiciHttpClient.layer],
  ["NodeHttpClient.layerUndici", NodeHttpClient.layerUndici],
  ["FetchHttpClient.layer", FetchHttpClient.layer]
]

/** A simulator on a manual clock, and a client on it through `transport`, as long as the test's scope. */
const setup = (transport: Layer.Layer<HttpClient.HttpClient>, timeout?: Duration.DurationInput) =>
  Effect.gen(function*() {
    const simulator = yield* Simulator.start({ apiKeys: [apiKey], clock: "manual" })
    const context = yield* Layer.build(
      LegitmarkClient.layer({
        apiKey: Redacted.make(apiKey),
        baseUrl: simulator.baseUrl,
        assetUrl: simulator.assetUrl,
        ...(timeout === undefined ? {} : { timeout })
      }).pipe(Layer.provide(Layer.merge(transport, RetryPolicy.none)))
    )
    return { simulator, client: Context.get(context, LegitmarkClient) }
  })

const spanNamed = (captured: Captured, name: string): Tracer.Span => {
  const spans = captured.spans.filter(({ span }) => span.name === name)
  expect(spans).toHaveLength(1)
  return spans[0]!.span
}

describe.each(transports)("calls through %s", (_, transport) => {
  it.scopedLive("a success's request id and head: on its span, in its Debug line, through withResponse", () =>
    Effect.gen(function*() {
      const { client, simulator } = yield* setup(transport)
      const { side, sr } = yield* draftSide(client, "E2E-CALLS-1")

      const got = yield* LegitmarkClient.withResponse(client.serviceRequests.get(sr))
      expect(got.value.uuid).toBe(sr)
      assert(Option.isSome(got.response))
      expect(got.response.value).toMatchObject({
        status: 200,
        method: "GET",
        url: `${simulator.baseUrl}/api/v2/sr/${sr}`
      })
      expect(got.response.value.headers["x-ratelimit-limit-partner"]).toBeDefined()
      expect(got.response.value.headers["content-type"]).toContain("application/json")
      expect(JSON.stringify(got.response.value.headers)).not.toContain(apiKey)

      const url = yield* client.media.intent(sr, side, "png")
      const captured = empty()
      const put = yield* LegitmarkClient.withResponse(client.media.put(url, yield* photo(0))).pipe(capture(captured))
      assert(Option.isSome(put.response))
      const { requestId, status } = put.response.value
      expect(status).toBe(200)
      expect(requestId).toMatch(/^[0-9A-F]{16}$/)
      expect(put.response.value.url).toBe(url.slice(0, url.indexOf("?")))

      const span = spanNamed(captured, "Legitmark.media.put")
      expect(Object.fromEntries(span.attributes)).toMatchObject({
        "http.request.method": "PUT",
        "http.response.status_code": 200,
        "legitmark.request_id": requestId,
        "server.address": "127.0.0.1",
        "server.port": simulator.port,
        "url.path": new URL(url).pathname,
        "url.full": url.slice(0, url.indexOf("?"))
      })
      expect(JSON.stringify([...span.attributes.values()])).not.toContain("signature=")
      expect(captured.logs.filter((line) => line.includes(`answered 200 (request id ${requestId})`))).toHaveLength(1)
    }))

  it.scopedLive("withTimeout shorter than the client's: an answer the simulator holds times out at it", () =>
    Effect.gen(function*() {
      const { client, simulator } = yield* setup(transport)
      // On the manual clock, a held answer comes only when the simulator's clock is moved on.
      yield* simulator.injectFault({ route: "taxonomy.tree", fault: "hold", ms: 60_000, times: 1 })
      const captured = empty()
      const error = yield* Effect.flip(
        client.taxonomy.tree().pipe(LegitmarkClient.withTimeout("300 millis"), capture(captured))
      )
      assert(error._tag === "TimeoutError")
      expect(Duration.toMillis(error.timeout)).toBe(300)
      expect(error.message).toBe("No answer within 300ms")
      const span = spanNamed(captured, "Legitmark.taxonomy.tree")
      expect(span.attributes.get("error.type")).toBe("TimeoutError")
      expect(span.attributes.has("http.response.status_code")).toBe(false)
      // The fault fired once: the next call is answered, within the client's timeout.
      expect(yield* client.taxonomy.tree()).toEqual(expect.any(Array))
    }))

  it.scopedLive("withTimeout longer than the client's: an answer the client alone gives up on comes", () =>
    Effect.gen(function*() {
      const { client, simulator } = yield* setup(transport, "250 millis")
      yield* simulator.injectFault({ route: "taxonomy.tree", fault: "delay", ms: 1000, times: 2 })
      const error = yield* Effect.flip(client.taxonomy.tree())
      assert(error._tag === "TimeoutError")
      expect(Duration.toMillis(error.timeout)).toBe(250)
      const tree = yield* client.taxonomy.tree().pipe(LegitmarkClient.withTimeout("1 minute"))
      expect(tree.length).toBeGreaterThan(0)
    }))

  it.scopedLive("a failure's span: error.type, the status the server gave, where the call went", () =>
    Effect.gen(function*() {
      const { client, simulator } = yield* setup(transport)
      const captured = empty()
      const error = yield* Effect.flip(client.serviceRequests.get(missing).pipe(capture(captured)))
      expect(error._tag).toBe("NotFoundError")
      const span = spanNamed(captured, "Legitmark.serviceRequests.get")
      expect(Object.fromEntries(span.attributes)).toMatchObject({
        "error.type": "NotFoundError",
        "http.response.status_code": 404,
        "server.address": "127.0.0.1",
        "server.port": simulator.port,
        "url.path": `/api/v2/sr/${missing}`
      })
    }))
})
