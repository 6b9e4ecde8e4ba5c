/**
 * Upload progress of a service request: how many required and optional sides have a photo.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * `met` is the submit gate: every required side has a photo.
 *
 * @since 0.1.0
 */
export class Progress extends Schema.Class<Progress>("Progress")({
  current_required: Schema.Number,
  total_required: Schema.Number,
  current_optional: Schema.Number,
  total_optional: Schema.Number,
  met: Schema.Boolean
}) {}

/**
 * The answer of `GET /api/side-groups/progress`. `warning` and `s3_error` flag a count the server could
 * not fully compute.
 *
 * @since 0.1.0
 */
export const ProgressResponse = Schema.Struct({
  success: Schema.optional(Schema.Boolean),
  message: Schema.optional(Schema.String),
  progress: Progress,
  last_updated: Schema.optional(Schema.NullOr(Schema.String)),
  warning: Schema.optional(Schema.NullOr(Schema.String)),
  s3_error: Schema.optional(Schema.NullOr(Schema.Boolean))
}).annotations({ identifier: "ProgressResponse" })

/**
 * @since 0.1.0
 */
export type ProgressResponse = typeof ProgressResponse.Type
