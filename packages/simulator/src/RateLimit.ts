/**
 * Per-key fixed-window rate limiting on the simulated clock.
 *
 * A fixed window (count resets at the window's end) is what the documented headers describe; the
 * windows run on simulated time so tests can cross a window boundary with `advance`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import { SimClock } from "./SimClock.js"

/**
 * @since 0.1.0
 */
export interface Options {
  /** Requests allowed per window (default 1000). */
  readonly limit: number
  /** Window length in simulated milliseconds (default 60 000). */
  readonly windowMs: number
}

/**
 * @since 0.1.0
 */
export const defaults: Options = { limit: 1000, windowMs: 60_000 }

/**
 * The outcome of counting one request.
 *
 * @since 0.1.0
 */
export interface Decision {
  readonly allowed: boolean
  readonly limit: number
  /** Requests counted in this window, this one included. */
  readonly current: number
  readonly remaining: number
  /** Simulated epoch milliseconds at which the window resets. */
  readonly resetAt: number
  /** Whole seconds until the reset (at least 1). */
  readonly retryAfterSeconds: number
}

/**
 * @since 0.1.0
 */
export interface RateLimitService {
  readonly options: Options
  readonly consume: (key: string) => Effect.Effect<Decision>
  readonly reset: Effect.Effect<void>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class RateLimit extends Context.Tag("@effect-legitmark/simulator/RateLimit")<RateLimit, RateLimitService>() {}

interface Window {
  readonly start: number
  readonly count: number
}

/**
 * The `X-RateLimit-*` headers for a decision (partner and user levels carry the same numbers: the
 * simulator has one user per key).
 *
 * @since 0.1.0
 */
export const headers = (decision: Decision): Record<string, string> => {
  const reset = String(Math.ceil(decision.resetAt / 1000))
  const out: Record<string, string> = {}
  for (const level of ["Partner", "User"]) {
    out[`X-RateLimit-Limit-${level}`] = String(decision.limit)
    out[`X-RateLimit-Remaining-${level}`] = String(decision.remaining)
    out[`X-RateLimit-Reset-${level}`] = reset
  }
  return out
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Partial<Options> = {}) =>
  Effect.gen(function*() {
    const clock = yield* SimClock
    const config: Options = { ...defaults, ...options }
    const windows = yield* Ref.make(HashMap.empty<string, Window>())

    const consume = (key: string) =>
      Effect.flatMap(clock.now, (now) =>
        Ref.modify(windows, (all): readonly [Decision, HashMap.HashMap<string, Window>] => {
          const current = Option.getOrUndefined(HashMap.get(all, key))
          const window = current === undefined || now >= current.start + config.windowMs
            ? { start: now, count: 1 }
            : { start: current.start, count: current.count + 1 }
          const resetAt = window.start + config.windowMs
          const decision: Decision = {
            allowed: window.count <= config.limit,
            limit: config.limit,
            current: window.count,
            remaining: Math.max(0, config.limit - window.count),
            resetAt,
            retryAfterSeconds: Math.max(1, Math.ceil((resetAt - now) / 1000))
          }
          return [decision, HashMap.set(all, key, window)]
        }))

    return RateLimit.of({ options: config, consume, reset: Ref.set(windows, HashMap.empty()) })
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Partial<Options> = {}): Layer.Layer<RateLimit, never, SimClock> =>
  Layer.effect(RateLimit, make(options))
