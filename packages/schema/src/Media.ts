/**
 * Photo uploads: the intent that yields a presigned URL, and the allowed file kinds.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * The extensions the upload intent accepts.
 *
 * @since 0.1.0
 */
export const Extension = Schema.Literal("jpg", "jpeg", "png", "heic", "dng").annotations({ identifier: "Extension" })

/**
 * @since 0.1.0
 */
export type Extension = typeof Extension.Type

/**
 * The `Content-Type` a presigned PUT must carry for each extension.
 *
 * @since 0.1.0
 */
export const contentType: { readonly [E in Extension]: string } = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  heic: "image/heic",
  dng: "image/x-adobe-dng"
}

/**
 * The largest photo the API takes, in bytes (5 MB).
 *
 * @since 0.1.0
 */
export const maxBytes = 5 * 1024 * 1024

/**
 * The smallest width and height the API takes, in pixels.
 *
 * @since 0.1.0
 */
export const minDimension = 600

/**
 * The answer of `GET /intent`: only `message` and the presigned `url`.
 *
 * @since 0.1.0
 */
export const IntentResponse = Schema.Struct({
  success: Schema.optional(Schema.Boolean),
  message: Schema.optional(Schema.String),
  url: Schema.String
}).annotations({ identifier: "IntentResponse" })

/**
 * @since 0.1.0
 */
export type IntentResponse = typeof IntentResponse.Type
