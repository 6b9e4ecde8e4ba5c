/**
 * Client-side throttling that keeps a process, or a fleet sharing a store, under the partner's rate
 * limit. It is built on `@effect/experimental`'s `RateLimiter`, and learns the limit from the
 * `X-RateLimit-*` headers of every answer:
 *
 * - before each request sent with the API key, a caller takes a permit: requests are paced so that any
 *   window of the learned length sees at most 90% of the learned limit (the lower of the partner and
 *   user levels), in small bursts;
 * - on a 429, every caller of that key is held until `Retry-After` (or the reset), instead of each
 *   fiber finding the wall on its own; so is it when an answer reports no request remaining, until the
 *   reset. With a shared store the hold reaches every process.
 *
 * Until the first answer teaches the limit, nothing is throttled (unless `initialLimit` is set), and
 * answers without rate-limit headers teach nothing. Requests that do not carry the API key (the public
 * lookup, presigned uploads) neither wait nor count.
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
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import type { RedisOptions } from "ioredis"

/**
 * What one answer says about the rate limit, as the client read it.
 *
 * @since 0.1.0
 */
export interface Answer {
  readonly status: number
  /** Each level (partner, user) the answer reported a limit for. */
  readonly levels: ReadonlyArray<Level>
  /** On a 429: how long the server asked to wait (`Retry-After`, else until the reset). */
  readonly retryAfter?: Duration.Duration | undefined
}

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
  /** Learns from an answer to a request sent with `key`; on a 429, holds every caller of `key`. */
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
   * The length of the server's window. By default it is learned from the reset headers (the longest
   * time to a reset seen, rounded up to a second), or 60 s when the answers carry no reset.
   */
  readonly window?: Duration.DurationInput
  /** A limit per window to pace by before the first answer teaches the real one. Default: none. */
  readonly initialLimit?: number
  /** The share of the learned limit to use, in (0, 1]. Default 0.9. */
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

interface KeyState {
  /** The lowest limit reported by any level. */
  readonly limit: number | undefined
  /** The longest time to a reset seen, in ms. */
  readonly windowMs: number | undefined
  /** Epoch ms until which every caller waits (a 429 was answered). */
  readonly holdUntil: number
}

const emptyState: KeyState = { limit: undefined, windowMs: undefined, holdUntil: 0 }

const defaultWindowMs = 60_000
const maxWindowMs = 3_600_000

/**
 * Paced permits for `limit` per `windowMs`: bursts of a tenth of the budget, spaced so that any window
 * sees at most the budget. The time per permit is a whole number of milliseconds (Redis counts in ms).
 */
const pacing = (limit: number, windowMs: number, utilization: number) => {
  const budget = Math.max(1, Math.floor(limit * utilization))
  const burst = Math.max(1, Math.floor(budget / 10))
  const perPermitMs = Math.max(1, Math.ceil(windowMs / Math.max(1, budget - burst)))
  return { limit: burst, window: Duration.millis(perPermitMs * burst) }
}

/**
 * The limiter on any `@effect/experimental` `RateLimiterStore`.
 *
 * @since 0.1.0
 */
export const make = (options: Options = {}): Effect.Effect<Service, never, Limiter.RateLimiterStore> =>
  Effect.gen(function*() {
    const limiter = yield* Limiter.make
    const states = yield* Ref.make(HashMap.empty<string, KeyState>())
    const fixedWindowMs = options.window === undefined ? undefined : Duration.toMillis(options.window)
    const utilization = Math.min(1, Math.max(0.01, options.utilization ?? 0.9))
    const storeKey = (key: string) => `legitmark:${key}`

    const stateOf = (key: string) =>
      Effect.map(Ref.get(states), (all) => Option.getOrElse(HashMap.get(all, key), () => emptyState))
    const update = (key: string, f: (state: KeyState) => KeyState) =>
      Ref.update(states, (all) => HashMap.set(all, key, f(Option.getOrElse(HashMap.get(all, key), () => emptyState))))

    // A store that fails must not fail the call: the request goes out unthrottled.
    const consume = (request: Parameters<Limiter.RateLimiter["consume"]>[0]) =>
      limiter.consume(request).pipe(
        Effect.map((result) => result.delay),
        Effect.catchAll((error) =>
          Effect.as(
            Effect.logDebug("Legitmark: the rate-limit store failed; not throttling").pipe(
              Effect.annotateLogs("error", error.message)
            ),
            Duration.zero
          )
        )
      )

    const acquire = (key: string): Effect.Effect<void> =>
      Effect.gen(function*() {
        while (true) {
          const state = yield* stateOf(key)
          const now = yield* Clock.currentTimeMillis
          if (state.holdUntil > now) {
            yield* Effect.logDebug("Legitmark: holding for the rate limit").pipe(
              Effect.annotateLogs("waitMs", state.holdUntil - now)
            )
            yield* Effect.sleep(Duration.millis(state.holdUntil - now))
            continue
          }
          const limit = state.limit ?? options.initialLimit
          if (limit === undefined) return
          const windowMs = fixedWindowMs ?? state.windowMs ?? defaultWindowMs
          const delay = yield* consume({
            key: storeKey(key),
            algorithm: "fixed-window",
            onExceeded: "delay",
            ...pacing(limit, windowMs, utilization)
          })
          if (Duration.isZero(delay)) return
          yield* Effect.sleep(delay)
          // A 429 answered while this caller waited holds it too.
          if ((yield* stateOf(key)).holdUntil <= (yield* Clock.currentTimeMillis)) return
        }
      })

    const observe = (key: string, answer: Answer): Effect.Effect<void> =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const limits = answer.levels.map((l) => l.limit).filter((n) => n > 0)
        const resets = answer.levels.flatMap((l) => l.resetAt === undefined ? [] : [l.resetAt - now])
        const seenWindow = resets.length === 0 ?
          undefined :
          Math.min(maxWindowMs, Math.max(1000, Math.ceil(Math.max(...resets) / 1000) * 1000))
        // A 429 holds until `Retry-After`; an answer that spent the last request of a window, until its reset.
        const exhausted = answer.levels.flatMap((l) =>
          l.remaining === 0 && l.resetAt !== undefined ? [l.resetAt - now] : []
        )
        const hold = Math.ceil(Math.max(
          0,
          ...exhausted,
          answer.status === 429 && answer.retryAfter !== undefined ? Duration.toMillis(answer.retryAfter) : 0
        ))
        const before = yield* stateOf(key)
        const holdUntil = hold > 0 ? now + hold : 0
        yield* update(key, (state) => ({
          limit: limits.length === 0 ? state.limit : Math.min(...limits),
          windowMs: seenWindow === undefined ? state.windowMs : Math.max(seenWindow, state.windowMs ?? 0),
          holdUntil: Math.max(state.holdUntil, holdUntil)
        }))
        // A new hold also pushes back the shared schedule, so that callers in other processes wait too.
        if (holdUntil > before.holdUntil) {
          yield* Effect.logDebug("Legitmark: rate limit reached; holding every caller").pipe(
            Effect.annotateLogs("holdMs", hold)
          )
          yield* consume({ key: storeKey(key), algorithm: "fixed-window", onExceeded: "delay", limit: 1, window: hold })
        }
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
