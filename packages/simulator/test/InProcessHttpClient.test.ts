/**
 * The in-process face: an HttpClient that runs an HttpApp in the caller's fiber, bodies streamed both ways.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import * as InProcessHttpClient from "../src/InProcessHttpClient.js"

class Gone extends Data.TaggedError("Gone")<{}> {}

const chunk = new Uint8Array(64 * 1024).fill(7)

const app = (started: Deferred.Deferred<void>, interrupted: Ref.Ref<boolean>) =>
  HttpRouter.empty.pipe(
    // Counts the body as it streams in, answering its size and the request's facts.
    HttpRouter.put(
      "/count",
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        const size = yield* Stream.runFold(request.stream, 0, (n, c) => n + c.length)
        return HttpServerResponse.unsafeJson({
          size,
          type: request.headers["content-type"],
          length: request.headers["content-length"] ?? null,
          from: request.remoteAddress._tag === "Some" ? request.remoteAddress.value : null,
          query: request.url
        }, { status: 201, headers: { "x-seen": "yes" } })
      })
    ),
    // Answers a 100-chunk stream.
    HttpRouter.get("/stream", Effect.succeed(HttpServerResponse.stream(Stream.range(1, 100).pipe(Stream.as(chunk))))),
    HttpRouter.get("/gone", Effect.fail(new Gone())),
    HttpRouter.get("/no-content", Effect.succeed(HttpServerResponse.text("body", { status: 204 }))),
    HttpRouter.get(
      "/hang",
      Effect.zipRight(
        Deferred.succeed(started, undefined),
        Effect.never.pipe(Effect.onInterrupt(() => Ref.set(interrupted, true)))
      )
    ),
    Effect.catchTag("RouteNotFound", () => Effect.succeed(HttpServerResponse.empty({ status: 404 })))
  )

const setup = Effect.gen(function*() {
  const started = yield* Deferred.make<void>()
  const interrupted = yield* Ref.make(false)
  return { client: InProcessHttpClient.make(app(started, interrupted)), started, interrupted }
})

describe("InProcessHttpClient", () => {
  it.effect("sends a streamed body the app reads as it comes, with its headers and query", () =>
    Effect.gen(function*() {
      const { client } = yield* setup
      const body = Stream.range(1, 16).pipe(Stream.as(chunk))
      const response = yield* client.execute(
        HttpClientRequest.put("http://in.process/count", { urlParams: { a: "1" } }).pipe(
          HttpClientRequest.bodyStream(body, { contentType: "image/png", contentLength: 16 * chunk.length })
        )
      )
      assert.strictEqual(response.status, 201)
      assert.strictEqual(response.headers["x-seen"], "yes")
      assert.deepStrictEqual(yield* response.json, {
        size: 16 * chunk.length,
        type: "image/png",
        length: String(16 * chunk.length),
        from: "127.0.0.1",
        query: "/count?a=1"
      })
    }))

  it.effect("streams the answer back", () =>
    Effect.gen(function*() {
      const { client } = yield* setup
      const response = yield* client.get("http://in.process/stream")
      const chunks = yield* Stream.runCollect(response.stream)
      assert.isAbove(Chunk.size(chunks), 1)
      assert.strictEqual(Chunk.reduce(chunks, 0, (n, c) => n + c.length), 100 * chunk.length)
      const head = yield* client.execute(HttpClientRequest.head("http://in.process/stream"))
      assert.strictEqual(head.status, 200)
      assert.strictEqual((yield* head.arrayBuffer).byteLength, 0)
    }))

  it.effect("an app that fails gives no answer: a transport RequestError caused by the failure", () =>
    Effect.gen(function*() {
      const { client } = yield* setup
      const error = yield* Effect.flip(client.get("http://in.process/gone"))
      assert.strictEqual(error._tag, "RequestError")
      assert.isTrue(error._tag === "RequestError" && error.reason === "Transport" && error.cause instanceof Gone)
      assert.strictEqual((yield* client.get("http://in.process/elsewhere")).status, 404)
    }))

  it.effect("what fetch refuses is refused as it would be: a GET with a body, a 204 with one", () =>
    Effect.gen(function*() {
      const { client } = yield* setup
      const get = yield* Effect.flip(client.execute(
        HttpClientRequest.get("http://in.process/stream").pipe(HttpClientRequest.bodyText("x"))
      ))
      assert.isTrue(get._tag === "RequestError" && get.reason === "Encode")
      const noContent = yield* Effect.flip(client.get("http://in.process/no-content"))
      assert.isTrue(noContent._tag === "RequestError" && noContent.reason === "Transport")
    }))

  it.effect("interrupting the caller interrupts the app, as a closed connection does", () =>
    Effect.gen(function*() {
      const { client, interrupted, started } = yield* setup
      const fiber = yield* Effect.fork(
        HttpClient.get("http://in.process/hang").pipe(
          Effect.provideService(HttpClient.HttpClient, client)
        )
      )
      yield* Deferred.await(started)
      yield* Fiber.interrupt(fiber)
      assert.isTrue(yield* Ref.get(interrupted))
    }))
})
