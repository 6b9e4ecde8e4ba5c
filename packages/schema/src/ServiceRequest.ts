/**
 * Service requests (SRs): the unit of work of an authentication.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { Envelope } from "./Envelope.js"
import { ReferenceId, Uuid } from "./Identifier.js"
import { JsonObject } from "./Json.js"
import { Sides } from "./Side.js"
import { Primary, State } from "./State.js"

const optionalNullable = <S extends Schema.Schema.Any>(schema: S) => Schema.optional(Schema.NullOr(schema))

/**
 * A taxonomy node as embedded in an SR's item: `{ uuid, name, media, sides }`.
 *
 * @since 0.1.0
 */
export const ItemNode = Schema.Struct({
  uuid: Schema.String,
  name: Schema.optional(Schema.String),
  media: optionalNullable(Schema.String),
  sides: Schema.optional(Schema.Array(Schema.String))
}).annotations({ identifier: "ItemNode" })

/**
 * @since 0.1.0
 */
export type ItemNode = typeof ItemNode.Type

// Published payloads carry either a node object or a bare string (even `"undefined"`) in these slots.
const ItemSlot = optionalNullable(Schema.Union(ItemNode, Schema.String))

/**
 * The item of an SR. Accepts both published shapes: `type` as an object, or `type: "undefined"` with the
 * real type under `types`.
 *
 * @since 0.1.0
 */
export class Item extends Schema.Class<Item>("Item")({
  category: ItemSlot,
  type: ItemSlot,
  types: ItemSlot,
  brand: ItemSlot,
  model: ItemSlot
}) {
  /**
   * The item's type, wherever the payload put it.
   *
   * @since 0.1.0
   */
  get resolvedType(): ItemNode | undefined {
    return asNode(this.type) ?? asNode(this.types)
  }
}

const asNode = (slot: ItemNode | string | null | undefined): ItemNode | undefined =>
  typeof slot === "object" && slot !== null ? slot : undefined

/**
 * The summary returned by `get`: display lines and a thumbnail.
 *
 * @since 0.1.0
 */
export const DisplaySummary = Schema.Struct({
  first_line: Schema.NullOr(Schema.String),
  second_line: optionalNullable(Schema.String),
  combined: optionalNullable(Schema.String),
  thumbnail: optionalNullable(Schema.String),
  size: optionalNullable(Schema.String),
  condition: optionalNullable(Schema.String),
  alternative_name: optionalNullable(Schema.String)
}).annotations({ identifier: "DisplaySummary" })

/**
 * The summary returned by `create`: the item's style.
 *
 * @since 0.1.0
 */
export const StyleSummary = Schema.Struct({
  style: Schema.NullOr(Schema.String),
  style_id: optionalNullable(Schema.String)
}).annotations({ identifier: "StyleSummary" })

/**
 * Either published summary shape; any other object is kept as it is.
 *
 * @since 0.1.0
 */
export const Summary = Schema.Union(DisplaySummary, StyleSummary, JsonObject).annotations({ identifier: "Summary" })

/**
 * @since 0.1.0
 */
export type Summary = typeof Summary.Type

/**
 * A service request. Only `uuid` and `state` are always present; which other fields come back depends on
 * the include flags of `get`. Unknown fields are ignored.
 *
 * @since 0.1.0
 */
export class ServiceRequest extends Schema.Class<ServiceRequest>("ServiceRequest")({
  uuid: Schema.String,
  state: State,
  active: Schema.optional(Schema.Boolean),
  migrated: Schema.optional(Schema.Boolean),
  micro_id: optionalNullable(Schema.Union(Schema.String, Schema.Number)),
  legacy_id: optionalNullable(Schema.Union(Schema.String, Schema.Number)),
  external_id: optionalNullable(Schema.String),
  tab: optionalNullable(Primary),
  source: optionalNullable(Schema.String),
  partner_code: optionalNullable(Schema.String),
  metadata: optionalNullable(JsonObject),
  summary: optionalNullable(Summary),
  certificate_url: optionalNullable(Schema.String),
  item: optionalNullable(Item),
  sides: optionalNullable(Sides),
  user: optionalNullable(Schema.Union(Schema.String, JsonObject)),
  service: optionalNullable(Schema.Union(Schema.String, JsonObject)),
  outcome: Schema.optional(Schema.Unknown),
  created_at: optionalNullable(Schema.String),
  updated_at: optionalNullable(Schema.String),
  drafted_at: optionalNullable(Schema.String)
}) {}

/**
 * The short SR that `submit` answers with.
 *
 * @since 0.1.0
 */
export const SubmittedServiceRequest = Schema.Struct({
  uuid: Schema.String,
  micro_id: optionalNullable(Schema.Union(Schema.String, Schema.Number)),
  state: optionalNullable(State)
}).annotations({ identifier: "SubmittedServiceRequest" })

/**
 * @since 0.1.0
 */
export type SubmittedServiceRequest = typeof SubmittedServiceRequest.Type

/**
 * The item to authenticate: category and type are required, brand and model refine the photo requirements.
 *
 * @since 0.1.0
 */
export const CreateItem = Schema.Struct({
  category: Uuid,
  type: Uuid,
  brand: Schema.optional(Uuid),
  model: Schema.optional(Uuid)
}).annotations({ identifier: "CreateItem" })

/**
 * The body of `POST /api/v2/sr`. `service` is optional: the server picks one from the organization and
 * the item type.
 *
 * @since 0.1.0
 */
export const CreateServiceRequest = Schema.Struct({
  reference_id: ReferenceId,
  item: CreateItem,
  service: Schema.optional(Uuid)
}).annotations({ identifier: "CreateServiceRequest" })

/**
 * @since 0.1.0
 */
export type CreateServiceRequest = typeof CreateServiceRequest.Type

/**
 * @since 0.1.0
 */
export const CreateResponse = Envelope("sr", ServiceRequest)

/**
 * @since 0.1.0
 */
export const GetResponse = Envelope("sr", ServiceRequest)

/**
 * @since 0.1.0
 */
export const SubmitResponse = Envelope("sr", SubmittedServiceRequest)

/**
 * The answer of the public lookup `GET /api/sr/find/{identifier}`. Its shape is undocumented: the SR
 * is accepted under `sr` or `data`.
 *
 * @since 0.1.0
 */
export const FindResponse = Schema.Union(
  Envelope("sr", ServiceRequest),
  Envelope("data", ServiceRequest)
).annotations({ identifier: "FindResponse" })
