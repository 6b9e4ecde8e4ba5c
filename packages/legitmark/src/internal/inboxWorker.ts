/**
 * The loop that feeds entries from a `WebhookInbox` to a processor: claims what is due (up to the free
 * slots), renews the leases of what it holds, hands entries back when interrupted, wakes on a local
 * delivery or polls (for entries due again, and those recorded by other replicas), and prunes.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { Entry, Service } from "../WebhookInbox.js"

export interface Options<R> {
  readonly inbox: Service
  readonly owner: string
  readonly concurrency: number
  readonly lease: Duration.Duration
  readonly pollInterval: Duration.Duration
  readonly retention: Duration.Duration
  readonly window: Duration.Duration
  /** Offered to when a delivery was recorded in this process. */
  readonly wake: Queue.Queue<void>
  /** Processes one claimed entry; handles its own failures. */
  readonly process: (entry: Entry) => Effect.Effect<void, never, R>
}

const pruneEvery = Duration.toMillis(Duration.minutes(1))

/** Starts the loop and the lease renewal in the scope; both stop (handing held entries back) when it closes. */
export const run = <R>(options: Options<R>): Effect.Effect<void, never, Scope.Scope | R> =>
  Effect.gen(function*() {
    const { concurrency, inbox, lease, owner, wake } = options
    const held = new Map<string, Entry>()
    const fibers = yield* FiberSet.make()

    yield* Effect.suspend(() => inbox.renew({ owner, ids: Array.from(held.keys()), lease })).pipe(
      Effect.catchAll((error) => Effect.logWarning("webhook inbox: could not renew leases", error)),
      Effect.repeat(Schedule.spaced(Duration.millis(Math.max(1, Duration.toMillis(lease) / 3)))),
      Effect.forkScoped
    )

    const start = (entry: Entry) =>
      Effect.suspend(() => {
        held.set(entry.id, entry)
        return options.process(entry).pipe(
          // Interrupted (the app's scope closed): hand the entry back at once rather than at lease end.
          Effect.onInterrupt(() =>
            inbox.release({ id: entry.id, owner, delay: Duration.zero, checks: entry.checks, failures: entry.failures })
              .pipe(Effect.ignore)
          ),
          Effect.ensuring(Effect.zipRight(Effect.sync(() => held.delete(entry.id)), Queue.offer(wake, undefined))),
          FiberSet.run(fibers)
        )
      })

    let nextPrune = 0
    const prune = Effect.flatMap(Clock.currentTimeMillis, (now) => {
      if (now < nextPrune) return Effect.void
      nextPrune = now + pruneEvery
      return inbox.prune({ retention: options.retention, window: options.window }).pipe(
        Effect.catchAll((error) => Effect.logWarning("webhook inbox: could not prune", error))
      )
    })

    const idle = Queue.take(wake).pipe(
      Effect.timeout(options.pollInterval),
      Effect.ignore,
      Effect.zipRight(Queue.takeAll(wake))
    )

    const step: Effect.Effect<void, never, R> = Effect.gen(function*() {
      yield* prune
      const free = concurrency - held.size
      if (free <= 0) return yield* idle
      const claimed = yield* inbox.claim({ owner, limit: free, lease }).pipe(
        Effect.catchAll((error) => Effect.as(Effect.logWarning("webhook inbox: could not claim entries", error), []))
      )
      for (const entry of claimed) yield* start(entry)
      if (claimed.length === 0) yield* idle
    })

    yield* Effect.forkScoped(Effect.forever(step))
  }).pipe(Effect.annotateLogs({ module: "Webhooks" }))
