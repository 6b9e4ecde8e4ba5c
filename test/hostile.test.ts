/**
 * The client against answers written to hurt it (issue 15, points 3–6), over real HTTP from a scripted
 * server on 127.0.0.1, on every transport:
 *
 * 3. an answer is read up to `maxResponseBytes` (counted after decompression), then the read stops with
 *    an `UnexpectedResponseError` that is not retried: a huge answer, an endless stream and a gzip bomb
 *    cost at most the cap (what the server managed to send is its own count); excerpts in errors are short;
 * 4. an answer nested deeper than `Json.maxDepth` is an `UnexpectedResponseError`, never a defect;
 * 5. a `__proto__` key in an answer never becomes a decoded object's prototype;
 * 6. a server that echoes the API key finds it in no error: it is scrubbed from everything taken from an
 *    answer.
 *
 * Figures (RSS for a 500 MB answer, an endless stream, a gzip bomb) are in `bench/hostile.ts`.
 */
import { LegitmarkClient, LegitmarkError, RetryPolicy } from "@effect-legitmark/client"
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import * as UndiciHttpClient from "@effect-legitmark/client/UndiciHttpClient"
import { Json } from "@effect-legitmark/schema"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"
import * as Payloads from "./support/Payloads.js"
import * as ScriptedServer from "./support/ScriptedServer.js"

const apiKey = "leo_hostile_5b0d7c9e21f84a36"
const pngBytes = new Uint8Array(
  readFileSync(fileURLToPath(new URL("../examples/photos/size-tag.png", import.meta.url)))
)
const srUuid = "8e61c991-553a-4a58-9eb6-561b64c11908"
const MB = 1024 * 1024
/** The cap the tests set, well under what the hostile answers send. */
const cap = 1 * MB

const transports = [
  { name: "AgentHttpClient", layer: AgentHttpClient.layer },
  { name: "UndiciHttpClient", layer: UndiciHttpClient.layer },
  { name: "FetchHttpClient", layer: FetchHttpClient.layer },
  { name: "NodeHttpClient.layerUndici", layer: NodeHttpClient.layerUndici },
  { name: "NodeHttpClient.layer", layer: NodeHttpClient.layer }
] as const

/** A client on `transport`, with fast retries (so that a retry would show in the server's count). */
const clientOn = (
  url: string,
  transport: Layer.Layer<HttpClient.HttpClient>,
  options: Partial<LegitmarkClient.Options> = {}
) =>
  Effect.map(
    Layer.build(
      LegitmarkClient.layer({
        apiKey: Redacted.make(apiKey),
        baseUrl: url,
        assetUrl: url,
        // Long: a read that stops must stop at the cap, not at the timeout.
        timeout: "60 seconds",
        maxResponseBytes: cap,
        ...options
      }).pipe(
        Layer.provide(Layer.merge(transport, RetryPolicy.layer({ base: "5 millis", jitter: false })))
      )
    ),
    Context.get(LegitmarkClient)
  )

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  assert(Exit.isFailure(exit), "the call succeeded")
  const failure = Cause.failureOption(exit.cause)
  assert(Option.isSome(failure), `not a failure: ${Cause.pretty(exit.cause)}`)
  return failure.value
}

const unexpected = (error: LegitmarkError.LegitmarkError) => {
  assert(error._tag === "UnexpectedResponseError", `${error._tag}: ${error.message}`)
  return error
}

/** Chunks of `size` bytes of JSON-ish filler, `count` of them (endless when `count` is undefined). */
const filler = (size: number, count?: number) =>
  async function*() {
    const chunk = new Uint8Array(size).fill(0x61)
    for (let i = 0; count === undefined || i < count; i++) yield chunk
  }

describe("3. answers are read up to the cap", () => {
  for (const transport of transports) {
    describe(transport.name, () => {
      it.scopedLive("a 64 MB answer (with its length) stops at the cap: typed, not retried", () =>
        Effect.gen(function*() {
          const server = yield* ScriptedServer.make([{
            status: 200,
            headers: { "content-type": "application/json", "content-length": String(64 * MB) },
            chunks: filler(64 * 1024, 1024)
          }])
          const client = yield* clientOn(server.url, transport.layer)
          const error = unexpected(failureOf(yield* Effect.exit(client.serviceRequests.get(srUuid))))
          expect(error.issue).toContain(`larger than ${cap} bytes`)
          expect(error.status).toBe(200)
          expect((yield* server.requests).length).toBe(1)
          // What crossed the socket before the client hung up: the cap and the sockets' buffers.
          expect(yield* server.bytesSent).toBeLessThan(32 * MB)
        }))

      it.scopedLive("an endless stream stops at the cap, not at the timeout", () =>
        Effect.gen(function*() {
          const server = yield* ScriptedServer.make([{
            status: 200,
            headers: { "content-type": "application/json" },
            chunks: filler(64 * 1024)
          }])
          const client = yield* clientOn(server.url, transport.layer)
          const error = unexpected(failureOf(yield* Effect.exit(client.taxonomy.tree())))
          expect(error.issue).toContain(`larger than ${cap} bytes`)
          expect((yield* server.requests).length).toBe(1)
          expect(yield* server.bytesSent).toBeLessThan(32 * MB)
        }))

      it.scopedLive("a gzip bomb (64 MB of zeros in 64 kB) is not inflated past the cap, nor retried", () =>
        Effect.gen(function*() {
          const bomb = gzipSync(new Uint8Array(64 * MB))
          expect(bomb.byteLength).toBeLessThan(cap)
          const server = yield* ScriptedServer.make([{
            status: 200,
            headers: { "content-type": "application/json", "content-encoding": "gzip" },
            chunks: async function*() {
              yield bomb
            }
          }])
          const client = yield* clientOn(server.url, transport.layer)
          const error = unexpected(failureOf(yield* Effect.exit(client.serviceRequests.get(srUuid))))
          // A transport that inflates (fetch) is stopped at the cap; the others read the compressed bytes,
          // which are not JSON.
          expect(error.issue).toMatch(transport.name === "FetchHttpClient" ? /larger than/ : /larger than|JSON/)
          expect((yield* server.requests).length).toBe(1)
        }))
    })
  }

  for (const transport of transports) {
    it.scopedLive(`${transport.name}: an answer without a body (a 204 to a photo's PUT) still reads as empty`, () =>
      Effect.gen(function*() {
        const server = yield* ScriptedServer.make([{ status: 204 }])
        const client = yield* clientOn(server.url, transport.layer)
        yield* client.media.put(`${server.url}/upload/${srUuid}/side.png?signature=s`, pngBytes, "png")
        expect((yield* server.requests).length).toBe(1)
      }))
  }

  it.scopedLive("every excerpt in an error is short: a 2 MB value the schema refuses, a 2 MB error message", () =>
    Effect.gen(function*() {
      const huge = "x".repeat(2 * MB)
      const server = yield* ScriptedServer.make((request) =>
        request.method === "GET" ?
          ScriptedServer.json(200, { success: true, sr: { uuid: huge, state: 42 } }) :
          ScriptedServer.json(400, {
            success: false,
            error: { code: 400, message: huge, details: huge, errors: [{ code: huge, message: huge, field: huge }] }
          })
      )
      const client = yield* clientOn(server.url, AgentHttpClient.layer, { maxResponseBytes: 16 * MB })
      const refused = unexpected(failureOf(yield* Effect.exit(client.serviceRequests.get(srUuid))))
      const invalid = failureOf(yield* Effect.exit(client.serviceRequests.submit(srUuid)))
      assert(invalid._tag === "ValidationError", `${invalid._tag}: ${invalid.message}`)
      for (const error of [refused, invalid]) {
        const text = JSON.stringify(error)
        expect(text.length).toBeLessThan(16 * 1024)
        expect(error.message.length).toBeLessThanOrEqual(1100)
      }
      expect(refused.issue.length).toBeLessThanOrEqual(1100)
      expect(refused.body.length).toBeLessThanOrEqual(1100)
    }))
})

const deep = (depth: number) => "[".repeat(depth) + "]".repeat(depth)

/** The published full SR answer with raw JSON spliced into some of its SR's fields. */
const fullSrWith = (fields: Readonly<Record<string, string>>): string => {
  const body = Payloads.getResponse
  assert(Predicate.isRecord(body) && Predicate.isRecord(body["sr"]))
  const placeholders: Record<string, string> = {}
  for (const field of Object.keys(fields)) placeholders[field] = `@@${field}@@`
  let text = JSON.stringify({ ...body, sr: { ...body["sr"], ...placeholders } })
  for (const [field, raw] of Object.entries(fields)) text = text.replace(`"@@${field}@@"`, raw)
  return text
}

describe("4. an answer nested 3,000 deep is a typed error, never a defect", () => {
  for (const transport of transports.slice(0, 3)) {
    it.scopedLive(`${transport.name}: in a refused place, in a kept place (metadata), in an error body`, () =>
      Effect.gen(function*() {
        const body = deep(3000)
        expect(body.length).toBe(6000)
        const server = yield* ScriptedServer.make((request) => {
          if (request.url.startsWith("/api/v2/categories")) {
            return { status: 200, body: `{"success":true,"data":${body}}` }
          }
          if (request.url.startsWith("/api/v2/types")) return { status: 422, body: `{"error":{"message":${body}}}` }
          return { status: 200, body: fullSrWith({ metadata: `{"a":${body}}` }) }
        })
        const client = yield* clientOn(server.url, transport.layer)
        const refused = unexpected(failureOf(yield* Effect.exit(client.taxonomy.tree())))
        expect(refused.issue).toContain(`deeper than ${Json.maxDepth}`)
        const kept = unexpected(failureOf(yield* Effect.exit(client.serviceRequests.get(srUuid))))
        expect(kept.issue).toContain(`deeper than ${Json.maxDepth}`)
        const errorBody = failureOf(yield* Effect.exit(client.taxonomy.types()))
        expect(LegitmarkError.isLegitmarkError(errorBody)).toBe(true)
      }))
  }
})

describe("5. a __proto__ key never becomes a prototype", () => {
  it.scopedLive("metadata, user, service and summary carrying __proto__", () =>
    Effect.gen(function*() {
      const evil = "{\"__proto__\":{\"isAdmin\":true,\"polluted\":\"yes\"},\"kept\":1}"
      const body = fullSrWith({ metadata: evil, user: evil, service: evil, summary: evil })
      const server = yield* ScriptedServer.make([{ status: 200, body }])
      for (const transport of transports) {
        const client = yield* clientOn(server.url, transport.layer)
        const got = yield* client.serviceRequests.get(srUuid)
        for (
          const [field, value] of Object.entries({
            metadata: got.metadata,
            user: got.user,
            service: got.service,
            summary: got.summary
          })
        ) {
          assert(typeof value === "object" && value !== null, `${field} is not an object`)
          expect([transport.name, field, Object.getPrototypeOf(value)]).toEqual([
            transport.name,
            field,
            Object.prototype
          ])
          expect(Object.hasOwn(value, "__proto__")).toBe(false)
          expect((value as Record<string, unknown>)["kept"]).toBe(1)
          expect("isAdmin" in value).toBe(false)
        }
      }
      expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined()
    }))
})

describe("6. an answer that echoes the API key puts it in no error", () => {
  const statuses = [200, 400, 401, 403, 404, 409, 413, 418, 422, 429, 500, 502, 503]
  for (const transport of transports.slice(0, 3)) {
    it.scopedLive(`${transport.name}: message, code, requestId, issues, excerpts, whatever the status`, () =>
      Effect.gen(function*() {
        const server = yield* ScriptedServer.make((request, n) => {
          const echoed = request.headers["authorization"] ?? ""
          const status = statuses[n % statuses.length]!
          const headers = {
            "content-type": "application/json",
            "x-request-id": echoed,
            "retry-after": "0"
          }
          if (status === 200) {
            return { status, headers, body: JSON.stringify({ success: true, sr: { uuid: 42, echo: echoed } }) }
          }
          return {
            status,
            headers,
            body: JSON.stringify({
              success: false,
              message: echoed,
              error: {
                code: status,
                message: `Invalid token ${echoed}`,
                details: status === 429 ? { limit_type: echoed, retry_after_seconds: 0 } : `auth/${echoed}`,
                errors: [{ code: echoed, message: `got ${echoed}`, field: echoed }]
              }
            })
          }
        })
        const client = yield* clientOn(server.url, transport.layer, {}).pipe(
          Effect.provide(RetryPolicy.none)
        )
        const texts: Array<string> = []
        for (let i = 0; i < statuses.length; i++) {
          const exit = yield* Effect.exit(client.serviceRequests.get(srUuid).pipe(Effect.provide(RetryPolicy.none)))
          const error = failureOf(exit)
          texts.push(JSON.stringify(error), String(error), error.message, Cause.pretty(Cause.fail(error)))
          for (const value of Object.values(error)) {
            texts.push(typeof value === "string" ? value : JSON.stringify(value) ?? "")
          }
        }
        expect((yield* server.requests).length).toBe(statuses.length)
        for (const text of texts) {
          expect(text).not.toContain(apiKey)
          expect(text).not.toContain(apiKey.slice(-12))
        }
      }))
  }
})
