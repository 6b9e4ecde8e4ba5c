/**
 * Client-side throttling that keeps a process, or a fleet sharing Redis, under the partner's rate limit.
 * The limit and the windows are learned from the `X-RateLimit-*` headers; each window's permits are spent
 * at once and counted under the window's reset, so processes sharing a store share the server's budget.
 * A 429 holds every caller until the window is over. The design, with its figures:
 * `docs/rate-limiter.md`.
 *
 * A shared store that fails or is slow costs a call at most `storeTimeout` (200 ms by default): the
 * limiter then counts in the process's memory, logs one warning per outage, and goes back to the store
 * when it answers again. It never fails a call: the server's own count still binds every process.
 *
 * The pipeline calls `acquire` before each request (outside its timeout) and `observe` with each answer,
 * or with {@link noAnswer} when none came, on the same fiber.
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
import * as Store from "./internal/rateLimitStore.js"
import * as Windows from "./internal/rateLimitWindows.js"

/**
 * What one answer says about the rate limit, as the client read it.
 *
 * @since 0.1.0
 * @category models
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
 * @category models
 */
export const noAnswer: Answer = { status: 0, levels: [] }

/**
 * One level's `X-RateLimit-Limit-*`, `-Remaining-*` and `-Reset-*` (as epoch milliseconds).
 *
 * @since 0.1.0
 * @category models
 */
export interface Level {
  readonly level: "partner" | "user"
  readonly limit: number
  readonly remaining?: number | undefined
  readonly resetAt?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
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
 * @category tags
 */
export class RateLimiter extends Context.Tag("@effect-legitmark/client/RateLimiter")<RateLimiter, Service>() {}

/**
 * @since 0.1.0
 * @category models
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
  /**
   * The longest a call waits for a shared store (Redis, or the store given to {@link layerStore}) before
   * counting in the process's memory instead. Default 200 millis.
   */
  readonly storeTimeout?: Duration.DurationInput
}

/**
 * An opaque id for an API key: the first 16 hex digits of its SHA-256. Budgets are kept under it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const keyId = (apiKey: Redacted.Redacted<string>): Effect.Effect<string> =>
  Effect.promise(() => crypto.subtle.digest("SHA-256", new TextEncoder().encode(Redacted.value(apiKey)))).pipe(
    Effect.map((digest) => Encoding.encodeHex(new Uint8Array(digest)).slice(0, 16))
  )

/** The request a fiber is sending, or last sent. */
interface Sent {
  readonly key: string
  readonly permit: Windows.Permit
  answered: boolean
  rejected: boolean
}

/** One key's state, and the callers waiting for it to change. */
interface Budget {
  state: Windows.State
  changed: Deferred.Deferred<void> | undefined
  awaitingAnswers: number
}

const storeTimeoutOf = (options: Options) => Duration.decode(options.storeTimeout ?? Duration.millis(200))

/** The Effect shell over the windows' state machine: it keeps each key's state, sleeps and counts. */
const makeWith = (counter: Store.Counter, options: Options): Service => {
  const config = Windows.config(options)
  const budgets = new Map<string, Budget>()
  // `observe` finds the request's permit on the fiber that sent it (a forked fiber hands it to its parent).
  const current = FiberRef.unsafeMake<Sent | undefined>(undefined)

  const budgetOf = (key: string): Budget => {
    let budget = budgets.get(key)
    if (budget === undefined) {
      budget = { state: Windows.initial(key, config), changed: undefined, awaitingAnswers: 0 }
      budgets.set(key, budget)
    }
    return budget
  }

  const clockOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>) =>
    Context.get(fiber.currentDefaultServices, Clock.Clock)

  const sentBy = (fiber: Fiber.RuntimeFiber<unknown, unknown>, key: string) => {
    const sent = fiber.getFiberRef(current)
    return sent !== undefined && sent.key === key ? sent : undefined
  }

  const step = (budget: Budget, now: number, afterEarly429: boolean) => {
    const [state, decision] = Windows.acquire(budget.state, now, afterEarly429)
    budget.state = state
    return decision
  }

  const wake = (budget: Budget) => {
    if (budget.changed !== undefined) {
      Deferred.unsafeDone(budget.changed, Exit.void)
      budget.changed = undefined
    }
  }

  const wait = (budget: Budget, ms: number, answers: boolean) => {
    const changed = budget.changed ?? (budget.changed = Deferred.unsafeMake<void>(FiberId.none))
    const waiting = Effect.race(Deferred.await(changed), Effect.sleep(Duration.millis(Math.max(0, ms))))
    if (!answers) return waiting
    budget.awaitingAnswers++
    return Effect.ensuring(waiting, Effect.sync(() => budget.awaitingAnswers--))
  }

  const send = (key: string, permit: Windows.Permit) =>
    FiberRef.set(current, { key, permit, answered: false, rejected: false })

  const waitForPermit = (
    key: string,
    budget: Budget,
    clock: Clock.Clock,
    first: Windows.Decision,
    afterEarly429: boolean
  ) =>
    Effect.gen(function*() {
      let decision = first
      while (decision._tag !== "Send") {
        if (decision._tag === "Wait") {
          const ms = decision.until - clock.unsafeCurrentTimeMillis()
          yield* Effect.logDebug("Legitmark: waiting for the rate limit").pipe(Effect.annotateLogs("waitMs", ms))
          yield* wait(budget, ms, decision.answers)
        } else {
          const asked = decision
          const settle = (granted: boolean | undefined) => {
            const before = budget.state
            budget.state = Windows.counted(before, clock.unsafeCurrentTimeMillis(), asked, granted)
            if (Windows.changed(before, budget.state)) wake(budget)
          }
          const granted = yield* counter(asked.count).pipe(
            Effect.onInterrupt(() => Effect.sync(() => settle(undefined)))
          )
          settle(granted)
          if (granted) return yield* send(key, asked.permit)
        }
        decision = step(budget, clock.unsafeCurrentTimeMillis(), afterEarly429)
      }
      return yield* send(key, decision.permit)
    })

  const acquire = (key: string): Effect.Effect<void> =>
    Effect.withFiberRuntime((fiber) => {
      const budget = budgetOf(key)
      const clock = clockOf(fiber)
      // The fiber's previous request was never observed: it is over, taken as counted.
      const previous = sentBy(fiber, key)
      if (previous !== undefined && !previous.answered) {
        budget.state = Windows.release(budget.state, previous.permit, true)
      }
      // A call whose request was sent early and met a 429 is not sent early again.
      const afterEarly429 = previous !== undefined && previous.permit.early && previous.rejected
      const decision = step(budget, clock.unsafeCurrentTimeMillis(), afterEarly429)
      return decision._tag === "Send"
        ? send(key, decision.permit)
        : waitForPermit(key, budget, clock, decision, afterEarly429)
    })

  const observe = (key: string, answer: Answer): Effect.Effect<void> =>
    Effect.withFiberRuntime((fiber) => {
      const budget = budgetOf(key)
      const now = clockOf(fiber).unsafeCurrentTimeMillis()
      const sent = sentBy(fiber, key)
      const permit = sent === undefined || sent.answered ? undefined : sent.permit
      if (sent !== undefined && permit !== undefined) {
        sent.answered = true
        sent.rejected = answer.status === 429
      }
      const before = budget.state
      const { heldUntil, state, uncounted } = Windows.observe(before, now, permit, answer)
      budget.state = state
      // Waiting callers look again when what they wait for changed: not on every answer. A request the
      // store did not count is counted before they look.
      const woken = uncounted !== undefined
        ? Effect.zipRight(counter(uncounted), Effect.sync(() => wake(budget)))
        : budget.awaitingAnswers > 0 || Windows.changed(before, state)
        ? Effect.sync(() => wake(budget))
        : Effect.void
      if (heldUntil === undefined) return woken
      return Effect.zipRight(
        Effect.logDebug("Legitmark: rate limit reached; holding every caller").pipe(
          Effect.annotateLogs("holdMs", heldUntil - now)
        ),
        woken
      )
    })

  return RateLimiter.of({ acquire, observe })
}

/**
 * The limiter on any `@effect/experimental` `RateLimiterStore`, shared by every process using it. A store
 * that fails or takes longer than `storeTimeout` is stood in for by the process's memory until it answers.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<Service, never, Limiter.RateLimiterStore> =>
  Effect.map(
    Limiter.RateLimiterStore,
    (store) => makeWith(Store.withFallback(Store.fromStore(store), storeTimeoutOf(options)), options)
  )

/**
 * An in-memory limiter, for one client (the default) or shared by every client it is provided to.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory = (options: Options = {}): Effect.Effect<Service> =>
  Effect.sync(() => makeWith(Store.memory(), options))

/**
 * A limiter on any `@effect/experimental` `RateLimiterStore`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerStore = (options: Options = {}): Layer.Layer<RateLimiter, never, Limiter.RateLimiterStore> =>
  Layer.effect(RateLimiter, make(options))

/**
 * An in-memory limiter shared by every client built with it in scope.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<RateLimiter> => Layer.effect(RateLimiter, makeMemory(options))

/**
 * How to reach Redis: ioredis options (with an optional key `prefix`, default `"ratelimiter:"`), or a
 * `redis://` / `rediss://` URL.
 *
 * @since 0.1.0
 * @category models
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
 * A limiter whose budgets live in Redis (on `ioredis`), so every process using the same Redis and API
 * key shares one budget. The connection lives as long as the layer; while Redis is down or slow, calls
 * wait for it at most `storeTimeout` and count in memory, and the shared budget resumes when it is back.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerRedis = (connection: RedisConnection, options: Options = {}): Layer.Layer<RateLimiter> =>
  Layer.scoped(
    RateLimiter,
    Effect.map(
      Store.redis(redisOptions(connection), storeTimeoutOf(options)),
      (redis) => makeWith(Store.withFallback(redis, storeTimeoutOf(options)), options)
    )
  )

/**
 * No client-side throttling: every request is sent at once, and a 429 is left to the `RetryPolicy`.
 *
 * @since 0.1.0
 * @category layers
 */
export const none: Layer.Layer<RateLimiter> = Layer.succeed(
  RateLimiter,
  RateLimiter.of({ acquire: () => Effect.void, observe: () => Effect.void })
)
