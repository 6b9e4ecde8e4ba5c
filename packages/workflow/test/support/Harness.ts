/**
 * The workflow in this process, for the functional tests: a simulator on 127.0.0.1 posting its
 * webhooks to a server wired to `AuthenticationWorkflow.handleEvent`, `SqliteRunner.layer` on a
 * temporary file, the client on the simulator, and a tracer that records every span.
 */
import { LegitmarkClient } from "@effect-legitmark/client"
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import type { Simulator } from "@effect-legitmark/simulator"
import * as AuthenticationWorkflow from "@effect-legitmark/workflow/AuthenticationWorkflow"
import * as SqliteRunner from "@effect-legitmark/workflow/SqliteRunner"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Webhooks from "effect-legitmark/Webhooks"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import { createServer } from "node:http"
import { join } from "node:path"
import * as Fixture from "./Fixture.js"
import * as Spans from "./Spans.js"

export interface RecordedSpan {
  readonly name: string
  readonly attributes: ReadonlyMap<string, unknown>
  readonly exit: string
}

export class Harness extends Context.Tag("test/Harness")<Harness, {
  readonly sim: Simulator.SimulatorInfo
  /** Every span ended so far. */
  readonly spans: () => ReadonlyArray<RecordedSpan>
}>() {}

export interface Options {
  /** Post webhooks to the workflow (default true). */
  readonly webhooks?: boolean
  readonly stepMs?: number
  readonly pollInterval?: Duration.DurationInput
  readonly onOutcome?: AuthenticationWorkflow.Options["onOutcome"]
}

/** Records each outcome in `test_outcomes`, as the runner processes do. */
export const recordOutcome = (outcome: AuthenticationWorkflow.Outcome, execution: AuthenticationWorkflow.Execution) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) =>
      sql`INSERT INTO test_outcomes ${
        sql.insert({ reference_id: execution.referenceId, retake: execution.retake, outcome: outcome._tag, pid: 0 })
      }`
  )

export const layer = (options: Options = {}) =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const ended: Array<RecordedSpan> = []
    const native = yield* Effect.tracer
    const tracer = Spans.observing(native, {
      end: (name, attributes, exit) => ended.push({ name, attributes, exit: exit._tag })
    })
    const dir = yield* Fixture.tempDir
    const server = yield* NodeHttpServer.make(createServer, { port: 0, host: "127.0.0.1" })
    const port = server.address._tag === "TcpAddress" ? server.address.port : 0
    const sim = yield* Fixture.simulator({
      stepMs: options.stepMs ?? 100,
      ...(options.webhooks === false ? {} : { webhookUrl: `http://127.0.0.1:${port}/` })
    })
    const workflow = SqliteRunner.layer({
      filename: join(dir, "workflow.db"),
      pollInterval: options.pollInterval ?? "10 minutes",
      retry: Schedule.exponential("20 millis").pipe(Schedule.union(Schedule.spaced("500 millis"))),
      lookup: Schedule.spaced("50 millis").pipe(Schedule.intersect(Schedule.recurs(3))),
      onOutcome: options.onOutcome ?? recordOutcome,
      sharding: { entityMessagePollInterval: "200 millis" }
    }).pipe(
      Layer.provideMerge(LegitmarkClient.layer({
        apiKey: Redacted.make(Fixture.apiKey),
        baseUrl: sim.baseUrl,
        assetUrl: sim.assetUrl
      })),
      Layer.provideMerge(AgentHttpClient.layer)
    )
    const webhooks = Layer.scopedDiscard(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE IF NOT EXISTS test_outcomes (
        reference_id TEXT NOT NULL, retake INTEGER NOT NULL, outcome TEXT NOT NULL, pid INTEGER NOT NULL
      )`
      yield* server.serve(yield* Webhooks.httpApp(AuthenticationWorkflow.handleEvent))
    }))
    return webhooks.pipe(
      Layer.provideMerge(workflow),
      Layer.merge(Layer.succeed(Harness, { sim, spans: () => ended })),
      Layer.provide(Layer.setTracer(tracer))
    )
  }))
