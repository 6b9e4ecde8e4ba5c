/**
 * A `Schedule` read as durable retry delays: the delay before the attempt after `n` failed ones, found
 * by stepping the schedule `n` times on virtual time (so `upTo` and other elapsed-time schedules count
 * the delays, not the process's uptime). The count lives in the store, so the schedule survives restarts.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleIntervals from "effect/ScheduleIntervals"

/** The delay after `n` (≥ 1) failures, or `None` once the schedule is done. */
export const delayAfter = <Out, R>(
  schedule: Schedule.Schedule<Out, unknown, R>,
  n: number
): Effect.Effect<Option.Option<Duration.Duration>, never, R> =>
  Effect.gen(function*() {
    let state: unknown = schedule.initial
    let now = 0
    let delay = 0
    for (let i = 0; i < n; i++) {
      const [next, , decision] = yield* schedule.step(now, undefined, state)
      if (ScheduleDecision.isDone(decision)) return Option.none()
      const at = ScheduleIntervals.start(decision.intervals)
      delay = Math.max(0, at - now)
      now = at
      state = next
    }
    return Option.some(Duration.millis(delay))
  })
