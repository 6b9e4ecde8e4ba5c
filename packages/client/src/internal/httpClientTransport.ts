/**
 * The `Transport` path of any `HttpClient` that offers none of its own (`FetchHttpClient`,
 * `NodeHttpClient.layerUndici`, a user's): the one generic adapter. It tells the client not to make a span
 * (the call's span covers the request) nor to follow redirects, reads the body up to the limit, and keeps
 * the deadline by running the request in a fiber of its own that a timer interrupts.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Equal from "effect/Equal"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as RuntimeFlags from "effect/RuntimeFlags"
import * as Stream from "effect/Stream"
import * as Transport from "../Transport.js"
import { concat } from "./bytes.js"

// Node reports why a connection failed in a `code`: on the error itself, or (fetch) a few causes down.
const codeOf = (error: unknown): string | undefined => {
  for (let current = error, depth = 0; typeof current === "object" && current !== null && depth < 5; depth++) {
    if ("code" in current && typeof current.code === "string") return current.code
    current = "cause" in current ? current.cause : undefined
  }
  return undefined
}

const headOf = (response: HttpClientResponse.HttpClientResponse): Transport.Head => ({
  status: response.status,
  headers: response.headers
})

/** What an `HttpClientError` means, given why the client stopped the request, if it did. */
const failureOf = (error: HttpClientError.HttpClientError, bodyFailure: Option.Option<unknown>): Transport.Failure => {
  if (Option.isSome(bodyFailure)) return new Transport.RequestFailed({ reason: "Body", cause: bodyFailure.value })
  if (error._tag === "ResponseError") {
    return Transport.connectionFailed(error.cause, codeOf(error.cause), headOf(error.response))
  }
  return error.reason === "Transport"
    ? Transport.connectionFailed(error.cause, codeOf(error.cause))
    : new Transport.RequestFailed({ reason: error.reason, cause: error.cause })
}

type Read = Effect.Effect<Uint8Array, HttpClientError.ResponseError | Transport.TooLarge>

/**
 * The body, failing with `TooLarge` as soon as more than `maxBytes` have arrived (as the transport hands
 * them over: decompressed, where it decompresses): the rest is never read.
 */
const readBody = (response: HttpClientResponse.HttpClientResponse, maxBytes: number): Read => {
  // A length within the limit, on a body not decoded on the way: the transport reads no more than that.
  const length = Number(response.headers["content-length"])
  const encoding = response.headers["content-encoding"]
  if (Number.isSafeInteger(length) && length <= maxBytes && (encoding === undefined || encoding === "identity")) {
    return Effect.map(response.arrayBuffer, (bytes) => new Uint8Array(bytes))
  }
  return Effect.suspend(() => {
    let received = 0
    return response.stream.pipe(
      // A response without a body (a 204, a HEAD) has no stream: its body is empty.
      Stream.catchAll((error) => error.reason === "EmptyBody" ? Stream.empty : Stream.fail(error)),
      Stream.mapEffect((chunk) => {
        received += chunk.byteLength
        return received > maxBytes
          ? Effect.fail(new Transport.TooLarge({ limit: maxBytes, received, head: headOf(response) }))
          : Effect.succeed(chunk)
      }),
      Stream.runCollect,
      Effect.map(concat)
    )
  })
}

// Redirects are never followed, so an answer can only come from a configured host (fetch follows them
// unless told not to; undici and node:http never do): the request's context carries fetch's option.
const withoutRedirects = (context: Context.Context<never>): Context.Context<never> =>
  Context.add(context, FetchHttpClient.RequestInit, {
    ...Option.getOrUndefined(Context.getOption(context, FetchHttpClient.RequestInit)),
    redirect: "manual"
  })

// Who interrupts a request that ran out of time, to tell that interruption from any other.
const deadlineId = FiberId.make(-1, 0)

const timedOut = (cause: Cause.Cause<unknown>) =>
  Cause.isInterruptedOnly(cause) && [...Cause.interruptors(cause)].some((id) => Equal.equals(id, deadlineId))

/**
 * `exchange` in the caller's context, failing with `Timeout` (and interrupted) when it has not completed
 * within `millis`. With a deadline it runs in a fiber of its own that a timer interrupts: started at once,
 * with the caller's context, FiberRefs (logger, annotations, services) and flags, but not as the caller's
 * child, which costs more (`bench/README.md`); interrupting the caller interrupts it.
 */
const run = <A, E>(
  exchange: Effect.Effect<A, E>,
  millis: number | undefined
): Effect.Effect<A, E | Transport.Timeout> =>
  Effect.flatMap(Effect.runtime<never>(), (caller) => {
    const context = withoutRedirects(caller.context)
    if (millis === undefined) return Effect.provide(exchange, context)
    const runtime = Runtime.make({
      context,
      fiberRefs: caller.fiberRefs,
      runtimeFlags: RuntimeFlags.enable(caller.runtimeFlags, RuntimeFlags.Interruption)
    })
    return Effect.async<A, E | Transport.Timeout>((resume) => {
      const fiber = Runtime.runFork(runtime, exchange)
      const timer = setTimeout(() => fiber.unsafeInterruptAsFork(deadlineId), millis)
      fiber.addObserver((exit) => {
        clearTimeout(timer)
        resume(Exit.isFailure(exit) && timedOut(exit.cause) ? Effect.fail(new Transport.Timeout({ millis })) : exit)
      })
      return Effect.zipRight(Effect.sync(() => clearTimeout(timer)), Fiber.interrupt(fiber))
    })
  })

/**
 * A request whose streamed body tells, if it fails, that it did: the transport reports such a failure as
 * its own, with the stream's error somewhere in its cause.
 */
const watched = (request: HttpClientRequest.HttpClientRequest) => {
  const body = request.body
  if (body._tag !== "Stream") return { request, bodyFailure: () => Option.none<unknown>() }
  let failure = Option.none<unknown>()
  const stream = Stream.tapError(body.stream, (error) => Effect.sync(() => failure = Option.some(error)))
  return {
    request: HttpClientRequest.setBody(request, HttpBody.stream(stream, body.contentType, body.contentLength)),
    bodyFailure: () => failure
  }
}

/** The `Transport` path of `httpClient`. */
export const make = (httpClient: HttpClient.HttpClient): Transport.Service => {
  // The client's span covers the request: the transport's own would repeat it, and send trace headers
  // (traceparent, b3) that would tell Legitmark, and any storage host, the ids of the partner's traces.
  const untraced = HttpClient.withTracerDisabledWhen(httpClient, () => true)
  return Transport.Transport.of({
    httpClient,
    streamsSizedBodies: false,
    send: (request, { maxBytes, timeout }) =>
      Effect.suspend(() => {
        const sent = watched(request)
        const exchange = Effect.flatMap(
          untraced.execute(sent.request),
          (response) =>
            Effect.map(readBody(response, maxBytes), (body) => ({
              status: response.status,
              headers: response.headers,
              body
            }))
        ).pipe(
          Effect.mapError((error) => error._tag === "TooLarge" ? error : failureOf(error, sent.bodyFailure()))
        )
        return run(exchange, timeout)
      })
  })
}
