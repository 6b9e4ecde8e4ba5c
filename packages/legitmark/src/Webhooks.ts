/**
 * Webhooks (Legitmark → partner): decode both payload generations into one `WebhookEvent` union, read
 * it with predicates, deduplicate redeliveries, and receive them with an `HttpApp` for `@effect/platform`
 * servers that acknowledges at once.
 *
 * This is the one module of `effect-legitmark` that imports `@effect/platform`: the `HttpApp` handler is
 * part of its contract.
 *
 * @since 0.1.0
 */
import type { State } from "@effect-legitmark/schema/State"
import * as Webhook from "@effect-legitmark/schema/Webhook"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberSet from "effect/FiberSet"
import * as ParseResult from "effect/ParseResult"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

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

// --- HttpApp ----------------------------------------------------------------------------------------

/**
 * @since 0.1.0
 */
export interface HttpAppOptions {
  /** How long a delivered event's `dedupeKey` suppresses redeliveries. Default 10 minutes. */
  readonly dedupeWindow?: Duration.DurationInput | undefined
  /** Larger bodies are answered 400 (and not kept in memory). Default 1 MB. */
  readonly maxBodyBytes?: number | undefined
}

const defaultDedupeWindow = Duration.minutes(10)
const defaultMaxBodyBytes = 1024 * 1024

/**
 * Keys seen within the window. Entries expire in insertion order (each lives for the same window), so
 * expired ones are dropped from the front; time comes from the `Clock`, so a `TestClock` drives it.
 */
const makeDedupe = (window: Duration.Duration) =>
  Effect.sync(() => {
    const expiries = new Map<string, number>()
    const windowMillis = Duration.toMillis(window)
    /** Records `key` and answers whether it is new (not seen within the window). */
    return (key: string): Effect.Effect<boolean> =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        for (const [k, expiresAt] of expiries) {
          if (expiresAt > now) break
          expiries.delete(k)
        }
        if (expiries.has(key)) return false
        expiries.set(key, now + windowMillis)
        return true
      })
  })

const tooLarge = (maxBytes: number) => new WebhookDecodeError({ reason: `the body exceeds ${maxBytes} bytes` })

/**
 * Reads a body of at most `maxBytes`. A declared larger length is refused before reading; a longer body
 * without one is read to its end and dropped (keeping nothing past the limit), so that the 400 reaches
 * the sender instead of a reset connection.
 */
const readBody = (
  request: HttpServerRequest.HttpServerRequest,
  maxBytes: number
): Effect.Effect<string, WebhookDecodeError> => {
  const declared = Number(request.headers["content-length"] ?? 0)
  if (declared > maxBytes) return Effect.fail(tooLarge(maxBytes))
  return request.stream.pipe(
    Stream.mapError(() => new WebhookDecodeError({ reason: "the body could not be read" })),
    Stream.runFold({ size: 0, chunks: Chunk.empty<Uint8Array>() }, (acc, chunk) => {
      const size = acc.size + chunk.byteLength
      return { size, chunks: size > maxBytes ? Chunk.empty<Uint8Array>() : Chunk.append(acc.chunks, chunk) }
    }),
    Effect.filterOrFail(({ size }) => size <= maxBytes, () => tooLarge(maxBytes)),
    Effect.map(({ chunks, size }) => {
      const bytes = new Uint8Array(size)
      let offset = 0
      for (const chunk of chunks) {
        bytes.set(chunk, offset)
        offset += chunk.byteLength
      }
      return new TextDecoder().decode(bytes)
    })
  )
}

const badRequest = (error: WebhookDecodeError) =>
  Effect.as(
    Effect.logDebug(`webhook rejected: ${error.reason}`),
    HttpServerResponse.unsafeJson({ error: error.reason }, { status: 400 })
  )

/**
 * An `HttpApp` that receives Legitmark webhooks, for any `@effect/platform` server (mount it at the
 * webhook URL with `HttpRouter.post`, or serve it alone):
 *
 * - answers 200 at once and hands the event to `onEvent` in a background fiber, so a slow handler never
 *   delays the acknowledgement; those fibers are interrupted when the scope that built the app closes;
 * - drops redeliveries: an event whose `dedupeKey` was seen within `dedupeWindow` is acknowledged and
 *   not handed on;
 * - acknowledges unknown event types (and hands them on as `Unknown`);
 * - answers 400 `{ "error": reason }` to a body that is not a webhook (invalid JSON, not an object,
 *   missing `event_type`/`sr_uuid`, larger than `maxBodyBytes`), 405 to a method other than POST;
 * - never answers 500: a failure or defect of `onEvent` is logged at Warning.
 *
 * `onEvent` runs with the context of the effect that builds the app (so `R` is provided there).
 *
 * @example
 * ```ts
 * import { HttpServer } from "@effect/platform"
 * import { NodeHttpServer } from "@effect/platform-node"
 * import { Webhooks } from "effect-legitmark"
 * import { Effect, Layer } from "effect"
 * import { createServer } from "node:http"
 *
 * const WebhookServer = Layer.unwrapScoped(
 *   Effect.map(
 *     Webhooks.httpApp((event) => Effect.log("webhook", event._tag)),
 *     (app) => HttpServer.serve(app)
 *   )
 * ).pipe(Layer.provide(NodeHttpServer.layer(createServer, { port: 8080 })))
 * ```
 *
 * @since 0.1.0
 * @category http
 */
export const httpApp = <E, R>(
  onEvent: (event: WebhookEvent) => Effect.Effect<unknown, E, R>,
  options: HttpAppOptions = {}
): Effect.Effect<HttpApp.Default, never, R | Scope.Scope> =>
  Effect.gen(function*() {
    const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes
    const isNew = yield* makeDedupe(Duration.decode(options.dedupeWindow ?? defaultDedupeWindow))
    const run = yield* FiberSet.makeRuntime<R>()

    const handle = (event: WebhookEvent) =>
      Effect.suspend(() => onEvent(event)).pipe(
        Effect.catchAllCause((cause) =>
          Cause.isInterruptedOnly(cause) ?
            Effect.void :
            Effect.logWarning(`webhook handler failed for ${event._tag} of ${event.srUuid}`, cause)
        ),
        Effect.withSpan("Legitmark.webhooks.handle", {
          attributes: { "legitmark.webhook.event": event._tag, "legitmark.sr_uuid": event.srUuid }
        })
      )

    const receive = (request: HttpServerRequest.HttpServerRequest) =>
      readBody(request, maxBodyBytes).pipe(
        Effect.flatMap(decodeJson),
        Effect.flatMap((event) =>
          Effect.map(isNew(dedupeKey(event)), (fresh) => {
            // Forked into the app's FiberSet: the 200 does not wait for the user's effect.
            if (fresh) run(handle(event))
            return HttpServerResponse.empty({ status: 200 })
          })
        ),
        Effect.catchTag("WebhookDecodeError", badRequest)
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
  })
