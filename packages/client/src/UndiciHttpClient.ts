/**
 * An `HttpClient` on undici's `Dispatcher.request`, for Node: the transport the client costs least on.
 *
 * It sends what `@effect/platform-node`'s `NodeHttpClient.layerUndici` sends, and answers the same
 * `HttpClientResponse`, with less work per request: no `http.client` span of its own (the
 * `LegitmarkClient` call's span already covers the request), one abort controller and no registry of
 * them, and a response whose headers and body are read once, without running a fiber per read.
 * Interrupting a request or a body read aborts it. Like undici, it never follows a redirect. It keeps
 * the `LegitmarkClient`'s per-attempt timeout itself (the request and its body are aborted when it runs
 * out), so that timing a call out costs no fiber; other callers get no timeout from it.
 *
 * Any other `HttpClient` works with the client too, e.g. `FetchHttpClient.layer` from `@effect/platform`
 * or `NodeHttpClient.layerUndici` from `@effect/platform-node`, one Layer away.
 *
 * Not re-exported from the package's index: it imports `undici` (an optional peer dependency), which
 * a client on another transport should not load. Import it as `@effect-legitmark/client/UndiciHttpClient`.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { Agent, type Dispatcher, FormData as UndiciFormData } from "undici"
import { DeadlineExceeded } from "./internal/deadline.js"
import * as Transport from "./internal/transport.js"

class UndiciResponse extends Transport.TransportResponse {
  constructor(
    request: HttpClientRequest.HttpClientRequest,
    private readonly source: Dispatcher.ResponseData,
    /** The request's deadline timer, if it has one: cleared once the body is read. */
    private readonly timer: ReturnType<typeof setTimeout> | undefined
  ) {
    super(request, source.statusCode, source.headers)
    // A body that fails after nobody reads it must not become an unhandled error.
    source.body.on("error", () => {})
  }

  // The whole body, read once whoever asks first.
  private wholeBody: Promise<Uint8Array> | undefined

  // Past `maxBytes` the body is destroyed (which aborts the request): the rest is never read.
  private collect(maxBytes: number | undefined): Promise<Uint8Array> {
    const body = this.source.body
    if (maxBytes === undefined) return body.arrayBuffer().then((bytes) => new Uint8Array(bytes))
    return new Promise((resolve, reject) => {
      const chunks: Array<Buffer> = []
      let received = 0
      body.on("data", (chunk: Buffer) => {
        received += chunk.length
        if (received <= maxBytes) return void chunks.push(chunk)
        chunks.length = 0
        body.destroy(new Transport.BodyTooLarge(maxBytes, received))
      })
      body.on("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)))
      body.on("error", reject)
    })
  }

  protected read(maxBytes: number | undefined): Effect.Effect<Uint8Array, HttpClientError.ResponseError> {
    return Effect.async((resume) => {
      const body = this.wholeBody ??= this.collect(maxBytes)
      body.then(
        (bytes) => {
          clearTimeout(this.timer)
          resume(Effect.succeed(bytes))
        },
        (cause) => {
          clearTimeout(this.timer)
          resume(Effect.fail(this.decodeError(cause)))
        }
      )
      return Effect.sync(() => this.source.body.destroy())
    })
  }

  protected get wholeRequested(): boolean {
    return this.wholeBody !== undefined
  }

  protected get arriving(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    const body = this.source.body
    return Stream.fromAsyncIterable(body, (cause) => this.decodeError(cause)).pipe(
      Stream.ensuring(Effect.sync(() => body.destroy()))
    )
  }
}

type Body = Exclude<Dispatcher.RequestOptions["body"], undefined>

const bodyOf = (request: HttpClientRequest.HttpClientRequest): Effect.Effect<Body> => {
  const body = request.body
  switch (body._tag) {
    case "Empty":
      return Effect.succeed(null)
    case "Uint8Array":
      return Effect.succeed(body.body)
    case "Raw":
      return Effect.succeed(body.body as Body)
    case "FormData": {
      // The global FormData is Node's own copy of undici's; this package's undici wants its own.
      const form = new UndiciFormData()
      for (const [name, value] of body.formData) form.append(name, value)
      return Effect.succeed(form)
    }
    case "Stream":
      // A stream that fails aborts the request with its error, which ends up in the `RequestError`'s cause.
      return Transport.readableBody(body.stream)
  }
}

/**
 * An `HttpClient` sending through `dispatcher` (an undici `Agent`, `Pool`, `MockAgent`...).
 *
 * @since 0.1.0
 */
export const make = (dispatcher: Dispatcher): HttpClient.HttpClient => {
  return Transport.make((request, url, timeoutMillis) =>
    Effect.flatMap(
      bodyOf(request),
      (body) =>
        Effect.async<HttpClientResponse.HttpClientResponse, HttpClientError.RequestError>((resume) => {
          const controller = new AbortController()
          // The client's per-attempt timeout, when it is kept here: the request and its body are aborted.
          // Unref'd: the connection keeps the process alive while it matters; an unread body's timer need not.
          const timer = timeoutMillis === undefined ? undefined : setTimeout(
            () => controller.abort(new DeadlineExceeded(timeoutMillis)),
            timeoutMillis
          ).unref()
          dispatcher.request({
            origin: url.origin,
            path: url.pathname + url.search,
            method: request.method as Dispatcher.HttpMethod,
            headers: request.headers,
            body,
            signal: controller.signal,
            // Timeouts are the caller's.
            headersTimeout: 0,
            bodyTimeout: 0
          }).then(
            (response) => resume(Effect.succeed(new UndiciResponse(request, response, timer))),
            (error) => {
              clearTimeout(timer)
              const reason: unknown = controller.signal.reason
              const cause = reason instanceof DeadlineExceeded ? reason : error
              resume(Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause })))
            }
          )
          return Effect.sync(() => {
            clearTimeout(timer)
            controller.abort()
          })
        })
    )
  )
}

/**
 * The client on its own undici `Agent`, closed with the layer.
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<HttpClient.HttpClient> = Layer.scoped(
  HttpClient.HttpClient,
  Effect.map(
    Effect.acquireRelease(Effect.sync(() => new Agent()), (agent) => Effect.promise(() => agent.destroy())),
    make
  )
)

/**
 * The client on a dispatcher you manage (pool sizes, TLS, a proxy, a `MockAgent` in tests).
 *
 * @since 0.1.0
 */
export const layerDispatcher = (dispatcher: Dispatcher): Layer.Layer<HttpClient.HttpClient> =>
  Layer.succeed(HttpClient.HttpClient, make(dispatcher))
