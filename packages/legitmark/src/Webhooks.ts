/**
 * Webhooks (Legitmark → partner): decode both payload generations into one `WebhookEvent` union, read
 * it with predicates, and receive them with an `HttpApp` for `@effect/platform` servers that checks
 * their signature, records them in a `WebhookInbox` before it answers 200, and hands each on to your
 * handler once the API confirms it.
 *
 * This is the one module of `effect-legitmark` that imports `@effect/platform`: the `HttpApp` handler is
 * part of its contract.
 *
 * @since 0.1.0
 */
import { LegitmarkClient } from "@effect-legitmark/client"
import { ServiceRequest } from "@effect-legitmark/schema/ServiceRequest"
import type { State } from "@effect-legitmark/schema/State"
import * as Webhook from "@effect-legitmark/schema/Webhook"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Cause from "effect/Cause"
import type * as ConfigError from "effect/ConfigError"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Predicate from "effect/Predicate"
import * as Queue from "effect/Queue"
import type * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Body from "./internal/body.js"
import { sha256 } from "./internal/digest.js"
import * as InboxWorker from "./internal/inboxWorker.js"
import { delayAfter } from "./internal/schedule.js"
import * as Signature from "./internal/signature.js"
import { type Entry, type Status, WebhookInbox } from "./WebhookInbox.js"

/**
 * A rejected side, the same for both payload generations: `reason` is always the human-readable text;
 * the older generation adds the side's `sideUuid` and the machine `reasonCode` (e.g. `BLURRY`).
 *
 * @since 0.1.0
 */
export interface RejectedSide {
  readonly side: string
  readonly sideUuid?: string
  readonly reason: string
  readonly reasonCode?: string
  readonly message?: string
}

/**
 * A decoded webhook:
 * - `StateChange` — the SR moved to `state`;
 * - `MediaRejected` — QC rejected the photos of `sides`; resubmit them;
 * - `Invalidated` — the SR was invalidated (`invalidate_sr`), with a `code` and a `message`;
 * - `Unknown` — an event type this version does not know (or a known type in a shape it does not
 *   recognise), with the whole `payload`. Acknowledge it; never reject it.
 *
 * @since 0.1.0
 */
export type WebhookEvent = Data.TaggedEnum<{
  StateChange: {
    readonly srUuid: string
    readonly referenceId: string | null
    readonly timestamp: string
    readonly state: State
  }
  MediaRejected: {
    readonly srUuid: string
    readonly referenceId: string | null
    readonly timestamp: string
    readonly sides: ReadonlyArray<RejectedSide>
  }
  Invalidated: {
    readonly srUuid: string
    readonly referenceId: string | null
    readonly timestamp: string
    readonly code: Webhook.InvalidationCode
    readonly message: string | null
  }
  Unknown: {
    readonly eventType: string
    readonly srUuid: string
    readonly referenceId: string | null
    readonly timestamp: string | null
    readonly payload: Webhook.Envelope
  }
}>

/**
 * Constructors and matchers: `Webhooks.$match(event, { StateChange: …, MediaRejected: …, Invalidated: …,
 * Unknown: … })`, `Webhooks.$is("StateChange")(event)`.
 *
 * @since 0.1.0
 */
export const { $is, $match, Invalidated, MediaRejected, StateChange, Unknown } = Data.taggedEnum<WebhookEvent>()

/**
 * The body is not a webhook: not JSON, not an object, without a string `event_type` or `sr_uuid`, or too
 * large. `reason` says which.
 *
 * @since 0.1.0
 * @category errors
 */
export class WebhookDecodeError extends Schema.TaggedError<WebhookDecodeError>()("WebhookDecodeError", {
  reason: Schema.String
}) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return this.reason
  }
}

// --- decoding ---------------------------------------------------------------------------------------

const sideFrom = (wire: Webhook.RejectedSide): RejectedSide => {
  const description = wire.reason_description
  return {
    side: wire.side,
    // The older generation sends the code in `reason` and the text in `reason_description`.
    ...(Predicate.isString(description) ? { reason: description, reasonCode: wire.reason } : { reason: wire.reason }),
    ...(Predicate.isString(wire.side_uuid) ? { sideUuid: wire.side_uuid } : {}),
    ...(Predicate.isString(wire.message) ? { message: wire.message } : {})
  }
}

const fromKnown = (wire: Webhook.KnownEvent): WebhookEvent => {
  const common = { srUuid: wire.sr_uuid, referenceId: wire.reference_id, timestamp: wire.timestamp }
  switch (wire.event_type) {
    case "state_change":
      return StateChange({ ...common, state: wire.state })
    case "media_rejected":
      return MediaRejected({ ...common, sides: wire.sides.map(sideFrom) })
    case "invalidate_sr":
      return Invalidated({
        ...common,
        code: wire.invalidation_reason.code,
        message: wire.invalidation_reason.message ?? wire.invalidation_reason.description ?? null
      })
  }
}

const unknownFrom = (payload: Webhook.Envelope): WebhookEvent =>
  Unknown({
    eventType: payload.event_type,
    srUuid: payload.sr_uuid,
    referenceId: Predicate.isString(payload.reference_id) ? payload.reference_id : null,
    timestamp: Predicate.isString(payload.timestamp) ? payload.timestamp : null,
    payload
  })

const decodeKnown = Schema.decodeUnknownEither(Webhook.KnownEvent)

/**
 * Decodes a parsed webhook body. Any object with a string `event_type` and `sr_uuid` decodes: an unknown
 * event type — or a known one in a shape this version does not recognise — becomes `Unknown` with the
 * payload. Only a body that is not such an object fails.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Webhooks } from "effect-legitmark"
 *
 * const event = Effect.runSync(Webhooks.decode({
 *   event_type: "state_change",
 *   sr_uuid: "8e61c991-553a-4a58-9eb6-561b64c11908",
 *   reference_id: "SKU-2024-0891",
 *   timestamp: "2026-02-10T12:00:00.000Z",
 *   state: { primary: "COMPLETE", supplement: "APPROVED" }
 * }))
 *
 * assert.strictEqual(event._tag, "StateChange")
 * assert.ok(Webhooks.isAuthentic(event))
 * assert.strictEqual(Webhooks.dedupeKey(event), Webhooks.dedupeKey(event))
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (input: unknown): Effect.Effect<WebhookEvent, WebhookDecodeError> => {
  if (!Predicate.isRecord(input)) {
    return Effect.fail(new WebhookDecodeError({ reason: "the body is not a JSON object" }))
  }
  if (!Predicate.isString(input.event_type)) {
    return Effect.fail(new WebhookDecodeError({ reason: "event_type is missing or not a string" }))
  }
  if (!Predicate.isString(input.sr_uuid)) {
    return Effect.fail(new WebhookDecodeError({ reason: "sr_uuid is missing or not a string" }))
  }
  const payload: Webhook.Envelope = { ...input, event_type: input.event_type, sr_uuid: input.sr_uuid }
  if (!Webhook.isKnownEventType(payload.event_type)) return Effect.succeed(unknownFrom(payload))
  return Either.match(decodeKnown(payload), {
    onRight: (wire) => Effect.succeed(fromKnown(wire)),
    // Lenient in: a changed payload is handed on as Unknown rather than rejected (which would only make
    // Legitmark retry it).
    onLeft: (error) =>
      Effect.as(
        Effect.logDebug(
          `webhook ${payload.event_type} for ${payload.sr_uuid} not recognised; decoded as Unknown`,
          ParseResult.TreeFormatter.formatErrorSync(error)
        ),
        unknownFrom(payload)
      )
  })
}

/**
 * Parses and decodes a webhook body as text; invalid JSON fails with a `WebhookDecodeError`.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeJson = (text: string): Effect.Effect<WebhookEvent, WebhookDecodeError> =>
  Effect.try({
    try: (): unknown => JSON.parse(text),
    catch: () => new WebhookDecodeError({ reason: "the body is not valid JSON" })
  }).pipe(Effect.flatMap(decode))

// --- predicates -------------------------------------------------------------------------------------

const stateIs = (primary: string, supplement?: string | null) => (event: WebhookEvent): boolean =>
  event._tag === "StateChange" && event.state.primary === primary &&
  (supplement === undefined || event.state.supplement === supplement)

/**
 * A state change to COMPLETE/APPROVED: the item is authentic.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isAuthentic: Predicate.Predicate<WebhookEvent> = stateIs("COMPLETE", "APPROVED")

/**
 * A state change to COMPLETE/REJECTED: the item is not authentic.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isCounterfeit: Predicate.Predicate<WebhookEvent> = stateIs("COMPLETE", "REJECTED")

/**
 * A state change to COMPLETE with no stated result (COMPLETE/COMPLETE, or any supplement other than
 * APPROVED and REJECTED, as `Verdict.Inconclusive`): authentic, counterfeit and inconclusive split COMPLETE.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isInconclusive: Predicate.Predicate<WebhookEvent> = (event) =>
  stateIs("COMPLETE")(event) && !isAuthentic(event) && !isCounterfeit(event)

/**
 * A state change to CANCELLED, or an `invalidate_sr`.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isCancelled: Predicate.Predicate<WebhookEvent> = (event) =>
  event._tag === "Invalidated" || stateIs("CANCELLED")(event)

/**
 * A `media_rejected`, or a state change to QC/REJECTED: photos must be uploaded again and the SR resubmitted.
 *
 * @since 0.1.0
 * @category predicates
 */
export const needsResubmission: Predicate.Predicate<WebhookEvent> = (event) =>
  event._tag === "MediaRejected" || stateIs("QC", "REJECTED")(event)

/**
 * A state change to QC/APPROVED: the photos passed quality control.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isQcApproved: Predicate.Predicate<WebhookEvent> = stateIs("QC", "APPROVED")

/**
 * A state change to UNDERWAY (any supplement): an authenticator is working on the item.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isAuthenticationInProgress: Predicate.Predicate<WebhookEvent> = stateIs("UNDERWAY")

/**
 * The key under which redeliveries of one event collide, as documented: `sr_uuid:primary:supplement` for a
 * state change (a missing supplement reads `null`), `sr_uuid:event_type` for `media_rejected` and
 * `invalidate_sr`. An unknown event has no documented key; its `timestamp` is added so that distinct events
 * of one type are not merged while a redelivery (the same payload) still is.
 *
 * @since 0.1.0
 */
export const dedupeKey = (event: WebhookEvent): string => {
  switch (event._tag) {
    case "StateChange":
      return `${event.srUuid}:${event.state.primary}:${event.state.supplement ?? "null"}`
    case "MediaRejected":
      return `${event.srUuid}:media_rejected`
    case "Invalidated":
      return `${event.srUuid}:invalidate_sr`
    case "Unknown":
      return event.timestamp === null ?
        `${event.srUuid}:${event.eventType}` :
        `${event.srUuid}:${event.eventType}:${event.timestamp}`
  }
}

// --- what the handler receives ----------------------------------------------------------------------

/**
 * The events the API can confirm: a state change, a media rejection, an invalidation.
 *
 * @since 0.2.0
 * @category models
 */
export type ConfirmableEvent = Extract<WebhookEvent, { readonly _tag: "StateChange" | "MediaRejected" | "Invalidated" }>

/**
 * An event the API agreed with: the client re-read the SR and found it in the state the event announces
 * (QC/REJECTED for a media rejection, CANCELLED for an invalidation). `sr` is the SR as the API answered:
 * act on `state` and `referenceId`, which come from it, not from what was posted.
 *
 * @since 0.2.0
 * @category models
 */
export class Confirmed extends Data.TaggedClass("Confirmed")<{
  /** The delivery's inbox entry: the same each time this delivery is handed on again (at least once). */
  readonly id: string
  /** `dedupeKey(event)`: no other delivery with this key is handed on within the dedupe window. */
  readonly key: string
  readonly event: ConfirmableEvent
  readonly sr: ServiceRequest
}> {
  /**
   * The SR's state, as the API answered it.
   *
   * @since 0.2.0
   */
  get state(): State {
    return this.sr.state
  }
  /**
   * @since 0.2.0
   */
  get srUuid(): string {
    return this.sr.uuid
  }
  /**
   * Your reference id: the SR's `external_id` as the API answered it, else the event's.
   *
   * @since 0.2.0
   */
  get referenceId(): string | null {
    return this.sr.external_id ?? this.event.referenceId
  }
}

/**
 * An event handed on as it was posted, without confirmation: confirmation is off, or the event is
 * `Unknown` (a type this version cannot confirm). Never act on it as a verdict.
 *
 * @since 0.2.0
 * @category models
 */
export class Unconfirmed extends Data.TaggedClass("Unconfirmed")<{
  /** The delivery's inbox entry: the same each time this delivery is handed on again (at least once). */
  readonly id: string
  /** `dedupeKey(event)`: no other delivery with this key is handed on within the dedupe window. */
  readonly key: string
  readonly event: WebhookEvent
}> {}

/**
 * What `httpApp` hands to its handler: `Confirmed` or `Unconfirmed`.
 *
 * @since 0.2.0
 * @category models
 */
export type Received = Confirmed | Unconfirmed

// --- HttpApp ----------------------------------------------------------------------------------------

/**
 * @since 0.1.0
 */
export interface HttpAppOptions {
  /**
   * The Standard Webhooks / Svix signing secret (`whsec_…`). With one, every request must carry a valid
   * `webhook-id` / `webhook-timestamp` / `webhook-signature` (or `svix-…`) set, checked on the raw body:
   * otherwise 401. Default: none (requests are not signed; confirmation is what makes them trusted).
   */
  readonly secret?: Redacted.Redacted | undefined
  /**
   * Re-read the SR from the API before handing on a state change, media rejection or invalidation, and
   * hand it on only when the API agrees (default true). False hands every event on as `Unconfirmed`, as
   * posted, and needs no `LegitmarkClient`.
   */
  readonly confirm?: boolean | undefined
  /** Larger bodies are answered 413 (default 1 MB). */
  readonly maxBodyBytes?: number | undefined
  /** Events with the same `dedupeKey` within this window are handed on once (default 10 minutes). */
  readonly dedupeWindow?: Duration.DurationInput | undefined
  /**
   * How long finished entries are kept; a delivery with the same `webhook-id` (signed) or the same bytes
   * within it is acknowledged and not handed on again (default 1 day).
   */
  readonly retention?: Duration.DurationInput | undefined
  /**
   * When the API does not (yet) agree with an event, when to read the SR again; once the schedule is done
   * the event is dropped as unconfirmed. Default: after 2 s, doubling, 8 times (about 8½ minutes in all).
   */
  readonly recheck?: Schedule.Schedule<unknown, unknown> | undefined
  /**
   * When the handler fails, or the API cannot be read, when to try again; once the schedule is done the
   * entry is marked failed. Default: after 1 s, doubling to at most 5 minutes apart, for 24 hours.
   */
  readonly retry?: Schedule.Schedule<unknown, unknown> | undefined
  /** Entries processed at once (default 8). */
  readonly concurrency?: number | undefined
  /** How long a worker holds an entry before another may take it; renewed while held (default 30 s). */
  readonly lease?: Duration.DurationInput | undefined
  /** How often the inbox is polled for entries due again or recorded by other replicas (default 1 s). */
  readonly pollInterval?: Duration.DurationInput | undefined
}

const defaults = {
  maxBodyBytes: 1024 * 1024,
  dedupeWindow: Duration.minutes(10),
  retention: Duration.days(1),
  recheck: Schedule.exponential("2 seconds").pipe(Schedule.intersect(Schedule.recurs(8))),
  retry: Schedule.exponential("1 second").pipe(
    Schedule.either(Schedule.spaced("5 minutes")),
    Schedule.upTo("24 hours")
  ),
  concurrency: 8,
  lease: Duration.seconds(30),
  pollInterval: Duration.seconds(1)
}

const refuse = (status: number, reason: string) =>
  Effect.as(
    Effect.logDebug(`webhook refused (${status}): ${reason}`),
    HttpServerResponse.unsafeJson({ error: reason }, { status })
  )

/** The handler failed (or died); kept apart from the inbox's own failures. */
class HandlerFailure extends Data.TaggedError("HandlerFailure")<{ readonly cause: Cause.Cause<unknown> }> {}

type Check = Data.TaggedEnum<{
  Agreed: { readonly sr: ServiceRequest }
  Disagreed: { readonly actual: State | null }
  Unconfirmable: {}
}>
const Check = Data.taggedEnum<Check>()

const sameState = (a: State, b: State) => a.primary === b.primary && (a.supplement ?? null) === (b.supplement ?? null)

const agrees = (event: ConfirmableEvent, state: State): boolean => {
  switch (event._tag) {
    case "StateChange":
      return sameState(event.state, state)
    case "MediaRejected":
      return state.primary === "QC" && state.supplement === "REJECTED"
    case "Invalidated":
      return state.primary === "CANCELLED"
  }
}

const describeState = (state: State | null) =>
  state === null ? "no such SR" : `${state.primary}/${state.supplement ?? "null"}`

const SrJson = Schema.parseJson(ServiceRequest)
const encodeSr = Schema.encode(SrJson)
const decodeSr = Schema.decodeUnknown(SrJson)

/**
 * An `HttpApp` that receives Legitmark webhooks, for any `@effect/platform` server (mount it at the
 * webhook URL with `HttpRouter.post`, or serve it alone), and feeds `handler` from a `WebhookInbox`:
 *
 * - **Answers**: 200 once the event is recorded in the inbox (or was already); 503 when the inbox cannot
 *   record it, so that Legitmark delivers it again; 401 without a valid signature when a `secret` is set;
 *   400 `{ "error": reason }` to a body that is not a webhook (invalid JSON, not an object, no string
 *   `event_type` / `sr_uuid`); 413 to a body over `maxBodyBytes`; 405 to a method other than POST.
 *   Unknown event types are acknowledged.
 * - **Confirmed before trusted** (unless `confirm: false`): a state change, media rejection or
 *   invalidation reaches `handler` only as `Confirmed`, after the SR was re-read from the API and agreed;
 *   its `state` is the API's. When the API does not agree yet (it may lag the event), the event is kept
 *   and checked again on `recheck`; when it never does (forged, stale, superseded by a later state) it is
 *   dropped with a Warning. `Unknown` events are handed on as `Unconfirmed`.
 * - **Once per key**: the dedupe key is bound only when the event is confirmed, so a forged event never
 *   makes the genuine one a duplicate. Events with a key held within `dedupeWindow` are not handed on.
 * - **At least once**: `handler` runs from the inbox, after the 200. If it fails it runs again on
 *   `retry`; if the process dies, another worker (or the restarted process) takes the entry when its
 *   lease runs out. So make the handler idempotent per `received.id` (or per `received.key`, when the
 *   same state reached again may be ignored too) — or, with a transactional `SqlWebhookInbox`, write
 *   through the same `SqlClient`: the writes commit with the inbox's mark, exactly once.
 *
 * The handler runs with the context of the effect that builds the app (so `R` is provided there), in a
 * worker that lives as long as that effect's scope.
 *
 * @example
 * ```ts
 * import { HttpRouter, HttpServer } from "@effect/platform"
 * import { NodeHttpServer } from "@effect/platform-node"
 * import { Verdict, WebhookInbox, Webhooks } from "effect-legitmark"
 * import { Effect, Layer, Option } from "effect"
 * import { createServer } from "node:http"
 *
 * const handler = (received: Webhooks.Received) =>
 *   received._tag === "Confirmed" ?
 *     Option.match(Verdict.fromServiceRequest(received.sr), {
 *       onNone: () => Effect.log(`${received.referenceId} is now ${received.state.primary}`),
 *       onSome: (verdict) => Effect.log(`${received.referenceId}: ${verdict._tag}`)
 *     }) :
 *     Effect.log(`not confirmed: ${received.event._tag}`)
 *
 * // Needs a LegitmarkClient (to confirm events) from your layers.
 * export const WebhookServer = Layer.unwrapScoped(
 *   Effect.map(Webhooks.httpApp(handler), (app) =>
 *     HttpRouter.empty.pipe(HttpRouter.post("/webhooks/legitmark", app), HttpServer.serve()))
 * ).pipe(
 *   Layer.provide(WebhookInbox.layerMemory),
 *   Layer.provide(NodeHttpServer.layer(createServer, { port: 8080 }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category http
 */
export function httpApp<E, R>(
  handler: (received: Received) => Effect.Effect<unknown, E, R>,
  options: HttpAppOptions & { readonly confirm: false }
): Effect.Effect<HttpApp.Default, ConfigError.ConfigError, R | WebhookInbox | Scope.Scope>
export function httpApp<E, R>(
  handler: (received: Received) => Effect.Effect<unknown, E, R>,
  options?: HttpAppOptions
): Effect.Effect<HttpApp.Default, ConfigError.ConfigError, R | WebhookInbox | LegitmarkClient | Scope.Scope>
export function httpApp<E, R>(
  handler: (received: Received) => Effect.Effect<unknown, E, R>,
  options: HttpAppOptions = {}
): Effect.Effect<HttpApp.Default, ConfigError.ConfigError, R | WebhookInbox | LegitmarkClient | Scope.Scope> {
  return options.confirm === false ?
    make(handler, options, undefined) :
    Effect.flatMap(LegitmarkClient, (client) => make(handler, options, client))
}

const make = <E, R>(
  handler: (received: Received) => Effect.Effect<unknown, E, R>,
  options: HttpAppOptions,
  client: LegitmarkClient.Service | undefined
): Effect.Effect<HttpApp.Default, ConfigError.ConfigError, R | WebhookInbox | Scope.Scope> =>
  Effect.gen(function*() {
    const inbox = yield* WebhookInbox
    const verify = options.secret === undefined ? undefined : yield* Signature.make(options.secret)
    const maxBodyBytes = options.maxBodyBytes ?? defaults.maxBodyBytes
    const window = Duration.decode(options.dedupeWindow ?? defaults.dedupeWindow)
    const recheck = options.recheck ?? defaults.recheck
    const retry = options.retry ?? defaults.retry
    const owner = yield* Effect.sync(() => crypto.randomUUID())
    const wake = yield* Queue.sliding<void>(1)

    // --- the worker: from the inbox to the handler ---

    const settle = (entry: Entry, status: Exclude<Status, "pending">) =>
      inbox.settle({ id: entry.id, owner, status }, Effect.void)

    const release = (entry: Entry, delay: Duration.Duration, counts: {
      readonly checks: number
      readonly failures: number
    }) => inbox.release({ id: entry.id, owner, delay, ...counts })

    const failedAttempt = (entry: Entry, what: string, cause: Cause.Cause<unknown>) =>
      Effect.gen(function*() {
        const failures = entry.failures + 1
        const delay = yield* delayAfter(retry, failures)
        if (Option.isNone(delay)) {
          yield* Effect.logError(`webhook ${entry.id}: ${what} ${failures} times; marked failed`, cause)
          return yield* settle(entry, "failed")
        }
        yield* Effect.logWarning(`webhook ${entry.id}: ${what}; trying again in ${Duration.format(delay.value)}`, cause)
        return yield* release(entry, delay.value, { checks: entry.checks, failures })
      })

    const handle = (entry: Entry, received: Received) =>
      inbox.settle(
        { id: entry.id, owner, status: "handled" },
        Effect.suspend(() => handler(received)).pipe(
          Effect.catchAllCause((cause) =>
            Cause.isInterruptedOnly(cause) ? Effect.interrupt : Effect.fail(new HandlerFailure({ cause }))
          ),
          Effect.withSpan("Legitmark.webhooks.handler", {
            attributes: { "legitmark.webhook.key": received.key, "legitmark.webhook.received": received._tag }
          })
        )
      ).pipe(Effect.catchTag("HandlerFailure", (failure) => failedAttempt(entry, "the handler failed", failure.cause)))

    const bindAndHandle = (entry: Entry, received: Received, confirmation: string | null) =>
      Effect.flatMap(
        inbox.bind({ id: entry.id, owner, key: received.key, confirmation, window }),
        (holds) =>
          holds ?
            handle(entry, received) :
            Effect.zipRight(
              Effect.logDebug(`webhook ${received.key}: already handed on (duplicate)`),
              settle(entry, "duplicate")
            )
      )

    const recheckLater = (entry: Entry, event: ConfirmableEvent, actual: State | null) =>
      Effect.gen(function*() {
        const checks = entry.checks + 1
        const delay = yield* delayAfter(recheck, checks)
        const claim = `${event._tag} of ${event.srUuid}`
        if (Option.isNone(delay)) {
          yield* Effect.logWarning(
            `webhook ${claim} was not confirmed by the API (it answers ${describeState(actual)}) after ${checks} ` +
              "checks: dropped as forged, stale or superseded"
          )
          return yield* settle(entry, "unconfirmed")
        }
        yield* Effect.logDebug(
          `webhook ${claim} not confirmed yet (the API answers ${describeState(actual)}); ` +
            `checking again in ${Duration.format(delay.value)}`
        )
        return yield* release(entry, delay.value, { checks, failures: entry.failures })
      })

    const confirmAndHandle = (
      entry: Entry,
      event: ConfirmableEvent,
      api: LegitmarkClient.Service
    ) =>
      api.serviceRequests.get(event.srUuid).pipe(
        Effect.map((sr) => agrees(event, sr.state) ? Check.Agreed({ sr }) : Check.Disagreed({ actual: sr.state })),
        Effect.catchTags({
          // The SR may not be readable yet; or it never existed.
          NotFoundError: () => Effect.succeed(Check.Disagreed({ actual: null })),
          // Not an SR id the API could have sent.
          InvalidRequestError: () => Effect.succeed(Check.Unconfirmable())
        }),
        Effect.withSpan("Legitmark.webhooks.confirm", { attributes: { "legitmark.sr_uuid": event.srUuid } }),
        Effect.matchCauseEffect({
          onFailure: (cause) => failedAttempt(entry, "the API could not be read to confirm it", cause),
          onSuccess: Check.$match({
            Agreed: ({ sr }) =>
              Effect.flatMap(
                encodeSr(sr).pipe(Effect.orDie),
                (json) => bindAndHandle(entry, new Confirmed({ id: entry.id, key: dedupeKey(event), event, sr }), json)
              ),
            Disagreed: ({ actual }) => recheckLater(entry, event, actual),
            Unconfirmable: () =>
              Effect.zipRight(
                Effect.logWarning(`webhook ${event._tag} names no valid SR id: dropped`),
                settle(entry, "unconfirmed")
              )
          })
        })
      )

    // An entry bound in an earlier attempt is handed on as it was bound, without asking the API again.
    const rebound = (entry: Entry, key: string, event: WebhookEvent) =>
      entry.confirmation === null || event._tag === "Unknown" ?
        handle(entry, new Unconfirmed({ id: entry.id, key, event })) :
        decodeSr(entry.confirmation).pipe(
          Effect.matchCauseEffect({
            onFailure: (cause) => failedAttempt(entry, "its stored confirmation could not be read", cause),
            onSuccess: (sr) => handle(entry, new Confirmed({ id: entry.id, key, event, sr }))
          })
        )

    const processEntry = (entry: Entry): Effect.Effect<void, never, R> =>
      decodeJson(entry.body).pipe(
        Effect.matchEffect({
          onFailure: (error) =>
            Effect.zipRight(
              Effect.logWarning(`webhook ${entry.id}: stored body is not a webhook (${error.reason})`),
              settle(entry, "failed")
            ),
          onSuccess: (event) =>
            entry.key !== null ?
              rebound(entry, entry.key, event) :
              event._tag === "Unknown" || client === undefined ?
              bindAndHandle(entry, new Unconfirmed({ id: entry.id, key: dedupeKey(event), event }), null) :
              confirmAndHandle(entry, event, client)
        }),
        // The inbox failed (or the lease passed to another worker): the entry stays claimed until its
        // lease runs out, then it is taken again.
        Effect.catchTag("WebhookInboxError", (error) => Effect.logWarning(`webhook ${entry.id}: ${error.message}`)),
        Effect.asVoid,
        Effect.withSpan("Legitmark.webhooks.process", { attributes: { "legitmark.webhook.entry": entry.id } })
      )

    yield* InboxWorker.run({
      inbox,
      owner,
      concurrency: Math.max(1, options.concurrency ?? defaults.concurrency),
      lease: Duration.decode(options.lease ?? defaults.lease),
      pollInterval: Duration.decode(options.pollInterval ?? defaults.pollInterval),
      retention: Duration.decode(options.retention ?? defaults.retention),
      window,
      wake,
      process: processEntry
    })

    // --- the receiver: from the request to the inbox ---

    const receive = (request: HttpServerRequest.HttpServerRequest) =>
      Effect.gen(function*() {
        const bytes = yield* Body.read(request, maxBodyBytes)
        const webhookId = verify === undefined ? undefined : yield* verify(request.headers, bytes)
        const body = new TextDecoder().decode(bytes)
        const event = yield* decodeJson(body)
        // Signed, the authenticated webhook-id names the delivery; unsigned, only the bytes can (a
        // webhook-id anyone may send must not make the genuine delivery look recorded).
        const id = yield* sha256(webhookId === undefined ? `body:${body}` : `webhook-id:${webhookId}`)
        yield* inbox.record({ id, body })
        yield* Queue.offer(wake, undefined)
        yield* Effect.logDebug(`webhook ${event._tag} for ${event.srUuid} recorded as ${id}`)
        return HttpServerResponse.empty({ status: 200 })
      }).pipe(
        Effect.catchTags({
          BodyTooLarge: (error) => refuse(413, error.message),
          BodyUnreadable: (error) => refuse(400, error.message),
          SignatureError: (error) => refuse(401, error.reason),
          WebhookDecodeError: (error) => refuse(400, error.reason),
          WebhookInboxError: (error) =>
            Effect.zipRight(
              Effect.logWarning("webhook not recorded; answering 503 so that it is delivered again", error),
              refuse(503, "the event could not be recorded; deliver it again")
            )
        })
      )

    const app: HttpApp.Default = Effect.flatMap(
      HttpServerRequest.HttpServerRequest,
      (request) =>
        request.method === "POST" ?
          receive(request) :
          Effect.succeed(
            HttpServerResponse.unsafeJson({ error: "method not allowed" }, { status: 405, headers: { allow: "POST" } })
          )
    ).pipe(Effect.withSpan("Legitmark.webhooks.receive"))
    return app
  }).pipe(Effect.annotateLogs({ module: "Webhooks" }))
