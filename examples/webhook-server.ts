/**
 * Receiving webhooks you can trust: `Webhooks.httpApp` mounted on an `HttpApi` server next to your own
 * endpoints, checking Standard Webhooks signatures, recording each event in a SQLite inbox before it
 * answers 200, and handing it on once the API confirms it. Against the simulator (which signs its
 * deliveries with the same secret), the example sends an item through authentication and prints each
 * confirmed event until the verdict.
 *
 *   pnpm tsx examples/webhook-server.ts
 */
import { LegitmarkClient, Photo } from "@effect-legitmark/client"
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import { Simulator } from "@effect-legitmark/simulator"
import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup, HttpServer } from "@effect/platform"
import { NodeFileSystem, NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { Legitmark, Verdict, WebhookInbox, Webhooks } from "effect-legitmark"
import * as SqlWebhookInbox from "effect-legitmark/SqlWebhookInbox"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { chooseItem } from "./support/SampleItem.js"

// --- your server: an HttpApi of your own, with the webhook route beside it ---------------------------

const ShopApi = HttpApi.make("shop").add(
  HttpApiGroup.make("health").add(HttpApiEndpoint.get("health", "/health").addSuccess(Schema.String))
)

const HealthLive = HttpApiBuilder.group(
  ShopApi,
  "health",
  (handlers) => handlers.handle("health", () => Effect.succeed("ok"))
)

/**
 * POST /webhooks/legitmark on the HttpApi's router: checked against the signing secret, recorded in the
 * `WebhookInbox`, confirmed with the `LegitmarkClient`, then handed to `handler`.
 */
const WebhookRoute = <E, R>(
  handler: (received: Webhooks.Received) => Effect.Effect<void, E, R>,
  secret: Redacted.Redacted
) =>
  HttpApiBuilder.Router.use((router) =>
    Effect.gen(function*() {
      const app = yield* Webhooks.httpApp(handler, { secret })
      yield* router.post("/webhooks/legitmark", app)
    })
  )

// The durable inbox: SQLite on a file (Postgres, through @effect/sql-pg, for several replicas).
const InboxLive = (filename: string) => SqlWebhookInbox.layer().pipe(Layer.provide(SqliteClient.layer({ filename })))

// The server, the inbox and the HttpServer stay in the layer's output, for the program to read.
const ServerLive = <E, R>(
  handler: (received: Webhooks.Received) => Effect.Effect<void, E, R>,
  secret: Redacted.Redacted,
  filename: string
) =>
  HttpApiBuilder.serve().pipe(
    Layer.provide(WebhookRoute(handler, secret)),
    Layer.provide(HttpApiBuilder.api(ShopApi).pipe(Layer.provide(HealthLive))),
    Layer.provideMerge(InboxLive(filename)),
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))
  )

// --- the handler: act on the API's state, once per event -----------------------------------------------

const describe = (received: Webhooks.Received): string =>
  received._tag === "Confirmed" ?
    `${received.srUuid} is now ${received.state.primary}/${received.state.supplement ?? "-"} (confirmed)` :
    `${received.event.srUuid}: ${received.event._tag} (not confirmed)`

// --- the run: a simulator that signs and posts its events to the server --------------------------------

const samplePhoto = fileURLToPath(new URL("./photos/top.png", import.meta.url))

const program = Effect.gen(function*() {
  const verdict = yield* Deferred.make<string>()
  const handler = (received: Webhooks.Received) =>
    Effect.gen(function*() {
      yield* Console.log(`webhook: ${describe(received)}`)
      if (received._tag !== "Confirmed") return
      // The verdict comes from the SR the API answered, never from the posted payload.
      yield* Option.match(Verdict.fromServiceRequest(received.sr), {
        onNone: () => Effect.void,
        onSome: (v) => Deferred.succeed(verdict, v._tag)
      })
    })

  // The secret Legitmark signs with (here: the simulator, with a new one unless LEGITMARK_WEBHOOK_SECRET is set).
  const secret = yield* Config.redacted("LEGITMARK_WEBHOOK_SECRET").pipe(
    Config.withDefault(Redacted.make(`whsec_${randomBytes(24).toString("base64")}`))
  )
  const apiKey = "leo_webhook_example"
  const simulator = yield* Simulator.start({ apiKeys: [apiKey], speed: 120, webhookSecret: Redacted.value(secret) })
  const client = LegitmarkClient.layer({
    apiKey: Redacted.make(apiKey),
    baseUrl: simulator.baseUrl,
    assetUrl: simulator.assetUrl
  }).pipe(Layer.provide(AgentHttpClient.layer))

  const dir = yield* Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "legitmark-webhooks-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )
  const inboxFile = join(dir, "webhooks.db")
  const server = yield* Layer.build(ServerLive(handler, secret, inboxFile).pipe(Layer.provide(client)))
  const address = (yield* HttpServer.HttpServer.pipe(Effect.provide(server))).address
  if (address._tag !== "TcpAddress") return yield* Effect.dieMessage("expected a TCP address")
  yield* simulator.setWebhookUrl(`http://127.0.0.1:${address.port}/webhooks/legitmark`)
  yield* Console.log(`Receiving webhooks on http://127.0.0.1:${address.port}/webhooks/legitmark (inbox ${inboxFile})`)

  yield* Effect.gen(function*() {
    const legitmark = yield* Legitmark
    const { category, type } = yield* chooseItem
    const referenceId = `WEBHOOK-${Date.now()}`
    const draft = yield* legitmark.client.serviceRequests.create({
      reference_id: referenceId,
      item: { category: category.uuid, type: type.uuid }
    })
    const full = yield* legitmark.client.serviceRequests.get(draft.uuid, { item: true, sides: true })
    const photos: Record<string, Photo.Photo> = {}
    for (const side of full.sides?.required ?? []) photos[side.uuid] = yield* Photo.fromPath(samplePhoto)
    yield* legitmark.authenticate({ referenceId, item: { category: category.uuid, type: type.uuid }, photos })
  }).pipe(Effect.provide(Layer.mergeAll(Legitmark.layer.pipe(Layer.provideMerge(client)), NodeFileSystem.layer)))

  yield* Console.log(`Verdict by webhook: ${yield* Deferred.await(verdict).pipe(Effect.timeout("1 minute"))}`)
  const counts = yield* Effect.flatMap(WebhookInbox.WebhookInbox, (inbox) => inbox.counts).pipe(Effect.provide(server))
  yield* Console.log(`Inbox: ${counts.handled} handled, ${counts.pending} pending`)
})

program.pipe(Effect.scoped, NodeRuntime.runMain)
