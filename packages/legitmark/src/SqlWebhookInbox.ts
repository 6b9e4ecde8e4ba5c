/**
 * A durable `WebhookInbox` on `@effect/sql`: any `SqlClient` will do. SQLite on a file
 * (`@effect/sql-sqlite-node`) is the embedded choice for one machine; Postgres (`@effect/sql-pg`) lets
 * replicas share one inbox, each event handed on by one of them.
 *
 * Import it by its path, `effect-legitmark/SqlWebhookInbox` (it needs the optional peer `@effect/sql`).
 *
 * Tables: `<table>_inbox` (one row per delivery) and `<table>_keys` (which entry holds each dedupe key,
 * by SHA-256 digest), created with `CREATE TABLE IF NOT EXISTS` when the layer is built (under an
 * advisory lock on Postgres, so that replicas starting together do not race). Claims are leases:
 * `UPDATE … WHERE claimed_until <= now`, re-checked by Postgres on a concurrent update and serialised by
 * SQLite's write lock, so one worker holds an entry at a time. Times are the workers' clocks, in epoch
 * milliseconds: keep replicas' clocks in sync (NTP) well within the lease.
 *
 * @since 0.2.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Predicate from "effect/Predicate"
import { sha256 } from "./internal/digest.js"
import { type Entry, type Service, type Status, WebhookInbox, WebhookInboxError } from "./WebhookInbox.js"

/**
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** Prefix of the two tables (default `legitmark_webhook`: `legitmark_webhook_inbox`, `legitmark_webhook_keys`). */
  readonly table?: string | undefined
  /**
   * Run the handler and the mark that it succeeded in one transaction (default false): what the handler
   * writes through the same `SqlClient` then commits exactly once. On SQLite the client has one
   * connection, so deliveries wait for the handler meanwhile: keep such handlers short.
   */
  readonly transactional?: boolean | undefined
}

interface Row {
  readonly id: string
  readonly body: string
  readonly received_at: number | string
  readonly status: string
  readonly checks: number | string
  readonly failures: number | string
  readonly dedupe_key: string | null
  readonly confirmation: string | null
}

const statuses: ReadonlyArray<Status> = ["pending", "handled", "duplicate", "unconfirmed", "failed"]

const toEntry = (row: Row): Entry => ({
  id: row.id,
  body: row.body,
  // Postgres answers BIGINT as a string.
  receivedAt: Number(row.received_at),
  status: statuses.find((s) => s === row.status) ?? "pending",
  checks: Number(row.checks),
  failures: Number(row.failures),
  key: row.dedupe_key,
  confirmation: row.confirmation
})

const millis = (duration: Duration.Duration): number => Math.max(0, Math.floor(Duration.toMillis(duration)))

const failed = (operation: string) => (error: SqlError) =>
  new WebhookInboxError({ operation, reason: error.message, cause: error.cause })

/**
 * Creates the tables when missing and answers the inbox.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<Service, WebhookInboxError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    // Without the user's name transforms: the rows are read by their column names.
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    const prefix = options.table ?? "legitmark_webhook"
    const inbox = sql(`${prefix}_inbox`)
    const keys = sql(`${prefix}_keys`)
    const now = Clock.currentTimeMillis

    const migrate = Effect.all([
      sql`CREATE TABLE IF NOT EXISTS ${inbox} (
        id VARCHAR(64) PRIMARY KEY,
        body TEXT NOT NULL,
        received_at BIGINT NOT NULL,
        status VARCHAR(16) NOT NULL,
        available_at BIGINT NOT NULL,
        claimed_by VARCHAR(64),
        claimed_until BIGINT NOT NULL,
        checks INTEGER NOT NULL,
        failures INTEGER NOT NULL,
        dedupe_key TEXT,
        confirmation TEXT,
        finished_at BIGINT
      )`,
      sql`CREATE INDEX IF NOT EXISTS ${sql(`${prefix}_inbox_due`)} ON ${inbox} (status, available_at)`,
      sql`CREATE TABLE IF NOT EXISTS ${keys} (
        key_hash VARCHAR(64) PRIMARY KEY,
        entry_id VARCHAR(64) NOT NULL,
        bound_at BIGINT NOT NULL
      )`
    ], { discard: true })
    yield* sql.onDialectOrElse({
      // Two replicas creating the same table at once can collide in Postgres's catalog.
      pg: () =>
        sql.withTransaction(
          Effect.zipRight(sql`SELECT pg_advisory_xact_lock(hashtext(${`effect-legitmark:${prefix}`}))`, migrate)
        ),
      orElse: () => migrate
    }).pipe(Effect.mapError(failed("migrate")))

    // The due entries are picked once, then updated only if still unclaimed: a claim that raced another
    // gets fewer rows, never a held one. Postgres would run an `IN (…LIMIT n)` subquery again per row,
    // so it picks in a materialised CTE (skipping rows another claim has locked).
    const columns = sql.literal("id, body, received_at, status, checks, failures, dedupe_key, confirmation")
    const claimDue = sql.onDialectOrElse({
      pg: () => (owner: string, at: number, until: number, limit: number) =>
        sql<Row>`WITH due AS MATERIALIZED (
            SELECT id FROM ${inbox}
            WHERE status = 'pending' AND available_at <= ${at} AND claimed_until <= ${at}
            ORDER BY available_at, received_at
            LIMIT ${limit}
            FOR UPDATE SKIP LOCKED
          )
          UPDATE ${inbox} SET claimed_by = ${owner}, claimed_until = ${until}
          WHERE id IN (SELECT id FROM due) AND status = 'pending' AND claimed_until <= ${at}
          RETURNING ${columns}`,
      orElse: () => (owner: string, at: number, until: number, limit: number) =>
        sql<Row>`UPDATE ${inbox} SET claimed_by = ${owner}, claimed_until = ${until}
          WHERE id IN (
            SELECT id FROM ${inbox}
            WHERE status = 'pending' AND available_at <= ${at} AND claimed_until <= ${at}
            ORDER BY available_at, received_at
            LIMIT ${limit}
          )
          AND status = 'pending' AND claimed_until <= ${at}
          RETURNING ${columns}`
    })

    const mark = (id: string, owner: string, status: Status) =>
      Effect.flatMap(now, (at) =>
        sql<{ readonly id: string }>`UPDATE ${inbox}
          SET status = ${status}, finished_at = ${at}, claimed_by = NULL, claimed_until = 0
          WHERE id = ${id} AND claimed_by = ${owner} AND status = 'pending'
          RETURNING id`).pipe(
          Effect.mapError(failed("settle")),
          Effect.filterOrFail(
            (rows) => rows.length === 1,
            () =>
              new WebhookInboxError({ operation: "settle", reason: "the entry is no longer claimed by this worker" })
          )
        )

    const service: Service = {
      record: ({ body, id }) =>
        Effect.flatMap(now, (at) =>
          sql`INSERT INTO ${inbox}
            (id, body, received_at, status, available_at, claimed_until, checks, failures)
            VALUES (${id}, ${body}, ${at}, 'pending', ${at}, 0, 0, 0)
            ON CONFLICT (id) DO NOTHING`).pipe(Effect.asVoid, Effect.mapError(failed("record"))),

      claim: ({ lease, limit, owner }) =>
        Effect.flatMap(now, (at) => claimDue(owner, at, at + millis(lease), Math.max(0, Math.floor(limit)))).pipe(
          Effect.map((rows) => rows.map(toEntry).sort((a, b) => a.receivedAt - b.receivedAt)),
          Effect.mapError(failed("claim"))
        ),

      renew: ({ ids, lease, owner }) =>
        ids.length === 0 ?
          Effect.void :
          Effect.flatMap(now, (at) =>
            sql`UPDATE ${inbox} SET claimed_until = ${at + millis(lease)}
            WHERE claimed_by = ${owner} AND status = 'pending' AND ${sql.in("id", ids)}`).pipe(
              Effect.asVoid,
              Effect.mapError(failed("renew"))
            ),

      bind: ({ confirmation, id, key, owner, window }) =>
        Effect.gen(function*() {
          const at = yield* now
          const hash = yield* sha256(key)
          const free = at - millis(window)
          yield* sql`INSERT INTO ${keys} (key_hash, entry_id, bound_at) VALUES (${hash}, ${id}, ${at})
            ON CONFLICT (key_hash) DO UPDATE SET entry_id = excluded.entry_id, bound_at = excluded.bound_at
            WHERE ${keys}.bound_at <= ${free}
            AND ${keys}.entry_id NOT IN (SELECT id FROM ${inbox} WHERE status = 'pending')`
          const holder = yield* sql<{ readonly entry_id: string }>`SELECT entry_id FROM ${keys}
            WHERE key_hash = ${hash}`
          if (holder[0]?.entry_id !== id) return false
          const updated = yield* sql<{ readonly id: string }>`UPDATE ${inbox}
            SET dedupe_key = ${key}, confirmation = ${confirmation}
            WHERE id = ${id} AND claimed_by = ${owner} AND status = 'pending'
            RETURNING id`
          if (updated.length !== 1) {
            return yield* new WebhookInboxError({
              operation: "bind",
              reason: "the entry is no longer claimed by this worker"
            })
          }
          return true
        }).pipe(
          sql.withTransaction,
          Effect.catchTag("SqlError", (error) => Effect.fail(failed("bind")(error)))
        ),

      release: ({ checks, delay, failures, id, owner }) =>
        Effect.flatMap(now, (at) =>
          sql`UPDATE ${inbox}
            SET available_at = ${at + millis(delay)}, claimed_by = NULL, claimed_until = 0,
              checks = ${checks}, failures = ${failures}
            WHERE id = ${id} AND claimed_by = ${owner} AND status = 'pending'`).pipe(
            Effect.asVoid,
            Effect.mapError(failed("release"))
          ),

      settle: ({ id, owner, status }, effect) => {
        const run = Effect.zipLeft(effect, mark(id, owner, status))
        return options.transactional === true ?
          sql.withTransaction(run).pipe(
            Effect.catchIf(
              (error): error is SqlError => Predicate.isTagged(error, "SqlError"),
              (error) => Effect.fail(failed("settle")(error))
            )
          ) :
          run
      },

      prune: ({ retention, window }) =>
        Effect.flatMap(now, (at) =>
          Effect.all([
            sql`DELETE FROM ${inbox} WHERE status <> 'pending' AND finished_at < ${at - millis(retention)}`,
            sql`DELETE FROM ${keys} WHERE bound_at <= ${at - millis(window)}
              AND entry_id NOT IN (SELECT id FROM ${inbox} WHERE status = 'pending')`
          ], { discard: true })).pipe(Effect.mapError(failed("prune"))),

      counts: sql<{ readonly status: string; readonly n: number | string }>`SELECT status, COUNT(*) AS n
        FROM ${inbox} GROUP BY status`.pipe(
        Effect.map((rows) => {
          const counts: Record<Status, number> = { pending: 0, handled: 0, duplicate: 0, unconfirmed: 0, failed: 0 }
          for (const row of rows) {
            const status = statuses.find((s) => s === row.status)
            if (status !== undefined) counts[status] = Number(row.n)
          }
          return counts
        }),
        Effect.mapError(failed("counts"))
      )
    }
    return service
  })

/**
 * The inbox as a Layer, on the `SqlClient` in context:
 *
 * @example
 * ```ts
 * import { SqliteClient } from "@effect/sql-sqlite-node"
 * import * as SqlWebhookInbox from "effect-legitmark/SqlWebhookInbox"
 * import { Layer } from "effect"
 *
 * export const InboxLive = SqlWebhookInbox.layer().pipe(
 *   Layer.provide(SqliteClient.layer({ filename: "webhooks.db" }))
 * )
 * ```
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<WebhookInbox, WebhookInboxError, SqlClient.SqlClient> =>
  Layer.effect(WebhookInbox, make(options))
