/**
 * Random requests never crash the simulator: each gets a 4xx answer in the documented error shape
 * (or a 2xx for the few that happen to be valid), and the server keeps answering.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fc from "effect/FastCheck"
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
