/**
 * The metrics of `Metrics.ts` as the pipeline records them. Each endpoint's series are tagged once, in one
 * `taggedWithLabels` (a series tagged per call, or tagged twice, is looked up in the registry on every
 * update), and a call's outcome is recorded in one step with the fiber's metric labels.
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as Metric from "effect/Metric"
import * as MetricLabel from "effect/MetricLabel"
import type * as Errors from "../LegitmarkError.js"
import * as Metrics from "../Metrics.js"
import type * as RateLimiter from "../RateLimiter.js"

/** One endpoint's series. */
export interface Meter {
  /** Runs a call, recording its outcome and duration. */
  readonly call: <A, R>(
    self: Effect.Effect<A, Errors.LegitmarkError, R>
  ) => Effect.Effect<A, Errors.LegitmarkError, R>
  /** A retry of the call, as `RetryPolicy.apply` announces it. */
  readonly retried: Effect.Effect<void>
  /** A 429 answer. */
  readonly rateLimited: Effect.Effect<void>
}

type Counter = Metric.Metric.Counter<number>

const endpointOf = (name: string) => MetricLabel.make("endpoint", name)

/** The series of the endpoint `name` (`"<group>.<name>"`). */
export const meter = (name: string): Meter => {
  const endpoint = endpointOf(name)
  const duration = Metric.taggedWithLabels(Metrics.callDuration, [endpoint])
  const retried = Metric.increment(Metric.taggedWithLabels(Metrics.retries, [endpoint]))
  const rateLimited = Metric.increment(Metric.taggedWithLabels(Metrics.rateLimited, [endpoint]))
  // One counter per outcome, made when the outcome first happens.
  const outcomes = new Map<string, Counter>()
  const outcome = (tag: string): Counter => {
    let counter = outcomes.get(tag)
    if (counter === undefined) {
      counter = Metric.taggedWithLabels(Metrics.calls, [endpoint, MetricLabel.make("outcome", tag)])
      outcomes.set(tag, counter)
    }
    return counter
  }
  const outcomeOf = (exit: Exit.Exit<unknown, Errors.LegitmarkError>) => {
    if (Exit.isSuccess(exit)) return "success"
    const failure = Cause.failureOption(exit.cause)
    if (failure._tag === "Some") return failure.value._tag
    return Cause.isInterruptedOnly(exit.cause) ? "interrupted" : "defect"
  }
  const call: Meter["call"] = (self) =>
    Effect.withFiberRuntime((fiber) => {
      const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
      const start = clock.unsafeCurrentTimeNanos()
      return Effect.onExit(self, (exit) =>
        Effect.sync(() => {
          const labels = fiber.getFiberRef(FiberRef.currentMetricLabels)
          const millis = Number(clock.unsafeCurrentTimeNanos() - start) / 1e6
          outcome(outcomeOf(exit)).unsafeUpdate(1, labels)
          duration.unsafeUpdate(millis, labels)
        }))
    })
  return { call, retried, rateLimited }
}

const levels = {
  partner: Metric.taggedWithLabels(Metrics.rateLimitRemaining, [MetricLabel.make("level", "partner")]),
  user: Metric.taggedWithLabels(Metrics.rateLimitRemaining, [MetricLabel.make("level", "user")])
}

/** The headroom an answer reported, per level. */
export const headroom = (answer: RateLimiter.Answer): Effect.Effect<void> =>
  answer.levels.length === 0 ? Effect.void : Effect.withFiberRuntime((fiber) => {
    const labels = fiber.getFiberRef(FiberRef.currentMetricLabels)
    for (const level of answer.levels) {
      if (level.remaining !== undefined) levels[level.level].unsafeUpdate(level.remaining, labels)
    }
    return Effect.void
  })

/** Runs `acquire`, recording how long it waited for its permit. */
export const waited = <A, E, R>(acquire: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime((fiber) => {
    const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
    const start = clock.unsafeCurrentTimeMillis()
    return Effect.tap(acquire, () =>
      Effect.sync(() =>
        Metrics.rateLimiterWait.unsafeUpdate(
          clock.unsafeCurrentTimeMillis() - start,
          fiber.getFiberRef(FiberRef.currentMetricLabels)
        )
      ))
  })

/** Bytes uploaded, once the upload succeeded. */
export const uploaded = (bytes: number): Effect.Effect<void> => Metric.incrementBy(Metrics.uploadBytes, bytes)
