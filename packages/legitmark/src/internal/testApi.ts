/**
 * How the test Layer speaks to the simulator's core: the route each client method's request takes, and
 * a failure written out as the API would answer it.
 */
import * as Endpoints from "@effect-legitmark/client/Endpoints"
import type * as Errors from "@effect-legitmark/client/LegitmarkError"
import { retryAfter } from "@effect-legitmark/client/LegitmarkError"
import type * as Faults from "@effect-legitmark/simulator/Faults"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import type { LegitmarkTest } from "../LegitmarkTest.js"

/** The errors a server can cause. */
export type ServerCaused =
  | Errors.ValidationError
  | Errors.AuthenticationError
  | Errors.NotFoundError
  | Errors.ConflictError
  | Errors.RateLimitError
  | Errors.ServerError
  | Errors.TransportError

/** What `failNext` takes, whatever the method. */
export type Failure = ServerCaused | LegitmarkTest.Answer

/** The route id (shared with the simulator: `Core.routes`) that a method's request takes. */
export const routeOf = (method: LegitmarkTest.Method): string =>
  Endpoints.all.find(({ name }) => name === method)!.endpoint.route.id

/** The method whose requests take a route, if any does. */
export const methodOf = (route: string): LegitmarkTest.Method | undefined =>
  Endpoints.all.find(({ endpoint }) => endpoint.route.id === route)?.name

// Only the fields that are set.
const defined = (fields: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined))

// A server-caused error as the API answers it (the core writes the documented envelope).
const answerOf = (error: ServerCaused) => {
  if (error._tag === "TransportError") return { fault: "drop-before" } as const
  const wait = retryAfter(error)
  const details = error._tag === "RateLimitError" ?
    defined({
      limit_type: error.limitType,
      limit: error.limit,
      current_usage: error.limit === undefined || error.remaining === undefined
        ? undefined
        : error.limit - error.remaining,
      reset_time: error.resetAt === undefined ? undefined : DateTime.formatIso(error.resetAt),
      retry_after_seconds: wait === undefined ? undefined : Duration.toSeconds(wait)
    }) :
    error.code
  return {
    fault: "answer",
    status: error.status,
    headers: wait === undefined ? {} : { "Retry-After": String(Math.ceil(Duration.toSeconds(wait))) },
    error: {
      message: error.message,
      ...(details === undefined ? {} : { details }),
      // The API always sends both (an issue's `field` is the schema's leniency, not the wire's).
      ...(error._tag === "ValidationError" ?
        { errors: error.issues.map((issue) => ({ code: issue.code ?? "", message: issue.message ?? "" })) } :
        {})
    }
  } as const
}

/** The fault that makes the next `times` requests of `method` meet `failure`. */
export const fault = (method: LegitmarkTest.Method, failure: Failure, times: number): Faults.Spec => ({
  route: routeOf(method),
  times: Math.max(1, Math.floor(times)),
  ...(failure._tag === undefined ?
    { fault: "answer", status: failure.status, headers: failure.headers ?? {}, body: failure.body } :
    answerOf(failure))
})

/** FNV-1a, 32 bits: enough to tell photos apart in a test. */
export const checksum = (bytes: Uint8Array) => {
  let h = 0x811c9dc5
  for (const byte of bytes) h = Math.imul(h ^ byte, 0x01000193) >>> 0
  return h.toString(16).padStart(8, "0")
}
