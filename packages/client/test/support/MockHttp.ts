/**
 * A recording mock `HttpClient`: answers each request from a script and keeps every request it saw.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"

export interface Recorded {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string | undefined
  /** The raw body, streamed bodies included. */
  readonly bytes: Uint8Array | undefined
  /** How the body was handed to the transport: `Uint8Array` (bytes in hand), `Stream`, `Empty`… */
  readonly bodyTag: string
  /** When the request was sent, by the fiber's `Clock` (the `TestClock` in tests). */
  readonly at: number
}

/** What the mock answers: a response, or a connection failure with a Node error code. */
export type Answer =
  | { readonly status: number; readonly body?: unknown; readonly headers?: Record<string, string> }
  | { readonly refused: true }
  | { readonly reset: true }
  /** Never answers: the client's timeout decides. */
  | { readonly hang: true }

export class Recorder extends Context.Tag("test/Recorder")<Recorder, Ref.Ref<ReadonlyArray<Recorded>>>() {}

const bodyBytes = (request: HttpClientRequest.HttpClientRequest): Effect.Effect<Uint8Array | undefined, unknown> => {
  switch (request.body._tag) {
    case "Uint8Array":
      return Effect.succeed(request.body.body)
    case "Stream":
      return Stream.runFold(request.body.stream, new Uint8Array(), (all, chunk) => {
        const next = new Uint8Array(all.byteLength + chunk.byteLength)
        next.set(all)
        next.set(chunk, all.byteLength)
        return next
      })
    default:
      return Effect.succeed(undefined)
  }
}

const connectionError = (request: HttpClientRequest.HttpClientRequest, code: string) =>
  new HttpClientError.RequestError({
    request,
    reason: "Transport",
    cause: new TypeError("fetch failed", { cause: Object.assign(new Error(code), { code }) })
  })

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  body,
  headers
})

/**
 * Provides `HttpClient` and `Recorder`. `script` answers the nth request (0-based); the last answer
 * repeats when the script runs out.
 */
export const layer = (script: ReadonlyArray<Answer> | ((request: Recorded, n: number) => Answer)) =>
  layerEffect((request, n) =>
    Effect.succeed(typeof script === "function" ? script(request, n) : script[Math.min(n, script.length - 1)]!)
  )

/**
 * As `layer`, but each answer is an effect, e.g. one that waits on a `Deferred` to hold a request in
 * flight. The request is recorded before its answer is computed.
 */
export const layerEffect = (answerFor: (request: Recorded, n: number) => Effect.Effect<Answer>) =>
  Layer.unwrapEffect(Effect.gen(function*() {
    const recorded = yield* Ref.make<ReadonlyArray<Recorded>>([])
    const client = HttpClient.make((request) =>
      Effect.gen(function*() {
        // As a real transport does, a body stream that fails fails the request with it as the cause.
        const bytes = yield* Effect.mapError(
          bodyBytes(request),
          (cause) => new HttpClientError.RequestError({ request, reason: "Transport", cause })
        )
        const seen: Recorded = {
          method: request.method,
          url: request.url +
            (request.urlParams.length > 0
              ? `?${new URLSearchParams(request.urlParams.map(([k, v]): [string, string] => [k, v]))}`
              : ""),
          headers: request.headers,
          body: bytes && new TextDecoder().decode(bytes),
          bytes,
          bodyTag: request.body._tag,
          at: yield* Clock.currentTimeMillis
        }
        const n = (yield* Ref.getAndUpdate(recorded, (all) => [...all, seen])).length
        const answer = yield* answerFor(seen, n)
        if ("refused" in answer) return yield* connectionError(request, "ECONNREFUSED")
        if ("reset" in answer) return yield* connectionError(request, "ECONNRESET")
        if ("hang" in answer) return yield* Effect.never
        const body = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body ?? null)
        return HttpClientResponse.fromWeb(
          request,
          new Response(body, { status: answer.status, headers: answer.headers ?? {} })
        )
      })
    )
    return Layer.merge(Layer.succeed(HttpClient.HttpClient, client), Layer.succeed(Recorder, recorded))
  }))

export const requests = Effect.flatMap(Recorder, Ref.get)
