/**
 * `legitmark sr get | find | watch`: one service request, by its uuid or by any id the public lookup
 * knows (micro id, legacy id, your reference id).
 */
import * as LegitmarkClient from "@effect-legitmark/client/LegitmarkClient"
import type * as LegitmarkError from "@effect-legitmark/client/LegitmarkError"
import * as Console from "effect/Console"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Failure from "./failure.js"
import * as Render from "./render.js"
import * as Watch from "./watch.js"

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const notFound = (id: string) => (error: LegitmarkError.NotFoundError) =>
  Failure.failed(`no service request ${id}${error.requestId === undefined ? "" : ` [request ${error.requestId}]`}`)

/** The whole SR: read by uuid, or found through the public lookup first. */
const read = (id: string) =>
  Effect.gen(function*() {
    const client = yield* LegitmarkClient.LegitmarkClient
    const uuid = uuidPattern.test(id.trim()) ? id.trim() : (yield* client.serviceRequests.find(id)).uuid
    return yield* client.serviceRequests.get(uuid, LegitmarkClient.fullServiceRequest)
  }).pipe(Effect.catchTag("NotFoundError", notFound(id)))

export const get = (input: { readonly id: string; readonly json: boolean }) =>
  Effect.flatMap(
    read(input.id),
    (sr) => Console.log(input.json ? Render.json(Render.serviceRequestJson(sr)) : Render.serviceRequest(sr))
  )

export const find = (input: { readonly identifier: string; readonly json: boolean }) =>
  Effect.gen(function*() {
    const client = yield* LegitmarkClient.LegitmarkClient
    const sr = yield* client.serviceRequests.find(input.identifier).pipe(
      Effect.catchTag("NotFoundError", notFound(input.identifier))
    )
    yield* Console.log(input.json ? Render.json(Render.serviceRequestJson(sr)) : Render.serviceRequest(sr))
  })

export interface WatchInput {
  readonly id: string
  readonly interval: Duration.Duration
  readonly timeout: Option.Option<Duration.Duration>
  readonly json: boolean
}

export const watch = (input: WatchInput) =>
  Effect.gen(function*() {
    const sr = yield* read(input.id)
    if (sr.state.primary === "DRAFT") {
      return yield* Failure.failed(
        `SR ${sr.uuid} is a DRAFT: it has not been submitted, so it has no outcome to wait for`
      )
    }
    if (!input.json) yield* Console.log(`SR ${sr.uuid}  ${sr.external_id ?? ""}  ${Render.itemLabel(sr)}`.trimEnd())
    const { outcome, states } = yield* Watch.untilOutcome({
      from: sr,
      interval: input.interval,
      timeout: Option.getOrUndefined(input.timeout),
      print: !input.json
    })
    yield* Console.log(
      input.json ?
        Render.json({
          sr: sr.uuid,
          reference_id: sr.external_id ?? null,
          ...Watch.outcomeJson(outcome, states)
        }) :
        Render.describeOutcome(outcome)
    )
  })
