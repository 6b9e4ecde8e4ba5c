/**
 * The body of an error answer: `{ success: false, error: { code, timestamp, message, details?, errors? } }`.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { RateLimitDetails } from "./RateLimit.js"

/**
 * One field-level problem, e.g. `{ code: "validation/missing-field", message }`.
 *
 * @since 0.1.0
 */
export const FieldError = Schema.Struct({
  code: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String),
  field: Schema.optional(Schema.String)
}).annotations({ identifier: "FieldError" })

/**
 * @since 0.1.0
 */
export type FieldError = typeof FieldError.Type

/**
 * A string code (`"authorization/missing_token"`) or, on a 429, the rate-limit object.
 *
 * @since 0.1.0
 */
export const ErrorDetails = Schema.Union(Schema.String, RateLimitDetails).annotations({ identifier: "ErrorDetails" })

/**
 * @since 0.1.0
 */
export const ApiErrorDetail = Schema.Struct({
  code: Schema.optional(Schema.Union(Schema.Number, Schema.String)),
  timestamp: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String),
  details: Schema.optional(Schema.NullOr(ErrorDetails)),
  errors: Schema.optional(Schema.NullOr(Schema.Array(FieldError)))
}).annotations({ identifier: "ApiErrorDetail" })

/**
 * @since 0.1.0
 */
export const ErrorBody = Schema.Struct({
  success: Schema.optional(Schema.Boolean),
  message: Schema.optional(Schema.String),
  error: ApiErrorDetail
}).annotations({ identifier: "ErrorBody" })

/**
 * @since 0.1.0
 */
export type ErrorBody = typeof ErrorBody.Type
