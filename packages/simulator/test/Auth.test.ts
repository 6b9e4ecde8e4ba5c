import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Simulator from "../src/Simulator.js"
import { api, at, call, layer } from "./utils.js"

describe("auth", () => {
  it.layer(layer())((it) => {
    it.effect("a missing key is a 401 with details authorization/missing_token", () =>
      Effect.gen(function*() {
        const answer = yield* call("GET", "/api/v2/categories")
        assert.strictEqual(answer.status, 401)
        assert.deepStrictEqual(Object.keys(at(answer.json, "error") as object).sort(), [
          "code",
          "details",
          "message",
          "timestamp"
        ])
        assert.strictEqual(at(answer.json, "success"), false)
        assert.strictEqual(at(answer.json, "error", "code"), 401)
        assert.strictEqual(at(answer.json, "error", "details"), "authorization/missing_token")
      }))

    it.effect("a wrong key is a 403, a header without Bearer a 401", () =>
      Effect.gen(function*() {
        const wrong = yield* call("GET", "/api/v2/categories", { headers: { authorization: "Bearer leo_wrong" } })
        assert.strictEqual(wrong.status, 403)
        assert.strictEqual(at(wrong.json, "error", "code"), 403)
        const malformed = yield* call("GET", "/api/v2/categories", { headers: { authorization: "leo_test_key" } })
        assert.strictEqual(malformed.status, 401)
      }))

    it.effect("every authenticated answer carries the partner and user rate-limit headers", () =>
      Effect.gen(function*() {
        const answer = yield* api("GET", "/api/v2/brands")
        for (const level of ["partner", "user"]) {
          assert.strictEqual(answer.headers[`x-ratelimit-limit-${level}`], "1000")
          assert.match(answer.headers[`x-ratelimit-remaining-${level}`] ?? "", /^\d+$/)
          assert.match(answer.headers[`x-ratelimit-reset-${level}`] ?? "", /^\d+$/)
        }
      }))

    it.effect("find and control endpoints need no key", () =>
      Effect.gen(function*() {
        const find = yield* call("GET", "/api/sr/find/nothing")
        assert.strictEqual(find.status, 404)
        const stats = yield* call("GET", "/__control/stats")
        assert.strictEqual(stats.status, 200)
        assert.isNumber(at(stats.json, "srCount"))
      }))
  })

  it.layer(layer({ rateLimit: { limit: 3, windowMs: 60_000 } }))((it) => {
    it.effect("past the limit: 429 with Retry-After and the documented details; the next window is open", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        const remaining: Array<string | undefined> = []
        for (let i = 0; i < 3; i++) {
          const ok = yield* api("GET", "/api/v2/reasons")
          assert.strictEqual(ok.status, 200)
          remaining.push(ok.headers["x-ratelimit-remaining-partner"])
        }
        assert.deepStrictEqual(remaining, ["2", "1", "0"])
        const limited = yield* api("GET", "/api/v2/reasons")
        assert.strictEqual(limited.status, 429)
        assert.strictEqual(limited.headers["retry-after"], "60")
        assert.strictEqual(limited.headers["x-ratelimit-remaining-user"], "0")
        assert.deepStrictEqual(at(limited.json, "error", "details"), {
          limit_type: "partner_level",
          current_usage: 4,
          limit: 3,
          reset_time: at(limited.json, "error", "details", "reset_time"),
          retry_after_seconds: 60
        })
        assert.isString(at(limited.json, "error", "details", "reset_time"))
        yield* sim.advance({ ms: 60_000 })
        const again = yield* api("GET", "/api/v2/reasons")
        assert.strictEqual(again.status, 200)
      }))
  })
})
