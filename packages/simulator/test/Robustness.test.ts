/**
 * Random requests never crash the simulator: each gets a 4xx answer in the documented error shape
 * (or a 2xx for the few that happen to be valid), and the server keeps answering.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fc from "effect/FastCheck"
import * as Http from "node:http"
import * as Simulator from "../src/Simulator.js"
import { api, at, call, layer } from "./utils.js"

const segment = fc.oneof(
  fc.uuid(),
  fc.string({ maxLength: 12 }),
  fc.constantFrom("..", "%", "%ZZ", "tree", "submit", "side-groups", "brands", "types", "0", "-1")
).map((s) => encodeURIComponent(s))

const path = fc.tuple(
  fc.constantFrom(
    "/api/v2/sr",
    "/api/v2/categories",
    "/api/v2/types",
    "/api/v2/sides",
    "/api/services",
    "/api/sr/find",
    "/api/side-groups/progress",
    "/intent",
    "/api/v2",
    "/api"
  ),
  fc.array(segment, { maxLength: 3 }),
  fc.dictionary(
    fc.constantFrom("page_number", "page_size", "sort_by", "sort_direction", "summary", "item", "sr", "side", "sr_id"),
    fc.string({ maxLength: 8 })
  )
).map(([base, segments, params]) => {
  const query = new URLSearchParams(params).toString()
  return `${[base, ...segments].join("/")}${query === "" ? "" : `?${query}`}`
})

const body = fc.oneof(
  fc.json(),
  fc.string({ maxLength: 64 }),
  fc.record({
    reference_id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
    item: fc.oneof(fc.record({ category: fc.oneof(fc.uuid(), fc.string()), type: fc.anything() }), fc.anything())
  }, { requiredKeys: [] }).map((b) => JSON.stringify(b))
)

const isErrorBody = (json: unknown) =>
  at(json, "success") === false &&
  typeof at(json, "error", "code") === "number" &&
  typeof at(json, "error", "message") === "string" &&
  typeof at(json, "error", "timestamp") === "string"

const stillAnswering = Effect.gen(function*() {
  const clock = yield* call("GET", "/__control/clock")
  assert.strictEqual(clock.status, 200)
})

describe("robustness", () => {
  it.layer(layer())((it) => {
    it.effect.prop("random JSON bodies to create SR get a 4xx error body", [body], ([raw]) =>
      Effect.gen(function*() {
        const answer = yield* api("POST", "/api/v2/sr", { body: raw })
        if (answer.status !== 200) {
          assert.isTrue(answer.status >= 400 && answer.status < 500, `${answer.status} for ${raw}`)
          assert.isTrue(isErrorBody(answer.json), answer.text)
        }
        yield* stillAnswering
      }), { fastCheck: { numRuns: 150, seed: 1 } })

    it.effect.prop(
      "random methods, paths and bodies get JSON answers below 500",
      [fc.constantFrom(...(["GET", "POST", "PUT", "DELETE", "PATCH"] as const)), path, body],
      ([method, target, raw]) =>
        Effect.gen(function*() {
          const answer = yield* api(method, target, method === "GET" || method === "DELETE" ? {} : { body: raw })
          assert.isBelow(answer.status, 500, `${method} ${target}`)
          assert.isDefined(answer.json, `${method} ${target}: ${answer.text}`)
          if (answer.status >= 400) assert.isTrue(isErrorBody(answer.json), answer.text)
          yield* stillAnswering
        }),
      { fastCheck: { numRuns: 200, seed: 2 } }
    )

    it.effect("nothing the property tests sent made the simulator fail", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        const stats = yield* sim.stats
        assert.isUndefined(stats.statuses["500"])
      }))
  })
})

/** JSON nested `depth` deep, as arrays or objects. */
const nested = fc.tuple(fc.integer({ min: 65, max: 5000 }), fc.boolean()).map(([depth, arrays]) =>
  arrays ? "[".repeat(depth) + "]".repeat(depth) : "{\"a\":".repeat(depth) + "1" + "}".repeat(depth)
)

const MB = 1024 * 1024

/**
 * POSTs up to `total` bytes of blanks to `path` over a raw `node:http` request, with a `Content-Length`
 * or chunked, and answers the status and body the server gave while the body was still being written,
 * and how many bytes had been handed to the socket by then.
 */
const postBlanks = (path: string, total: number, declared: boolean) =>
  Effect.flatMap(
    Simulator.Simulator,
    (sim) =>
      Effect.async<{ readonly status: number; readonly body: string; readonly written: number }, Error>((resume) => {
        const url = new URL(path, sim.baseUrl)
        const request = Http.request({
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: "POST",
          headers: {
            "content-type": "application/json",
            // Without configured keys, any Bearer token is accepted.
            authorization: "Bearer anyone",
            ...(declared ? { "content-length": String(total) } : {})
          }
        })
        const chunk = Buffer.alloc(64 * 1024, 0x20)
        let written = 0
        let answered = false
        const pump = () => {
          while (!answered && written < total) {
            written += chunk.length
            if (!request.write(chunk)) return void request.once("drain", pump)
          }
          if (!answered) request.end()
        }
        request.on("response", (response) => {
          answered = true
          const at = written
          const chunks: Array<Buffer> = []
          response.on("data", (c: Buffer) => chunks.push(c))
          response.on("end", () => {
            resume(
              Effect.succeed({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString(), written: at })
            )
            request.destroy()
          })
        })
        request.on("error", (error) => {
          if (!answered) resume(Effect.fail(error))
        })
        pump()
        return Effect.sync(() => request.destroy())
      })
  )

describe("bodies the simulator refuses", () => {
  // Started without API keys (as `legitmark-simulator` without `--api-key`): any caller may try.
  it.layer(layer({ apiKeys: [] }))((it) => {
    for (const declared of [true, false]) {
      it.effect(`a 600 MB body ${declared ? "with its Content-Length" : "sent chunked"} gets a 413 while it is still arriving`, () =>
        Effect.gen(function*() {
          const answer = yield* postBlanks("/api/v2/sr", 600 * MB, declared)
          assert.strictEqual(answer.status, 413, answer.body)
          assert.strictEqual(at(JSON.parse(answer.body), "error", "details"), "validation/body-too-large")
          // The server stopped reading at 1 MB: what was written is that and the sockets' buffers.
          assert.isBelow(answer.written, 64 * MB)
          yield* stillAnswering
        }))
    }

    it.effect.prop(
      "JSON nested deeper than 64 levels gets a 400, never a 500",
      [nested],
      ([raw]) =>
        Effect.gen(function*() {
          for (const path of ["/api/v2/sr", "/__control/faults", "/__control/advance"]) {
            const answer = yield* api("POST", path, { body: raw })
            assert.strictEqual(answer.status, 400, `${path}: ${answer.text}`)
            assert.strictEqual(at(answer.json, "error", "errors", 0, "code"), "validation/too-deep")
          }
          yield* stillAnswering
        }),
      { fastCheck: { numRuns: 20, seed: 3 } }
    )
  })
})
