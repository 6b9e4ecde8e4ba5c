/**
 * Handlers of the `/__control` endpoints (no API key; loopback callers only).
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { Faults, Spec as FaultSpec } from "../Faults.js"
import { RateLimit } from "../RateLimit.js"
import { SimClock } from "../SimClock.js"
import { Stats } from "../Stats.js"
import { Store } from "../Store.js"
import { Webhooks } from "../Webhooks.js"
import { decodeBody } from "./api.js"
import * as Errors from "./errors.js"
import { json, jsonBody } from "./http.js"

const AdvanceBody = Schema.Union(
  Schema.Struct({ ms: Schema.Int.pipe(Schema.nonNegative()) }),
  Schema.Struct({ steps: Schema.Int.pipe(Schema.positive()) })
)

const WebhookBody = Schema.Struct({ url: Schema.NullOr(Schema.String) })

const clockState = Effect.gen(function*() {
  const clock = yield* SimClock
  const now = yield* clock.now
  return {
    mode: clock.mode,
    speed: clock.speed,
    now: new Date(now).toISOString(),
    now_ms: now,
    pending: yield* clock.pending
  }
})

export const clock = Effect.map(clockState, json)

export const advance = Effect.gen(function*() {
  const body = yield* decodeBody(AdvanceBody, yield* jsonBody)
  const clock = yield* SimClock
  const ran = "ms" in body ? yield* clock.advance(body.ms) : yield* clock.step(body.steps)
  return json({ ...(yield* clockState), ran })
})

export const addFault = Effect.gen(function*() {
  const spec = yield* decodeBody(FaultSpec, yield* jsonBody)
  const faults = yield* Faults
  const id = yield* faults.add(spec)
  return json({ id, ...spec }, 201)
})

export const listFaults = Effect.map(Effect.flatMap(Faults, (faults) => faults.list), (faults) => json({ faults }))

export const clearFaults = Effect.flatMap(Faults, (faults) => Effect.as(faults.clear, json({ cleared: true })))

export const removeFault = Effect.gen(function*() {
  const params = yield* HttpRouter.params
  const faults = yield* Faults
  const removed = yield* faults.remove(params["id"] ?? "")
  return removed ? json({ cleared: true }) : yield* Errors.notFound("Fault")
})

/** Everything the simulator counted, plus the SR count and webhook totals. */
export const snapshot = Effect.gen(function*() {
  const stats = yield* Stats
  const store = yield* Store
  const webhooks = yield* Webhooks
  const deliveries = yield* webhooks.deliveries
  const count = (status: string) => deliveries.filter((d) => d.status === status).length
  return {
    ...(yield* stats.counters),
    srCount: yield* store.count,
    webhooks: {
      events: (yield* webhooks.events).length,
      attempts: deliveries.reduce((n, d) => n + d.attempts, 0),
      delivered: count("delivered"),
      failed: count("failed"),
      pending: count("pending")
    }
  }
})

export const stats = Effect.map(snapshot, json)

/** Forgets SRs, uploads, faults, counters, rate-limit windows, webhook logs and pending timers. */
export const resetAll = Effect.gen(function*() {
  yield* Effect.flatMap(Webhooks, (w) => w.reset)
  yield* Effect.flatMap(SimClock, (c) => c.clearTimers)
  yield* Effect.flatMap(Store, (s) => s.reset)
  yield* Effect.flatMap(Faults, (f) => f.clear)
  yield* Effect.flatMap(RateLimit, (r) => r.reset)
  yield* Effect.flatMap(Stats, (s) => s.reset)
})

export const reset = Effect.as(resetAll, json({ reset: true }))

export const webhookLog = Effect.gen(function*() {
  const webhooks = yield* Webhooks
  return json({
    url: Option.getOrNull(yield* webhooks.url),
    events: yield* webhooks.events,
    deliveries: yield* webhooks.deliveries
  })
})

export const setWebhook = Effect.gen(function*() {
  const body = yield* decodeBody(WebhookBody, yield* jsonBody)
  const webhooks = yield* Webhooks
  yield* webhooks.setUrl(Option.fromNullable(body.url))
  return json({ url: body.url })
})
