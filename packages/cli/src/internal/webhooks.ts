/**
 * `legitmark webhooks listen`: a Node server on `Webhooks.httpApp` with the in-memory inbox, printing
 * each event it accepts. What the app checks (signatures, the body, confirmation, redeliveries) is the
 * app's: this file only maps the flags onto its options, serves it and prints.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as WebhookInbox from "effect-legitmark/WebhookInbox"
import * as Webhooks from "effect-legitmark/Webhooks"
import * as Console from "effect/Console"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import { createServer } from "node:http"
import * as Environment from "./environment.js"
import * as Render from "./render.js"

export interface ListenInput {
  readonly port: number
  readonly host: string
  readonly dedupeWindow: Duration.Duration
  readonly json: boolean
  /** The signing secret: every delivery must then be signed with it. */
  readonly secret: Option.Option<Redacted.Redacted>
  /** Re-read each event's SR from the API, and print what the API answered. */
  readonly confirm: boolean
}

/** `2026-02-10T12:00:00.000Z  8e61c991-…  SKU-1  COMPLETE/APPROVED   authentic` */
export const describe = (event: Webhooks.WebhookEvent): string => {
  const head = `${event.timestamp ?? "-"}  ${event.srUuid}  ${event.referenceId ?? "-"}`
  return Webhooks.$match(event, {
    StateChange: (e) => `${head}  ${Render.describeState(e.state)}`,
    MediaRejected: (e) =>
      `${head}  photos rejected: ${e.sides.map((side) => `${side.side} (${side.reason})`).join(", ")}`,
    Invalidated: (e) => `${head}  invalidated: ${e.code}${e.message === null ? "" : ` (${e.message})`}`,
    Unknown: (e) => `${head}  ${e.eventType} (an event type this version does not know)`
  })
}

/** One line per event: as posted, and for a confirmed one the state the API answered. */
export const describeReceived = (received: Webhooks.Received): string =>
  received._tag === "Confirmed" ?
    `${describe(received.event)}  [confirmed: ${Render.describeState(received.state)}]` :
    describe(received.event)

const asJson = (received: Webhooks.Received): string =>
  JSON.stringify(
    received._tag === "Confirmed" ?
      { ...received.event, confirmed: true, state: received.state } :
      { ...received.event, confirmed: false }
  )

/** The command line's part in `Webhooks.httpApp`: each of its options, one flag each. */
const appOptions = (input: ListenInput) => ({
  dedupeWindow: input.dedupeWindow,
  secret: Option.getOrUndefined(input.secret)
})

export const listen = (input: ListenInput) =>
  Effect.gen(function*() {
    const print = (received: Webhooks.Received) =>
      Console.log(input.json ? asJson(received) : describeReceived(received))
    const app = input.confirm ?
      yield* Environment.withApi(Webhooks.httpApp(print, appOptions(input))) :
      yield* Webhooks.httpApp(print, { ...appOptions(input), confirm: false })
    const server = yield* NodeHttpServer.make(() => createServer(), { port: input.port, host: input.host })
    yield* server.serve(app)
    const port = server.address._tag === "TcpAddress" ? server.address.port : input.port
    const host = input.host.includes(":") ? `[${input.host}]` : input.host
    // On stderr: stdout carries only events (one JSON object a line with --json).
    yield* Console.error(`listening for webhooks on http://${host}:${port} (Ctrl-C stops)`)
    return yield* Effect.never
  }).pipe(Effect.scoped, Effect.provide(WebhookInbox.layerMemory))
