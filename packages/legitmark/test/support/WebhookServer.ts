/**
 * `Webhooks.httpApp` served on 127.0.0.1 (a free port) for the tests, with helpers to POST to it (signed
 * or not), to record what the handler receives and to wait until the inbox settles.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpServer from "@effect/platform/HttpServer"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import { createServer } from "node:http"
import { Webhook } from "standardwebhooks"
import * as WebhookInbox from "../../src/WebhookInbox.js"
import * as Webhooks from "../../src/Webhooks.js"
import * as SrApi from "./SrApi.js"

export const SR = "8e61c991-553a-4a58-9eb6-561b64c11908"

/** An SR uuid per name, so that tests can keep events apart. */
export const sr = (n: number) => `8e61c991-553a-4a58-9eb6-${String(n).padStart(12, "0")}`

// Shapes as the simulator (packages/simulator/src/Lifecycle.ts) emits them: the current generation.
export const stateChange = (
  primary: string,
  supplement: string | null,
  srUuid = SR,
  timestamp = "2026-02-10T12:00:00.000Z"
) => ({
  event_type: "state_change",
  sr_uuid: srUuid,
  reference_id: "ITEM-1",
  timestamp,
  state: { primary, supplement }
})

export const mediaRejected = (srUuid = SR) => ({
  event_type: "media_rejected",
  sr_uuid: srUuid,
  reference_id: "ITEM-1",
  timestamp: "2026-02-10T12:15:00.000Z",
  sides: [{ side: "Front", reason: "Image is Blurry", message: "Please capture a clearer photo." }]
})

export const invalidated = (srUuid = SR) => ({
  event_type: "invalidate_sr",
  sr_uuid: srUuid,
  reference_id: null,
  timestamp: "2026-02-10T12:20:00.000Z",
  invalidation_reason: { code: "NOT_SERVICEABLE", message: "We cannot authenticate this item." }
})

export const unknownEvent = (srUuid = SR) => ({
  event_type: "sr_archived",
  sr_uuid: srUuid,
  timestamp: "2026-02-10T13:00:00Z",
  archived_by: "ops"
})

export interface Answer {
  readonly status: number
  readonly body: string
}

export const errorOf = (answer: Answer): unknown => (JSON.parse(answer.body) as { readonly error?: unknown }).error

/** Standard Webhooks headers for `body`, signed with `secret` as of `at`. */
export const signed = (secret: string, id: string, body: string, at = new Date()) => ({
  "webhook-id": id,
  "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
  "webhook-signature": new Webhook(secret).sign(id, at, body)
})

/** Serves `httpApp(handler, options)` and answers how to reach it. */
export const serve = <E, R>(
  handler: (received: Webhooks.Received) => Effect.Effect<unknown, E, R>,
  options?: Webhooks.HttpAppOptions
) =>
  Effect.gen(function*() {
    const app = yield* Webhooks.httpApp(handler, options)
    yield* HttpServer.serveEffect(app)
    const { address } = yield* HttpServer.HttpServer
    if (address._tag !== "TcpAddress") return yield* Effect.dieMessage("expected a TCP address")
    const url = `http://127.0.0.1:${address.port}/webhooks/legitmark`
    const client = yield* HttpClient.HttpClient
    const send = (request: HttpClientRequest.HttpClientRequest): Effect.Effect<Answer> =>
      client.execute(request).pipe(
        Effect.flatMap((response) => Effect.map(response.text, (text) => ({ status: response.status, body: text }))),
        Effect.scoped,
        Effect.orDie
      )
    const postBody = (body: HttpBody.HttpBody, headers: Record<string, string> = {}) =>
      send(HttpClientRequest.post(url).pipe(HttpClientRequest.setBody(body), HttpClientRequest.setHeaders(headers)))
    return {
      url,
      /** POSTs a string as is and anything else as JSON. */
      post: (body: unknown, headers: Record<string, string> = {}) =>
        postBody(HttpBody.text(typeof body === "string" ? body : JSON.stringify(body), "application/json"), headers),
      postBody,
      get: send(HttpClientRequest.get(url))
    }
  })

/** A handler that queues what it receives. */
export const recorder = Effect.map(Queue.unbounded<Webhooks.Received>(), (received) => ({
  received,
  handler: (r: Webhooks.Received) => Queue.offer(received, r)
}))

/** Polls the inbox (real time) until `done` holds; dies after 10 s. */
export const inboxUntil = (done: (counts: Readonly<Record<WebhookInbox.Status, number>>) => boolean) =>
  Effect.flatMap(WebhookInbox.WebhookInbox, (inbox) => inbox.counts).pipe(
    Effect.orDie,
    Effect.repeat({ schedule: Schedule.spaced("5 millis"), until: done }),
    Effect.timeoutFail({ duration: Duration.seconds(10), onTimeout: () => "the inbox did not settle" }),
    Effect.orDie
  )

/** A server on 127.0.0.1, a fetch client to reach it, an in-memory inbox and the SR API for confirmation. */
export const TestLayer = Layer.mergeAll(
  NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }),
  FetchHttpClient.layer,
  WebhookInbox.layerMemory,
  SrApi.layer
)
