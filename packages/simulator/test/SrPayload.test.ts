/**
 * `srPayload: "sdk"`: a fetched SR's sides as the official SDK's fixtures have them (no per-side media,
 * counts in `sides.progress`), for clients that must decide what to upload without `media_url`.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { api, at, createSr, layer, OUTER_SIDES, SIZE_TAG, uploadSide } from "./utils.js"

type Sides = {
  readonly required: ReadonlyArray<Record<string, unknown>>
  readonly optional: ReadonlyArray<Record<string, unknown>>
  readonly progress?: Record<string, unknown>
}

const sidesOf = (sr: string) =>
  Effect.map(api("GET", `/api/v2/sr/${sr}?item=true&sides=true`), (answer) => at(answer.json, "sr", "sides") as Sides)

describe("srPayload", () => {
  it.layer(layer({ srPayload: "sdk" }))("sdk", (it) => {
    it.effect("sides carry side_group_name, assignment_level, inherited_from, no media; counts in sides.progress", () =>
      Effect.gen(function*() {
        const sr = yield* createSr("sdk-shape")
        const before = yield* sidesOf(sr)
        assert.deepStrictEqual(before.progress, {
          current_required: 0,
          total_required: 2,
          current_optional: 0,
          total_optional: 4,
          met: false
        })
        for (const side of [...before.required, ...before.optional]) {
          assert.doesNotHaveAnyKeys(side, ["media_url", "side_group_id", "is_thumbnail"])
          assert.isString(side["side_group_name"])
          assert.oneOf(side["assignment_level"], ["category", "type"])
          assert.isString(side["inherited_from"])
        }
        yield* uploadSide(sr, SIZE_TAG)
        yield* uploadSide(sr, OUTER_SIDES)
        const after = yield* sidesOf(sr)
        assert.strictEqual(after.progress?.["current_required"], 2)
        assert.strictEqual(after.progress?.["met"], true)
        const groups = yield* api("GET", `/api/v2/sr/${sr}/side-groups`)
        const grouped = (at(groups.json, "data", "side_groups") as ReadonlyArray<{ sides: ReadonlyArray<object> }>)
          .flatMap((g) => g.sides)
        assert.isAbove(grouped.length, 0)
        for (const side of grouped) assert.doesNotHaveAnyKeys(side, ["media_url"])
      }))
  })

  it.layer(layer())("docs (the default)", (it) => {
    it.effect("sides carry media_url and no sides.progress", () =>
      Effect.gen(function*() {
        const sr = yield* createSr("docs-shape")
        yield* uploadSide(sr, SIZE_TAG)
        const sides = yield* sidesOf(sr)
        assert.isUndefined(sides.progress)
        const tag = sides.required.find((s) => s["uuid"] === SIZE_TAG)
        assert.lengthOf(tag?.["media_url"] as ReadonlyArray<unknown>, 1)
      }))
  })
})
