/**
 * The workflow's wire: its payload, its outcome and failures (all stored by the engine, so all
 * Schemas), and the `Workflow` itself.
 */
import * as LegitmarkError from "@effect-legitmark/client/LegitmarkError"
import { ServiceRequest } from "@effect-legitmark/schema/ServiceRequest"
import { State } from "@effect-legitmark/schema/State"
import * as DurableDeferred from "@effect/workflow/DurableDeferred"
import * as Workflow from "@effect/workflow/Workflow"
import { MissingPhotosError } from "effect-legitmark/Legitmark"
import * as Schema from "effect/Schema"

export const Item = Schema.Struct({
  category: Schema.String,
  type: Schema.String,
  brand: Schema.optional(Schema.String),
  model: Schema.optional(Schema.String)
})

export const Payload = Schema.Struct({
  referenceId: Schema.NonEmptyString.pipe(Schema.maxLength(255)),
  item: Item,
  service: Schema.optional(Schema.String),
  photos: Schema.Record({ key: Schema.NonEmptyString, value: Schema.NonEmptyString }),
  retake: Schema.optionalWith(Schema.NonNegativeInt, { default: () => 0 }),
  sr: Schema.optional(Schema.String)
})

const SideRef = Schema.Struct({ uuid: Schema.String, name: Schema.String })

const verdict = <const Tag extends string>(tag: Tag) => Schema.Data(Schema.TaggedStruct(tag, { sr: ServiceRequest }))

export const Outcome = Schema.Union(
  verdict("Authentic"),
  verdict("NotAuthentic"),
  verdict("Inconclusive"),
  verdict("Cancelled"),
  // A plain object, as `Legitmark.awaitVerdict` answers it; verdicts are `Data`, as `Verdict` makes them.
  Schema.TaggedStruct("MediaRejected", { sr: ServiceRequest, sides: Schema.Array(SideRef) })
)

export const Failure = Schema.Union(
  MissingPhotosError,
  LegitmarkError.InvalidRequestError,
  LegitmarkError.ValidationError,
  LegitmarkError.AuthenticationError,
  LegitmarkError.NotFoundError,
  LegitmarkError.ConflictError
)

export type Failure = typeof Failure.Type

export const executionKey = (payload: { readonly referenceId: string; readonly retake: number }) =>
  payload.retake === 0 ? payload.referenceId : `${payload.referenceId}#retake-${payload.retake}`

export const workflow = Workflow.make({
  name: "LegitmarkAuthentication",
  payload: Payload,
  success: Outcome,
  error: Failure,
  idempotencyKey: executionKey
})

/**
 * Completed by the webhook handler when an event says the SR may have an outcome: wakes the wait of
 * round `round` (each round has its own, so that an event that woke a round for nothing, stale or
 * forged, does not spend the next one).
 */
export const wake = (round: number) => DurableDeferred.make(`wake/${round}`, { success: Schema.String })

/** What the `open` step learns of the SR: just what the next steps need, so the stored result is small. */
export const Opened = Schema.Struct({
  sr: Schema.String,
  state: State,
  sides: Schema.Array(Schema.Struct({
    uuid: Schema.String,
    name: Schema.String,
    required: Schema.Boolean,
    hasMedia: Schema.Boolean
  }))
})

export type Opened = typeof Opened.Type
