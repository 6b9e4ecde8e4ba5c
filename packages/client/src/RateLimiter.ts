/**
 * Client-side throttling that keeps a process, or a fleet sharing a store, under the partner's rate
 * limit, and spends each of the server's windows in full instead of pacing across them. Permits are
 * counted in an `@effect/experimental` `RateLimiterStore` (in memory by default, Redis with
 * {@link layerRedis}); the limit and the windows are learned from the `X-RateLimit-*` headers:
 *
 * - The windows are the server's. Every answer names the window that counted it by its reset, and that
 *   window's permits are counted in the store under that name: every process sharing the store counts
 *   against one budget per server window, the whole learned limit (times `utilization`, 1 by default).
 *   Callers go as fast as they ask until the window's permits are gone, then wait for its end.
 * - The server's own count is obeyed too: a caller goes only while the lowest `Remaining` the window
 *   reported exceeds the requests still in flight, so requests the store did not count (another
 *   consumer of the key, requests in flight across a reset) do not cause a burst of 429s.
 * - The first request of a window goes alone; the others wait for its answer, which names the window.
 *   It is sent when the spent window must be over: its first answer plus its length. The length is
 *   learned (unless `window` gives it): the reset headers are whole seconds, so it is narrowed from when
 *   windows were seen to open and close on this process's clock, by sending that first request a little
 *   before the window must be over while the length is still known only roughly. Such a request meets
 *   at most one 429 per window, and a call that met one is not sent early again.
 * - A 429 holds every caller until the window is over (by `Retry-After`, the reset, or sooner when the
 *   learned length says so); so does an answer that reports no request left.
 *
 * Until the first answer teaches the limit, nothing is throttled (unless `initialLimit` is set); once a
 * limit is known, answers without a reset are counted in windows aligned to the clock. Requests that do
 * not carry the API key (the public lookup, presigned uploads) neither wait nor count. With a large limit,
 * permits are taken from the store a hundredth of the limit at a time, not one store call per request.
 *
 * Processes sharing a store agree on the name of every window they have had an answer from. The request
 * opening a window is counted under the name that window will most likely have (its reset, from the
 * learned length), so a process that comes late to a window another one has spent finds it spent in the
 * store; when that guess is wrong, or the length is not known yet, the late request may meet the
 * window's 429.
 *
 * The client's pipeline calls `acquire` before each request (outside its timeout) and `observe` with
 * each answer, or with {@link noAnswer} when none came, on the same fiber.
 *
 * Budgets are keyed by a hash of the API key ({@link keyId}); the key itself never appears in a store
 * key, a log or a span.
 *
 * When no `RateLimiter` is provided, each client gets its own in-memory limiter ({@link layer} with
 * default options). Provide {@link layerRedis} to share one budget across processes, or {@link none}
 * to turn throttling off.
 *
 * @since 0.1.0
 */
import * as Limiter from "@effect/experimental/RateLimiter"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type { RedisOptions } from "ioredis"

/**
 * What one answer says about the rate limit, as the client read it.
 *
 * @since 0.1.0
 */
export interface Answer {
  /** The HTTP status; 0 when no answer arrived (see {@link noAnswer}). */
  readonly status: number
  /** Each level (partner, user) the answer reported a limit for. */
  readonly levels: ReadonlyArray<Level>
  /** On a 429: how long the server asked to wait (`Retry-After`, else until the reset). */
  readonly retryAfter?: Duration.Duration | undefined
}

/**
 * What to `observe` when a request for which a permit was taken got no answer (it failed, timed out or
 * was interrupted): the request is no longer in flight, and is taken to have been counted.
 *
 * @since 0.1.1
 */
export const noAnswer: Answer = { status: 0, levels: [] }

/**
 * One level's `X-RateLimit-Limit-*`, `-Remaining-*` and `-Reset-*` (as epoch milliseconds).
 *
 * @since 0.1.0
 */
export interface Level {
  readonly level: "partner" | "user"
  readonly limit: number
  readonly remaining?: number | undefined
  readonly resetAt?: number | undefined
}

/**
 * @since 0.1.0
 */
export interface Service {
  /** Waits until a request may be sent with the key `key` (a {@link keyId}), and takes the permit. */
  readonly acquire: (key: string) => Effect.Effect<void>
  /**
   * Learns from the answer to the request the calling fiber took its last permit for (or from
   * {@link noAnswer} when none came); on a 429, holds every caller of `key`.
   */
  readonly observe: (key: string, answer: Answer) => Effect.Effect<void>
}

/**
 * The rate limiter in force. When none is provided, each client uses its own in-memory limiter.
 *
 * @since 0.1.0
 */
export class RateLimiter extends Context.Tag("@effect-legitmark/client/RateLimiter")<RateLimiter, Service>() {}

/**
 * @since 0.1.0
 */
export interface Options {
  /**
   * The length of the server's window, when it is known. By default it is learned: from the reset
   * headers, and from when windows are seen to open and close.
   */
  readonly window?: Duration.DurationInput
  /**
   * A limit per window to count by before the first answer teaches the real one. With it, the first
   * request goes alone and the others wait for its answer. Default: none (nothing is throttled until
   * an answer reports a limit).
   */
  readonly initialLimit?: number
  /** The share of each window's limit to use, in (0, 1]. Default 1. */
  readonly utilization?: number
}

/**
 * An opaque id for an API key: the first 16 hex digits of its SHA-256. Budgets are kept under it.
 *
 * @since 0.1.0
 */
export const keyId = (apiKey: Redacted.Redacted<string>): Effect.Effect<string> =>
  Effect.promise(() => crypto.subtle.digest("SHA-256", new TextEncoder().encode(Redacted.value(apiKey)))).pipe(
    Effect.map((digest) => Encoding.encodeHex(new Uint8Array(digest)).slice(0, 16))
  )

/** One of the server's windows, as this process knows it. Times are epoch ms on the limiter's clock. */
interface Window {
  /** Its reset as the server reported it: it names the window. */
  readonly reset: number
  /** The store key its permits are counted under. */
  readonly name: string
  /** Made up (aligned to the clock) because the answers carry no reset: nothing is learned from it. */
  readonly synthetic: boolean
  /** When its first answer arrived: it had begun by then. */
  readonly seenAt: number
  /** When the request that opened it was sent, if it was this process's: it began after. */
  openedAt: number | undefined
  /** It is over by then: the reset, or sooner by a `Retry-After`. */
  endBy: number
  /** The fewest requests it had left, by the server's count. */
  remaining: number
  /** Nothing more may be sent in it: the server or the store said so. */
  spent: boolean
  /** A request has already been sent before its end to see whether it was over. */
  probed: boolean
  /** The store refused a lease of several permits: take them one at a time. */
  single: boolean
}

/** The permit for one request, from `acquire` until its answer (or the lack of one) is observed. */
interface Permit {
  readonly key: string
  readonly sentAt: number
  /** The store key it was counted under; undefined if it was not counted (it opens a window). */
  readonly name: string | undefined
  readonly opener: boolean
  /** Sent before the window in force was surely over. */
  readonly early: boolean
  released: boolean
  /** Answered with a 429. */
  rejected: boolean
}

interface KeyState {
  readonly key: string
  /** The lowest limit of the last answer that reported one. */
  limit: number | undefined
  /** The server's window length lies in (windowLow, windowHigh], as measured on this clock. */
  windowLow: number
  windowHigh: number
  /** Whether the reset headers are read as times on this clock (until they contradict what is seen). */
  trustHeaders: boolean
  /** The window of the latest answer. */
  current: Window | undefined
  /** Permits of `current` taken from the store and not yet handed out. */
  leased: number
  /** Permits handed out (or being taken from the store) whose answer has not been observed, oldest first. */
  readonly inFlight: Set<Permit>
  /** Every caller waits until then (a level other than the counted one is spent, or a bare 429). */
  holdUntil: number
  /** The request opening a window, while it is unanswered. */
  opening: Permit | undefined
  /** Completed when an answer changes what the waiting callers wait for. */
  changed: Deferred.Deferred<void> | undefined
  /** Callers waiting for any answer (requests in flight may show there is room). */
  awaitingAnswers: number
}

/** How long callers wait for the answer to a window's first request before another caller sends one. */
const openerPatienceMs = 30_000
/** A permit whose answer is not observed within this long is no longer counted in flight. */
const staleMs = 120_000
/** The window length assumed (for store expiry, and windows made up for answers without a reset) until one is learned. */
const defaultWindowMs = 60_000

type Step =
  | { readonly _tag: "Done"; readonly permit: Permit }
  /** Until `until`, or something changes: a window opens or ends sooner; with `answers`, any answer. */
  | { readonly _tag: "Wait"; readonly until: number; readonly answers?: boolean }
  | { readonly _tag: "Take"; readonly window: Window; readonly tokens: number; readonly permit: Permit }
  /** Count the request opening a window under the name that window will most likely have. */
  | { readonly _tag: "Claim"; readonly reset: number; readonly name: string; readonly permit: Permit }

/**
 * The limiter on any `@effect/experimental` `RateLimiterStore`.
 *
 * @since 0.1.0
 */
export const make = (options: Options = {}): Effect.Effect<Service, never, Limiter.RateLimiterStore> =>
  Effect.map(Limiter.RateLimiterStore, (store) => {
    const fixedWindowMs = options.window === undefined ? undefined : Duration.toMillis(options.window)
    const utilization = Math.min(1, Math.max(0.01, options.utilization ?? 1))
    const states = new Map<string, KeyState>()
    // The permit of the request the fiber is sending: `observe` finds it there (a fiber forked to send
    // the request hands it back to its parent when it joins).
    const currentPermit = FiberRef.unsafeMake<Permit | undefined>(undefined)

    const stateOf = (key: string): KeyState => {
      let state = states.get(key)
      if (state === undefined) {
        state = {
          key,
          limit: undefined,
          windowLow: fixedWindowMs ?? 0,
          windowHigh: fixedWindowMs ?? Infinity,
          trustHeaders: true,
          current: undefined,
          leased: 0,
          inFlight: new Set(),
          holdUntil: 0,
          opening: undefined,
          changed: undefined,
          awaitingAnswers: 0
        }
        states.set(key, state)
      }
      return state
    }

    const budgetOf = (limit: number) => Math.max(1, Math.floor(limit * utilization))
    const windowGuess = (s: KeyState) =>
      fixedWindowMs ?? (Number.isFinite(s.windowHigh) ? s.windowHigh : defaultWindowMs)

    // What is learned of the window's length narrows (windowLow, windowHigh]. Evidence that contradicts
    // it (a clock far from the server's, windows that are not what they seem) starts over, no longer
    // reading the reset headers as times on this clock.
    const learnLow = (s: KeyState, ms: number) => {
      if (fixedWindowMs !== undefined || !(ms > s.windowLow)) return
      s.windowLow = ms
      if (s.windowLow >= s.windowHigh) unlearn(s)
    }
    const learnHigh = (s: KeyState, ms: number) => {
      if (fixedWindowMs !== undefined || !(ms < s.windowHigh)) return
      s.windowHigh = ms
      if (s.windowLow >= s.windowHigh) unlearn(s)
    }
    const unlearn = (s: KeyState) => {
      s.trustHeaders = false
      s.windowLow = 0
      s.windowHigh = Infinity
    }

    /** The latest the window can end. */
    const endHigh = (s: KeyState, w: Window) => Math.min(w.endBy, w.seenAt + s.windowHigh)
    /** When to send the request that opens the next window, once `w` is spent. */
    const openAt = (s: KeyState, w: Window) => {
      const high = endHigh(s, w)
      if (w.probed || w.openedAt === undefined) return high
      const low = Math.max(w.openedAt + s.windowLow, s.trustHeaders && !w.synthetic ? w.reset - 1000 : -Infinity)
      // While the end is known only roughly, try halfway: the answer (a 429, at most one per window, or
      // one from the next window) halves what is left to learn.
      const precision = Math.max(20, Number.isFinite(s.windowHigh) ? s.windowHigh / 100 : 0)
      return high - low > precision ? low + (high - low) / 2 : high
    }

    const nameOf = (s: KeyState, reset: number) => `legitmark:${s.key}:${reset}`

    const newWindow = (
      s: KeyState,
      reset: number,
      now: number,
      synthetic: boolean,
      limit: number,
      learnFrom = !synthetic
    ): Window => {
      const previous = s.current
      const w: Window = {
        reset,
        name: nameOf(s, reset),
        synthetic,
        seenAt: now,
        openedAt: undefined,
        endBy: reset,
        remaining: limit,
        spent: false,
        probed: false,
        single: false
      }
      if (learnFrom) {
        // The previous window ended before this one began, which was before now.
        if (
          previous !== undefined && !previous.synthetic && reset > previous.reset && previous.openedAt !== undefined
        ) learnHigh(s, now - previous.openedAt)
        // The reset is rounded up to a second: the window ends within the second before it.
        if (s.trustHeaders) learnLow(s, reset - 1000 - now)
      }
      s.current = w
      s.leased = 0
      // Whatever the request opening a window was, a window is open now.
      s.opening = undefined
      return w
    }

    /** Learns from an answer; returns the store key to count its request under, if the store missed it. */
    const learn = (s: KeyState, now: number, answer: Answer, permit: Permit | undefined): string | undefined => {
      if (answer.status === 0) return undefined
      // The level counted by is the one with the lowest limit (of those, the one with the fewest left).
      let binding: Level | undefined
      for (const level of answer.levels) {
        if (
          level.limit > 0 && (binding === undefined || level.limit < binding.limit ||
            (level.limit === binding.limit && (level.remaining ?? Infinity) < (binding.remaining ?? Infinity)))
        ) binding = level
      }
      // Another level with no request left, in another window, holds every caller until its reset.
      for (const level of answer.levels) {
        if (
          level !== binding && level.remaining === 0 && level.resetAt !== undefined && level.resetAt > now &&
          !(binding?.resetAt !== undefined && Math.abs(level.resetAt - binding.resetAt) < 1000)
        ) s.holdUntil = Math.max(s.holdUntil, level.resetAt)
      }
      if (binding !== undefined) s.limit = binding.limit
      const limit = s.limit ?? options.initialLimit
      const retryAfter = answer.status === 429 && answer.retryAfter !== undefined
        ? Math.ceil(Duration.toMillis(answer.retryAfter))
        : undefined
      const reset = binding?.resetAt
      let w = s.current
      if (limit === undefined) {
        // Nothing to count by: a bare 429 still holds every caller.
        if (retryAfter !== undefined) s.holdUntil = Math.max(s.holdUntil, now + retryAfter)
        return undefined
      } else if (reset !== undefined && reset > now) {
        // The answer's window (an answer's reset names it, to within the header's second).
        if (w === undefined || Math.abs(reset - w.reset) >= 1000) w = newWindow(s, reset, now, false, limit)
      } else if (w === undefined || now >= endHigh(s, w)) {
        // No usable reset and no window in force: count in windows aligned to the clock.
        const length = windowGuess(s)
        w = newWindow(s, (Math.floor(now / length) + 1) * length, now, true, limit)
      } else if (binding === undefined) {
        // No rate-limit headers: the window in force stands; a 429 holds every caller.
        if (retryAfter !== undefined) s.holdUntil = Math.max(s.holdUntil, now + retryAfter)
        return undefined
      }
      if (binding?.remaining !== undefined) w.remaining = Math.min(w.remaining, binding.remaining)
      if (permit !== undefined && !w.synthetic) {
        if (w.openedAt === undefined && binding?.remaining === limit - 1) {
          // This request opened the window.
          w.openedAt = permit.sentAt
          if (s.trustHeaders) learnHigh(s, w.reset - permit.sentAt)
        }
        // The window was still on when the request arrived.
        learnLow(s, permit.sentAt - w.seenAt)
      }
      if (answer.status === 429) {
        w.spent = true
        if (retryAfter !== undefined) w.endBy = Math.min(w.endBy, now + retryAfter)
      }
      return permit !== undefined && permit.name !== w.name && answer.status !== 429 ? w.name : undefined
    }

    /** The request is answered, or will not be (`lost`: it may have been counted all the same). */
    const release = (s: KeyState, permit: Permit, lost: boolean) => {
      if (permit.released) return
      permit.released = true
      s.inFlight.delete(permit)
      if (s.opening === permit) s.opening = undefined
      if (lost && s.current !== undefined) s.current.remaining = Math.max(0, s.current.remaining - 1)
    }

    const prune = (s: KeyState, now: number) => {
      for (const permit of s.inFlight) {
        if (now - permit.sentAt < staleMs) return
        release(s, permit, true)
      }
    }

    const permit = (s: KeyState, now: number, name: string | undefined, opener: boolean, early = false): Permit => {
      const p: Permit = { key: s.key, sentAt: now, name, opener, early, released: false, rejected: false }
      s.inFlight.add(p)
      return p
    }

    /**
     * Decides, at `now`, whether a caller may send: if so, hands it a permit (`Done`); otherwise says when
     * to look again, or which permits to take from the store.
     */
    const step = (s: KeyState, now: number, previous: Permit | undefined): Step => {
      if (s.holdUntil > now) return { _tag: "Wait", until: s.holdUntil }
      const limit = s.limit ?? options.initialLimit
      if (limit === undefined) return { _tag: "Done", permit: permit(s, now, undefined, false) }
      const w = s.current
      if (w !== undefined && now < endHigh(s, w)) {
        if (!w.spent) {
          // The server's count: what it has left, less what is on its way to it.
          const budget = w.remaining - (limit - budgetOf(limit))
          let left = budget - s.inFlight.size
          if (left <= 0) {
            prune(s, now)
            left = budget - s.inFlight.size
          }
          if (left > 0) {
            if (s.leased > 0) {
              s.leased--
              return { _tag: "Done", permit: permit(s, now, w.name, false) }
            }
            // The store's count, shared: permits are taken a few at a time when the limit is large.
            const lease = w.single ? 1 : Math.min(left, Math.max(1, Math.floor(limit / 100)))
            return { _tag: "Take", window: w, tokens: lease, permit: permit(s, now, w.name, false) }
          }
          // Requests in flight may yet show there is room; otherwise the window is spent.
          if (budget > 0) return { _tag: "Wait", until: endHigh(s, w), answers: true }
          w.spent = true
        }
        // A call whose request was sent early and met a 429 is not sent early again.
        const at = previous?.early && previous.rejected ? endHigh(s, w) : openAt(s, w)
        if (now < at) return { _tag: "Wait", until: at }
      }
      // No window is known to be open: one request opens the next, and its answer names it.
      if (s.opening !== undefined && now - s.opening.sentAt < openerPatienceMs) {
        return { _tag: "Wait", until: s.opening.sentAt + openerPatienceMs }
      }
      const early = w !== undefined && now < endHigh(s, w)
      if (early) w.probed = true
      // Sent once the window in force is surely over, with the length known to within a second, the
      // request is counted at once under the name its window will most likely have (its reset, rounded up
      // to a second as the server rounds it): a window another process has opened and spent is then
      // found in the store, not met with a 429.
      const reset = !early && w !== undefined && !w.synthetic && w.reset % 1000 === 0 &&
          s.windowHigh - s.windowLow < 1000
        ? Math.ceil((now + (s.windowLow + s.windowHigh) / 2) / 1000) * 1000
        : undefined
      if (reset === undefined || w === undefined || reset <= w.reset) {
        s.opening = permit(s, now, undefined, true, early)
        return { _tag: "Done", permit: s.opening }
      }
      const name = nameOf(s, reset)
      s.opening = permit(s, now, name, true)
      return { _tag: "Claim", reset, name, permit: s.opening }
    }

    // A store that fails must not fail the call: the request goes out, counted by the server only.
    const count = (s: KeyState, name: string, tokens: number, limit: number | undefined, now: number) => {
      const ttl = Math.max(1000, (s.current === undefined ? now : s.current.endBy) - now) + windowGuess(s)
      return store.fixedWindow({
        key: name,
        tokens,
        // The key must outlive its window: each call extends it by `refillRate * tokens`.
        refillRate: Duration.millis(Math.max(1, Math.ceil(ttl / tokens))),
        limit
      }).pipe(
        Effect.map(([total]) => limit === undefined || total <= limit),
        Effect.catchAll((error) =>
          Effect.as(
            Effect.logDebug("Legitmark: the rate-limit store failed; counting by the server's answers only").pipe(
              Effect.annotateLogs("error", error.message)
            ),
            true
          )
        )
      )
    }

    const wake = (s: KeyState) => {
      if (s.changed !== undefined) {
        Deferred.unsafeDone(s.changed, Exit.void)
        s.changed = undefined
      }
    }

    const wait = (s: KeyState, ms: number, answers: boolean) => {
      const changed = s.changed ?? (s.changed = Deferred.unsafeMake<void>(FiberId.none))
      const waiting = Effect.race(Deferred.await(changed), Effect.sleep(Duration.millis(Math.max(0, ms))))
      if (!answers) return waiting
      s.awaitingAnswers++
      return Effect.ensuring(waiting, Effect.sync(() => s.awaitingAnswers--))
    }

    const clockOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>) =>
      Context.get(fiber.currentDefaultServices, Clock.Clock)

    /** The permit of the fiber's previous request with this key (a retried call's last attempt). */
    const previousOf = (s: KeyState, fiber: Fiber.RuntimeFiber<unknown, unknown>) => {
      const previous = fiber.getFiberRef(currentPermit)
      return previous !== undefined && previous.key === s.key ? previous : undefined
    }

    const hand = (s: KeyState, fiber: Fiber.RuntimeFiber<unknown, unknown>, p: Permit) => {
      // The fiber's previous request was never observed: it is over, taken as counted.
      const previous = previousOf(s, fiber)
      if (previous !== undefined) release(s, previous, true)
      return FiberRef.set(currentPermit, p)
    }

    const slow = (s: KeyState, fiber: Fiber.RuntimeFiber<unknown, unknown>, first: Step) =>
      Effect.gen(function*() {
        const clock = clockOf(fiber)
        let next = first
        while (next._tag !== "Done") {
          if (next._tag === "Wait") {
            const ms = next.until - clock.unsafeCurrentTimeMillis()
            yield* Effect.logDebug("Legitmark: waiting for the rate limit").pipe(Effect.annotateLogs("waitMs", ms))
            yield* wait(s, ms, next.answers === true)
          } else if (next._tag === "Claim") {
            const { name, permit: p, reset } = next
            const limit = budgetOf(s.limit ?? options.initialLimit ?? 1)
            const now = clock.unsafeCurrentTimeMillis()
            const granted = yield* count(s, name, 1, limit, now).pipe(
              Effect.onInterrupt(() => Effect.sync(() => release(s, p, false)))
            )
            if (granted) return yield* hand(s, fiber, p)
            // Another process opened that window and spent it: wait for its end (at its reset, at the
            // latest, as nothing more is known of it).
            release(s, p, false)
            if (s.current === undefined || reset >= s.current.reset + 1000) {
              const w = newWindow(s, reset, now, false, s.limit ?? options.initialLimit ?? 1, false)
              w.remaining = 0
              w.spent = true
            }
            wake(s)
          } else {
            const { permit: p, tokens, window: w } = next
            const limit = budgetOf(s.limit ?? options.initialLimit ?? 1)
            const granted = yield* count(s, w.name, tokens, limit, clock.unsafeCurrentTimeMillis()).pipe(
              Effect.onInterrupt(() => Effect.sync(() => release(s, p, false)))
            )
            if (granted) {
              if (s.current === w) s.leased += tokens - 1
              return yield* hand(s, fiber, p)
            }
            release(s, p, false)
            if (tokens > 1) w.single = true
            else w.spent = true
          }
          next = step(s, clock.unsafeCurrentTimeMillis(), previousOf(s, fiber))
        }
        return yield* hand(s, fiber, next.permit)
      })

    const acquire = (key: string): Effect.Effect<void> =>
      Effect.withFiberRuntime((fiber) => {
        const s = stateOf(key)
        const first = step(s, clockOf(fiber).unsafeCurrentTimeMillis(), previousOf(s, fiber))
        return first._tag === "Done" ? hand(s, fiber, first.permit) : slow(s, fiber, first)
      })

    const observe = (key: string, answer: Answer): Effect.Effect<void> =>
      Effect.withFiberRuntime((fiber) => {
        const s = stateOf(key)
        const now = clockOf(fiber).unsafeCurrentTimeMillis()
        const { current, holdUntil, opening } = s
        const endBy = current?.endBy
        let p = fiber.getFiberRef(currentPermit)
        if (p === undefined || p.key !== key || p.released) p = undefined
        else {
          release(s, p, answer.status === 0)
          p.rejected = answer.status === 429
        }
        const uncounted = learn(s, now, answer, p)
        // Waiting callers look again when what they wait for changed: not on every answer.
        const changed = s.awaitingAnswers > 0 || s.current !== current || s.opening !== opening ||
          s.holdUntil !== holdUntil || s.current?.endBy !== endBy
        // A request the store did not count (it opened the window, or its permit was the window
        // before's) is counted now, before the callers waiting for this answer look.
        const counted = uncounted === undefined
          ? (changed ? Effect.sync(() => wake(s)) : Effect.void)
          : Effect.zipRight(count(s, uncounted, 1, undefined, now), Effect.sync(() => wake(s)))
        if (answer.status !== 429) return counted
        const holdMs = Math.max(s.holdUntil, s.current === undefined ? 0 : endHigh(s, s.current)) - now
        return Effect.zipRight(
          Effect.logDebug("Legitmark: rate limit reached; holding every caller").pipe(
            Effect.annotateLogs("holdMs", holdMs)
          ),
          counted
        )
      })

    return RateLimiter.of({ acquire, observe })
  })

/**
 * An in-memory limiter, for one client (the default) or shared by every client it is provided to.
 *
 * @since 0.1.0
 */
export const makeMemory = (options: Options = {}): Effect.Effect<Service> =>
  make(options).pipe(Effect.provide(Limiter.layerStoreMemory))

/**
 * A limiter on any `@effect/experimental` `RateLimiterStore`.
 *
 * @since 0.1.0
 */
export const layerStore = (options: Options = {}): Layer.Layer<RateLimiter, never, Limiter.RateLimiterStore> =>
  Layer.effect(RateLimiter, make(options))

/**
 * An in-memory limiter shared by every client built with it in scope.
 *
 * @since 0.1.0
 */
export const layer = (options: Options = {}): Layer.Layer<RateLimiter> =>
  layerStore(options).pipe(Layer.provide(Limiter.layerStoreMemory))

/**
 * How to reach Redis: ioredis options (with an optional key `prefix`, default `"ratelimiter:"`), or a
 * `redis://` / `rediss://` URL.
 *
 * @since 0.1.0
 */
export type RedisConnection = string | (RedisOptions & { readonly prefix?: string | undefined })

const redisOptions = (connection: RedisConnection): RedisOptions & { readonly prefix?: string | undefined } => {
  if (typeof connection !== "string") return connection
  const url = new URL(connection)
  const db = Number(url.pathname.slice(1))
  return {
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port === "" ? 6379 : Number(url.port),
    ...(url.username === "" ? {} : { username: decodeURIComponent(url.username) }),
    ...(url.password === "" ? {} : { password: decodeURIComponent(url.password) }),
    ...(Number.isInteger(db) && db > 0 ? { db } : {}),
    ...(url.protocol === "rediss:" ? { tls: {} } : {})
  }
}

/**
 * A limiter whose budgets and holds live in Redis (`@effect/experimental`'s Redis store, on `ioredis`),
 * so every process using the same Redis and API key shares one budget. The connection lives as long as
 * the layer.
 *
 * @since 0.1.0
 */
export const layerRedis = (connection: RedisConnection, options: Options = {}): Layer.Layer<RateLimiter> =>
  Layer.unwrapEffect(
    Effect.map(
      Effect.promise(() => import("@effect/experimental/RateLimiter/Redis")),
      (Redis) => layerStore(options).pipe(Layer.provide(Redis.layerStore(redisOptions(connection))))
    )
  )

/**
 * No client-side throttling: every request is sent at once, and a 429 is left to the `RetryPolicy`.
 *
 * @since 0.1.0
 */
export const none: Layer.Layer<RateLimiter> = Layer.succeed(
  RateLimiter,
  RateLimiter.of({ acquire: () => Effect.void, observe: () => Effect.void })
)
