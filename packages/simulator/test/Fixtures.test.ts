/**
 * Holds the simulator's answers against the published examples in shared/fixtures/payloads.json:
 * same keys, same JSON types (values differ: ids, timestamps).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import * as Simulator from "../src/Simulator.js"
import { api, at, call, createSr, KEY, layer, OUTER_SIDES, SIZE_TAG, submittedSr, uploadSide } from "./utils.js"

interface Fixture {
  readonly source: string
  readonly endpoint: string
  readonly kind: "request" | "response" | "error" | "webhook"
  readonly status: number | null
  readonly body: unknown
}

// The repository's own copy of the published examples (shared/fixtures/payloads.json).
const fixtures: ReadonlyArray<Fixture> = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../../test/fixtures/payloads.json", import.meta.url)), "utf8")
)

const jsonType = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v)

/** Every difference in keys or JSON types between a published example and an answer. */
const differences = (expected: unknown, actual: unknown, path = "$"): ReadonlyArray<string> => {
  if (jsonType(expected) !== jsonType(actual)) {
    return [`${path}: expected ${jsonType(expected)}, got ${jsonType(actual)}`]
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const [first] = expected
    return first === undefined ? [] : actual.flatMap((a, i) => differences(first, a, `${path}[${i}]`))
  }
  if (typeof expected === "object" && expected !== null && typeof actual === "object" && actual !== null) {
    const e = expected as Record<string, unknown>
    const a = actual as Record<string, unknown>
    const keys = [...new Set([...Object.keys(e), ...Object.keys(a)])]
    return keys.flatMap((k) =>
      !(k in e)
        ? [`${path}.${k}: not in the example`]
        : !(k in a)
        ? [`${path}.${k}: missing`]
        : differences(e[k], a[k], `${path}.${k}`)
    )
  }
  return []
}

const example = (predicate: (f: Fixture) => boolean) => {
  const found = fixtures.find(predicate)
  if (found === undefined) throw new Error("fixture not found")
  return found
}

const current = (f: Fixture) => !f.source.includes("older docs")

const BROOCH = "a988f0f5-7fec-4f50-8335-3e0a9c36e1e2"

describe("published examples", () => {
  it.layer(layer({ rateLimit: { limit: 1000, windowMs: 60_000 } }))((it) => {
    it.effect("create SR answers like the published create example (request body included)", () =>
      Effect.gen(function*() {
        const request = example((f) => f.kind === "request" && f.source.includes("create-sr"))
        const response = example((f) => f.kind === "response" && f.endpoint.startsWith("POST") && f.status === 200)
        const answer = yield* api("POST", "/api/v2/sr", { body: request.body })
        assert.deepStrictEqual(differences(response.body, answer.json), [])
      }))

    it.effect("get SR with summary, item, sides, requirements answers like the published full SR", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        const published = example((f) => f.endpoint.includes("summary=true&item=true"))
        const uuid = yield* submittedSr("SAMPLE-BARCODE-SKU123")
        yield* sim.advance({ ms: 10 * 60_000 })
        const answer = yield* api("GET", `/api/v2/sr/${uuid}?summary=true&item=true&sides=true&requirements=true`)
        assert.deepStrictEqual(differences(published.body, answer.json), [])
      }))

    it.effect("progress answers like the published progress example", () =>
      Effect.gen(function*() {
        const published = example((f) => f.endpoint.includes("/progress"))
        const uuid = yield* createSr("progress-example")
        yield* uploadSide(uuid, SIZE_TAG)
        yield* uploadSide(uuid, OUTER_SIDES)
        const answer = yield* api("GET", `/api/side-groups/progress?sr_id=${uuid}`)
        assert.deepStrictEqual(differences(published.body, answer.json), [])
      }))

    it.effect("the upload intent answers like the published intent example", () =>
      Effect.gen(function*() {
        const published = example((f) => f.endpoint.includes("/intent"))
        const uuid = yield* createSr("intent-example")
        const answer = yield* api("GET", `/intent?sr=${uuid}&side=${SIZE_TAG}.jpg`)
        assert.deepStrictEqual(differences(published.body, answer.json), [])
      }))

    it.effect("taxonomy answers like the published category list, category and type examples", () =>
      Effect.gen(function*() {
        const list = example((f) => f.endpoint.endsWith("/api/v2/categories"))
        const one = example((f) => current(f) && f.endpoint.endsWith("/categories/{category_uuid}"))
        const type = example((f) => f.endpoint.endsWith("/types/{type_uuid}"))
        const listed = yield* api("GET", "/api/v2/categories")
        assert.deepStrictEqual(differences(list.body, listed.json), [])
        const category = yield* api("GET", `/api/v2/categories/${at(one.body, "data", "uuid")}`)
        assert.deepStrictEqual(differences(one.body, category.json), [])
        const brooch = yield* api("GET", `/api/v2/types/${BROOCH}`)
        assert.deepStrictEqual(differences(type.body, brooch.json), [])
      }))

    it.effect("errors answer like the published 400, 401 and both 429 examples", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        const errors = fixtures.filter((f) => f.kind === "error")
        const e400 = yield* api("POST", "/api/v2/sr", { body: { item: { category: "x", type: "y" } } })
        const e401 = yield* call("GET", "/api/v2/brands")
        yield* sim.injectFault({ route: "taxonomy.brands", fault: "429-no-headers", times: 1 })
        const e429text = yield* api("GET", "/api/v2/brands")
        const limited = Simulator.layer({ clock: "manual", apiKeys: [KEY], rateLimit: { limit: 0, windowMs: 1000 } })
        const e429object = yield* Effect.provide(api("POST", "/api/v2/sr", { body: {} }), limited)
        const answers = [e400, e401, e429text, e429object]
        assert.deepStrictEqual(answers.map((a) => a.status), errors.map((f) => f.status))
        errors.forEach((f, i) => assert.deepStrictEqual(differences(f.body, answers[i]?.json), [], f.source))
      }))

    it.effect("webhook events carry the published keys (state_change, media_rejected)", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        yield* submittedSr("SKU-BLURRY-example")
        yield* sim.advance({ ms: 10 * 60_000 })
        const events = yield* sim.webhookEvents
        for (const published of fixtures.filter((f) => f.kind === "webhook")) {
          const type = at(published.body, "event_type")
          const event = events.find((e) => e.event_type === type)
          assert.deepStrictEqual(differences(published.body, event), [], published.source)
        }
      }))
  })
})
