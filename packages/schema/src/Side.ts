/**
 * Sides: the angles of an item the authenticators need a photo of.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

const optionalNullable = <S extends Schema.Schema.Any>(schema: S) => Schema.optional(Schema.NullOr(schema))

/**
 * One uploaded version of a side's photo. Its shape is undocumented: a URL string or an object.
 *
 * @since 0.1.0
 */
export const MediaVersion = Schema.Union(
  Schema.String,
  Schema.Struct({
    uuid: Schema.optional(Schema.String),
    url: Schema.optional(Schema.String),
    version: Schema.optional(Schema.Union(Schema.String, Schema.Number)),
    created_at: Schema.optional(Schema.String)
  })
).annotations({ identifier: "MediaVersion" })

/**
 * @since 0.1.0
 */
export type MediaVersion = typeof MediaVersion.Type

/**
 * A side as the API returns it. Only `uuid` and `name` are always present; the other fields depend on the
 * endpoint (see the data model in the API reference).
 *
 * @since 0.1.0
 */
export class Side extends Schema.Class<Side>("Side")({
  uuid: Schema.String,
  name: Schema.String,
  description: optionalNullable(Schema.String),
  ordinal: optionalNullable(Schema.Number),
  required: optionalNullable(Schema.Boolean),
  active: optionalNullable(Schema.Boolean),
  overlay_image: optionalNullable(Schema.String),
  example_image: optionalNullable(Schema.String),
  thumbnail_image: optionalNullable(Schema.String),
  side_group_id: optionalNullable(Schema.String),
  side_group_name: optionalNullable(Schema.String),
  assignment_level: optionalNullable(Schema.String),
  inherited_from: optionalNullable(Schema.String),
  media_url: optionalNullable(Schema.Array(MediaVersion)),
  is_thumbnail: optionalNullable(Schema.Boolean)
}) {
  /**
   * Whether at least one photo has been uploaded for this side.
   *
   * @since 0.1.0
   */
  get hasMedia(): boolean {
    return (this.media_url?.length ?? 0) > 0
  }
}

/**
 * The sides of a service request, split by whether they are needed to submit.
 *
 * @since 0.1.0
 */
export const Sides = Schema.Struct({
  required: Schema.optionalWith(Schema.Array(Side), { default: () => [] }),
  optional: Schema.optionalWith(Schema.Array(Side), { default: () => [] })
}).annotations({ identifier: "Sides" })

/**
 * @since 0.1.0
 */
export type Sides = typeof Sides.Type
