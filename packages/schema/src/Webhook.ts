/**
 * Webhook payloads (Legitmark → partner) of both published generations. Every payload carries
 * `event_type`, `sr_uuid`, `reference_id` and `timestamp`; unknown fields are ignored.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { openEnum } from "./internal/openEnum.js"
import { Key } from "./Json.js"
import { State } from "./State.js"

/**
 * @since 0.1.0
 */
export const knownEventTypes = ["state_change", "media_rejected", "invalidate_sr"] as const

/**
 * The event type. Types the client does not know yet decode as an `UnknownEventType` string.
 *
 * @since 0.1.0
 */
export const EventType = openEnum("EventType", ...knownEventTypes)

/**
 * @since 0.1.0
 */
export type EventType = typeof EventType.Type

/**
 * Whether an event type is one the client knows.
 *
 * @since 0.1.0
 */
export const isKnownEventType = (value: string): value is (typeof knownEventTypes)[number] =>
  (knownEventTypes as ReadonlyArray<string>).includes(value)

/**
 * The least every webhook carries: a string `event_type` and `sr_uuid` (a plain string: the docs use
 * placeholders such as `"service-request-uuid"`). Every other field is kept as it came.
 *
 * @since 0.1.0
 */
export const Envelope = Schema.Struct(
  { event_type: Schema.String, sr_uuid: Schema.String },
  Schema.Record({ key: Key, value: Schema.Unknown })
).annotations({ identifier: "WebhookEnvelope" })

/**
 * @since 0.1.0
 */
export type Envelope = typeof Envelope.Type

// `reference_id` echoes the SR's external id; an SR created without one sends null (or, leniently, nothing).
// `timestamp` is ISO 8601, with or without milliseconds, so it stays a string.
const common = {
  sr_uuid: Schema.String,
  reference_id: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  timestamp: Schema.String
}

// Optional text that some senders spell as `null`.
const optionalText = Schema.optional(Schema.NullOr(Schema.String))

/**
 * `state_change`: the SR moved to `state`.
 *
 * @since 0.1.0
 */
export class StateChange extends Schema.Class<StateChange>("StateChange")({
  event_type: Schema.Literal("state_change"),
  ...common,
  state: State
}) {}

/**
 * One rejected side of a `media_rejected` event. Current generation: `side` (name), `reason` (text, e.g.
 * `"Image is Blurry"`) and `message`. Older generation: `side`, `side_uuid`, `reason` as a code (`BLURRY`)
 * and `reason_description` (the text).
 *
 * @since 0.1.0
 */
export class RejectedSide extends Schema.Class<RejectedSide>("RejectedSide")({
  side: Schema.String,
  reason: Schema.String,
  message: optionalText,
  side_uuid: optionalText,
  reason_description: optionalText
}) {}

/**
 * `media_rejected`: QC rejected the photos of `sides`; the older generation also sends the SR's `state`.
 *
 * @since 0.1.0
 */
export class MediaRejected extends Schema.Class<MediaRejected>("MediaRejected")({
  event_type: Schema.Literal("media_rejected"),
  ...common,
  sides: Schema.Array(RejectedSide),
  state: Schema.optional(State)
}) {}

/**
 * @since 0.1.0
 */
export const knownInvalidationCodes = ["CANCELLED", "NOT_SERVICEABLE"] as const

/**
 * The invalidation code. Codes the client does not know yet decode as an `UnknownInvalidationCode` string.
 *
 * @since 0.1.0
 */
export const InvalidationCode = openEnum("InvalidationCode", ...knownInvalidationCodes)

/**
 * @since 0.1.0
 */
export type InvalidationCode = typeof InvalidationCode.Type

/**
 * Why an SR was invalidated: `{ code, message }`; the older generation sends `description` instead of
 * `message`.
 *
 * @since 0.1.0
 */
export class InvalidationReason extends Schema.Class<InvalidationReason>("InvalidationReason")({
  code: InvalidationCode,
  message: optionalText,
  description: optionalText
}) {}

/**
 * `invalidate_sr`: the SR was invalidated (cancelled). The older generation also sends
 * `state { primary: CANCELLED, supplement: null }`.
 *
 * @since 0.1.0
 */
export class InvalidateSr extends Schema.Class<InvalidateSr>("InvalidateSr")({
  event_type: Schema.Literal("invalidate_sr"),
  ...common,
  invalidation_reason: InvalidationReason,
  state: Schema.optional(State)
}) {}

/**
 * A webhook of a known event type, discriminated by `event_type`.
 *
 * @since 0.1.0
 */
export const KnownEvent = Schema.Union(StateChange, MediaRejected, InvalidateSr).annotations({
  identifier: "KnownWebhookEvent"
})

/**
 * @since 0.1.0
 */
export type KnownEvent = typeof KnownEvent.Type
