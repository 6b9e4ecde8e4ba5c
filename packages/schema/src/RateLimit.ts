/**
 * Rate-limit details as the API reports them in a 429 body.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { openEnum } from "./internal/openEnum.js"

/**
 * Which limit was hit. Values the client does not know yet decode as an `UnknownLimitType` string.
 *
 * @since 0.1.0
 */
export const LimitType = openEnum("LimitType", "partner_level", "user_level", "endpoint_specific")

/**
 * @since 0.1.0
 */
export type LimitType = typeof LimitType.Type

/**
 * The `details` object of a 429 body.
 *
 * @since 0.1.0
 */
export const RateLimitDetails = Schema.Struct({
  limit_type: Schema.optional(LimitType),
  current_usage: Schema.optional(Schema.Number),
  limit: Schema.optional(Schema.Number),
  reset_time: Schema.optional(Schema.String),
  retry_after_seconds: Schema.optional(Schema.Number)
}).annotations({ identifier: "RateLimitDetails" })

/**
 * @since 0.1.0
 */
export type RateLimitDetails = typeof RateLimitDetails.Type
