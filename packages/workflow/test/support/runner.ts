/**
 * A runner process for the crash, soak and fleet tests: the authentication workflow on SQLite (or one
 * runner of a Postgres fleet) against a simulator, with a webhook server wired to `handleEvent` and an
 * outcome handler that records each outcome in the workflow's database. The test kills it with SIGKILL
 * and starts it again on the same database.
 *
 * It prints `@@span start|end <name> <reference id or sr>` for the steps the tests kill at, and `@@done`
 * once every item of the run has a recorded outcome. Options come as JSON in RUNNER_OPTIONS.
 */
import { LegitmarkClient } from "@effect-legitmark/client"
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import * as AuthenticationWorkflow from "@effect-legitmark/workflow/AuthenticationWorkflow"
import * as PostgresRunner from "@effect-legitmark/workflow/PostgresRunner"
import * as SqliteRunner from "@effect-legitmark/workflow/SqliteRunner"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Webhooks from "effect-legitmark/Webhooks"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import type * as Tracer from "effect/Tracer"
import { createServer } from "node:http"
import * as Spans from "./Spans.js"

export interface RunnerOptions {
  readonly simulator: string
  readonly apiKey: string
  /** The SQLite file, or (with `postgres`) unused. */
  readonly sqlite?: string
  readonly postgres?: { readonly url: string; readonly runnerPort: number }
  readonly webhookPort?: number
  /** Items `<prefix><i>` for i < items, started by this process when `start`. */
  readonly prefix: string
  readonly items: number
  readonly start: boolean
  readonly photos: Readonly<Record<string, string>>
  readonly item: { readonly category: string; readonly type: string }
  readonly pollMs: number
  /** How long the outcome handler takes, inside its transaction (to be killed while it runs). */
  readonly handlerMs: number
  /** Cluster poll intervals, shortened for tests. */
  readonly sharding?: Record<string, string | number>
}

const options: RunnerOptions = JSON.parse(process.env.RUNNER_OPTIONS ?? "{}")

const watched = new Set([
  "AuthenticationWorkflow.open",
  "AuthenticationWorkflow.upload",
  "AuthenticationWorkflow.submit",
  "AuthenticationWorkflow.check",
  "AuthenticationWorkflow.deliver",
  "Legitmark.serviceRequests.create",
  "Legitmark.serviceRequests.submit",
  "Legitmark.media.put"
])

const write = (line: string) => process.stdout.write(`${line}\n`)

/** Prints the watched spans as they start and end, so that the test can kill on them. */
const printing = (native: Tracer.Tracer): Tracer.Tracer =>
  Spans.observing(native, {
    start: (name) => {
      if (watched.has(name)) write(`@@span start ${name}`)
    },
    end: (name, attributes, exit) => {
      if (!watched.has(name)) return
      const who = attributes.get("legitmark.reference_id") ?? attributes.get("legitmark.sr_uuid") ?? "-"
      write(`@@span end ${name} ${String(who)} ${exit._tag}`)
    }
  })

const referenceIds = Array.from({ length: options.items }, (_, i) => `${options.prefix}${i}`)

const recordOutcome = (outcome: AuthenticationWorkflow.Outcome, execution: AuthenticationWorkflow.Execution) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    if (options.handlerMs > 0) yield* Effect.sleep(Duration.millis(options.handlerMs))
    yield* sql`INSERT INTO test_outcomes ${
      sql.insert({
        reference_id: execution.referenceId,
        retake: execution.retake,
        outcome: outcome._tag,
        pid: process.pid
      })
    }`
  })

const workflowOptions = {
  pollInterval: Duration.millis(options.pollMs),
  maxPollInterval: Duration.millis(options.pollMs * 4),
  retry: Schedule.exponential("50 millis").pipe(Schedule.union(Schedule.spaced("1 second"))),
  lookup: Schedule.spaced("100 millis").pipe(Schedule.intersect(Schedule.recurs(3))),
  onOutcome: recordOutcome,
  ...(options.sharding === undefined ? {} : { sharding: options.sharding })
}

const Runner = options.postgres !== undefined ?
  PostgresRunner.layer({
    ...workflowOptions,
    url: options.postgres.url,
    runner: { host: "127.0.0.1", port: options.postgres.runnerPort }
  }) :
  SqliteRunner.layer({ ...workflowOptions, filename: options.sqlite ?? "runner.db" })

const MainLayer = Runner.pipe(
  Layer.provideMerge(LegitmarkClient.layer({
    apiKey: Redacted.make(options.apiKey),
    baseUrl: options.simulator,
    assetUrl: options.simulator
  })),
  Layer.provide(AgentHttpClient.layer)
)

const webhooks = Effect.gen(function*() {
  if (options.webhookPort === undefined) return
  const app = yield* Webhooks.httpApp(AuthenticationWorkflow.handleEvent)
  const server = yield* NodeHttpServer.make(createServer, { port: options.webhookPort, host: "127.0.0.1" })
  yield* server.serve(app)
})

const program = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE IF NOT EXISTS test_outcomes (
    reference_id TEXT NOT NULL, retake INTEGER NOT NULL, outcome TEXT NOT NULL, pid INTEGER NOT NULL
  )`
  yield* webhooks
  if (options.start) {
    yield* Effect.forEach(
      referenceIds,
      (referenceId) => AuthenticationWorkflow.start({ referenceId, item: options.item, photos: options.photos }),
      { concurrency: 16, discard: true }
    )
  }
  write("@@started")
  // Done once every item has an outcome recorded (by this process or another runner of the fleet).
  yield* sql<{ readonly n: number | string }>`SELECT COUNT(DISTINCT reference_id) AS n FROM test_outcomes`.pipe(
    Effect.map((rows) => Number(rows[0]?.n ?? 0)),
    Effect.repeat({ schedule: Schedule.spaced("200 millis"), until: (n) => n >= referenceIds.length })
  )
  write("@@done")
  // The fleet's other runners may still need this one a moment (webhooks, shard hand-over).
  yield* Effect.sleep("500 millis")
})

Effect.flatMap(Effect.tracer, (native) =>
  program.pipe(
    Effect.scoped,
    Effect.provide(MainLayer),
    Effect.withTracer(printing(native))
  )).pipe(
    Logger.withMinimumLogLevel(LogLevel.Warning),
    NodeRuntime.runMain
  )
