/**
 * The catalog: category (required) → type (required) → brand → model, and services.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { Envelope, envelopeFields } from "./Envelope.js"
import { Side } from "./Side.js"

const optionalNullable = <S extends Schema.Schema.Any>(schema: S) => Schema.optional(Schema.NullOr(schema))

/**
 * A brand. In some listings only `uuid` and `name` are present.
 *
 * @since 0.1.0
 */
export class Brand extends Schema.Class<Brand>("Brand")({
  uuid: Schema.String,
  name: Schema.String,
  media: optionalNullable(Schema.String),
  active: Schema.optional(Schema.Boolean),
  count: Schema.optional(Schema.Number),
  /** With `include_counts` (the wire name is undocumented; this is the simulator's). */
  model_count: Schema.optional(Schema.Number)
}) {}

const nodeFields = {
  uuid: Schema.String,
  name: Schema.String,
  description: optionalNullable(Schema.String),
  sides: Schema.optional(Schema.Array(Schema.String)),
  media: optionalNullable(Schema.String),
  feature: Schema.optional(Schema.Boolean),
  ordinal: optionalNullable(Schema.Number),
  active: Schema.optional(Schema.Boolean),
  created_at: optionalNullable(Schema.String),
  updated_at: optionalNullable(Schema.String)
}

/**
 * An item type (Sneakers, Crossbody…). `side_details` and `brands` come with `GET /api/v2/types/{uuid}`.
 *
 * @since 0.1.0
 */
export class Type extends Schema.Class<Type>("Type")({
  ...nodeFields,
  side_details: Schema.optional(Schema.Array(Schema.Unknown)),
  brands: Schema.optional(Schema.Array(Brand))
}) {}

/**
 * A category (Footwear, Bag…). `types` comes with the tree.
 *
 * @since 0.1.0
 */
export class Category extends Schema.Class<Category>("Category")({
  ...nodeFields,
  has_brands: Schema.optional(Schema.Boolean),
  types: Schema.optional(Schema.Array(Type))
}) {}

const Ref = Schema.Struct({ uuid: Schema.String, name: Schema.optional(Schema.String) })

/**
 * A model of a brand, with its brand, type and category.
 *
 * @since 0.1.0
 */
export class Model extends Schema.Class<Model>("Model")({
  uuid: Schema.String,
  name: Schema.String,
  brand: optionalNullable(Ref),
  type: optionalNullable(Ref),
  category: optionalNullable(Ref),
  media: optionalNullable(Schema.String),
  active: Schema.optional(Schema.Boolean)
}) {}

/**
 * An authentication service (luxury, sneakers…). Fields beyond `uuid` and `name` are undocumented.
 *
 * @since 0.1.0
 */
export class Service extends Schema.Class<Service>("Service")({
  uuid: Schema.String,
  name: Schema.String,
  description: optionalNullable(Schema.String),
  active: Schema.optional(Schema.Boolean)
}) {}

/**
 * Page metadata of a paginated list.
 *
 * @since 0.1.0
 */
export const PageMetadata = Schema.Struct({
  total_count: Schema.optional(Schema.Number),
  page_number: Schema.optional(Schema.Number),
  total_pages: Schema.optional(Schema.Number),
  page_size: Schema.optional(Schema.Number)
}).annotations({ identifier: "PageMetadata" })

/**
 * @since 0.1.0
 */
export type PageMetadata = typeof PageMetadata.Type

// Taxonomy answers carry `category: "SUCCESS"` (a status string) and usually no `success`.
const taxonomyFields = { ...envelopeFields, category: Schema.optional(Schema.String) }

/**
 * A taxonomy answer with its payload under `data`.
 *
 * @since 0.1.0
 */
export const TaxonomyResponse = <S extends Schema.Schema.Any>(data: S) =>
  Schema.Struct({ ...taxonomyFields, data, metadata: Schema.optional(PageMetadata) })

/**
 * @since 0.1.0
 */
export const CategoryListResponse = TaxonomyResponse(Schema.Array(Category))

/**
 * @since 0.1.0
 */
export const CategoryResponse = TaxonomyResponse(Category)

/**
 * @since 0.1.0
 */
export const TypeResponse = TaxonomyResponse(Type)

/**
 * @since 0.1.0
 */
export const TreeResponse = Schema.Struct({
  ...taxonomyFields,
  data: Schema.Array(Category),
  metadata: Schema.optional(Schema.Struct({
    total_categories: Schema.optional(Schema.Number),
    total_types: Schema.optional(Schema.Number)
  }))
})

/**
 * `GET /api/v2/models` puts its list under `models`, not `data`.
 *
 * @since 0.1.0
 */
export const ModelListResponse = Schema.Struct({
  ...taxonomyFields,
  models: Schema.Array(Model),
  metadata: Schema.optional(PageMetadata)
})

/**
 * A QC rejection reason (localized). Webhook `sides[].reason` texts come from here.
 *
 * @since 0.1.0
 */
export class Reason extends Schema.Class<Reason>("Reason")({
  uuid: Schema.optional(Schema.String),
  code: Schema.optional(Schema.String),
  name: Schema.optional(Schema.String),
  description: optionalNullable(Schema.String),
  message: optionalNullable(Schema.String),
  active: Schema.optional(Schema.Boolean)
}) {}

/**
 * `GET /api/v2/types` and `GET /api/v2/categories/{uuid}/types`.
 *
 * @since 0.1.0
 */
export const TypeListResponse = TaxonomyResponse(Schema.Array(Type))

/**
 * `GET /api/v2/brands` and `GET /api/v2/types/{uuid}/brands`.
 *
 * @since 0.1.0
 */
export const BrandListResponse = TaxonomyResponse(Schema.Array(Brand))

/**
 * `GET /api/v2/sides` (localized side definitions).
 *
 * @since 0.1.0
 */
export const SideListResponse = TaxonomyResponse(Schema.Array(Side))

/**
 * `GET /api/v2/sides/{uuid}`.
 *
 * @since 0.1.0
 */
export const SideResponse = TaxonomyResponse(Side)

// The list key of services and reasons is undocumented: `data` as other taxonomy lists, the plural
// name, or (services) the `service` key of the single answer.
const listFields = { ...taxonomyFields, metadata: Schema.optional(PageMetadata) }

/**
 * `GET /api/services`: the list under `data`, `services` or `service`.
 *
 * @since 0.1.0
 */
export const ServiceListResponse = Schema.Union(
  TaxonomyResponse(Schema.Array(Service)),
  Schema.Struct({ ...listFields, services: Schema.Array(Service) }),
  Schema.Struct({ ...listFields, service: Schema.Array(Service) })
)

/**
 * `GET /api/services/{uuid}`: `{success, message, service}` (or, leniently, under `data`).
 *
 * @since 0.1.0
 */
export const ServiceResponse = Schema.Union(Envelope("service", Service), TaxonomyResponse(Service))

/**
 * `GET /api/v2/reasons`: the list under `data` or `reasons`.
 *
 * @since 0.1.0
 */
export const ReasonListResponse = Schema.Union(
  TaxonomyResponse(Schema.Array(Reason)),
  Schema.Struct({ ...listFields, reasons: Schema.Array(Reason) })
)
