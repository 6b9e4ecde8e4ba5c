/**
 * `legitmark webhooks listen`: a Node server on `Webhooks.httpApp`, printing each event it accepts. What
 * the app checks (the body, redeliveries) is the app's: this file only serves it and prints.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Webhooks from "effect-legitmark/Webhooks"
import * as Console from "effect/Console"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { createServer } from "node:http"
import * as Render from "./render.js"

export interface ListenInput {
  readonly port: number
  readonly host: string
  readonly dedupeWindow: Duration.Duration
  readonly json: boolean
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

/** The command line's part in `Webhooks.httpApp`: each of its options, one flag each. */
const appOptions = (input: ListenInput): Webhooks.HttpAppOptions => ({ dedupeWindow: input.dedupeWindow })

export const listen = (input: ListenInput) =>
  Effect.gen(function*() {
    const app = yield* Webhooks.httpApp(
      (event) => Console.log(input.json ? JSON.stringify(event) : describe(event)),
      appOptions(input)
    )
    const server = yield* NodeHttpServer.make(() => createServer(), { port: input.port, host: input.host })
    yield* server.serve(app)
    const port = server.address._tag === "TcpAddress" ? server.address.port : input.port
    const host = input.host.includes(":") ? `[${input.host}]` : input.host
    // On stderr: stdout carries only events (one JSON object a line with --json).
    yield* Console.error(`listening for webhooks on http://${host}:${port} (Ctrl-C stops)`)
    return yield* Effect.never
  }).pipe(Effect.scoped)
