/**
 * Every way a Legitmark call can fail, as tagged errors. Each carries what is known of the failed call
 * (`status`, `requestId`, `method`, `url`) and never a secret.
 *
 * @since 0.1.0
 */
import { FieldError } from "@effect-legitmark/schema/ErrorBody"
import { LimitType } from "@effect-legitmark/schema/RateLimit"
import type * as Duration from "effect/Duration"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"

/**
 * What is known of the HTTP exchange that failed. `url` has no query string when it points at a
 * presigned upload URL.
 *
 * @since 0.1.0
 */
export const callFields = {
  message: Schema.String,
  method: Schema.optional(Schema.String),
  url: Schema.optional(Schema.String),
  requestId: Schema.optional(Schema.String)
}

const responseFields = {
  ...callFields,
  status: Schema.Number,
  code: Schema.optional(Schema.String)
}

// Outside the class heritage clauses, where lint would mistake the schemas for types.
const validationFields = { ...responseFields, issues: Schema.Array(FieldError) }

const rateLimitFields = {
  ...responseFields,
  retryAfter: Schema.optional(Schema.DurationFromSelf),
  limitType: Schema.optional(LimitType),
  limit: Schema.optional(Schema.Number),
  remaining: Schema.optional(Schema.Number),
  resetAt: Schema.optional(Schema.DateTimeUtcFromSelf)
}

/**
 * Rejected by the client before anything was sent: a malformed id, a bad extension, a file too big…
 *
 * @since 0.1.0
 */
export class InvalidRequestError
  extends Schema.TaggedError<InvalidRequestError>("@effect-legitmark/InvalidRequestError")(
    "InvalidRequestError",
    { message: Schema.String, issues: Schema.Array(Schema.String) }
  )
{
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * 400 or 422: the server refused the request, with its field-level `issues` when it gave them.
 *
 * @since 0.1.0
 */
export class ValidationError extends Schema.TaggedError<ValidationError>("@effect-legitmark/ValidationError")(
  "ValidationError",
  validationFields
) {
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * 401 (key missing or invalid) or 403 (key invalid or not permitted).
 *
 * @since 0.1.0
 */
export class AuthenticationError
  extends Schema.TaggedError<AuthenticationError>("@effect-legitmark/AuthenticationError")(
    "AuthenticationError",
    responseFields
  )
{
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * 404: the SR, side or taxonomy node does not exist (or is not visible to this key).
 *
 * @since 0.1.0
 */
export class NotFoundError extends Schema.TaggedError<NotFoundError>("@effect-legitmark/NotFoundError")(
  "NotFoundError",
  responseFields
) {
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * 409: a duplicate, or a state that does not allow the call (e.g. submitting an SR that is not a draft).
 *
 * @since 0.1.0
 */
export class ConflictError extends Schema.TaggedError<ConflictError>("@effect-legitmark/ConflictError")(
  "ConflictError",
  responseFields
) {
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * 429: rate limited. `retryAfter` comes from `Retry-After` or the body's `retry_after_seconds`; the
 * limits from the `X-RateLimit-*` headers or the body.
 *
 * @since 0.1.0
 */
export class RateLimitError extends Schema.TaggedError<RateLimitError>("@effect-legitmark/RateLimitError")(
  "RateLimitError",
  rateLimitFields
) {
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return true
  }
}

/**
 * 5xx: the server or a gateway failed. `retryAfter` is set when a 503 said when to come back.
 *
 * @since 0.1.0
 */
export class ServerError extends Schema.TaggedError<ServerError>("@effect-legitmark/ServerError")(
  "ServerError",
  { ...responseFields, retryAfter: Schema.optional(Schema.DurationFromSelf) }
) {
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return this.status !== 501
  }
}

/**
 * The connection failed. `connected` is false when it provably never reached the server (refused, no
 * such host), so even a non-idempotent call may be retried.
 *
 * @since 0.1.0
 */
export class TransportError extends Schema.TaggedError<TransportError>("@effect-legitmark/TransportError")(
  "TransportError",
  { ...callFields, connected: Schema.Boolean, code: Schema.optional(Schema.String) }
) {
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return true
  }
}

/**
 * No complete answer within the configured timeout.
 *
 * @since 0.1.0
 */
export class TimeoutError extends Schema.TaggedError<TimeoutError>("@effect-legitmark/TimeoutError")(
  "TimeoutError",
  { ...callFields, timeout: Schema.DurationFromSelf }
) {
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return true
  }
}

/**
 * A status or body the schemas do not accept: carries the parse issue and a capped excerpt of the body.
 *
 * @since 0.1.0
 */
export class UnexpectedResponseError extends Schema.TaggedError<UnexpectedResponseError>(
  "@effect-legitmark/UnexpectedResponseError"
)(
  "UnexpectedResponseError",
  { ...callFields, status: Schema.optional(Schema.Number), issue: Schema.String, body: Schema.String }
) {
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return false
  }
}

/**
 * A create that failed without proof that the server did not act (a 5xx, a timeout, a lost connection)
 * and whose SR the lookup by reference id has not found yet: it may have been created, or may still be,
 * as the lookup lags behind creates and a held request may land late. The client sends no create for
 * this reference id until the lookup finds the SR (then that SR is the answer) or has said 404 past
 * `resendAfter`. Retrying, or running `authenticate` again, is safe: while in doubt nothing is re-sent.
 *
 * @since 0.1.0
 */
export class InDoubtError extends Schema.TaggedError<InDoubtError>("@effect-legitmark/InDoubtError")(
  "InDoubtError",
  {
    ...callFields,
    referenceId: Schema.String,
    /** Creates sent since the first one in doubt. */
    attempts: Schema.Number,
    /** The failure of the latest of them; absent while it was in flight or interrupted. */
    lastFailure: Schema.optional(Schema.Union(ServerError, TransportError, TimeoutError, UnexpectedResponseError)),
    /** When the first create in doubt was sent. */
    since: Schema.DateTimeUtcFromSelf,
    /** From when a lookup that still says 404 proves that no create in doubt will land. */
    resendAfter: Schema.DateTimeUtcFromSelf
  }
) {
  /** @since 0.1.0 */
  get isRetryable(): boolean {
    return true
  }
}

/**
 * @since 0.1.0
 */
export type LegitmarkError =
  | InvalidRequestError
  | ValidationError
  | AuthenticationError
  | NotFoundError
  | ConflictError
  | RateLimitError
  | ServerError
  | TransportError
  | TimeoutError
  | UnexpectedResponseError
  | InDoubtError

/**
 * The failures any call that reaches the network can produce, whatever the endpoint.
 *
 * @since 0.1.0
 */
export type CommonError =
  | AuthenticationError
  | RateLimitError
  | ServerError
  | TransportError
  | TimeoutError
  | UnexpectedResponseError

const tags = new Set<string>([
  "InvalidRequestError",
  "ValidationError",
  "AuthenticationError",
  "NotFoundError",
  "ConflictError",
  "RateLimitError",
  "ServerError",
  "TransportError",
  "TimeoutError",
  "UnexpectedResponseError",
  "InDoubtError"
])

/**
 * @since 0.1.0
 */
export const isLegitmarkError = (u: unknown): u is LegitmarkError =>
  Predicate.hasProperty(u, "_tag") && typeof u._tag === "string" && tags.has(u._tag)

/**
 * How long the server asked the client to wait, if it did.
 *
 * @since 0.1.0
 */
export const retryAfter = (error: LegitmarkError): Duration.Duration | undefined =>
  error._tag === "RateLimitError" || error._tag === "ServerError" ? error.retryAfter : undefined

/**
 * Whether the failure proves the server did not act on the request, so that even a call that is not
 * idempotent (create, submit) may be sent again.
 *
 * @since 0.1.0
 */
export const provesNotActed = (error: LegitmarkError): boolean =>
  error._tag === "RateLimitError" || (error._tag === "TransportError" && !error.connected)
