/**
 * An Effect `Clock` that runs `speed` times faster than the wall clock, from a given simulated "now":
 * the client then reads time (Retry-After, rate-limit resets) and sleeps (backoff, throttling, timeouts)
 * on the same compressed time scale as a simulator started with the same `speed`.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

export const scaled = (simulatedNow: number, speed: number): Clock.Clock => {
  const realStart = Date.now()
  const now = () => Math.floor(simulatedNow + (Date.now() - realStart) * speed)
  return {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: now,
    currentTimeMillis: Effect.sync(now),
    unsafeCurrentTimeNanos: () => BigInt(now()) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => BigInt(now()) * 1_000_000n),
    sleep: (duration) =>
      Effect.async<void>((resume) => {
        const millis = Duration.toMillis(duration)
        if (!Number.isFinite(millis)) return Effect.void
        const timer = setTimeout(() => resume(Effect.void), millis / speed)
        return Effect.sync(() => clearTimeout(timer))
      })
  }
}
