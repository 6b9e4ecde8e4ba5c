import { assert, describe, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Simulator from "../src/Simulator.js"
import { api, at, call, FOOTWEAR, layer, SNEAKERS } from "./utils.js"

const body = { reference_id: "fault", item: { category: FOOTWEAR, type: SNEAKERS } }
const create = api("POST", "/api/v2/sr", { body })

const fresh = Effect.flatMap(Simulator.Simulator, (sim) => sim.reset)

const srCount = Effect.flatMap(Simulator.Simulator, (sim) => Effect.map(sim.stats, (s) => s.srCount))

describe("faults", () => {
  it.layer(layer())((it) => {
    it.effect("500 and 503 (with Retry-After) answer before the server acts", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        yield* fresh
        yield* sim.injectFault({ route: "POST /api/v2/sr", fault: "500", times: 1 })
        yield* sim.injectFault({ route: "sr.create", fault: "503", times: 1, retryAfter: 7 })
        const first = yield* create
        assert.strictEqual(first.status, 500)
        assert.strictEqual(at(first.json, "error", "code"), 500)
        const second = yield* create
        assert.strictEqual(second.status, 503)
        assert.strictEqual(second.headers["retry-after"], "7")
        assert.strictEqual(yield* srCount, 0)
        const third = yield* create
        assert.strictEqual(third.status, 200)
        assert.strictEqual(yield* srCount, 1)
      }))

    it.effect("502 answers an HTML gateway page", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        yield* fresh
        yield* sim.injectFault({ route: "GET /api/v2/categories", fault: "502", times: 1 })
        const answer = yield* api("GET", "/api/v2/categories")
        assert.strictEqual(answer.status, 502)
        assert.include(answer.headers["content-type"] ?? "", "text/html")
        assert.isUndefined(answer.json)
      }))

    it.effect("429 comes with and without rate-limit headers", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        yield* fresh
        yield* sim.injectFault({ route: "taxonomy.brands", fault: "429", times: 1, retryAfter: 3 })
        yield* sim.injectFault({ route: "taxonomy.brands", fault: "429-no-headers", times: 1 })
        const full = yield* api("GET", "/api/v2/brands")
        assert.strictEqual(full.status, 429)
        assert.strictEqual(full.headers["retry-after"], "3")
        assert.strictEqual(full.headers["x-ratelimit-remaining-partner"], "0")
        assert.strictEqual(at(full.json, "error", "details", "limit_type"), "partner_level")
        const bare = yield* api("GET", "/api/v2/brands")
        assert.strictEqual(bare.status, 429)
        assert.isUndefined(bare.headers["retry-after"])
        assert.strictEqual(at(bare.json, "error", "details"), "error/rate_limit_exceeded")
      }))

    it.effect("a connection dropped before the server acted creates nothing", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        yield* fresh
        yield* sim.injectFault({ route: "sr.create", fault: "drop-before", times: 1 })
        const result = yield* Effect.either(create)
        assert.isTrue(Either.isLeft(result))
        assert.strictEqual(yield* srCount, 0)
      }))

    it.effect("a connection dropped after the server acted leaves an SR behind", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        yield* fresh
        yield* sim.injectFault({ route: "sr.create", fault: "drop-after", times: 1 })
        const result = yield* Effect.either(create)
        assert.isTrue(Either.isLeft(result))
        assert.strictEqual(yield* srCount, 1)
        const found = yield* call("GET", "/api/sr/find/fault")
        assert.strictEqual(found.status, 200)
      }))

    it.effect("malformed and truncated JSON bodies follow a server that acted", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        yield* fresh
        yield* sim.injectFault({ route: "sr.create", fault: "malformed-json", times: 1 })
        yield* sim.injectFault({ route: "sr.create", fault: "truncated-json", times: 1 })
        const malformed = yield* create
        assert.strictEqual(malformed.status, 200)
        assert.isUndefined(malformed.json)
        const truncated = yield* create
        assert.strictEqual(truncated.status, 200)
        assert.isUndefined(truncated.json)
        assert.isTrue(truncated.text.startsWith("{\"success\":true"))
        assert.strictEqual(yield* srCount, 2)
      }))

    it.effect("500 and 502 with `after` answer once the server acted", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        yield* fresh
        yield* sim.injectFault({ route: "sr.create", fault: "500", after: true, times: 1 })
        yield* sim.injectFault({ route: "sr.create", fault: "502", after: true, times: 1 })
        assert.strictEqual((yield* create).status, 500)
        assert.strictEqual((yield* create).status, 502)
        assert.strictEqual(yield* srCount, 2)
      }))

    it.effect("a held create lands when simulated time reaches it, even after the client hung up", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        yield* fresh
        yield* sim.injectFault({ route: "sr.create", fault: "hold", ms: 5_000, times: 1 })
        // The client gives up: the manual clock holds the create until it is advanced.
        const gaveUp = yield* Effect.either(Effect.timeout(create, "200 millis").pipe(Effect.withClock(Clock.make())))
        assert.isTrue(Either.isLeft(gaveUp))
        assert.strictEqual(yield* srCount, 0)
        assert.strictEqual(yield* sim.advance({ ms: 4_999 }), 0)
        assert.strictEqual(yield* srCount, 0)
        assert.strictEqual(yield* sim.advance({ ms: 1 }), 1)
        assert.strictEqual(yield* srCount, 1)
      }))

    it.effect("a lagging lookup finds an SR only `ms` after its creation", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        yield* fresh
        yield* sim.injectFault({ route: "sr.find", fault: "lagging-lookup", ms: 30_000 })
        assert.strictEqual((yield* create).status, 200)
        assert.strictEqual((yield* call("GET", "/api/sr/find/fault")).status, 404)
        yield* sim.advance({ ms: 29_999 })
        assert.strictEqual((yield* call("GET", "/api/sr/find/fault")).status, 404)
        yield* sim.advance({ ms: 1 })
        assert.strictEqual((yield* call("GET", "/api/sr/find/fault")).status, 200)
      }))

    it.effect("a delay answers normally afterwards", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        yield* fresh
        yield* sim.injectFault({ route: "GET /api/v2/reasons", fault: "delay", ms: 20, times: 1 })
        const answer = yield* api("GET", "/api/v2/reasons")
        assert.strictEqual(answer.status, 200)
        assert.strictEqual((yield* sim.stats).faults["delay"], 1)
      }))

    it.effect("probability with a seed fires deterministically; DELETE clears faults", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        const run = Effect.gen(function*() {
          yield* fresh
          const added = yield* call("POST", "/__control/faults", {
            body: { route: "*", fault: "500", probability: 0.5, seed: 42 }
          })
          assert.strictEqual(added.status, 201)
          const statuses: Array<number> = []
          for (let i = 0; i < 12; i++) statuses.push((yield* api("GET", "/api/v2/reasons")).status)
          return statuses
        })
        const first = yield* run
        const second = yield* run
        assert.deepStrictEqual(first, second)
        assert.include(first, 500)
        assert.include(first, 200)
        const cleared = yield* call("DELETE", "/__control/faults")
        assert.strictEqual(cleared.status, 200)
        assert.strictEqual((yield* api("GET", "/api/v2/reasons")).status, 200)
        assert.lengthOf(at((yield* call("GET", "/__control/faults")).json, "faults") as ReadonlyArray<unknown>, 0)
        yield* sim.clearFaults
      }))

    it.effect("stats count requests per route and Authorization per path prefix; reset forgets", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        yield* fresh
        yield* create
        yield* call("GET", "/api/sr/find/x")
        yield* call("GET", "/no/such/route")
        const stats = yield* sim.stats
        assert.strictEqual(stats.requests["POST /api/v2/sr"], 1)
        assert.strictEqual(stats.routes["sr.find"], 1)
        assert.strictEqual(stats.requests["unmatched"], 1)
        assert.deepStrictEqual(stats.authorization["/api"], { with: 1, without: 1 })
        assert.strictEqual(stats.srCount, 1)
        yield* sim.reset
        const after = yield* sim.stats
        assert.strictEqual(after.srCount, 0)
        assert.deepStrictEqual(after.requests, {})
      }))

    it.effect("bad fault specs are 400s", () =>
      Effect.gen(function*() {
        const answer = yield* call("POST", "/__control/faults", { body: { route: "*", fault: "explode" } })
        assert.strictEqual(answer.status, 400)
      }))
  })
})
