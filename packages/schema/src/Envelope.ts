/**
 * The envelope around every answer: `{ success?, message?, rc_hit?, rc_key?, <payload key>: payload }`.
 * The payload key varies by endpoint; every other field is optional.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * Fields an envelope may carry besides its payload.
 *
 * @since 0.1.0
 */
export const envelopeFields = {
  success: Schema.optional(Schema.Boolean),
  message: Schema.optional(Schema.String),
  rc_hit: Schema.optional(Schema.Boolean),
  rc_key: Schema.optional(Schema.String)
}

/**
 * An envelope whose payload sits under `key`.
 *
 * @since 0.1.0
 */
export const Envelope = <const K extends string, S extends Schema.Schema.Any>(key: K, payload: S) =>
  Schema.Struct({ ...envelopeFields, [key]: payload } as typeof envelopeFields & { readonly [P in K]: S })
