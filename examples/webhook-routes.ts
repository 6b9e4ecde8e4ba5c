/**
 * The README's webhook server, as a file that type-checks: `Webhooks.httpApp` mounted on an `HttpApi`
 * with a SQLite inbox, confirming events with the client configured by LEGITMARK_API_KEY; and the same
 * app on a plain `HttpRouter`. It serves until interrupted (examples/webhook-server.ts runs the whole loop
 * against the simulator).
 *
 *   LEGITMARK_API_KEY=leo_… LEGITMARK_WEBHOOK_SECRET=whsec_… pnpm tsx examples/webhook-routes.ts
 */
import { LegitmarkClient } from "@effect-legitmark/client"
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup, HttpRouter, HttpServer } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { Config, Effect, Layer, Option, Schema } from "effect"
import { Verdict, WebhookInbox, Webhooks } from "effect-legitmark"
import * as SqlWebhookInbox from "effect-legitmark/SqlWebhookInbox"
import { createServer } from "node:http"

// Your own API…
const ShopApi = HttpApi.make("shop").add(
  HttpApiGroup.make("health").add(HttpApiEndpoint.get("health", "/health").addSuccess(Schema.String))
)
const HealthLive = HttpApiBuilder.group(
  ShopApi,
  "health",
  (handlers) => handlers.handle("health", () => Effect.succeed("ok"))
)

// …what to do with an event: act on the API's state (`received.sr`), once per `received.key`…
const handler = (received: Webhooks.Received) =>
  received._tag === "Confirmed" ?
    Option.match(Verdict.fromServiceRequest(received.sr), {
      onNone: () => Effect.log(`${received.referenceId} is now ${received.state.primary}`),
      onSome: (verdict) => Effect.log(`${received.referenceId}: ${verdict._tag}`)
    }) :
    Effect.log(`not confirmed: ${received.event._tag}`)

// …and the webhook route on the API's router.
const WebhookRoute = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function*() {
    const secret = yield* Config.option(Config.redacted("LEGITMARK_WEBHOOK_SECRET"))
    const app = yield* Webhooks.httpApp(handler, { secret: Option.getOrUndefined(secret) })
    yield* router.post("/webhooks/legitmark", app)
  })
)

const ServerLive = HttpApiBuilder.serve().pipe(
  Layer.provide(WebhookRoute),
  Layer.provide(HttpApiBuilder.api(ShopApi).pipe(Layer.provide(HealthLive))),
  // The inbox: SQLite on a file (or SqlWebhookInbox.layer() on @effect/sql-pg's PgClient for replicas).
  Layer.provide(SqlWebhookInbox.layer().pipe(Layer.provide(SqliteClient.layer({ filename: "webhooks.db" })))),
  // The client that confirms events: LEGITMARK_API_KEY.
  Layer.provide(LegitmarkClient.layerConfig().pipe(Layer.provide(AgentHttpClient.layer))),
  Layer.provide(NodeHttpServer.layer(createServer, { port: 3000 }))
)

// Without HttpApi: a route on an HttpRouter, served like any app (here with the in-memory inbox).
export const WebhookServer = Layer.unwrapScoped(
  Effect.map(
    Webhooks.httpApp(handler),
    (app) => HttpRouter.empty.pipe(HttpRouter.post("/webhooks/legitmark", app), HttpServer.serve())
  )
).pipe(Layer.provide(WebhookInbox.layerMemory))

Layer.launch(ServerLive).pipe(NodeRuntime.runMain)
