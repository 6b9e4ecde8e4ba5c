/**
 * The per-attempt timeout.
 *
 * `Effect.timeoutFail` races the call against a sleeping fiber: forks, a join and an interruption per
 * call, a third of a request's CPU. Two cheaper ways, chosen per call:
 * - a transport that keeps deadlines itself (the client's `AgentHttpClient` and `UndiciHttpClient`) finds the
 *   deadline recorded for the request and aborts it at that time with a `DeadlineExceeded` cause: no fiber
 *   at all;
 * - otherwise, on the live clock, the call runs in one child fiber that a timer interrupts.
 * Under any other `Clock` (a `TestClock`, a scaled clock) it is `Effect.timeoutFail`, so that time stays
 * the Clock's.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Equal from "effect/Equal"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"

// How long, in ms, a transport that keeps deadlines has for a request and its body, by request. The
// pipeline builds a request for each call, so the request is the call's own; a FiberRef set around the
// call would cost some twenty runtime operations and two copies of the fiber's refs, per call.
const timeouts = new WeakMap<HttpClientRequest.HttpClientRequest, number>()

/** Gives `request` `millis` to be answered, body included, on a transport that keeps deadlines. */
export const keepTimeout = (request: HttpClientRequest.HttpClientRequest, millis: number): void => {
  timeouts.set(request, millis)
}

/** The time `request` has, if a deadline was recorded for it. */
export const timeoutOf = (request: HttpClientRequest.HttpClientRequest): number | undefined => timeouts.get(request)

/** The cause a deadline-keeping transport aborts a request with when its time is up. */
export class DeadlineExceeded extends Error {
  constructor(readonly millis: number) {
    super(`No answer within ${millis} ms`)
    this.name = "DeadlineExceeded"
  }
}

/**
 * The client's own transports (they register themselves): they keep deadlines, make no span of their own
 * and never follow a redirect, so the pipeline neither wraps them nor times them out with a fiber.
 */
export const ownTransports = new WeakSet<HttpClient.HttpClient>()

const liveClockClass = Effect.runSync(Effect.clock).constructor
const isLive = (clock: Clock.Clock) => clock.constructor === liveClockClass

// Who interrupts a call that ran out of time, to tell that interruption from any other.
const deadlineId = FiberId.make(-1, 0)

// Node's timers hold at most 2^31 - 1 ms; anything longer is left to `Effect.timeoutFail`.
const maxTimerMs = 2_147_483_647

const timedOut = (cause: Cause.Cause<unknown>) =>
  Cause.isInterruptedOnly(cause) && [...Cause.interruptors(cause)].some((id) => Equal.equals(id, deadlineId))

/**
 * `self`, a call through a transport, failing with `onTimeout()` (and interrupted, or aborted by the
 * transport) when it has not completed within `duration`. With `keptFor`, `self` sends that request
 * through one of {@link ownTransports}: the deadline is recorded for the request, and the transport fails
 * with a `DeadlineExceeded` in its error's cause instead, which the caller maps.
 */
export const deadline = <A, E, R, E2>(
  self: Effect.Effect<A, E, R>,
  duration: Duration.Duration,
  onTimeout: () => E2,
  keptFor?: HttpClientRequest.HttpClientRequest
): Effect.Effect<A, E | E2, R> => {
  if (!Duration.isFinite(duration)) return self
  const millis = Duration.toMillis(duration)
  return Effect.clockWith((clock) => {
    if (!isLive(clock) || millis > maxTimerMs) return Effect.timeoutFail(self, { duration, onTimeout })
    if (keptFor !== undefined) {
      keepTimeout(keptFor, millis)
      return self
    }
    return Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(Effect.fork(restore(self)), (child) => {
        const timer = setTimeout(() => child.unsafeInterruptAsFork(deadlineId), millis)
        return Effect.flatMap(
          Effect.onInterrupt(
            restore(Fiber.await(child)),
            () => Effect.zipRight(Effect.sync(() => clearTimeout(timer)), Fiber.interrupt(child))
          ),
          (exit): Effect.Effect<A, E | E2> => {
            clearTimeout(timer)
            return Exit.isFailure(exit) && timedOut(exit.cause) ? Effect.fail(onTimeout()) : exit
          }
        )
      })
    )
  })
}
