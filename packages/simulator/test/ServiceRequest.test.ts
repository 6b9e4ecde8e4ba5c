import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Simulator from "../src/Simulator.js"
import {
  api,
  at,
  BAG,
  call,
  createSr,
  CROSSBODY,
  FOOTWEAR,
  layer,
  LUXURY,
  OUTER_SIDES,
  SIZE_TAG,
  SNEAKERS,
  stateOf,
  submittedSr,
  uploadSide
} from "./utils.js"

const advanceSteps = (steps: number) => Effect.flatMap(Simulator.Simulator, (sim) => sim.advance({ steps }))

describe("service requests", () => {
  it.layer(layer())((it) => {
    it.effect("create answers a DRAFT echoing reference_id as external_id", () =>
      Effect.gen(function*() {
        const answer = yield* api("POST", "/api/v2/sr", {
          body: { reference_id: "ITEM-2024-0891", service: LUXURY, item: { category: BAG, type: CROSSBODY } }
        })
        assert.strictEqual(answer.status, 200)
        assert.deepStrictEqual(at(answer.json, "sr", "state"), { primary: "DRAFT", supplement: null })
        assert.strictEqual(at(answer.json, "sr", "external_id"), "ITEM-2024-0891")
        assert.strictEqual(at(answer.json, "sr", "service"), LUXURY)
        assert.deepStrictEqual(at(answer.json, "sr", "summary"), { style: "Crossbody", style_id: CROSSBODY })
        assert.match(String(at(answer.json, "sr", "micro_id")), /^\d+$/)
      }))

    it.effect("create picks the service covering the category when none is given", () =>
      Effect.gen(function*() {
        const answer = yield* api("POST", "/api/v2/sr", {
          body: { reference_id: "bag", item: { category: BAG, type: CROSSBODY } }
        })
        assert.strictEqual(at(answer.json, "sr", "service"), LUXURY)
      }))

    it.effect("create rejects missing, unknown and mistyped fields with documented 400 bodies", () =>
      Effect.gen(function*() {
        const answer = yield* api("POST", "/api/v2/sr", {
          body: { external_id: "x", item: { category: "nope", type: 7 } }
        })
        assert.strictEqual(answer.status, 400)
        assert.strictEqual(at(answer.json, "success"), false)
        assert.strictEqual(at(answer.json, "error", "code"), 400)
        const codes = (at(answer.json, "error", "errors") as ReadonlyArray<{ code: string }>).map((e) => e.code)
        assert.includeMembers(codes, [
          "validation/missing-field",
          "validation/unknown-field",
          "validation/invalid-uuid",
          "validation/invalid-type"
        ])
      }))

    it.effect("create rejects malformed JSON and a type of another category", () =>
      Effect.gen(function*() {
        const malformed = yield* api("POST", "/api/v2/sr", { body: "{\"reference_id\": " })
        assert.strictEqual(malformed.status, 400)
        assert.strictEqual(at(malformed.json, "error", "errors", 0, "code"), "validation/invalid-json")
        const mismatch = yield* api("POST", "/api/v2/sr", {
          body: { reference_id: "x", item: { category: FOOTWEAR, type: CROSSBODY } }
        })
        assert.strictEqual(mismatch.status, 400)
        assert.strictEqual(at(mismatch.json, "error", "errors", 0, "code"), "validation/unknown-type")
      }))

    it.effect("get honours include flags and ignores dependent flags without their parents", () =>
      Effect.gen(function*() {
        const uuid = yield* createSr("flags")
        const bare = yield* api("GET", `/api/v2/sr/${uuid}`)
        assert.strictEqual(bare.status, 200)
        assert.isUndefined(at(bare.json, "sr", "summary"))
        assert.isUndefined(at(bare.json, "sr", "item"))
        const sidesOnly = yield* api("GET", `/api/v2/sr/${uuid}?sides=true&requirements=true`)
        assert.isUndefined(at(sidesOnly.json, "sr", "sides"))
        const full = yield* api(
          "GET",
          `/api/v2/sr/${uuid}?summary=true&item=true&sides=true&user=true&service=true&outcome=true`
        )
        assert.strictEqual(at(full.json, "sr", "summary", "combined"), "Footwear Sneakers")
        assert.strictEqual(at(full.json, "sr", "item", "type"), "undefined")
        assert.strictEqual(at(full.json, "sr", "item", "types", "uuid"), SNEAKERS)
        const required = at(full.json, "sr", "sides", "required") as ReadonlyArray<{ uuid: string }>
        assert.deepStrictEqual(required.map((s) => s.uuid), [SIZE_TAG, OUTER_SIDES])
        assert.isString(at(full.json, "sr", "user", "uuid"))
        assert.isString(at(full.json, "sr", "service", "name"))
        assert.isNull(at(full.json, "sr", "outcome"))
      }))

    it.effect("get answers 400 for a non-UUID id and 404 for an unknown one", () =>
      Effect.gen(function*() {
        const invalid = yield* api("GET", "/api/v2/sr/not-a-uuid")
        assert.strictEqual(invalid.status, 400)
        assert.strictEqual(at(invalid.json, "error", "errors", 0, "code"), "validation/invalid-uuid")
        const unknown = yield* api("GET", "/api/v2/sr/00000000-0000-4000-8000-000000000000")
        assert.strictEqual(unknown.status, 404)
        assert.strictEqual(at(unknown.json, "success"), false)
      }))

    it.effect("submit is refused with the missing sides until the required photos are uploaded", () =>
      Effect.gen(function*() {
        const uuid = yield* createSr("missing")
        yield* uploadSide(uuid, SIZE_TAG)
        const refused = yield* api("POST", `/api/v2/sr/${uuid}/submit`)
        assert.strictEqual(refused.status, 400)
        assert.strictEqual(at(refused.json, "error", "details"), "sr/requirements_not_met")
        assert.strictEqual(at(refused.json, "error", "errors", 0, "code"), "validation/missing-side")
        assert.include(String(at(refused.json, "error", "errors", 0, "message")), OUTER_SIDES)
        yield* uploadSide(uuid, OUTER_SIDES)
        const accepted = yield* api("POST", `/api/v2/sr/${uuid}/submit`)
        assert.strictEqual(accepted.status, 200)
        assert.deepStrictEqual(at(accepted.json, "sr", "state"), { primary: "QC", supplement: "PENDING" })
        const again = yield* api("POST", `/api/v2/sr/${uuid}/submit`)
        assert.strictEqual(again.status, 409)
        assert.strictEqual(at(again.json, "error", "details"), "sr/invalid_state")
      }))

    it.effect("progress and side groups reflect uploads", () =>
      Effect.gen(function*() {
        const uuid = yield* createSr("progress")
        const before = yield* api("GET", `/api/side-groups/progress?sr_id=${uuid}`)
        assert.deepStrictEqual(at(before.json, "progress"), {
          current_required: 0,
          total_required: 2,
          current_optional: 0,
          total_optional: 4,
          met: false
        })
        yield* uploadSide(uuid, SIZE_TAG)
        yield* uploadSide(uuid, OUTER_SIDES)
        const after = yield* api("GET", `/api/side-groups/progress?sr_id=${uuid}`)
        assert.strictEqual(at(after.json, "progress", "current_required"), 2)
        assert.strictEqual(at(after.json, "progress", "met"), true)
        const groups = yield* api("GET", `/api/v2/sr/${uuid}/side-groups`)
        const sideGroups = at(groups.json, "data", "side_groups") as ReadonlyArray<
          { sides: ReadonlyArray<{ uuid: string; media_url: ReadonlyArray<unknown> }> }
        >
        const sizeTag = sideGroups.flatMap((g) => g.sides).find((s) => s.uuid === SIZE_TAG)
        assert.strictEqual(sizeTag?.media_url.length, 1)
      }))

    it.effect("advancing simulated time by ms runs every transition that falls due", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        const uuid = yield* submittedSr("by-time")
        yield* sim.advance({ ms: 10 * 60_000 })
        assert.deepStrictEqual(yield* stateOf(uuid), { primary: "COMPLETE", supplement: "APPROVED" })
      }))

    it.effect("reference markers choose the verdict: FAKE, INCONCLUSIVE, CANCEL", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        const fake = yield* submittedSr("SKU-FAKE-1")
        const inconclusive = yield* submittedSr("SKU-INCONCLUSIVE-1")
        const cancel = yield* submittedSr("sku-cancel-1")
        yield* sim.advance({ ms: 10 * 60_000 })
        assert.deepStrictEqual(yield* stateOf(fake), { primary: "COMPLETE", supplement: "REJECTED" })
        assert.deepStrictEqual(yield* stateOf(inconclusive), { primary: "COMPLETE", supplement: "COMPLETE" })
        assert.deepStrictEqual(yield* stateOf(cancel), { primary: "CANCELLED", supplement: null })
      }))

    it.effect("BLURRY rejects the photos once; re-upload and resubmit proceed to the verdict", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        const uuid = yield* submittedSr("SKU-BLURRY-1")
        yield* sim.advance({ ms: 10 * 60_000 })
        assert.deepStrictEqual(yield* stateOf(uuid), { primary: "QC", supplement: "REJECTED" })
        const progress = yield* api("GET", `/api/side-groups/progress?sr_id=${uuid}`)
        assert.strictEqual(at(progress.json, "progress", "met"), false)
        const refused = yield* api("POST", `/api/v2/sr/${uuid}/submit`)
        assert.strictEqual(refused.status, 400)
        yield* uploadSide(uuid, SIZE_TAG)
        const resubmitted = yield* api("POST", `/api/v2/sr/${uuid}/submit`)
        assert.strictEqual(resubmitted.status, 200)
        yield* sim.advance({ ms: 10 * 60_000 })
        assert.deepStrictEqual(yield* stateOf(uuid), { primary: "COMPLETE", supplement: "APPROVED" })
      }))

    it.effect("find looks SRs up without a key by uuid, micro_id and URL-encoded external id", () =>
      Effect.gen(function*() {
        const created = yield* api("POST", "/api/v2/sr", {
          body: { reference_id: "C26 Chanel CC Brooch #23/a", item: { category: FOOTWEAR, type: SNEAKERS } }
        })
        const uuid = String(at(created.json, "sr", "uuid"))
        const micro = String(at(created.json, "sr", "micro_id"))
        for (const identifier of [uuid, micro, "C26 Chanel CC Brooch #23/a"]) {
          const found = yield* call("GET", `/api/sr/find/${encodeURIComponent(identifier)}`)
          assert.strictEqual(found.status, 200, identifier)
          assert.strictEqual(at(found.json, "sr", "uuid"), uuid)
        }
        const missing = yield* call("GET", `/api/sr/find/${encodeURIComponent("no such thing")}`)
        assert.strictEqual(missing.status, 404)
      }))
  })

  // Its own simulator: `steps` walks the single global timeline, which other SRs would share.
  it.layer(layer())((it) => {
    it.effect("a submitted SR walks QC → UNDERWAY → COMPLETE/APPROVED one step at a time", () =>
      Effect.gen(function*() {
        const uuid = yield* submittedSr("happy")
        const seen: Array<unknown> = [yield* stateOf(uuid)]
        for (let i = 0; i < 4; i++) {
          yield* advanceSteps(1)
          seen.push(yield* stateOf(uuid))
        }
        assert.deepStrictEqual(seen, [
          { primary: "QC", supplement: "PENDING" },
          { primary: "QC", supplement: "APPROVED" },
          { primary: "UNDERWAY", supplement: "PENDING" },
          { primary: "UNDERWAY", supplement: "ASSIGNED" },
          { primary: "COMPLETE", supplement: "APPROVED" }
        ])
        const done = yield* api("GET", `/api/v2/sr/${uuid}?outcome=true`)
        assert.match(String(at(done.json, "sr", "certificate_url")), /\.pdf$/)
        assert.strictEqual(at(done.json, "sr", "outcome", "result"), "AUTHENTIC")
      }))
  })
})
