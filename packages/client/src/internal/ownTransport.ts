/**
 * What the client's own transports (`AgentHttpClient`, `UndiciHttpClient`) have in common: their two faces
 * built from one wire (an `HttpClient`, whose answers are read on demand, and the `Transport` path, which
 * reads an answer whole within a deadline and a size limit), the URL of a request, request bodies as Node
 * streams, and the `HttpClientResponse` the `HttpClient` face answers: headers read once, a body read whole
 * once or streamed as it arrives; `text`, `arrayBuffer`, `json` and the rest derive from those.
 */
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as IncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { Readable } from "node:stream"
import type { ReadableStream as NodeReadableStream } from "node:stream/web"
import * as Transport from "../Transport.js"

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

/** One wire, seen from both faces. */
export interface Wire {
  /** The `HttpClient` face: the response once its headers have come; its body is read on demand. */
  readonly execute: (
    request: HttpClientRequest.HttpClientRequest,
    url: URL
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>
  /** The `Transport` face: the answer read whole, the request aborted past `limits`. */
  readonly send: (
    request: HttpClientRequest.HttpClientRequest,
    url: URL,
    limits: Transport.Limits
  ) => Effect.Effect<Transport.Answer, Transport.Failure>
}

/** The `HttpClient` and the `Transport` of a wire, the second a path of the first. */
export const services = (wire: Wire): Context.Context<HttpClient.HttpClient | Transport.Transport> => {
  const httpClient = HttpClient.makeWith(
    (effect: Effect.Effect<HttpClientRequest.HttpClientRequest>) =>
      Effect.flatMap(effect, (request) => {
        const url = makeUrl(request)
        return Either.isLeft(url)
          ? Effect.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: url.left }))
          : wire.execute(request, url.right)
      }),
    Effect.succeed
  )
  const transport = Transport.Transport.of({
    httpClient,
    streamsSizedBodies: true,
    send: (request, limits) => {
      const url = makeUrl(request)
      return Either.isLeft(url)
        ? Effect.fail(new Transport.RequestFailed({ reason: "InvalidUrl", cause: url.left }))
        : wire.send(request, url.right, limits)
    }
  })
  return Context.make(HttpClient.HttpClient, httpClient).pipe(Context.add(Transport.Transport, transport))
}

/** Why the client stopped a request itself; a failure that follows is reported as this. */
export type Stop =
  | { readonly _tag: "Deadline"; readonly millis: number }
  | { readonly _tag: "TooLarge"; readonly limit: number; readonly received: number }
  | { readonly _tag: "Body"; readonly error: unknown }

/** What a stopped request failed with, or, when it was not stopped, the connection failure `error` is. */
export const failure = (stop: Stop | undefined, error: unknown, head?: Transport.Head): Transport.Failure => {
  switch (stop?._tag) {
    case "Deadline":
      return new Transport.Timeout({ millis: stop.millis })
    case "TooLarge":
      return new Transport.TooLarge({
        limit: stop.limit,
        received: stop.received,
        head: head ?? { status: 0, headers: Headers.empty }
      })
    case "Body":
      return new Transport.RequestFailed({ reason: "Body", cause: stop.error })
    case undefined: {
      const code = typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
        ? error.code
        : undefined
      return Transport.connectionFailed(error, code, head)
    }
  }
}

/** Header values as Node and undici give them: `set-cookie` as a list. */
export type RawHeaders = Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

/** `Headers.fromInput` joins a list; `set-cookie` is read from the raw headers by `cookies`. */
export const headersOf = (raw: RawHeaders): Headers.Headers =>
  Headers.fromInput(raw as Readonly<Record<string, string>>)

// Text as `Response.text()` and undici's `body.text()` decode it: UTF-8, a byte-order mark dropped.
const utf8 = new TextDecoder()

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
  protected abstract read(): Effect.Effect<Uint8Array, HttpClientError.ResponseError>
  /** Whether the body has been asked for whole: its own stream is then spoken for. */
  protected abstract get wholeRequested(): boolean
  /** The body as it arrives, for a `stream` asked for before any whole read. */
  protected abstract get arriving(): Stream.Stream<Uint8Array, HttpClientError.ResponseError>

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return Effect.map(this.read(), (bytes) => utf8.decode(bytes))
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return Effect.map(this.read(), (bytes) => {
      // A copy of its own: a Node `Buffer` may be a view into a shared pool.
      const copy = new ArrayBuffer(bytes.byteLength)
      new Uint8Array(copy).set(bytes)
      return copy
    })
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    // Once the body has been read whole, the stream answers it again.
    return this.wholeRequested ? Stream.fromEffect(this.read()) : this.arriving
  }

  get headers(): Headers.Headers {
    return this.cachedHeaders ??= headersOf(this.rawHeaders)
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
