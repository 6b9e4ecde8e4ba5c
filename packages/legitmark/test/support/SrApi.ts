/**
 * A Legitmark API that only reads SRs (`GET /api/v2/sr/{uuid}`), on a mock `HttpClient` under the real
 * `LegitmarkClient` (without retries): the test sets each SR's state, lets an SR be missing, or makes
 * the API fail, and reads back how many times it was asked.
 */
import { LegitmarkClient, RetryPolicy } from "@effect-legitmark/client"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"

export interface State {
  readonly primary: string
  readonly supplement: string | null
}

export interface Service {
  /** Sets the state the API answers for an SR (`null`: 404). */
  readonly set: (uuid: string, state: State | null) => Effect.Effect<void>
  /** Answers 503 to the next `n` reads. */
  readonly failNext: (n: number) => Effect.Effect<void>
  /** How many reads reached the API. */
  readonly reads: Effect.Effect<number>
}

export class SrApi extends Context.Tag("test/SrApi")<SrApi, Service>() {}

/** The reference id every SR of this API has. */
export const referenceId = (uuid: string) => `REF-${uuid.slice(0, 8)}`

export const layer: Layer.Layer<SrApi | LegitmarkClient> = Layer.unwrapEffect(Effect.gen(function*() {
  const states = yield* Ref.make(new Map<string, State>())
  const failures = yield* Ref.make(0)
  const reads = yield* Ref.make(0)
  const json = (request: Parameters<typeof HttpClientResponse.fromWeb>[0], status: number, body: unknown) =>
    HttpClientResponse.fromWeb(
      request,
      new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } })
    )
  const http = HttpClient.make((request) =>
    Effect.gen(function*() {
      yield* Ref.update(reads, (n) => n + 1)
      const failing = yield* Ref.modify(failures, (n) => [n > 0, Math.max(0, n - 1)] as const)
      if (failing) return json(request, 503, { success: false, error: { code: 503, message: "unavailable" } })
      const uuid = /\/api\/v2\/sr\/([^/?]+)/.exec(request.url)?.[1] ?? ""
      const state = (yield* Ref.get(states)).get(uuid)
      return state === undefined ?
        json(request, 404, { success: false, error: { code: 404, message: "Service request not found" } }) :
        json(request, 200, {
          success: true,
          message: "ok",
          sr: { uuid, state, external_id: referenceId(uuid), updated_at: "2026-02-10T12:00:00.000Z" }
        })
    })
  )
  const api = SrApi.of({
    set: (uuid, state) =>
      Ref.update(states, (map) => {
        const next = new Map(map)
        if (state === null) next.delete(uuid)
        else next.set(uuid, state)
        return next
      }),
    failNext: (n) => Ref.set(failures, n),
    reads: Ref.get(reads)
  })
  return Layer.merge(
    Layer.succeed(SrApi, api),
    LegitmarkClient.layer({ apiKey: Redacted.make("leo_webhook_tests"), baseUrl: "https://api.legitmark.test" }).pipe(
      Layer.provide([Layer.succeed(HttpClient.HttpClient, http), RetryPolicy.none]),
      Layer.orDie
    )
  )
}))
