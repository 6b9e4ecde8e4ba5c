/**
 * Where `Webhooks.httpApp` records each delivery before it answers 200, and from where it feeds your
 * handler: at least once, each dedupe key held by one entry, across restarts and replicas when the
 * store is shared.
 *
 * Two stores: `WebhookInbox.layerMemory` (one process, lost on exit: tests, or users without a
 * database) and `SqlWebhookInbox.layer` (`effect-legitmark/SqlWebhookInbox`, on any `@effect/sql`
 * `SqlClient`: SQLite on a file for one machine, Postgres for a fleet).
 *
 * An entry is claimed for a lease by one worker at a time; what the worker does with it (confirm it
 * against the API, bind it to its dedupe key, run the handler) is `Webhooks`' business, not the store's.
 *
 * @since 0.2.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"

/**
 * `pending` until a worker finishes it: `handled` (the handler succeeded), `duplicate` (another entry
 * holds its dedupe key), `unconfirmed` (the API never agreed with it: forged, stale or superseded) or
 * `failed` (the handler or the API kept failing until the retry schedule gave up).
 *
 * @since 0.2.0
 * @category models
 */
export type Status = "pending" | "handled" | "duplicate" | "unconfirmed" | "failed"

/**
 * A recorded delivery.
 *
 * @since 0.2.0
 * @category models
 */
export interface Entry {
  /** The delivery's id: a digest of its `webhook-id` when signed, else of its body. */
  readonly id: string
  /** The body as received (UTF-8). */
  readonly body: string
  /** Epoch milliseconds. */
  readonly receivedAt: number
  readonly status: Status
  /** How many times the API did not (yet) agree with the event. */
  readonly checks: number
  /** How many attempts failed (the API unreachable, the handler failing). */
  readonly failures: number
  /** The dedupe key the entry holds, once bound. */
  readonly key: string | null
  /** The service request as the API returned it when the event was confirmed (wire JSON). */
  readonly confirmation: string | null
}

/**
 * The store could not be read or written (or, settling, the entry's lease had passed to another worker).
 * `Webhooks.httpApp` answers 503 when recording fails, so that Legitmark delivers again.
 *
 * @since 0.2.0
 * @category errors
 */
export class WebhookInboxError extends Schema.TaggedError<WebhookInboxError>()("WebhookInboxError", {
  operation: Schema.String,
  reason: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  /**
   * @since 0.2.0
   */
  override get message(): string {
    return `webhook inbox ${this.operation}: ${this.reason}`
  }
}

/**
 * The store's operations. Time is read from the `Clock`; every operation on a claimed entry takes its
 * `owner` and does nothing (or fails, for `bind` and `settle`) once another worker holds the entry.
 *
 * @since 0.2.0
 * @category models
 */
export interface Service {
  /** Stores a pending delivery under `id`, unless one is stored already; succeeds once it is stored. */
  readonly record: (delivery: { readonly id: string; readonly body: string }) => Effect.Effect<void, WebhookInboxError>
  /** Takes up to `limit` pending entries that are due and unclaimed (or whose lease ran out) for `lease`. */
  readonly claim: (options: {
    readonly owner: string
    readonly limit: number
    readonly lease: Duration.Duration
  }) => Effect.Effect<ReadonlyArray<Entry>, WebhookInboxError>
  /** Extends `owner`'s leases on `ids`. */
  readonly renew: (options: {
    readonly owner: string
    readonly ids: ReadonlyArray<string>
    readonly lease: Duration.Duration
  }) => Effect.Effect<void, WebhookInboxError>
  /**
   * Binds a claimed entry to `key` and stores its `confirmation`, atomically: true when the entry holds
   * the key (now, or since an earlier attempt), false when another entry does. A key is free again once
   * it was bound `window` ago or longer, unless its entry is still pending.
   */
  readonly bind: (options: {
    readonly id: string
    readonly owner: string
    readonly key: string
    readonly confirmation: string | null
    readonly window: Duration.Duration
  }) => Effect.Effect<boolean, WebhookInboxError>
  /** Puts a claimed entry back, due after `delay`, with its counters. */
  readonly release: (options: {
    readonly id: string
    readonly owner: string
    readonly delay: Duration.Duration
    readonly checks: number
    readonly failures: number
  }) => Effect.Effect<void, WebhookInboxError>
  /**
   * Runs `effect`, then finishes the claimed entry with `status`; fails with `WebhookInboxError` when
   * the lease had passed to another worker. A SQL store asked to be transactional runs both in one
   * transaction, so that what `effect` writes through the same `SqlClient` commits with the mark or not
   * at all.
   */
  readonly settle: <A, E, R>(
    options: { readonly id: string; readonly owner: string; readonly status: Exclude<Status, "pending"> },
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | WebhookInboxError, R>
  /** Forgets entries finished more than `retention` ago, and keys bound more than `window` ago. */
  readonly prune: (options: {
    readonly retention: Duration.Duration
    readonly window: Duration.Duration
  }) => Effect.Effect<void, WebhookInboxError>
  /** How many entries are in each status. */
  readonly counts: Effect.Effect<Readonly<Record<Status, number>>, WebhookInboxError>
}

/**
 * @since 0.2.0
 * @category tags
 */
export class WebhookInbox extends Context.Tag("effect-legitmark/WebhookInbox")<WebhookInbox, Service>() {}

// --- in memory ------------------------------------------------------------------------------------

interface Row {
  entry: Entry
  availableAt: number
  claimedBy: string | null
  claimedUntil: number
  finishedAt: number | null
}

const millis = (duration: Duration.Duration): number => Math.max(0, Math.floor(Duration.toMillis(duration)))

const leaseLost = (operation: string) =>
  new WebhookInboxError({ operation, reason: "the entry is no longer claimed by this worker" })

/**
 * An inbox in this process's memory: the same claims, leases and keys as the SQL store, lost when the
 * process exits. Use it for tests, and where losing acknowledged events on a crash is acceptable.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeMemory: Effect.Effect<Service> = Effect.sync(() => {
  // Each operation runs synchronously inside one `Effect.sync`, so it is atomic in the process.
  const rows = new Map<string, Row>()
  const keys = new Map<string, { readonly id: string; readonly boundAt: number }>()
  const now = Clock.currentTimeMillis
  const held = (id: string, owner: string): Row | undefined => {
    const row = rows.get(id)
    return row !== undefined && row.claimedBy === owner && row.entry.status === "pending" ? row : undefined
  }

  const service: Service = {
    record: ({ body, id }) =>
      Effect.map(now, (at) => {
        if (rows.has(id)) return
        rows.set(id, {
          entry: { id, body, receivedAt: at, status: "pending", checks: 0, failures: 0, key: null, confirmation: null },
          availableAt: at,
          claimedBy: null,
          claimedUntil: 0,
          finishedAt: null
        })
      }),
    claim: ({ lease, limit, owner }) =>
      Effect.map(now, (at) => {
        const due = Array.from(rows.values())
          .filter((row) => row.entry.status === "pending" && row.availableAt <= at && row.claimedUntil <= at)
          .sort((a, b) => a.availableAt - b.availableAt || a.entry.receivedAt - b.entry.receivedAt)
          .slice(0, Math.max(0, limit))
        for (const row of due) {
          row.claimedBy = owner
          row.claimedUntil = at + millis(lease)
        }
        return due.map((row) => row.entry)
      }),
    renew: ({ ids, lease, owner }) =>
      Effect.map(now, (at) => {
        for (const id of ids) {
          const row = held(id, owner)
          if (row !== undefined) row.claimedUntil = at + millis(lease)
        }
      }),
    bind: ({ confirmation, id, key, owner, window }) =>
      Effect.flatMap(now, (at) => {
        const row = held(id, owner)
        if (row === undefined) return Effect.fail(leaseLost("bind"))
        const bound = keys.get(key)
        const free = bound === undefined || bound.id === id ||
          (bound.boundAt <= at - millis(window) && rows.get(bound.id)?.entry.status !== "pending")
        if (!free) return Effect.succeed(false)
        if (bound?.id !== id) keys.set(key, { id, boundAt: at })
        row.entry = { ...row.entry, key, confirmation }
        return Effect.succeed(true)
      }),
    release: ({ checks, delay, failures, id, owner }) =>
      Effect.map(now, (at) => {
        const row = held(id, owner)
        if (row === undefined) return
        row.entry = { ...row.entry, checks, failures }
        row.availableAt = at + millis(delay)
        row.claimedBy = null
        row.claimedUntil = 0
      }),
    settle: ({ id, owner, status }, effect) =>
      Effect.zipLeft(
        effect,
        Effect.flatMap(now, (at) => {
          const row = held(id, owner)
          if (row === undefined) return Effect.fail(leaseLost("settle"))
          row.entry = { ...row.entry, status }
          row.finishedAt = at
          row.claimedBy = null
          row.claimedUntil = 0
          return Effect.void
        })
      ),
    prune: ({ retention, window }) =>
      Effect.map(now, (at) => {
        for (const [id, row] of rows) {
          if (row.finishedAt !== null && row.finishedAt < at - millis(retention)) rows.delete(id)
        }
        for (const [key, bound] of keys) {
          if (bound.boundAt <= at - millis(window) && rows.get(bound.id)?.entry.status !== "pending") keys.delete(key)
        }
      }),
    counts: Effect.sync(() => {
      const counts: Record<Status, number> = { pending: 0, handled: 0, duplicate: 0, unconfirmed: 0, failed: 0 }
      for (const row of rows.values()) counts[row.entry.status]++
      return counts
    })
  }
  return service
})

/**
 * @since 0.2.0
 * @category layers
 */
export const layerMemory: Layer.Layer<WebhookInbox> = Layer.effect(WebhookInbox, makeMemory)
