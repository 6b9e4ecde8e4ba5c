/**
 * An `HttpClient` that answers each request by running an `HttpApp` in the caller's fiber: no socket, no
 * port, the same app a server would serve. Bodies stay streams both ways (a request body is read only as
 * the app reads it). The simulator's in-process face: `InProcessHttpClient.make(core.app)`.
 *
 * @since 0.2.0
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"

/**
 * @since 0.2.0
 */
export interface Options {
  /** The address the app sees the request come from. Default `127.0.0.1`: a call in process is local. */
  readonly remoteAddress?: string | undefined
}

const encodeError = (request: HttpClientRequest.HttpClientRequest, description: string) =>
  new HttpClientError.RequestError({ request, reason: "Encode", description })

// The request body as `fetch` would send it.
const bodyOf = (
  request: HttpClientRequest.HttpClientRequest
): Effect.Effect<RequestInit["body"], HttpClientError.RequestError> => {
  const body = request.body
  switch (body._tag) {
    case "Empty":
      return Effect.succeed(undefined)
    case "Uint8Array":
      return Effect.succeed(body.body)
    case "FormData":
      return Effect.succeed(body.formData)
    case "Stream":
      return Effect.mapError(
        Stream.toReadableStreamEffect(body.stream),
        () => encodeError(request, "the body stream could not be read")
      )
    case "Raw": {
      const raw = body.body
      return typeof raw === "string" || raw instanceof Uint8Array || raw instanceof ArrayBuffer ||
          raw instanceof Blob || raw instanceof ReadableStream || raw instanceof URLSearchParams
        ? Effect.succeed(raw)
        : Effect.fail(encodeError(request, "a raw body must be a string, bytes, a Blob or a ReadableStream"))
    }
  }
}

/**
 * An `HttpClient` over `app`. A failure of the app (no answer at all) is a `RequestError` with reason
 * `Transport` and the failure as its cause, as a connection lost mid-request would be.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = <E>(app: HttpApp.Default<E>, options: Options = {}): HttpClient.HttpClient =>
  HttpClient.make((request, url) =>
    Effect.gen(function*() {
      const body = yield* bodyOf(request)
      // The Fetch rules apply: e.g. a GET with a body is refused, as `fetch` would refuse it.
      const web = yield* Effect.try({
        try: () =>
          new Request(url, {
            method: request.method,
            headers: request.headers,
            ...(body === undefined ? {} : { body, duplex: "half" })
          }),
        catch: (cause) => new HttpClientError.RequestError({ request, reason: "Encode", cause })
      })
      const serverRequest = HttpServerRequest.fromWeb(web).modify({
        remoteAddress: options.remoteAddress ?? "127.0.0.1"
      })
      const response = yield* app.pipe(
        Effect.provideService(HttpServerRequest.HttpServerRequest, serverRequest),
        Effect.mapError((cause) => new HttpClientError.RequestError({ request, reason: "Transport", cause }))
      )
      const runtime = yield* Effect.runtime<never>()
      // An answer HTTP cannot carry (a body on a 204) is no answer at all.
      const answer = yield* Effect.try({
        try: () => HttpServerResponse.toWeb(response, { withoutBody: request.method === "HEAD", runtime }),
        catch: (cause) => new HttpClientError.RequestError({ request, reason: "Transport", cause })
      })
      return HttpClientResponse.fromWeb(request, answer)
    })
  )

/**
 * `make` as a Layer providing `HttpClient`.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = <E>(app: HttpApp.Default<E>, options: Options = {}): Layer.Layer<HttpClient.HttpClient> =>
  Layer.succeed(HttpClient.HttpClient, make(app, options))
