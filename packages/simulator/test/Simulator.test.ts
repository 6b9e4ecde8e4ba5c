import { assert, describe, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Simulator from "../src/Simulator.js"
import { api, at, call, createSr, layer } from "./utils.js"

describe("Simulator", () => {
  it.scoped("start binds a free loopback port per instance and answers its URLs", () =>
    Effect.gen(function*() {
      const a = yield* Simulator.start({ clock: "manual" })
      const b = yield* Simulator.start({ clock: "manual" })
      assert.match(a.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.notStrictEqual(a.port, b.port)
      assert.strictEqual(a.assetUrl, a.baseUrl)
    }))

  it.scoped("starting a simulator leaves the caller's (test) clock alone", () =>
    Effect.gen(function*() {
      yield* Simulator.start({ clock: "manual" })
      assert.strictEqual(yield* Clock.currentTimeMillis, 0)
    }))

  it.scoped("the manual clock starts where asked and moves only when advanced", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({ clock: "manual", startTime: Date.UTC(2026, 0, 15, 10, 30) })
      assert.strictEqual(yield* sim.now, Date.UTC(2026, 0, 15, 10, 30))
      yield* sim.advance({ ms: 1_500 })
      assert.strictEqual(yield* sim.now, Date.UTC(2026, 0, 15, 10, 30, 1, 500))
    }))

  it.layer(layer({ seed: 7 }))((it) => {
    it.effect("the same seed gives the same SR ids and micro ids from 998001", () =>
      Effect.gen(function*() {
        const first = yield* api("POST", "/api/v2/sr", {
          body: {
            reference_id: "seeded",
            item: { category: "25ed7133-f230-4d64-850d-0cfc698e2931", type: "95e428c2-7c4f-11ef-a623-02595575faeb" }
          }
        })
        assert.strictEqual(at(first.json, "sr", "micro_id"), "998001")
        const again = yield* Effect.scoped(
          Effect.flatMap(Simulator.start({ clock: "manual", seed: 7 }), (other) =>
            call("POST", `${other.baseUrl}/api/v2/sr`, {
              body: {
                reference_id: "seeded",
                item: { category: "25ed7133-f230-4d64-850d-0cfc698e2931", type: "95e428c2-7c4f-11ef-a623-02595575faeb" }
              },
              headers: { authorization: "Bearer leo_any" }
            }))
        )
        assert.strictEqual(at(again.json, "sr", "uuid"), at(first.json, "sr", "uuid"))
      }))

    it.effect("control endpoints over HTTP: advance, reset, and loopback-only access", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        yield* createSr("control")
        const before = yield* sim.now
        const advanced = yield* call("POST", "/__control/advance", { body: { ms: 60_000 } })
        assert.strictEqual(advanced.status, 200)
        assert.strictEqual(at(advanced.json, "now_ms"), before + 60_000)
        const bad = yield* call("POST", "/__control/advance", { body: { ms: -1 } })
        assert.strictEqual(bad.status, 400)
        const reset = yield* call("POST", "/__control/reset")
        assert.strictEqual(reset.status, 200)
        assert.strictEqual((yield* sim.stats).srCount, 0)
      }))

    it.effect("route ids are listed for fault specs", () =>
      Effect.sync(() => {
        const ids = Simulator.routes.map((r) => r.id)
        assert.includeMembers(ids, ["sr.create", "sr.get", "media.intent", "media.upload", "taxonomy.models"])
      }))
  })
})
