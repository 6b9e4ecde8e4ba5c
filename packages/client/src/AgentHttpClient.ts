/**
 * An `HttpClient` on Node's own `node:http` / `node:https` agents, with keep-alive: the transport the
 * client is lightest on (least memory, fastest start, CPU per request on a par with undici's), and the
 * one the README provides.
 *
 * `@effect/platform-node`'s `NodeHttpClient.layer` is on the same modules; this one sends the same
 * requests and answers the same `HttpClientResponse`, with less work per request. It makes no
 * `http.client` span of its own (the `LegitmarkClient` call's span already covers the request), reads
 * headers and body once, without running a fiber per read, and loads nothing beyond Node. Interrupting a
 * request or a body read destroys it on the wire. Like `node:http`, it never follows a redirect. It keeps
 * the `LegitmarkClient`'s per-attempt timeout itself (the request and its body are destroyed when it runs
 * out), so that timing a call out costs no fiber; other callers get no timeout from it.
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
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as Http from "node:http"
import * as Https from "node:https"
import { pipeline, Readable } from "node:stream"
import { DeadlineExceeded } from "./internal/deadline.js"
import * as Transport from "./internal/transport.js"

/**
 * The keep-alive agents requests go through, by protocol.
 *
 * @since 0.1.0
 */
export interface Agents {
  readonly http: Http.Agent
  readonly https: Https.Agent
}

/** One request on the wire: how to stop it, and why it was stopped. */
class Exchange {
  reason: unknown = undefined
  timer: ReturnType<typeof setTimeout> | undefined = undefined
  response: Http.IncomingMessage | undefined = undefined

  constructor(readonly request: Http.ClientRequest) {}

  /** Destroys the request (and its answer, if one came), remembering why. */
  abort(reason: unknown): void {
    clearTimeout(this.timer)
    this.reason ??= reason
    // With an error, a request not yet answered reports it ('error'); an answer being read is cut short.
    this.request.destroy(reason instanceof Error ? reason : undefined)
  }

  /** What a failure on the wire comes from: why it was aborted (the deadline, a failing body), else itself. */
  causeOf(error: unknown): unknown {
    return this.reason instanceof Error ? this.reason : error
  }
}

class NodeResponse extends Transport.TransportResponse {
  private body: Promise<Buffer> | undefined
  /** The whole body, once it is in hand. */
  private bytes: Buffer | undefined

  constructor(
    request: HttpClientRequest.HttpClientRequest,
    private readonly source: Http.IncomingMessage,
    private readonly exchange: Exchange
  ) {
    super(request, source.statusCode ?? 0, source.headers)
    // A body that fails after nobody reads it must not become an unhandled error.
    source.on("error", () => {})
  }

  // The body is whole: the deadline is met, and later reads answer it at once.
  private done(chunks: ReadonlyArray<Buffer>): Buffer {
    clearTimeout(this.exchange.timer)
    const body = chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks)
    this.bytes = body
    return body
  }

  /**
   * The whole body, taken from the stream's buffer when it has all arrived and nobody has started reading
   * it: a small answer usually comes in the same packets as its headers, and is then read without waiting.
   */
  private takeComplete(): Buffer | undefined {
    const source = this.source
    if (this.body !== undefined || !source.complete || source.destroyed || source.readableFlowing !== null) {
      return undefined
    }
    // In paused mode, `read()` answers everything buffered at once, then null.
    const chunks: Array<Buffer> = []
    for (let chunk: Buffer | null = source.read(); chunk !== null; chunk = source.read()) chunks.push(chunk)
    const body = this.done(chunks)
    this.body = Promise.resolve(body)
    return body
  }

  /** The whole body, read once whoever asks first; the deadline ends with it. Past `maxBytes`, it is destroyed. */
  private collect(maxBytes: number | undefined): Promise<Buffer> {
    return this.body ??= new Promise<Buffer>((resolve, reject) => {
      const chunks: Array<Buffer> = []
      let received = 0
      const source = this.source
      // Destroyed before anyone read it (its deadline passed): its events, and any data it held, are gone.
      if (source.destroyed) {
        return reject(this.exchange.causeOf(source.errored ?? new Error("The answer was cut short")))
      }
      source.on("data", (chunk: Buffer) => {
        received += chunk.length
        if (maxBytes === undefined || received <= maxBytes) return void chunks.push(chunk)
        chunks.length = 0
        this.exchange.abort(new Transport.BodyTooLarge(maxBytes, received))
      })
      source.on("end", () => resolve(this.done(chunks)))
      source.on("error", (error) => reject(this.exchange.causeOf(error)))
      // Destroyed before its end, with no error of its own (an interruption).
      source.on("close", () => {
        if (!source.complete) reject(this.exchange.causeOf(new Error("The answer was cut short")))
      })
    })
  }

  // At once when the body is in hand, else when it ends.
  protected read(maxBytes: number | undefined): Effect.Effect<Uint8Array, HttpClientError.ResponseError> {
    return Effect.suspend(() => {
      const ready = this.bytes ?? this.takeComplete()
      if (ready !== undefined) {
        return maxBytes === undefined || ready.length <= maxBytes
          ? Effect.succeed(ready)
          : Effect.fail(this.decodeError(new Transport.BodyTooLarge(maxBytes, ready.length)))
      }
      return Effect.async<Uint8Array, HttpClientError.ResponseError>((resume) => {
        this.collect(maxBytes).then(
          (body) => resume(Effect.succeed(body)),
          (cause) => resume(Effect.fail(this.decodeError(cause)))
        )
        return Effect.sync(() => this.exchange.abort(undefined))
      })
    })
  }

  protected get wholeRequested(): boolean {
    return this.body !== undefined
  }

  protected get arriving(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return Stream.fromAsyncIterable<Uint8Array, HttpClientError.ResponseError>(
      this.source,
      (cause) => this.decodeError(this.exchange.causeOf(cause))
    ).pipe(
      Stream.ensuring(Effect.sync(() => {
        clearTimeout(this.exchange.timer)
        this.source.destroy()
      }))
    )
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
        return Effect.succeed({ _tag: "Pipe", stream: Transport.nodeReadable(raw) })
      }
      return Effect.fail(
        new HttpClientError.RequestError({ request, reason: "Encode", cause: new TypeError("Unsupported raw body") })
      )
    }
    case "FormData": {
      // The global `Response` encodes the form, and names its boundary.
      const encoded = new Response(body.formData)
      const contentType = encoded.headers.get("content-type") ?? undefined
      const stream = encoded.body === null ? Readable.from([]) : Transport.nodeReadable(encoded.body)
      return Effect.succeed(
        contentType === undefined ? { _tag: "Pipe", stream } : { _tag: "Pipe", stream, contentType }
      )
    }
    case "Stream":
      // A stream that fails destroys the request with its error, which ends up in the `RequestError`'s cause.
      return Effect.map(Transport.readableBody(body.stream), (stream) => ({ _tag: "Pipe", stream }))
  }
}

/**
 * An `HttpClient` sending through `agents`.
 *
 * @since 0.1.0
 */
export const make = (agents: Agents): HttpClient.HttpClient => {
  const send = (
    request: HttpClientRequest.HttpClientRequest,
    url: URL,
    body: Outgoing,
    timeoutMillis: number | undefined
  ) =>
    Effect.async<HttpClientResponse.HttpClientResponse, HttpClientError.RequestError>((resume) => {
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
      let settled = false
      const settle = (effect: Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.RequestError>) => {
        if (settled) return
        settled = true
        resume(effect)
      }
      // The client's per-attempt timeout, when it is kept here: the request and its answer are destroyed.
      // Unref'd: the connection keeps the process alive while it matters; an unread body's timer need not.
      // An answer that has come whole met its deadline, even if nobody has read it yet.
      if (timeoutMillis !== undefined) {
        exchange.timer = setTimeout(() => {
          if (exchange.response?.complete !== true) exchange.abort(new DeadlineExceeded(timeoutMillis))
        }, timeoutMillis).unref()
      }
      exchange.request.on("response", (response) => {
        exchange.response = response
        settle(Effect.succeed(new NodeResponse(request, response, exchange)))
      })
      exchange.request.on("error", (error) => {
        clearTimeout(exchange.timer)
        settle(
          Effect.fail(
            new HttpClientError.RequestError({ request, reason: "Transport", cause: exchange.causeOf(error) })
          )
        )
      })
      if (body._tag === "End") {
        exchange.request.end(body.chunk)
      } else {
        // A body that fails is why the request failed (Node itself would only say "socket hang up").
        body.stream.once("error", (error) => exchange.abort(error))
        pipeline(body.stream, exchange.request, () => {})
      }
      return Effect.sync(() => exchange.abort(undefined))
    })

  return Transport.make((request, url, timeoutMillis) =>
    Effect.flatMap(outgoing(request), (body) => send(request, url, body, timeoutMillis))
  )
}

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
export const layer: Layer.Layer<HttpClient.HttpClient> = Layer.scoped(
  HttpClient.HttpClient,
  Effect.map(
    Effect.acquireRelease(
      Effect.sync((): Agents => ({ http: new Http.Agent(agentOptions), https: new Https.Agent(agentOptions) })),
      (agents) =>
        Effect.sync(() => {
          agents.http.destroy()
          agents.https.destroy()
        })
    ),
    make
  )
)

/**
 * The client on agents you manage (socket limits, TLS options, a proxying agent).
 *
 * @since 0.1.0
 */
export const layerAgents = (agents: Agents): Layer.Layer<HttpClient.HttpClient> =>
  Layer.succeed(HttpClient.HttpClient, make(agents))
