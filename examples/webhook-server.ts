/**
 * Receiving webhooks: an `HttpApp` from `Webhooks.httpApp` on a Node server. It answers 200 at once,
 * drops redeliveries, and hands each event to your effect. Against the simulator, the example sends
 * an item through authentication and prints the events until the verdict arrives.
 *
 *   pnpm tsx examples/webhook-server.ts
 */
import { LegitmarkClient, Photo } from "@effect-legitmark/client"
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import { Simulator } from "@effect-legitmark/simulator"
import { NodeFileSystem, NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Legitmark, Webhooks } from "effect-legitmark"
import * as Console from "effect/Console"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { createServer } from "node:http"
import { fileURLToPath } from "node:url"
import { chooseItem } from "./support/SampleItem.js"

const samplePhoto = fileURLToPath(new URL("./photos/top.png", import.meta.url))

const program = Effect.gen(function*() {
  const verdict = yield* Deferred.make<string>()

  // The handler: your code runs here, after Legitmark already has its 200.
  const onEvent = (event: Webhooks.WebhookEvent) =>
    Effect.gen(function*() {
      yield* Console.log(`webhook: ${describe(event)}`)
      if (Webhooks.isAuthentic(event)) yield* Deferred.succeed(verdict, "authentic")
      if (Webhooks.isCounterfeit(event)) yield* Deferred.succeed(verdict, "not authentic")
      if (Webhooks.isCancelled(event)) yield* Deferred.succeed(verdict, "cancelled")
    })

  const app = yield* Webhooks.httpApp(onEvent, { dedupeWindow: "10 minutes" })
  const server = yield* NodeHttpServer.make(createServer, { port: 0, host: "127.0.0.1" })
  yield* server.serve(app)
  const address = server.address._tag === "TcpAddress" ? `http://127.0.0.1:${server.address.port}` : ""
  yield* Console.log(`Listening for webhooks on ${address}`)

  // A simulator that posts its events to us, and one authentication to watch.
  const apiKey = "leo_webhook_example"
  const simulator = yield* Simulator.start({ apiKeys: [apiKey], speed: 300, webhookUrl: address })
  const client = LegitmarkClient.layer({
    apiKey: Redacted.make(apiKey),
    baseUrl: simulator.baseUrl,
    assetUrl: simulator.assetUrl
  }).pipe(Layer.provide(AgentHttpClient.layer))
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
  }).pipe(Effect.provide(Layer.merge(Legitmark.layer.pipe(Layer.provideMerge(client)), NodeFileSystem.layer)))

  yield* Console.log(`Verdict by webhook: ${yield* Deferred.await(verdict).pipe(Effect.timeout("1 minute"))}`)
})

const describe = (event: Webhooks.WebhookEvent): string =>
  Webhooks.$match(event, {
    StateChange: (e) => `${e.srUuid} is now ${e.state.primary}/${e.state.supplement ?? "-"}`,
    MediaRejected: (e) => `${e.srUuid}: photos rejected (${e.sides.map((s) => `${s.side}: ${s.reason}`).join(", ")})`,
    Invalidated: (e) => `${e.srUuid} invalidated: ${e.code}`,
    Unknown: (e) => `${e.srUuid}: unknown event ${e.eventType}`
  })

program.pipe(Effect.scoped, NodeRuntime.runMain)
