/**
 * The simulator's notion of time.
 *
 * Everything time-dependent in the simulator (SR transitions, presigned URL expiry, rate-limit windows,
 * webhook retries) reads this clock, so a test can step through a whole SR lifecycle deterministically
 * (`manual`), a unit test can move it with its `TestClock` (`clock`), and a demo can watch it unfold at a
 * chosen speed (`real`).
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as MutableRef from "effect/MutableRef"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"

/**
 * `real`: simulated time runs with wall-clock time multiplied by `speed`, and timers fire on their own.
 * `manual`: simulated time only moves through `advance` / `step`.
 * `clock`: simulated time follows the Effect `Clock` of the fiber that built it (a `TestClock` under
 * `it.effect`): `runDue`, run before each request, moves it there, each timer on the way at its own time.
 *
 * @since 0.1.0
 */
export type Mode = "real" | "manual" | "clock"

/**
 * @since 0.1.0
 */
export interface Options {
  readonly mode?: Mode | undefined
  /** Simulated milliseconds per real millisecond in `real` mode (default 1). */
  readonly speed?: number | undefined
  /** Simulated epoch milliseconds at start (default: the wall clock). */
  readonly start?: number | undefined
}

interface Timer {
  readonly id: number
  readonly at: number
  readonly run: Effect.Effect<void>
}

/**
 * @since 0.1.0
 */
export interface SimClockService {
  readonly mode: Mode
  readonly speed: number
  /** Simulated epoch milliseconds. */
  readonly now: Effect.Effect<number>
  readonly unsafeNow: () => number
  /** Runs `effect` when simulated time reaches now + `delayMs`. */
  readonly schedule: (delayMs: number, effect: Effect.Effect<void>) => Effect.Effect<void>
  /** Moves time forward by `ms`, running every timer that falls due, in order; answers how many ran. */
  readonly advance: (ms: number) => Effect.Effect<number>
  /** Jumps to the next `n` timers and runs them; answers how many ran. */
  readonly step: (n: number) => Effect.Effect<number>
  /**
   * Brings time to the present (the Effect Clock's, in `clock` mode), running every timer that falls due
   * on the way, and those they schedule; answers how many ran.
   */
  readonly runDue: Effect.Effect<number>
  /** Number of timers waiting. */
  readonly pending: Effect.Effect<number>
  /** Drops every waiting timer (used by reset). */
  readonly clearTimers: Effect.Effect<void>
  /** This clock as an Effect `Clock`, so `Effect.sleep` and `Schedule` run on simulated time. */
  readonly clock: Clock.Clock
}

/**
 * @since 0.1.0
 * @category tags
 */
export class SimClock extends Context.Tag("@effect-legitmark/simulator/SimClock")<SimClock, SimClockService>() {}

/**
 * Builds a clock; in `real` mode a background fiber (scoped) fires due timers.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}) =>
  Effect.gen(function*() {
    const mode = options.mode ?? "real"
    const speed = mode === "real" ? Math.max(0, options.speed ?? 1) : 0
    // In `clock` mode the Effect Clock says where time should be, and `runDue` moves there.
    const source = mode === "clock" ? yield* Effect.clock : undefined
    const realStart = Date.now()
    const sourceStart = source === undefined ? realStart : source.unsafeCurrentTimeMillis()
    const start = options.start ?? sourceStart
    // A synchronous cell: Effect's `Clock` interface needs `unsafeCurrentTimeMillis`.
    const offset = MutableRef.make(0)
    const unsafeNow = () => Math.floor(start + MutableRef.get(offset) + (Date.now() - realStart) * speed)
    const now = Effect.sync(unsafeNow)

    const timers = yield* Ref.make<ReadonlyArray<Timer>>([])
    const nextId = yield* Ref.make(0)
    // Timers run one at a time, whether fired by `advance` or by the real-time driver.
    const lock = yield* Effect.makeSemaphore(1)

    const schedule = (delayMs: number, run: Effect.Effect<void>) =>
      Effect.gen(function*() {
        const id = yield* Ref.getAndUpdate(nextId, (n) => n + 1)
        const at = unsafeNow() + Math.max(0, delayMs)
        yield* Ref.update(timers, (ts) => [...ts, { id, at, run }])
      })

    const takeNext = (limit: number) =>
      Ref.modify(timers, (ts): readonly [Option.Option<Timer>, ReadonlyArray<Timer>] => {
        let next: Timer | undefined
        for (const t of ts) {
          if (t.at <= limit && (next === undefined || t.at < next.at || (t.at === next.at && t.id < next.id))) {
            next = t
          }
        }
        return next === undefined ? [Option.none(), ts] : [Option.some(next), ts.filter((t) => t.id !== next.id)]
      })

    const runTimer = (timer: Timer) =>
      Effect.suspend(() => {
        const lag = timer.at - unsafeNow()
        if (lag > 0) MutableRef.update(offset, (o) => o + lag)
        return timer.run
      }).pipe(Effect.catchAllCause((cause) => Effect.logWarning("simulator timer failed", cause)))

    const runUntil = (limit: number, maxTimers: number) =>
      Effect.gen(function*() {
        let ran = 0
        while (ran < maxTimers) {
          const next = yield* takeNext(limit)
          if (Option.isNone(next)) break
          yield* runTimer(next.value)
          ran++
        }
        return ran
      })

    // Moves time to `target`, each timer on the way running at its own time (and scheduling from it).
    const advanceTo = (target: () => number) =>
      lock.withPermits(1)(Effect.gen(function*() {
        const to = target()
        const ran = yield* runUntil(to, Number.POSITIVE_INFINITY)
        const lag = to - unsafeNow()
        if (lag > 0) MutableRef.update(offset, (o) => o + lag)
        return ran
      }))

    const advance = (ms: number) => advanceTo(() => unsafeNow() + Math.max(0, ms))

    const step = (n: number) => lock.withPermits(1)(runUntil(Number.POSITIVE_INFINITY, Math.max(0, n)))

    const present = source === undefined ? unsafeNow : () => start + source.unsafeCurrentTimeMillis() - sourceStart
    // Run before every request: the semaphore only when there is something to do.
    const runDue = Effect.flatMap(Ref.get(timers), (ts) => {
      const to = present()
      return to > unsafeNow() || ts.some((t) => t.at <= to) ? advanceTo(present) : Effect.succeed(0)
    })

    const sleep = (ms: number): Effect.Effect<void> =>
      Effect.flatMap(Deferred.make<void>(), (wake) =>
        Effect.zipRight(schedule(ms, Deferred.succeed(wake, undefined).pipe(Effect.asVoid)), Deferred.await(wake)))

    const clock: Clock.Clock = {
      [Clock.ClockTypeId]: Clock.ClockTypeId,
      unsafeCurrentTimeMillis: unsafeNow,
      currentTimeMillis: now,
      unsafeCurrentTimeNanos: () =>
        BigInt(unsafeNow()) * 1_000_000n,
      currentTimeNanos: Effect.sync(() =>
        BigInt(unsafeNow()) * 1_000_000n
      ),
      sleep: (duration) => sleep(Duration.toMillis(duration))
    }

    if (mode === "real") {
      // Fire due timers every few real milliseconds; the driver itself sleeps on the real clock.
      yield* runDue.pipe(
        Effect.repeat(Schedule.spaced("10 millis")),
        Effect.forkScoped
      )
    }

    return SimClock.of({
      mode,
      speed,
      now,
      unsafeNow,
      schedule,
      advance,
      step,
      runDue,
      pending: Effect.map(Ref.get(timers), (ts) => ts.length),
      clearTimers: Ref.set(timers, []),
      clock
    })
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<SimClock> => Layer.scoped(SimClock, make(options))
