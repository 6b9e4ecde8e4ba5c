/**
 * An `HttpClient` on undici's `Dispatcher.request`, for Node: the transport the client costs least on.
 *
 * It sends what `@effect/platform-node`'s `NodeHttpClient.layerUndici` sends, and answers the same
 * `HttpClientResponse`, with less work per request: no `http.client` span of its own (the
 * `LegitmarkClient` call's span already covers the request), one abort controller and no registry of
 * them, and a response whose headers and body are read once, without running a fiber per read.
 * Interrupting a request or a body read aborts it. Like undici, it never follows a redirect. Its layers
 * also provide the client's `Transport` path: a request sent with the client's per-attempt deadline and
 * answer-size limit, kept by a timer and a byte count (the request and its body are aborted past either),
 * and its answer read whole in the same step, so that a call costs no fiber for its timeout.
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
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { Readable } from "node:stream"
import { Agent, type Dispatcher, FormData as UndiciFormData } from "undici"
import * as Own from "./internal/ownTransport.js"
import type * as Transport from "./Transport.js"

class UndiciResponse extends Own.TransportResponse {
  constructor(
    request: HttpClientRequest.HttpClientRequest,
    private readonly source: Dispatcher.ResponseData
  ) {
    super(request, source.statusCode, source.headers)
    // A body that fails after nobody reads it must not become an unhandled error.
    source.body.on("error", () => {})
  }

  // The whole body, read once whoever asks first.
  private wholeBody: Promise<Uint8Array> | undefined

  protected read(): Effect.Effect<Uint8Array, HttpClientError.ResponseError> {
    return Effect.async((resume) => {
      const body = this.wholeBody ??= this.source.body.arrayBuffer().then((bytes) => new Uint8Array(bytes))
      body.then(
        (bytes) => resume(Effect.succeed(bytes)),
        (cause) => resume(Effect.fail(this.decodeError(cause)))
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
      // A stream that fails aborts the request with its error, which ends up in the failure's cause.
      return Own.readableBody(body.stream)
  }
}

const optionsOf = (
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  body: Body,
  signal: AbortSignal
): Dispatcher.RequestOptions => ({
  origin: url.origin,
  path: url.pathname + url.search,
  method: request.method as Dispatcher.HttpMethod,
  headers: request.headers,
  body,
  signal,
  // Timeouts are the caller's.
  headersTimeout: 0,
  bodyTimeout: 0
})

/** One request on the wire: how to stop it, and why the client stopped it. */
class Exchange {
  readonly controller = new AbortController()
  stop: Own.Stop | undefined = undefined
  timer: ReturnType<typeof setTimeout> | undefined = undefined

  abort(stop: Own.Stop | undefined): void {
    clearTimeout(this.timer)
    this.stop ??= stop
    this.controller.abort()
  }
}

/** Reads a body whole; past `maxBytes` the exchange is stopped: the rest is never read. */
const readWhole = (
  source: Dispatcher.ResponseData,
  head: Transport.Head,
  maxBytes: number,
  exchange: Exchange
): Promise<Uint8Array> => {
  const body = source.body
  // A length within the limit, on a body undici does not decode: no more than that is read.
  const length = Number(head.headers["content-length"])
  if (Number.isSafeInteger(length) && length <= maxBytes) {
    return body.arrayBuffer().then((bytes) => new Uint8Array(bytes))
  }
  return new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let received = 0
    body.on("data", (chunk: Buffer) => {
      received += chunk.length
      if (received <= maxBytes) return void chunks.push(chunk)
      chunks.length = 0
      exchange.abort({ _tag: "TooLarge", limit: maxBytes, received })
      body.destroy()
      reject(new Error("The answer is larger than the limit"))
    })
    body.on("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)))
    body.on("error", reject)
  })
}

const wire = (dispatcher: Dispatcher): Own.Wire => ({
  execute: (request, url) =>
    Effect.flatMap(
      bodyOf(request),
      (body) =>
        Effect.async<HttpClientResponse.HttpClientResponse, HttpClientError.RequestError>((resume) => {
          const controller = new AbortController()
          dispatcher.request(optionsOf(request, url, body, controller.signal)).then(
            (response) => resume(Effect.succeed(new UndiciResponse(request, response))),
            (cause) => resume(Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause })))
          )
          return Effect.sync(() => controller.abort())
        })
    ),
  send: (request, url, { maxBytes, timeout }) =>
    Effect.flatMap(bodyOf(request), (body) =>
      Effect.async<Transport.Answer, Transport.Failure>((resume) => {
        const exchange = new Exchange()
        // A request body that fails is why the request failed.
        if (body instanceof Readable) body.once("error", (error) => exchange.abort({ _tag: "Body", error }))
        // Unref'd: the connection keeps the process alive while it matters.
        if (timeout !== undefined) {
          exchange.timer = setTimeout(() => exchange.abort({ _tag: "Deadline", millis: timeout }), timeout).unref()
        }
        const fail = (error: unknown, head?: Transport.Head) => {
          clearTimeout(exchange.timer)
          resume(Effect.fail(Own.failure(exchange.stop, error, head)))
        }
        dispatcher.request(optionsOf(request, url, body, exchange.controller.signal)).then(
          (response) => {
            const head = { status: response.statusCode, headers: Own.headersOf(response.headers) }
            response.body.on("error", () => {})
            readWhole(response, head, maxBytes, exchange).then(
              (bytes) => {
                clearTimeout(exchange.timer)
                resume(Effect.succeed({ ...head, body: bytes }))
              },
              (error) => fail(error, head)
            )
          },
          (error) => fail(error)
        )
        return Effect.sync(() => exchange.abort(undefined))
      }))
})

/**
 * An `HttpClient` sending through `dispatcher` (an undici `Agent`, `Pool`, `MockAgent`...), without the
 * client's own path: see {@link layerDispatcher}.
 *
 * @since 0.1.0
 */
export const make = (dispatcher: Dispatcher): HttpClient.HttpClient =>
  Context.get(Own.services(wire(dispatcher)), HttpClient.HttpClient)

/**
 * The client on its own undici `Agent`, closed with the layer.
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<HttpClient.HttpClient | Transport.Transport> = Layer.scopedContext(
  Effect.map(
    Effect.acquireRelease(Effect.sync(() => new Agent()), (agent) => Effect.promise(() => agent.destroy())),
    (agent) => Own.services(wire(agent))
  )
)

/**
 * The client on a dispatcher you manage (pool sizes, TLS, a proxy, a `MockAgent` in tests).
 *
 * @since 0.1.0
 */
export const layerDispatcher = (
  dispatcher: Dispatcher
): Layer.Layer<HttpClient.HttpClient | Transport.Transport> => Layer.succeedContext(Own.services(wire(dispatcher)))
