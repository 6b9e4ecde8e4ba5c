/**
 * How the test Layer speaks to the simulator's core: the route each client method's request takes, and
 * a failure written out as the API would answer it.
 */
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

/** The simulator's route (see `Core.routes`) that each method's request takes. */
export const routes: Record<LegitmarkTest.Method, string> = {
  "serviceRequests.create": "sr.create",
  "serviceRequests.get": "sr.get",
  "serviceRequests.submit": "sr.submit",
  "serviceRequests.sideGroups": "sr.sideGroups",
  "serviceRequests.progress": "sr.progress",
  "serviceRequests.find": "sr.find",
  "media.intent": "media.intent",
  "media.put": "media.upload",
  "taxonomy.tree": "taxonomy.tree",
  "taxonomy.categories": "taxonomy.categories",
  "taxonomy.category": "taxonomy.category",
  "taxonomy.categoryTypes": "taxonomy.categoryTypes",
  "taxonomy.types": "taxonomy.types",
  "taxonomy.type": "taxonomy.type",
  "taxonomy.typeBrands": "taxonomy.typeBrands",
  "taxonomy.brands": "taxonomy.brands",
  "taxonomy.models": "taxonomy.models",
  "taxonomy.services": "taxonomy.services",
  "taxonomy.service": "taxonomy.service",
  "taxonomy.sides": "taxonomy.sides",
  "taxonomy.side": "taxonomy.side",
  "taxonomy.reasons": "taxonomy.reasons"
}
const isMethod = (key: string): key is LegitmarkTest.Method => Object.hasOwn(routes, key)
export const methodOf = (route: string) =>
  Object.keys(routes).filter(isMethod).find((method) => routes[method] === route)

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
  route: routes[method],
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
