/**
 * Webhook deliveries (Legitmark → partner): every state change, media rejection and invalidation is
 * POSTed to the configured URL and retried on failure on the simulated clock, until a 2xx. With a
 * secret, each attempt is signed as Standard Webhooks / Svix sign them: `webhook-id` (one per event,
 * the same on every attempt), `webhook-timestamp` (the attempt's wall-clock time, in seconds) and
 * `webhook-signature` (`v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`).
 *
 * @since 0.1.0
 */
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import { Webhook } from "standardwebhooks"
import * as Secret from "./internal/secret.js"
import { SimClock } from "./SimClock.js"
import type { State } from "./Store.js"

/**
 * The payloads of legitmark-api.md "Webhooks" (current generation).
 *
 * @since 0.1.0
 */
export type Event =
  | {
    readonly event_type: "state_change"
    readonly sr_uuid: string
    readonly reference_id: string | null
    readonly state: State
    readonly timestamp: string
  }
  | {
    readonly event_type: "media_rejected"
    readonly sr_uuid: string
    readonly reference_id: string | null
    readonly sides: ReadonlyArray<{ readonly side: string; readonly reason: string; readonly message: string }>
    readonly timestamp: string
  }
  | {
    readonly event_type: "invalidate_sr"
    readonly sr_uuid: string
    readonly reference_id: string | null
    readonly invalidation_reason: { readonly code: string; readonly message: string }
    readonly timestamp: string
  }

/**
 * @since 0.1.0
 */
export interface Delivery {
  readonly id: number
  /** The `webhook-id` it is sent with. */
  readonly messageId: string
  readonly url: string
  readonly event: Event
  readonly attempts: number
  readonly status: "pending" | "delivered" | "failed"
  /** HTTP status of the last attempt, or null when it did not get an answer. */
  readonly lastStatus: number | null
}

/**
 * Retries after about 5 s, 5 min, 30 min and 2 h (simulated time), then the delivery is marked failed.
 *
 * @since 0.1.0
 */
export const retrySchedule = Schedule.fromDelays("5 seconds", "5 minutes", "30 minutes", "2 hours")

/**
 * @since 0.1.0
 */
export interface WebhooksService {
  /** Records the event and, when a URL is configured, delivers it in the background. */
  readonly emit: (event: Event) => Effect.Effect<void>
  readonly url: Effect.Effect<Option.Option<string>>
  readonly setUrl: (url: Option.Option<string>) => Effect.Effect<void>
  readonly events: Effect.Effect<ReadonlyArray<Event>>
  readonly deliveries: Effect.Effect<ReadonlyArray<Delivery>>
  /** Stops pending deliveries and forgets the log. */
  readonly reset: Effect.Effect<void>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Webhooks extends Context.Tag("@effect-legitmark/simulator/Webhooks")<Webhooks, WebhooksService>() {}

/**
 * A Standard Webhooks secret: base64 (of at least one byte), usually after `whsec_`.
 *
 * @since 0.1.0
 */
export const isSecret: (secret: string) => boolean = Secret.isSecret

class DeliveryFailed extends Data.TaggedError("DeliveryFailed")<{ readonly status: number | null }> {}

/**
 * @since 0.1.0
 */
export interface Options {
  readonly url?: string | undefined
  /** Signs every delivery with this Standard Webhooks secret (`whsec_` and base64). */
  readonly secret?: string | undefined
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}) =>
  Effect.gen(function*() {
    const signer = options.secret === undefined ? undefined : yield* Effect.try({
      try: () => {
        if (!isSecret(options.secret ?? "")) throw new Error("not base64")
        return new Webhook(options.secret ?? "")
      },
      catch: () => new Error("the webhook secret must be base64, after an optional whsec_ prefix")
    }).pipe(Effect.orDie)
    const clock = yield* SimClock
    // The network answer timeout is wall-clock time; only the retry delays are simulated.
    const wallClock = yield* Effect.clock
    const client = yield* HttpClient.HttpClient
    const url = yield* Ref.make(Option.fromNullable(options.url))
    const events = yield* Ref.make<ReadonlyArray<Event>>([])
    const deliveries = yield* Ref.make<ReadonlyArray<Delivery>>([])
    const fibers = yield* FiberSet.make()

    const update = (id: number, f: (d: Delivery) => Delivery) =>
      Ref.update(deliveries, (ds) => ds.map((d) => (d.id === id ? f(d) : d)))

    const deliver = (id: number, messageId: string, target: string, event: Event) => {
      const body = JSON.stringify(event)
      const attempt = Effect.gen(function*() {
        const signed = signer === undefined ? {} : yield* Effect.map(wallClock.currentTimeMillis, (now) => {
          const at = new Date(now)
          return {
            "webhook-id": messageId,
            "webhook-timestamp": String(Math.floor(now / 1000)),
            "webhook-signature": signer.sign(messageId, at, body)
          }
        })
        const status = yield* client.post(target, { body: HttpBody.text(body, "application/json"), headers: signed })
          .pipe(
            Effect.flatMap((response) => Effect.as(Effect.ignore(response.arrayBuffer), response.status)),
            Effect.timeout("30 seconds"),
            Effect.orElseSucceed(() => null),
            Effect.withClock(wallClock)
          )
        yield* update(id, (d) => ({ ...d, attempts: d.attempts + 1, lastStatus: status }))
        if (status === null || status < 200 || status >= 300) {
          return yield* Effect.fail(new DeliveryFailed({ status }))
        }
      })
      return attempt.pipe(
        Effect.retry(retrySchedule),
        Effect.matchEffect({
          onFailure: (error) =>
            Effect.zipRight(
              update(id, (d) => ({ ...d, status: "failed" })),
              Effect.logWarning(`webhook ${event.event_type} for ${event.sr_uuid} failed (last status ${error.status})`)
            ),
          onSuccess: () => update(id, (d) => ({ ...d, status: "delivered" }))
        }),
        Effect.withClock(clock.clock)
      )
    }

    const emit = (event: Event) =>
      Effect.gen(function*() {
        yield* Ref.update(events, (es) => [...es, event])
        const target = yield* Ref.get(url)
        if (Option.isNone(target)) return
        const id = (yield* Ref.get(deliveries)).length
        // Unique across simulator runs, so that a receiver's inbox never mistakes a new event for an old one.
        const messageId = `msg_${crypto.randomUUID()}`
        const delivery: Delivery = {
          id,
          messageId,
          url: target.value,
          event,
          attempts: 0,
          status: "pending",
          lastStatus: null
        }
        yield* Ref.update(deliveries, (ds) => [...ds, delivery])
        // Events arise in uninterruptible regions (request handlers, timers); the delivery must not inherit
        // that, or `reset` and the simulator's shutdown wait for its retries (hours of simulated time).
        yield* FiberSet.run(fibers, Effect.interruptible(deliver(id, messageId, target.value, event)))
      })

    return Webhooks.of({
      emit,
      url: Ref.get(url),
      setUrl: (next) => Ref.set(url, next),
      events: Ref.get(events),
      deliveries: Ref.get(deliveries),
      reset: Effect.all([FiberSet.clear(fibers), Ref.set(events, []), Ref.set(deliveries, [])], { discard: true })
    })
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<Webhooks, never, SimClock | HttpClient.HttpClient> => Layer.scoped(Webhooks, make(options))
