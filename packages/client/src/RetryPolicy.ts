/**
 * When and how often a failed call is sent again. The policy is a `Schedule` over the failure, swapped
 * as a Layer; the client applies it with two rules no policy can override: a call that is not idempotent
 * (create, submit) is only re-sent when the failure proves the server did not act, and a `Retry-After`
 * from the server is always honoured (up to `maxRetryAfter`, past which the call fails at once).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import type { LegitmarkError } from "./LegitmarkError.js"
import { provesNotActed, retryAfter } from "./LegitmarkError.js"

/**
 * @since 0.1.0
 */
export interface Policy {
  /** Decides the delay before each retry, and when to stop. Its input is the failure. */
  readonly schedule: Schedule.Schedule<unknown, LegitmarkError>
  /** The longest `Retry-After` the client waits for; a longer one fails the call instead. */
  readonly maxRetryAfter: Duration.Duration
}

/**
 * The retry policy in force. When none is provided, {@link defaultPolicy} applies.
 *
 * @since 0.1.0
 */
export class RetryPolicy extends Context.Tag("@effect-legitmark/client/RetryPolicy")<RetryPolicy, Policy>() {}

/**
 * @since 0.1.0
 */
export interface Options {
  /** Retries after the first attempt. Default 3. */
  readonly retries?: number
  /** The first delay. Default 250 ms. */
  readonly base?: Duration.DurationInput
  /** Growth of the delay per retry. Default 2. */
  readonly factor?: number
  /** The longest delay between two attempts. Default 10 s. */
  readonly maxDelay?: Duration.DurationInput
  /** Spread each delay randomly (×0.8–1.2) so a fleet does not retry in lockstep. Default true. */
  readonly jitter?: boolean
  /** The longest `Retry-After` to wait for. Default 60 s. */
  readonly maxRetryAfter?: Duration.DurationInput
}

const defaultMaxRetryAfter = Duration.seconds(60)

/**
 * Exponential backoff, optionally jittered, capped, with a bounded number of retries.
 *
 * @since 0.1.0
 */
export const make = (options: Options = {}): Policy => {
  const maxDelay = Duration.decode(options.maxDelay ?? Duration.seconds(10))
  const backoff = Schedule.exponential(options.base ?? Duration.millis(250), options.factor ?? 2)
  const spread = options.jitter === false ? backoff : Schedule.jittered(backoff)
  return {
    schedule: spread.pipe(
      Schedule.modifyDelay((_, delay) => Duration.min(delay, maxDelay)),
      Schedule.intersect(Schedule.recurs(options.retries ?? 3))
    ),
    maxRetryAfter: Duration.decode(options.maxRetryAfter ?? defaultMaxRetryAfter)
  }
}

/**
 * The policy in force when the user provides none: 3 retries, 250 ms doubling, jittered, capped at 10 s.
 *
 * @since 0.1.0
 */
export const defaultPolicy: Policy = make()

/**
 * @example
 * ```ts
 * import { LegitmarkClient, RetryPolicy } from "@effect-legitmark/client"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect, Layer, Schedule } from "effect"
 *
 * // Five retries from 500 ms, for every call of the client.
 * export const ClientLayer = LegitmarkClient.layerConfig().pipe(
 *   Layer.provide(RetryPolicy.layer({ retries: 5, base: "500 millis" })),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 *
 * // Any Schedule over the failure, or no retries at all for one call.
 * export const spaced = RetryPolicy.fromSchedule(Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(10))))
 * export const once = Effect.flatMap(LegitmarkClient, (client) => client.taxonomy.tree()).pipe(
 *   Effect.provide(RetryPolicy.none)
 * )
 * ```
 *
 * @since 0.1.0
 */
export const layer = (options: Options = {}): Layer.Layer<RetryPolicy> => Layer.succeed(RetryPolicy, make(options))

/**
 * Any `Schedule` over the failure as the policy, e.g.
 * `Schedule.spaced("1 second").pipe(Schedule.compose(Schedule.recurs(5)))`.
 *
 * @since 0.1.0
 */
export const fromSchedule = <Out>(
  schedule: Schedule.Schedule<Out, LegitmarkError>,
  options: { readonly maxRetryAfter?: Duration.DurationInput } = {}
): Layer.Layer<RetryPolicy> =>
  Layer.succeed(RetryPolicy, {
    schedule,
    maxRetryAfter: Duration.decode(options.maxRetryAfter ?? defaultMaxRetryAfter)
  })

/**
 * Never retry.
 *
 * @since 0.1.0
 */
export const none: Layer.Layer<RetryPolicy> = fromSchedule(Schedule.stop)

/**
 * How safe it is to send a call again: `"idempotent"` (GETs, the upload intent, a PUT), `"reconciled"`
 * (the call checks, before it is sent again, whether the server acted on the failed attempt), or
 * `"unsafe"` (sent again only when the failure proves the server did not act).
 *
 * @since 0.1.0
 */
export type Safety = "idempotent" | "reconciled" | "unsafe"

/**
 * Whether a call may be sent again after this failure at all: it must be retryable, safe to repeat,
 * and not ask for a wait beyond the cap.
 *
 * @since 0.1.0
 */
export const isSafeToRetry = (policy: Policy, safety: Safety) => (error: LegitmarkError): boolean => {
  if (!error.isRetryable) return false
  if (safety === "unsafe" && !provesNotActed(error)) return false
  const wait = retryAfter(error)
  return wait === undefined || Duration.lessThanOrEqualTo(wait, policy.maxRetryAfter)
}

const scheduleFor = (policy: Policy, safety: Safety): Schedule.Schedule<unknown, LegitmarkError> =>
  policy.schedule.pipe(
    Schedule.whileInput(isSafeToRetry(policy, safety)),
    Schedule.intersect(Schedule.identity<LegitmarkError>()),
    Schedule.modifyDelay(([, error], delay) => {
      const wait = retryAfter(error)
      return wait !== undefined && Duration.greaterThan(wait, delay) ? wait : delay
    }),
    Schedule.intersect(Schedule.count),
    // Only a decision to go on is a retry: the step that stops has an output too, and reporting it would
    // announce a retry that never happens.
    Schedule.onDecision(([[, error], retries], decision) =>
      ScheduleDecision.isDone(decision) ? Effect.void : Effect.zipRight(
        // `http.request.resend_count` is OpenTelemetry's name for the same count on an HTTP client span.
        Effect.annotateCurrentSpan({ "legitmark.retries": retries + 1, "http.request.resend_count": retries + 1 }),
        Effect.logDebug(`Legitmark: retrying after ${error._tag}: ${error.message}`)
      )
    )
  )

// A policy's schedules, built once per policy and safety rather than once per call.
const schedules = new WeakMap<Policy, Map<Safety, Schedule.Schedule<unknown, LegitmarkError>>>()

const cachedScheduleFor = (policy: Policy, safety: Safety) => {
  let bySafety = schedules.get(policy)
  if (bySafety === undefined) schedules.set(policy, bySafety = new Map())
  let schedule = bySafety.get(safety)
  if (schedule === undefined) bySafety.set(safety, schedule = scheduleFor(policy, safety))
  return schedule
}

/**
 * Applies a policy to one call: the policy's schedule, restricted to safe retries, with each delay
 * raised to the server's `Retry-After` when it asked for longer. As `Effect.retry`, except that the
 * schedule's state is only made after a first failure: most calls succeed at once and pay nothing.
 * `onRetry` runs before each retry, once its delay is over (the client counts retries with it); the
 * schedule's decision to stop is not a retry.
 *
 * @since 0.1.0
 */
export const apply = (policy: Policy, safety: Safety, onRetry: Effect.Effect<void> = Effect.void) => {
  const schedule = cachedScheduleFor(policy, safety)
  return <A, E extends LegitmarkError, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.catchAll(self, (first) =>
      Effect.flatMap(Schedule.driver(schedule), (driver) => {
        const again = Effect.zipRight(onRetry, Effect.catchAll(self, (error) => retry(error)))
        const retry = (error: E): Effect.Effect<A, E, R> =>
          Effect.matchEffect(driver.next(error), {
            onFailure: () => Effect.fail(error),
            onSuccess: () => again
          })
        return retry(first)
      }))
}
