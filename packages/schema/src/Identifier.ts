/**
 * Identifiers the API takes in paths and bodies.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * A UUID as the API writes it (any version, either case). Used for every id the client sends; response
 * ids are decoded as plain strings because published payloads carry placeholders such as `"user-uuid"`.
 *
 * @since 0.1.0
 */
export const Uuid = Schema.UUID.annotations({ identifier: "Uuid" })

/**
 * @since 0.1.0
 */
export type Uuid = typeof Uuid.Type

/**
 * The longest reference id the client sends, in UTF-16 code units (the simulator refuses longer ones too).
 *
 * @since 0.1.0
 */
export const maxReferenceIdLength = 255

/**
 * The partner's own identifier for an item (SKU, inventory id): free text, not blank, at most
 * {@link maxReferenceIdLength} long, well-formed Unicode (no lone surrogate, which has no UTF-8 encoding)
 * and without control characters, echoed back by the API as `external_id`.
 *
 * @since 0.1.0
 */
export const ReferenceId = Schema.String.pipe(
  Schema.filter((s) =>
    s.length <= maxReferenceIdLength || `reference_id must be at most ${maxReferenceIdLength} characters long`
  ),
  Schema.filter((s) => !/\p{Cs}/u.test(s) || "reference_id must not contain a lone surrogate"),
  Schema.filter((s) => s.trim().length > 0 || "reference_id must not be blank"),
  Schema.filter((s) => !/[\u0000-\u001f\u007f]/.test(s) || "reference_id must not contain control characters")
).annotations({ identifier: "ReferenceId" })
