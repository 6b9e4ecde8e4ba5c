/**
 * What the client's own transports (`AgentHttpClient`, `UndiciHttpClient`) have in common: how a request
 * reaches their `send` (its URL built, the client's deadline read, the transport registered as one of
 * {@link ownTransports}), and what they answer: an `HttpClientResponse` whose headers are read once and
 * whose body the transport reads whole, once, or streams as it arrives; `text`, `arrayBuffer`, `json` and the
 * rest derive from those.
 */
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as IncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { Readable } from "node:stream"
import type { ReadableStream as NodeReadableStream } from "node:stream/web"
import { ownTransports, timeoutOf } from "./deadline.js"

/** A web `ReadableStream` as a Node `Readable` (the global type and `node:stream/web`'s are the same class). */
export const nodeReadable = (stream: ReadableStream<Uint8Array>): Readable =>
  Readable.fromWeb(stream as NodeReadableStream<Uint8Array>)

/**
 * A request's `Stream` body as a Node `Readable`: a failure of the stream destroys the readable with its
 * error, which the transport reports as the request's cause.
 */
export const readableBody = (stream: Stream.Stream<Uint8Array, unknown>): Effect.Effect<Readable> =>
  Effect.map(Stream.toReadableStreamEffect(stream), nodeReadable)

/**
 * `UrlParams.makeUrl` for Node (no `location` to resolve against), serialising the query once: appending
 * each parameter to `url.searchParams` re-serialises the whole URL every time.
 */
const makeUrl = (request: HttpClientRequest.HttpClientRequest): Either.Either<URL, unknown> => {
  try {
    const url = new URL(request.url)
    if (request.urlParams.length > 0) {
      const search = new URLSearchParams(url.search)
      for (const [key, value] of request.urlParams) search.append(key, value)
      url.search = search.toString()
    }
    if (Option.isSome(request.hash)) url.hash = request.hash.value
    return Either.right(url)
  } catch (error) {
    return Either.left(error)
  }
}

/**
 * An `HttpClient` whose requests go to `send` with their URL and the client's per-attempt deadline (in
 * ms, when the `LegitmarkClient` asks the transport to keep it).
 */
export const make = (
  send: (
    request: HttpClientRequest.HttpClientRequest,
    url: URL,
    timeoutMillis: number | undefined
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>
): HttpClient.HttpClient => {
  const client = HttpClient.makeWith(
    (effect: Effect.Effect<HttpClientRequest.HttpClientRequest>) =>
      Effect.flatMap(
        effect,
        (request): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> => {
          const url = makeUrl(request)
          return Either.isLeft(url)
            ? Effect.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: url.left }))
            : send(request, url.right, timeoutOf(request))
        }
      ),
    Effect.succeed
  )
  ownTransports.add(client)
  return client
}

// Text as `Response.text()` and undici's `body.text()` decode it: UTF-8, a byte-order mark dropped.
const utf8 = new TextDecoder()

/** Header values as Node and undici give them: `set-cookie` as a list. */
export type RawHeaders = Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

export abstract class TransportResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [IncomingMessage.TypeId]: IncomingMessage.TypeId = IncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  private cachedHeaders: Headers.Headers | undefined

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly status: number,
    private readonly rawHeaders: RawHeaders
  ) {
    super()
  }

  /** The whole body, read once whoever asks first; interrupting the read destroys it. */
  protected abstract get whole(): Effect.Effect<Uint8Array, HttpClientError.ResponseError>
  /** Whether the body has been asked for whole: its own stream is then spoken for. */
  protected abstract get wholeRequested(): boolean
  /** The body as it arrives, for a `stream` asked for before any whole read. */
  protected abstract get arriving(): Stream.Stream<Uint8Array, HttpClientError.ResponseError>

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return Effect.map(this.whole, (bytes) => utf8.decode(bytes))
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return Effect.map(this.whole, (bytes) => {
      // A copy of its own: a Node `Buffer` may be a view into a shared pool.
      const copy = new ArrayBuffer(bytes.byteLength)
      new Uint8Array(copy).set(bytes)
      return copy
    })
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    // Once the body has been read whole, the stream answers it again.
    return this.wholeRequested ? Stream.fromEffect(this.whole) : this.arriving
  }

  get headers(): Headers.Headers {
    // `Headers.fromInput` joins a list; `set-cookie` is read from the raw headers by `cookies`.
    return this.cachedHeaders ??= Headers.fromInput(this.rawHeaders as Readonly<Record<string, string>>)
  }

  get cookies(): Cookies.Cookies {
    const header = this.rawHeaders["set-cookie"]
    return header === undefined
      ? Cookies.empty
      : Cookies.fromSetCookie(typeof header === "string" ? [header] : header)
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  protected decodeError(cause: unknown): HttpClientError.ResponseError {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: (): unknown => text === "" ? null : JSON.parse(text),
        catch: (cause) => this.decodeError(cause)
      }))
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => UrlParams.fromInput(new URLSearchParams(text)),
        catch: (cause) => this.decodeError(cause)
      }))
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    // The global `Response` parses forms, from the bytes.
    return Effect.flatMap(this.arrayBuffer, (bytes) =>
      Effect.tryPromise({
        try: () => new Response(bytes, { headers: { "content-type": this.headers["content-type"] ?? "" } }).formData(),
        catch: (cause) => this.decodeError(cause)
      }))
  }

  toJSON(): unknown {
    return IncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }
}
