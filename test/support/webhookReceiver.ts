/**
 * One webhook receiver process for the end-to-end test: `Webhooks.httpApp` at POST /webhooks on PORT,
 * signed with SECRET, its inbox in STORE (`sqlite:<file>` or `postgres:<url>`, transactional), confirming
 * events against the API at BASE_URL.
 *
 * The handler records each event in the same database, in the inbox's transaction (table `effects`,
 * created by the test), so the test can count how many times each was handled. When HANG_DIR holds a
 * file named after the event's key, the first handler to remove it announces `hanging <key>` and never
 * returns: the test kills the process there. Lines on stdout: `listening`, `handling <key>`,
 * `hanging <key>`.
 *
 *   PORT=… STORE=sqlite:/tmp/inbox.db SECRET=whsec_… BASE_URL=… API_KEY=… NAME=a HANG_DIR=… LEASE_MS=1500 \
 *     node --import tsx webhookReceiver.ts
 */
import { LegitmarkClient } from "@effect-legitmark/client"
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import { HttpRouter, HttpServer } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { PgClient } from "@effect/sql-pg"
import { SqliteClient } from "@effect/sql-sqlite-node"
import * as SqlClient from "@effect/sql/SqlClient"
import { Webhooks } from "effect-legitmark"
import * as SqlWebhookInbox from "effect-legitmark/SqlWebhookInbox"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { rmSync } from "node:fs"
import { createServer } from "node:http"
import { join } from "node:path"

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`${name} is required`)
  return value
}

const say = (line: string) => Effect.sync(() => process.stdout.write(`${line}\n`))

/** True for the one process that removes the marker of `key`. */
const claimHang = (key: string) =>
  Effect.sync(() => {
    const dir = process.env["HANG_DIR"]
    if (dir === undefined) return false
    try {
      rmSync(join(dir, key.replaceAll(":", "_")))
      return true
    } catch {
      return false
    }
  })

const handler = (received: Webhooks.Received) =>
  Effect.gen(function*() {
    yield* say(`handling ${received.key}`)
    if (yield* claimHang(received.key)) {
      yield* say(`hanging ${received.key}`)
      return yield* Effect.never
    }
    const sql = yield* SqlClient.SqlClient
    const state = received._tag === "Confirmed" ? `${received.state.primary}/${received.state.supplement}` : null
    yield* sql`INSERT INTO effects (event_key, received, state, receiver)
      VALUES (${received.key}, ${received._tag}, ${state}, ${env("NAME")})`
  })

const store = env("STORE")
const Sql: Layer.Layer<SqlClient.SqlClient, unknown> = store.startsWith("sqlite:") ?
  SqliteClient.layer({ filename: store.slice("sqlite:".length) }) :
  PgClient.layer({ url: Redacted.make(store.slice("postgres:".length)) })

const Server = Layer.unwrapScoped(Effect.gen(function*() {
  const app = yield* Webhooks.httpApp(handler, {
    secret: Redacted.make(env("SECRET")),
    lease: Duration.millis(Number(env("LEASE_MS"))),
    pollInterval: Duration.millis(50)
  })
  return HttpRouter.empty.pipe(HttpRouter.post("/webhooks", app), HttpServer.serve())
})).pipe(
  Layer.provide(SqlWebhookInbox.layer({ transactional: true })),
  Layer.provideMerge(Sql),
  Layer.provide(
    LegitmarkClient.layer({ apiKey: Redacted.make(env("API_KEY")), baseUrl: env("BASE_URL") }).pipe(
      Layer.provide(AgentHttpClient.layer)
    )
  ),
  Layer.provide(NodeHttpServer.layer(createServer, { port: Number(env("PORT")), host: "127.0.0.1" }))
)

Layer.launch(Server.pipe(Layer.tap(() => say("listening")))).pipe(NodeRuntime.runMain)
