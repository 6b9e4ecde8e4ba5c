/**
 * The `Legitmark` workflows on the test Layer: the real client over the simulator's core in process.
 * test/legitmark.e2e.test.ts runs the happy path and the resume over real HTTP.
 */
import type * as Photo from "@effect-legitmark/client/Photo"
import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import { Legitmark } from "../src/Legitmark.js"
import { LegitmarkTest } from "../src/LegitmarkTest.js"

const { footwear, sneakers } = LegitmarkTest.ids
const sizeTag = "Interior Size Tag or Stamp"
const outerSides = "Outer Sides"
const photos = Effect.all({ [sizeTag]: LegitmarkTest.photo(1), [outerSides]: LegitmarkTest.photo(2) })
const input = (referenceId: string, photos: Readonly<Record<string, Photo.Photo>>) => ({
  referenceId,
  item: { category: footwear, type: sneakers },
  photos
})
const count = (calls: ReadonlyArray<LegitmarkTest.Call>, method: LegitmarkTest.Method) =>
  calls.filter((c) => c.method === method).length

describe("Legitmark.authenticate", () => {
  it.effect("creates, uploads every required side once, confirms progress and submits", () =>
    Effect.gen(function*() {
      const legitmark = yield* Legitmark
      const test = yield* LegitmarkTest
      const progress: Array<string> = []
      const result = yield* legitmark.authenticate({
        ...input("AUTH-1", yield* photos),
        onProgress: (p) => Effect.sync(() => progress.push(`${p._tag} ${p.side.name} ${p.done}/${p.total}`))
      })
      expect(result.submitted).toBe(true)
      expect(result.uploaded).toEqual([LegitmarkTest.ids.sides.interiorSizeTag, LegitmarkTest.ids.sides.outerSides])
      expect(result.sr.state).toMatchObject({ primary: "QC", supplement: "PENDING" })
      expect(result.sr.external_id).toBe("AUTH-1")
      expect(progress.filter((p) => p.startsWith("Uploaded"))).toHaveLength(2)
      expect(progress.at(-1)).toMatch(/^Uploaded .* 2\/2$/)
      const calls = yield* test.calls
      expect(count(calls, "media.put")).toBe(2)
      expect(count(calls, "serviceRequests.progress")).toBe(1)
      expect(count(calls, "serviceRequests.submit")).toBe(1)
      const [sr] = yield* test.serviceRequests
      expect(sr?.sides?.required.every((side) => side.hasMedia)).toBe(true)
    }).pipe(Effect.provide(LegitmarkTest.layer({ review: "manual" }))))

  it.effect("fails early, uploading nothing, when a required side has no photo", () =>
    Effect.gen(function*() {
      const legitmark = yield* Legitmark
      const test = yield* LegitmarkTest
      const { [outerSides]: outer } = yield* photos
      const error = yield* Effect.flip(
        legitmark.authenticate(input("AUTH-2", { [outerSides]: outer!, Sidewalk: outer! }))
      )
      expect(error._tag).toBe("MissingPhotosError")
      if (error._tag !== "MissingPhotosError") return
      expect(error.missing.map((s) => s.name)).toEqual([sizeTag])
      expect(error.unknown).toEqual(["Sidewalk"])
      expect(yield* test.uploads).toEqual([])
    }).pipe(Effect.provide(LegitmarkTest.layer())))

  it.effect("interrupted after one upload, a second call resumes the same SR without re-sending", () =>
    Effect.gen(function*() {
      const legitmark = yield* Legitmark
      const test = yield* LegitmarkTest
      const all = yield* photos
      const firstUpload = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(legitmark.authenticate({
        ...input("AUTH-3", all),
        concurrency: 1,
        onProgress: (p) =>
          p._tag === "Uploaded" ? Effect.zipRight(Deferred.succeed(firstUpload, void 0), Effect.never) : Effect.void
      }))
      yield* Deferred.await(firstUpload)
      yield* Fiber.interrupt(fiber)
      expect(yield* test.uploads).toHaveLength(1)

      const result = yield* legitmark.authenticate(input("AUTH-3", all))
      expect(result.skipped).toHaveLength(1)
      expect(result.uploaded).toHaveLength(1)
      expect(result.submitted).toBe(true)
      const uploads = yield* test.uploads
      expect(new Set(uploads.map((u) => u.side)).size).toBe(2)
      expect(uploads).toHaveLength(2)

      const again = yield* legitmark.authenticate(input("AUTH-3", all))
      expect(again.submitted).toBe(false)
      const calls = yield* test.calls
      expect(yield* test.serviceRequests).toHaveLength(1)
      expect(count(calls, "serviceRequests.create")).toBe(1)
      expect(count(calls, "media.put")).toBe(2)
      expect(count(calls, "serviceRequests.submit")).toBe(1)
    }).pipe(Effect.provide(LegitmarkTest.layer({ review: "manual" }))))
})

describe("Legitmark.awaitVerdict", () => {
  it.effect("QC rejection names the sides to re-upload; authenticate again resubmits only those (BLURRY)", () =>
    Effect.gen(function*() {
      const legitmark = yield* Legitmark
      const test = yield* LegitmarkTest
      const all = yield* photos
      const { sr } = yield* legitmark.authenticate(input("VERDICT-BLURRY", all))
      const rejected = yield* legitmark.awaitVerdict(sr.uuid)
      expect(rejected._tag).toBe("MediaRejected")
      if (rejected._tag !== "MediaRejected") return
      expect(rejected.sides.map((s) => s.name)).toEqual([sizeTag])

      const again = yield* legitmark.authenticate(input("VERDICT-BLURRY", all))
      expect(again.submitted).toBe(true)
      expect(again.uploaded).toEqual(rejected.sides.map((s) => s.uuid))
      expect(yield* test.uploads).toHaveLength(3)
      expect((yield* legitmark.awaitVerdict(sr.uuid))._tag).toBe("Authentic")
    }).pipe(Effect.provide(LegitmarkTest.layer())))

  it.effect("gives up with VerdictTimeoutError when the schedule ends first", () =>
    Effect.gen(function*() {
      const legitmark = yield* Legitmark
      const test = yield* LegitmarkTest
      const draft = yield* legitmark.client.serviceRequests.create({
        reference_id: "NEVER-SUBMITTED",
        item: { category: footwear, type: sneakers }
      })
      const error = yield* Effect.flip(legitmark.awaitVerdict(draft.uuid, { schedule: Schedule.recurs(2) }))
      expect(error).toMatchObject({ _tag: "VerdictTimeoutError", state: "DRAFT/-" })
      expect(count(yield* test.calls, "serviceRequests.get")).toBe(3)
    }).pipe(Effect.provide(LegitmarkTest.layer())))
})
