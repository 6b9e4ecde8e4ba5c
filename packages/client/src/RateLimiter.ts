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
 * The pipeline takes a permit with `acquire` before each request (outside its timeout) and tells the permit
 * the answer with `observe`, or {@link noAnswer} when none came.
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
 * The permit for one request, from `acquire` until its answer (or the lack of one) is observed.
 *
 * @since 0.2.0
 * @category models
 */
export interface Permit {
  /**
   * Learns from the answer to the request (or from {@link noAnswer} when none came); on a 429, holds every
   * caller of the permit's key. Only the first answer counts.
   */
  readonly observe: (answer: Answer) => Effect.Effect<void>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * Waits until a request may be sent with the key `key` (a {@link keyId}), and takes the permit for it.
   * `previous` is the permit of the same call's previous attempt, if it had one: a call whose request was
   * sent early (to learn the window) and met a 429 is not sent early again.
   */
  readonly acquire: (key: string, previous?: Permit) => Effect.Effect<Permit>
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

/** A permit of the in-memory shell: its key, the machine's permit, and what became of its request. */
class Sent implements Permit {
  answered = false
  rejected = false

  constructor(
    readonly key: string,
    readonly permit: Windows.Permit,
    readonly observe: (answer: Answer) => Effect.Effect<void>
  ) {}
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

  const send = (key: string, permit: Windows.Permit): Permit => {
    const sent: Sent = new Sent(key, permit, (answer) => observe(sent, answer))
    return sent
  }

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
          if (granted) return send(key, asked.permit)
        }
        decision = step(budget, clock.unsafeCurrentTimeMillis(), afterEarly429)
      }
      return send(key, decision.permit)
    })

  const acquire = (key: string, previous?: Permit): Effect.Effect<Permit> =>
    Effect.withFiberRuntime((fiber) => {
      const budget = budgetOf(key)
      const clock = clockOf(fiber)
      const prior = previous instanceof Sent && previous.key === key ? previous : undefined
      // The call's previous request was never observed: it is over, taken as counted.
      if (prior !== undefined && !prior.answered) {
        prior.answered = true
        budget.state = Windows.release(budget.state, prior.permit, true)
      }
      // A call whose request was sent early and met a 429 is not sent early again.
      const afterEarly429 = prior !== undefined && prior.permit.early && prior.rejected
      const decision = step(budget, clock.unsafeCurrentTimeMillis(), afterEarly429)
      return decision._tag === "Send"
        ? Effect.succeed(send(key, decision.permit))
        : waitForPermit(key, budget, clock, decision, afterEarly429)
    })

  function observe(sent: Sent, answer: Answer): Effect.Effect<void> {
    return Effect.withFiberRuntime((fiber) => {
      const budget = budgetOf(sent.key)
      const now = clockOf(fiber).unsafeCurrentTimeMillis()
      const permit = sent.answered ? undefined : sent.permit
      sent.answered = true
      if (permit !== undefined) sent.rejected = answer.status === 429
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
  }

  return RateLimiter.of({ acquire })
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
  RateLimiter.of({ acquire: () => Effect.succeed(unlimited) })
)

const unlimited: Permit = { observe: () => Effect.void }
