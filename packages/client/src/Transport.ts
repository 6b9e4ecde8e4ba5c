/**
 * What a transport offers the client besides `HttpClient`: one request sent with a deadline and a limit on
 * the answer's size, answered as its status, headers and body, or as a typed failure.
 *
 * The client's own transports (`AgentHttpClient`, `UndiciHttpClient`) provide it next to their
 * `HttpClient`: they keep the deadline with a timer and stop reading at the limit themselves, make no span
 * of their own and never follow a redirect. The client asks for it when it is built, and uses it only if
 * it belongs to the `HttpClient` the client was given (a wrapped client is another client); any other
 * `HttpClient` is adapted by the client itself.
 *
 * @since 0.2.0
 */
import type * as Headers from "@effect/platform/Headers"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"

/**
 * How one request is sent: the time it has, in milliseconds, for its answer and the answer's body
 * (`undefined`: no deadline), and the most bytes the body may hold (after decompression).
 *
 * @since 0.2.0
 * @category models
 */
export interface Limits {
  readonly timeout: number | undefined
  readonly maxBytes: number
}

/**
 * An answer, its body read whole.
 *
 * @since 0.2.0
 * @category models
 */
export interface Answer {
  readonly status: number
  readonly headers: Headers.Headers
  readonly body: Uint8Array
}

/**
 * The status and headers of an answer whose body could not be read whole.
 *
 * @since 0.2.0
 * @category models
 */
export interface Head {
  readonly status: number
  readonly headers: Headers.Headers
}

/**
 * No answer, body included, within `Limits.timeout`: the request was aborted.
 *
 * @since 0.2.0
 * @category errors
 */
export class Timeout extends Data.TaggedError("Timeout")<{ readonly millis: number }> {}

/**
 * The body held more than `Limits.maxBytes`: reading stopped after `received` bytes and the request was
 * aborted.
 *
 * @since 0.2.0
 * @category errors
 */
export class TooLarge extends Data.TaggedError("TooLarge")<{
  readonly limit: number
  readonly received: number
  readonly head: Head
}> {}

/**
 * The request could not be sent as it was built: its URL is invalid, its body could not be encoded, or
 * its body (a stream) failed while it was sent (`cause` is the stream's error).
 *
 * @since 0.2.0
 * @category errors
 */
export class RequestFailed extends Data.TaggedError("RequestFailed")<{
  readonly reason: "InvalidUrl" | "Encode" | "Body"
  readonly cause: unknown
}> {}

/**
 * The connection failed, before an answer or while its body arrived. `connected` is false only when the
 * failure proves the request never reached a server (refused, no such host, unreachable).
 *
 * @since 0.2.0
 * @category errors
 */
export class ConnectionFailed extends Data.TaggedError("ConnectionFailed")<{
  readonly code: string | undefined
  readonly connected: boolean
  readonly head: Head | undefined
  readonly cause: unknown
}> {}

/**
 * How sending a request can fail.
 *
 * @since 0.2.0
 * @category errors
 */
export type Failure = Timeout | TooLarge | RequestFailed | ConnectionFailed

/**
 * @since 0.2.0
 * @category models
 */
export interface Service {
  /** The `HttpClient` this is a path of: the client takes it only when it was given this very `HttpClient`. */
  readonly httpClient: HttpClient.HttpClient
  /** Sends a request and reads its answer whole, within `limits`. */
  readonly send: (request: HttpClientRequest.HttpClientRequest, limits: Limits) => Effect.Effect<Answer, Failure>
  /**
   * Whether a streamed body of known length goes with its `Content-Length` (a presigned PUT must carry it:
   * S3 refuses a chunked body). Where it does not, an upload is read whole first.
   */
  readonly streamsSizedBodies: boolean
}

/**
 * The transport's own path for the `LegitmarkClient`, provided by a transport's layer next to its
 * `HttpClient`.
 *
 * @since 0.2.0
 * @category tags
 */
export class Transport extends Context.Tag("@effect-legitmark/client/Transport")<Transport, Service>() {}

// Failures that prove the request never reached a server.
const notConnectedCodes = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"])

/**
 * A connection failure from a Node error (`error.code`, as node:http and undici report it).
 *
 * @since 0.2.0
 * @category constructors
 */
export const connectionFailed = (cause: unknown, code: string | undefined, head?: Head): ConnectionFailed =>
  new ConnectionFailed({
    code,
    connected: head !== undefined || code === undefined || !notConnectedCodes.has(code),
    head,
    cause
  })
