/**
 * A recording mock `HttpClient` for property tests that must run many times without sockets: each
 * request is recorded (URL with its query, headers) and answered with a raw status, headers and body
 * text, as a server would send them (so junk bodies reach the client's own JSON parsing).
 *
 * Adapted from packages/client/test/support/MockHttp.ts.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"

export interface Recorded {
  readonly method: string
  /** The full URL, query included. */
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
}

/** A raw answer: the body is sent as it is (not JSON-encoded). */
export interface RawAnswer {
  readonly status: number
  readonly body: string
  readonly headers?: Readonly<Record<string, string>>
}

export interface Recording {
  readonly client: HttpClient.HttpClient
  readonly requests: Effect.Effect<ReadonlyArray<Recorded>>
}

const fullUrl = (url: string, params: ReadonlyArray<readonly [string, string]>) =>
  params.length === 0 ? url : `${url}?${new URLSearchParams(params.map(([k, v]): [string, string] => [k, v]))}`

/** A client answering every request with `answer(request)`; it records what it was asked to send. */
export const make = (answer: (request: Recorded) => RawAnswer): Effect.Effect<Recording> =>
  Effect.gen(function*() {
    const recorded = yield* Ref.make<ReadonlyArray<Recorded>>([])
    const client = HttpClient.make((request) =>
      Effect.gen(function*() {
        const seen: Recorded = {
          method: request.method,
          url: fullUrl(request.url, request.urlParams),
          headers: request.headers
        }
        yield* Ref.update(recorded, (all) => [...all, seen])
        const { body, headers, status } = answer(seen)
        return HttpClientResponse.fromWeb(
          request,
          new Response([101, 103, 204, 205, 304].includes(status) ? null : body, { status, headers: headers ?? {} })
        )
      })
    )
    return { client, requests: Ref.get(recorded) }
  })
