/**
 * An `HttpClient` on Node's own `node:http` / `node:https` agents, with keep-alive: the transport the
 * client is lightest on (least memory, fastest start, CPU per request on a par with undici's), and the
 * one the README provides.
 *
 * `@effect/platform-node`'s `NodeHttpClient.layer` is on the same modules; this one sends the same
 * requests and answers the same `HttpClientResponse`, with less work per request. It makes no
 * `http.client` span of its own (the `LegitmarkClient` call's span already covers the request), reads
 * headers and body once, without running a fiber per read, and loads nothing beyond Node. Interrupting a
 * request or a body read destroys it on the wire. Like `node:http`, it never follows a redirect. Its layers
 * also provide the client's `Transport` path: a request sent with the client's per-attempt deadline and
 * answer-size limit, kept by a timer and a byte count (the request and its body are destroyed past
 * either), and its answer read whole in the same step, so that a call costs no fiber for its timeout.
 *
 * Any other `HttpClient` works with the client too, e.g. `FetchHttpClient.layer` from `@effect/platform`
 * or `NodeHttpClient.layerUndici` from `@effect/platform-node`, one Layer away.
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
import * as Http from "node:http"
import * as Https from "node:https"
import { pipeline, Readable } from "node:stream"
import * as Own from "./internal/ownTransport.js"
import * as Transport from "./Transport.js"

/**
 * The keep-alive agents requests go through, by protocol.
 *
 * @since 0.1.0
 */
export interface Agents {
  readonly http: Http.Agent
  readonly https: Https.Agent
}

/** One request on the wire: how to stop it, and why the client stopped it. */
class Exchange {
  stop: Own.Stop | undefined = undefined
  timer: ReturnType<typeof setTimeout> | undefined = undefined
  response: Http.IncomingMessage | undefined = undefined

  constructor(readonly request: Http.ClientRequest) {}

  /**
   * Destroys the request (and its answer, if one came), remembering why. With an error, a request not yet
   * answered reports it ('error'); an answer being read is cut short.
   */
  abort(stop: Own.Stop | undefined, error?: Error): void {
    clearTimeout(this.timer)
    this.stop ??= stop
    this.request.destroy(error)
  }

  /** What a failure on the wire comes from for the `HttpClient` face: a failing request body, else itself. */
  causeOf(error: unknown): unknown {
    return this.stop?._tag === "Body" ? this.stop.error : error
  }
}

/** Why a request was cut short by the client (the error its 'error' event then carries). */
const stopped = new Error("stopped by the client")

/**
 * Reads `source` whole, at once when it has all arrived and nobody has started reading it (a small answer
 * usually comes in the same packets as its headers), else as it arrives. Past `maxBytes` the exchange is
 * stopped. Calls back once.
 */
const readWhole = (
  source: Http.IncomingMessage,
  exchange: Exchange,
  maxBytes: number | undefined,
  onBody: (body: Buffer) => void,
  onError: (error: unknown) => void
): void => {
  // Destroyed before anyone read it (its deadline passed, it was interrupted): its data is gone.
  if (source.destroyed) return onError(source.errored ?? new Error("The answer was cut short"))
  let received = 0
  const chunks: Array<Buffer> = []
  const done = () => {
    clearTimeout(exchange.timer)
    onBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks))
  }
  if (source.complete && source.readableFlowing === null) {
    // In paused mode, `read()` answers everything buffered at once, then null.
    for (let chunk: Buffer | null = source.read(); chunk !== null; chunk = source.read()) {
      received += chunk.length
      chunks.push(chunk)
    }
    if (maxBytes === undefined || received <= maxBytes) return done()
    // All of it came already: nothing to stop.
    clearTimeout(exchange.timer)
    exchange.stop ??= { _tag: "TooLarge", limit: maxBytes, received }
    return onError(stopped)
  }
  source.on("data", (chunk: Buffer) => {
    received += chunk.length
    if (maxBytes === undefined || received <= maxBytes) return void chunks.push(chunk)
    chunks.length = 0
    exchange.abort({ _tag: "TooLarge", limit: maxBytes, received }, stopped)
  })
  source.on("end", done)
  source.on("error", onError)
  // Destroyed before its end, with no error of its own (an interruption, the limit).
  source.on("close", () => {
    if (!source.complete) onError(new Error("The answer was cut short"))
  })
}

class NodeResponse extends Own.TransportResponse {
  private body: Promise<Buffer> | undefined

  constructor(
    request: HttpClientRequest.HttpClientRequest,
    private readonly source: Http.IncomingMessage,
    private readonly exchange: Exchange
  ) {
    super(request, source.statusCode ?? 0, source.headers)
    // A body that fails after nobody reads it must not become an unhandled error.
    source.on("error", () => {})
  }

  // The whole body, read once whoever asks first.
  protected read(): Effect.Effect<Uint8Array, HttpClientError.ResponseError> {
    return Effect.async<Uint8Array, HttpClientError.ResponseError>((resume) => {
      this.body ??= new Promise((resolve, reject) =>
        readWhole(this.source, this.exchange, undefined, resolve, (error) => reject(this.exchange.causeOf(error)))
      )
      this.body.then(
        (body) => resume(Effect.succeed(body)),
        (cause) => resume(Effect.fail(this.decodeError(cause)))
      )
      return Effect.sync(() => this.exchange.abort(undefined))
    })
  }

  protected get wholeRequested(): boolean {
    return this.body !== undefined
  }

  protected get arriving(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return Stream.fromAsyncIterable<Uint8Array, HttpClientError.ResponseError>(
      this.source,
      (cause) => this.decodeError(this.exchange.causeOf(cause))
    ).pipe(Stream.ensuring(Effect.sync(() => this.source.destroy())))
  }
}

/** What to write after the headers, and any header the body decides (a form's boundary). */
type Outgoing =
  | { readonly _tag: "End"; readonly chunk?: string | Uint8Array }
  | { readonly _tag: "Pipe"; readonly stream: Readable; readonly contentType?: string }

const outgoing = (
  request: HttpClientRequest.HttpClientRequest
): Effect.Effect<Outgoing, HttpClientError.RequestError> => {
  const body = request.body
  switch (body._tag) {
    case "Empty":
      return Effect.succeed({ _tag: "End" })
    case "Uint8Array":
      return Effect.succeed({ _tag: "End", chunk: body.body })
    case "Raw": {
      const raw = body.body
      if (typeof raw === "string" || raw instanceof Uint8Array) return Effect.succeed({ _tag: "End", chunk: raw })
      if (raw instanceof Readable) return Effect.succeed({ _tag: "Pipe", stream: raw })
      if (raw instanceof ReadableStream) {
        return Effect.succeed({ _tag: "Pipe", stream: Own.nodeReadable(raw) })
      }
      return Effect.fail(
        new HttpClientError.RequestError({ request, reason: "Encode", cause: new TypeError("Unsupported raw body") })
      )
    }
    case "FormData": {
      // The global `Response` encodes the form, and names its boundary.
      const encoded = new Response(body.formData)
      const contentType = encoded.headers.get("content-type") ?? undefined
      const stream = encoded.body === null ? Readable.from([]) : Own.nodeReadable(encoded.body)
      return Effect.succeed(
        contentType === undefined ? { _tag: "Pipe", stream } : { _tag: "Pipe", stream, contentType }
      )
    }
    case "Stream":
      // A stream that fails destroys the request with its error, which ends up in the failure's cause.
      return Effect.map(Own.readableBody(body.stream), (stream) => ({ _tag: "Pipe", stream }))
  }
}

/** Starts `request` on the wire and writes its body. */
const start = (agents: Agents, request: HttpClientRequest.HttpClientRequest, url: URL, body: Outgoing): Exchange => {
  const secure = url.protocol === "https:"
  const headers = body._tag === "Pipe" && body.contentType !== undefined
    ? { ...request.headers, "content-type": body.contentType }
    : request.headers
  const options: Http.RequestOptions = {
    method: request.method,
    protocol: url.protocol,
    // An IPv6 host comes bracketed in a URL; Node wants it bare.
    hostname: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port,
    path: url.pathname + url.search,
    headers,
    agent: secure ? agents.https : agents.http
  }
  const exchange = new Exchange(secure ? Https.request(options) : Http.request(options))
  if (body._tag === "End") {
    exchange.request.end(body.chunk)
  } else {
    // A body that fails is why the request failed (Node itself would only say "socket hang up").
    body.stream.once("error", (error) => exchange.abort({ _tag: "Body", error }, error))
    pipeline(body.stream, exchange.request, () => {})
  }
  return exchange
}

const wire = (agents: Agents): Own.Wire => ({
  execute: (request, url) =>
    Effect.flatMap(
      outgoing(request),
      (body) =>
        Effect.async<HttpClientResponse.HttpClientResponse, HttpClientError.RequestError>((resume) => {
          const exchange = start(agents, request, url, body)
          exchange.request.on("response", (response) => {
            exchange.response = response
            resume(Effect.succeed(new NodeResponse(request, response, exchange)))
          })
          exchange.request.on("error", (error) => {
            if (exchange.response !== undefined) return
            resume(
              Effect.fail(
                new HttpClientError.RequestError({ request, reason: "Transport", cause: exchange.causeOf(error) })
              )
            )
          })
          return Effect.sync(() => exchange.abort(undefined))
        })
    ),
  send: (request, url, { maxBytes, timeout }) =>
    Effect.flatMap(
      Effect.mapError(outgoing(request), (error) =>
        new Transport.RequestFailed({ reason: "Encode", cause: error.cause })),
      (body) =>
        Effect.async<Transport.Answer, Transport.Failure>((resume) => {
          const exchange = start(agents, request, url, body)
          let settled = false
          const fail = (error: unknown, head?: Transport.Head) => {
            if (settled) {
              return
            }
            settled = true
            clearTimeout(exchange.timer)
            resume(Effect.fail(Own.failure(exchange.stop, error, head)))
          }
          // Unref'd: the connection keeps the process alive while it matters. An answer that has come whole
          // met its deadline.
          if (timeout !== undefined) {
            exchange.timer = setTimeout(() => {
              if (exchange.response?.complete !== true) {
                exchange.abort({ _tag: "Deadline", millis: timeout }, stopped)
              }
            }, timeout).unref()
          }
          exchange.request.on("response", (response) => {
            exchange.response = response
            const head = { status: response.statusCode ?? 0, headers: Own.headersOf(response.headers) }
            response.on("error", () => {})
            // Read once the parser is done with what has arrived: a small answer is then whole.
            process.nextTick(() =>
              readWhole(response, exchange, maxBytes, (body) => {
                if (settled) {
                  return
                }
                settled = true
                resume(Effect.succeed({ ...head, body }))
              }, (error) =>
                fail(error, head))
            )
          })
          exchange.request.on("error", (error) => {
            if (exchange.response === undefined) fail(error)
          })
          return Effect.sync(() => exchange.abort(undefined))
        })
    )
})

/**
 * An `HttpClient` sending through `agents` (without the client's own path: see {@link layerAgents}).
 *
 * @since 0.1.0
 */
export const make = (agents: Agents): HttpClient.HttpClient =>
  Context.get(Own.services(wire(agents)), HttpClient.HttpClient)

// An idle connection is closed after 4 s (undici's default), or 1 s before the server's `Keep-Alive:
// timeout` when that is sooner: reusing a connection the server is closing would fail the request.
// (Node's agents only heed the server's hint when they have an idle timeout of their own.)
const agentOptions = { keepAlive: true, scheduling: "lifo", timeout: 4_000 } as const

/**
 * The client on its own keep-alive agents, destroyed with the layer. Idle connections are closed after
 * 4 seconds, or before the server's announced keep-alive timeout.
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<HttpClient.HttpClient | Transport.Transport> = Layer.scopedContext(
  Effect.map(
    Effect.acquireRelease(
      Effect.sync((): Agents => ({ http: new Http.Agent(agentOptions), https: new Https.Agent(agentOptions) })),
      (agents) =>
        Effect.sync(() => {
          agents.http.destroy()
          agents.https.destroy()
        })
    ),
    (agents) => Own.services(wire(agents))
  )
)

/**
 * The client on agents you manage (socket limits, TLS options, a proxying agent).
 *
 * @since 0.1.0
 */
export const layerAgents = (agents: Agents): Layer.Layer<HttpClient.HttpClient | Transport.Transport> =>
  Layer.succeedContext(Own.services(wire(agents)))
