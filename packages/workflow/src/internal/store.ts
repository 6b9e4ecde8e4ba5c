/**
 * Our own two tables beside the engine's: one row per execution (its step and the SR's state, for the
 * listing and for routing webhooks) and the intents an activity records before a call that is not
 * idempotent, so that a re-run after a crash knows it is in doubt. Plain SQL that SQLite and Postgres
 * both take.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type { Step } from "../AuthenticationWorkflow.js"

export const executionsTable = "legitmark_authentications"
export const intentsTable = "legitmark_authentication_intents"

/** Creates the tables when they are missing. Runners starting together may race on it: retried. */
export const migrate: Effect.Effect<void, SqlError.SqlError, SqlClient.SqlClient> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE IF NOT EXISTS ${sql(executionsTable)} (
    execution_id VARCHAR(255) PRIMARY KEY,
    reference_id TEXT NOT NULL,
    retake INTEGER NOT NULL,
    sr_uuid VARCHAR(64),
    step VARCHAR(32) NOT NULL,
    uploaded INTEGER NOT NULL DEFAULT 0,
    photos INTEGER NOT NULL DEFAULT 0,
    state VARCHAR(64),
    outcome VARCHAR(32),
    error TEXT,
    wait_round INTEGER NOT NULL DEFAULT 0,
    created_at VARCHAR(32) NOT NULL,
    updated_at VARCHAR(32) NOT NULL
  )`
  yield* sql`CREATE INDEX IF NOT EXISTS legitmark_authentications_sr ON ${sql(executionsTable)} (sr_uuid)`
  yield* sql`CREATE TABLE IF NOT EXISTS ${sql(intentsTable)} (
    execution_id VARCHAR(255) NOT NULL,
    intent VARCHAR(255) NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (execution_id, intent)
  )`
}).pipe(Effect.retry(Schedule.spaced("200 millis").pipe(Schedule.intersect(Schedule.recurs(5)))))

const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

/** Starts the row of an execution (or leaves the one an earlier attempt started). */
export const begin = (
  execution: { readonly executionId: string; readonly referenceId: string; readonly retake: number }
) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const at = yield* now
    yield* sql`INSERT INTO ${sql(executionsTable)} ${
      sql.insert({
        execution_id: execution.executionId,
        reference_id: execution.referenceId,
        retake: execution.retake,
        step: "opening",
        created_at: at,
        updated_at: at
      })
    } ON CONFLICT (execution_id) DO NOTHING`
  })

export interface Update {
  readonly step?: Step
  readonly sr?: string
  readonly state?: string
  readonly photos?: number
  readonly outcome?: string
  readonly error?: string
  /** The round of the wait a webhook should wake next. */
  readonly waitRound?: number
}

export const record = (executionId: string, update: Update) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const fields: Record<string, string | number> = { updated_at: yield* now }
    if (update.step !== undefined) fields.step = update.step
    if (update.sr !== undefined) fields.sr_uuid = update.sr
    if (update.state !== undefined) fields.state = update.state
    if (update.photos !== undefined) fields.photos = update.photos
    if (update.outcome !== undefined) fields.outcome = update.outcome
    if (update.error !== undefined) fields.error = update.error.slice(0, 2000)
    if (update.waitRound !== undefined) fields.wait_round = update.waitRound
    yield* sql`UPDATE ${sql(executionsTable)} SET ${sql.update(fields)} WHERE execution_id = ${executionId}`
  })

/**
 * Records `intent` for the execution. True when this is the first time; false when an earlier attempt
 * recorded it, i.e. when that attempt may have acted and the caller must reconcile before acting again.
 */
export const claim = (executionId: string, intent: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql`INSERT INTO ${sql(intentsTable)} ${
      sql.insert({ execution_id: executionId, intent, created_at: yield* now })
    } ON CONFLICT (execution_id, intent) DO NOTHING RETURNING intent`
    return rows.length === 1
  })

/** Counts the uploads an execution has finished (each side once), into its row. */
export const uploaded = (executionId: string, side: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* claim(executionId, `uploaded/${side}`)
    yield* sql`UPDATE ${sql(executionsTable)} SET uploaded = (
      SELECT COUNT(*) FROM ${sql(intentsTable)} WHERE execution_id = ${executionId} AND intent LIKE 'uploaded/%'
    ), step = 'uploading', updated_at = ${yield* now} WHERE execution_id = ${executionId}`
  })

export interface Row {
  readonly execution_id: string
  readonly reference_id: string
  readonly retake: number
  readonly sr_uuid: string | null
  readonly step: string
  readonly uploaded: number
  readonly photos: number
  readonly state: string | null
  readonly outcome: string | null
  readonly error: string | null
  readonly created_at: string
  readonly updated_at: string
}

export const list = (options: { readonly referenceId?: string | undefined; readonly limit: number }) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const where = options.referenceId === undefined ? sql`` : sql`WHERE reference_id = ${options.referenceId}`
    return yield* sql<Row>`SELECT * FROM ${sql(executionsTable)} ${where}
      ORDER BY created_at, reference_id, retake LIMIT ${options.limit}`
  })

/** The latest execution (highest retake) for an SR, and the round of its wait to wake. */
export const currentForSr = (sr: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ readonly execution_id: string; readonly wait_round: number }>`
      SELECT execution_id, wait_round FROM ${sql(executionsTable)}
      WHERE sr_uuid = ${sr} ORDER BY retake DESC LIMIT 1`
    return Option.map(
      Option.fromNullable(rows[0]),
      (row) => ({ executionId: row.execution_id, waitRound: Number(row.wait_round) })
    )
  })
