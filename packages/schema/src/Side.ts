/**
 * Sides: the angles of an item the authenticators need a photo of.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { Progress } from "./Progress.js"

const optionalNullable = <S extends Schema.Schema.Any>(schema: S) => Schema.optional(Schema.NullOr(schema))

/**
 * One uploaded version of a side's photo. Its shape is undocumented: a URL string or an object.
 *
 * @since 0.1.0
 */
export const MediaVersion = Schema.Union(
  Schema.String,
  Schema.Struct({
    id: Schema.optional(Schema.Union(Schema.String, Schema.Number)),
    uuid: Schema.optional(Schema.String),
    url: Schema.optional(Schema.String),
    version: Schema.optional(Schema.Union(Schema.String, Schema.Number)),
    created_at: Schema.optional(Schema.String),
    last_modified: Schema.optional(Schema.String),
    /** A version QC rejected or the partner replaced. */
    deleted: Schema.optional(Schema.Boolean),
    latest: Schema.optional(Schema.Boolean)
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
   * Whether this side has a photo that counts: uploaded and not deleted (rejected by QC or replaced).
   * False too when the answer does not say (see {@link Side.mediaKnown}).
   *
   * @since 0.1.0
   */
  get hasMedia(): boolean {
    return (this.media_url ?? []).some((version) => typeof version === "string" || version.deleted !== true)
  }

  /**
   * Whether the answer says what photos this side has: sides in the official SDK's shape carry no
   * `media_url`, and then only the SR's progress counts tell how many sides have one.
   *
   * @since 0.1.0
   */
  get mediaKnown(): boolean {
    return Array.isArray(this.media_url)
  }
}

// Counts that do not decode are dropped rather than failing the whole SR: they only inform.
const decodeProgress = Schema.decodeUnknownOption(Progress)
const encodeProgress = Schema.encodeSync(Progress)
const LenientProgress = Schema.transform(Schema.Unknown, Schema.UndefinedOr(Schema.typeSchema(Progress)), {
  strict: true,
  decode: (u) => Option.getOrUndefined(decodeProgress(u)),
  encode: (progress) => progress === undefined ? undefined : encodeProgress(progress)
})

/**
 * The sides of a service request, split by whether they are needed to submit. Some answers (the
 * official SDK's) also count the sides with a photo in `progress`, and carry no per-side `media_url`.
 *
 * @since 0.1.0
 */
export const Sides = Schema.Struct({
  required: Schema.optionalWith(Schema.Array(Side), { default: () => [] }),
  optional: Schema.optionalWith(Schema.Array(Side), { default: () => [] }),
  progress: Schema.optional(LenientProgress)
}).annotations({ identifier: "Sides" })

/**
 * @since 0.1.0
 */
export type Sides = typeof Sides.Type

/**
 * A group of sides as `GET /api/v2/sr/{uuid}/side-groups` returns them. `lock` marks a group the
 * partner cannot change.
 *
 * @since 0.1.0
 */
export class SideGroup extends Schema.Class<SideGroup>("SideGroup")({
  uuid: Schema.String,
  name: Schema.String,
  description: optionalNullable(Schema.String),
  lock: optionalNullable(Schema.Boolean),
  sides: Schema.optionalWith(Schema.Array(Side), { default: () => [] })
}) {}

/**
 * The answer of `GET /api/v2/sr/{uuid}/side-groups`.
 *
 * @since 0.1.0
 */
export const SideGroupsResponse = Schema.Struct({
  success: Schema.optional(Schema.Boolean),
  message: Schema.optional(Schema.String),
  data: Schema.Struct({ side_groups: Schema.Array(SideGroup) })
}).annotations({ identifier: "SideGroupsResponse" })
