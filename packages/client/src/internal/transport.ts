/**
 * What the client's own transports (`AgentHttpClient`, `UndiciHttpClient`) have in common: how a request
 * reaches their `send` (its URL built, the client's deadline read, the transport registered as one of
 * {@link ownTransports}), and what they answer: an `HttpClientResponse` whose headers are read once and
 * whose body the transport reads whole, once (up to a limit, if asked), or streams as it arrives; `text`,
 * `arrayBuffer`, `json` and the rest derive from those. And how the client reads any transport's answer:
 * {@link readText}, which stops at a limit.
 */
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as IncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Chunk from "effect/Chunk"
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

/** Why a body was not read to its end: it held more than `limit` bytes (`received` had arrived). */
export class BodyTooLarge extends Error {
  constructor(readonly limit: number, readonly received: number) {
    super(`The body is larger than ${limit} bytes`)
    this.name = "BodyTooLarge"
  }
}

/**
 * An answer's body as text, failing with a `BodyTooLarge` cause as soon as more than `maxBytes` have
 * arrived (as the transport hands them over: decompressed, where it decompresses): the rest is never read.
 */
export const readText = (
  response: HttpClientResponse.HttpClientResponse,
  maxBytes: number
): Effect.Effect<string, HttpClientError.ResponseError> => {
  if (response instanceof TransportResponse) return response.textWithin(maxBytes)
  // A length within the limit, on a body not decoded on the way: the transport reads no more than that.
  const length = Number(response.headers["content-length"])
  const encoding = response.headers["content-encoding"]
  if (Number.isSafeInteger(length) && length <= maxBytes && (encoding === undefined || encoding === "identity")) {
    return response.text
  }
  return Effect.suspend(() => {
    let received = 0
    return response.stream.pipe(
      // A response without a body (a 204, a HEAD) has no stream: its text is empty, as `text` answers.
      Stream.catchAll((error) => error.reason === "EmptyBody" ? Stream.empty : Stream.fail(error)),
      Stream.mapEffect((chunk) => {
        received += chunk.byteLength
        return received > maxBytes
          ? Effect.fail(
            new HttpClientError.ResponseError({
              request: response.request,
              response,
              reason: "Decode",
              cause: new BodyTooLarge(maxBytes, received)
            })
          )
          : Effect.succeed(chunk)
      }),
      Stream.runCollect,
      Effect.map((chunks) => utf8.decode(concat(Chunk.toReadonlyArray(chunks), received)))
    )
  })
}

const concat = (chunks: ReadonlyArray<Uint8Array>, size: number): Uint8Array => {
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.byteLength
  }
  return out
}

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

  /**
   * The whole body, read once whoever asks first (whose `maxBytes`, if any, holds for every reader: past
   * it the read fails with a `BodyTooLarge` cause and the body is destroyed); interrupting the read
   * destroys it.
   */
  protected abstract read(maxBytes: number | undefined): Effect.Effect<Uint8Array, HttpClientError.ResponseError>
  /** Whether the body has been asked for whole: its own stream is then spoken for. */
  protected abstract get wholeRequested(): boolean
  /** The body as it arrives, for a `stream` asked for before any whole read. */
  protected abstract get arriving(): Stream.Stream<Uint8Array, HttpClientError.ResponseError>

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return Effect.map(this.read(undefined), (bytes) => utf8.decode(bytes))
  }

  /** The body as text, if it holds at most `maxBytes`. */
  textWithin(maxBytes: number): Effect.Effect<string, HttpClientError.ResponseError> {
    return Effect.map(this.read(maxBytes), (bytes) => utf8.decode(bytes))
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return Effect.map(this.read(undefined), (bytes) => {
      // A copy of its own: a Node `Buffer` may be a view into a shared pool.
      const copy = new ArrayBuffer(bytes.byteLength)
      new Uint8Array(copy).set(bytes)
      return copy
    })
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    // Once the body has been read whole, the stream answers it again.
    return this.wholeRequested ? Stream.fromEffect(this.read(undefined)) : this.arriving
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
