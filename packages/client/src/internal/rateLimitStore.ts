/**
 * Where the rate limiter counts each window's permits: in memory, in Redis (shared by a fleet), or in any
 * `@effect/experimental` `RateLimiterStore`. A shared store that fails or is slow costs a call at most a
 * short bound: the count goes to this process's memory until the store answers again.
 *
 * @internal
 */
import * as Limiter from "@effect/experimental/RateLimiter"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { Redis, RedisOptions } from "ioredis"
import type { Count } from "./rateLimitWindows.js"

/** Counts `count.tokens` permits under `count.name`; succeeds with whether they fit within `count.limit`. */
export type Counter<E = never> = (count: Count) => Effect.Effect<boolean, E>

/** This process's own count. Windows that are over are forgotten as new ones begin. */
export const memory = (): Counter => {
  const counts = new Map<string, { count: number; expiresAt: number }>()
  return (c) =>
    Effect.clockWith((clock) =>
      Effect.sync(() => {
        const now = clock.unsafeCurrentTimeMillis()
        let entry = counts.get(c.name)
        if (entry === undefined || entry.expiresAt <= now) {
          for (const [name, old] of counts) if (old.expiresAt <= now) counts.delete(name)
          entry = { count: 0, expiresAt: now }
          counts.set(c.name, entry)
        }
        const total = entry.count + c.tokens
        if (c.limit !== undefined && total > c.limit) return false
        entry.count = total
        entry.expiresAt = Math.max(entry.expiresAt, now + c.ttlMs)
        return true
      })
    )
}

/** A count in a user's `RateLimiterStore`. */
export const fromStore = (store: Limiter.RateLimiterStore["Type"]): Counter<Limiter.RateLimiterError> => (c) =>
  Effect.map(
    store.fixedWindow({
      key: c.name,
      tokens: c.tokens,
      // Each call extends the key's life by `refillRate * tokens`: past the window's end.
      refillRate: Duration.millis(Math.max(1, Math.ceil(c.ttlMs / c.tokens))),
      limit: c.limit
    }),
    ([total]) => c.limit === undefined || total <= c.limit
  )

// The count and its expiry in one step. The value is the integer count `@effect/experimental`'s Redis
// store keeps, so processes on either count together.
const countScript = `
local total = (tonumber(redis.call("GET", KEYS[1])) or 0) + tonumber(ARGV[1])
local limit = tonumber(ARGV[3])
if limit and total > limit then return total end
local ttl = math.max(tonumber(ARGV[2]), redis.call("PTTL", KEYS[1]))
redis.call("SET", KEYS[1], total, "PX", ttl)
return total
`

interface CountingRedis extends Redis {
  legitmarkCount(key: string, tokens: number, ttlMs: number, limit: number | string): Promise<number>
}

/**
 * A count in Redis, on a connection that lives as long as the scope. While Redis is unreachable every
 * command fails at once (no offline queue, nothing re-sent on reconnection) and ioredis reconnects in the
 * background; its connection errors are kept for the failure's message, never printed.
 */
export const redis = (
  options: RedisOptions & { readonly prefix?: string | undefined },
  timeout: Duration.Duration
): Effect.Effect<Counter<Limiter.RateLimitStoreError>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { prefix = "ratelimiter:", ...connection } = options
    const ioredis = yield* Effect.promise(() => import("ioredis"))
    let lastError: string | undefined
    const client = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const client = new ioredis.Redis({
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          autoResendUnfulfilledCommands: false,
          // Only drops commands that never get an answer (a partition), long after their callers moved on.
          commandTimeout: Math.max(5_000, Math.ceil(2 * Duration.toMillis(timeout))),
          ...connection
        }) as CountingRedis
        // Without a listener, ioredis writes every failed reconnection to stderr.
        client.on("error", (error: Error) => (lastError = error.message))
        client.on("ready", () => (lastError = undefined))
        client.defineCommand("legitmarkCount", { lua: countScript, numberOfKeys: 1 })
        return client
      }),
      (client) => Effect.sync(() => client.disconnect())
    )
    // While the connection is being made (at startup), a command waits for it: the caller's bound applies.
    const connected = Effect.async<void>((resume) => {
      if (!connecting.has(client.status)) return resume(Effect.void)
      const ready = () => resume(Effect.void)
      client.once("ready", ready)
      return Effect.sync(() => client.off("ready", ready))
    })
    const count = (c: Count) =>
      Effect.tryPromise({
        try: () => client.legitmarkCount(`${prefix}${c.name}`, c.tokens, Math.ceil(c.ttlMs), c.limit ?? ""),
        catch: (cause) =>
          new Limiter.RateLimitStoreError({
            message: client.status === "ready"
              ? `Redis failed: ${cause instanceof Error ? cause.message : String(cause)}`
              : `Redis is unreachable (${client.status})${lastError === undefined ? "" : `: ${lastError}`}`,
            cause
          })
      })
    return (c) => Effect.zipRight(connected, Effect.map(count(c), (total) => c.limit === undefined || total <= c.limit))
  })

// Not "wait" (`lazyConnect`): there the first command is what connects.
const connecting = new Set(["connecting", "connect"])

/** How often a store that failed is tried again; meanwhile the count is kept in memory. */
const retryStoreMs = 1_000

// A deadline that has passed is declared once the I/O already received has been read (a timer of the next
// turn of the event loop): a process that was busy past the deadline finds the store's answer waiting.
const afterPendingIo = Effect.async<void>((resume) => {
  const timer = setTimeout(() => resume(Effect.void), 0)
  return Effect.sync(() => clearTimeout(timer))
})

/**
 * `shared`, bounded by `timeout`; while it fails (or does not answer in time) the count is kept in this
 * process's memory, with one warning per outage, and `shared` is tried again every second.
 */
export const withFallback = <E extends { readonly message: string }>(
  shared: Counter<E>,
  timeout: Duration.Duration
): Counter => {
  const fallback = memory()
  // When the outage in progress, if any, lets `shared` be tried again.
  let retryAt: number | undefined
  return (c) =>
    Effect.clockWith((clock) => {
      const now = clock.unsafeCurrentTimeMillis()
      if (retryAt !== undefined && now < retryAt) return fallback(c)
      // One caller at a time tries a store that failed; the others count in memory meanwhile.
      if (retryAt !== undefined) retryAt = now + retryStoreMs
      const late = Effect.zipRight(
        Effect.sleep(timeout),
        Effect.zipRight(afterPendingIo, Effect.fail({ message: `no answer within ${Duration.format(timeout)}` }))
      )
      return Effect.raceFirst(shared(c), late).pipe(
        Effect.matchEffect({
          onSuccess: (granted) => {
            if (retryAt === undefined) return Effect.succeed(granted)
            retryAt = undefined
            return Effect.as(Effect.logInfo("Legitmark: the rate-limit store answers again; counting in it"), granted)
          },
          onFailure: (error) => {
            const first = retryAt === undefined
            retryAt = clock.unsafeCurrentTimeMillis() + retryStoreMs
            if (!first) return fallback(c)
            return Effect.zipRight(
              Effect.logWarning("Legitmark: the rate-limit store failed; counting in this process until it answers")
                .pipe(Effect.annotateLogs("error", error.message)),
              fallback(c)
            )
          }
        })
      )
    })
}
