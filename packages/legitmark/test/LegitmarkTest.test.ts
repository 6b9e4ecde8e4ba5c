/**
 * The in-memory test Layers: the real `Legitmark` workflows on the in-memory client, driven through the
 * control service (the same scenarios as test/legitmark.e2e.test.ts runs against the simulator).
 */
import { LegitmarkClient } from "@effect-legitmark/client"
import { AuthenticationError, type NotFoundError, RateLimitError } from "@effect-legitmark/client/LegitmarkError"
import * as Photo from "@effect-legitmark/client/Photo"
import { describe, expect, expectTypeOf, it, layer } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { Legitmark } from "../src/Legitmark.js"
import { LegitmarkTest } from "../src/LegitmarkTest.js"
import { png } from "./support/images.js"

const { footwear, sneakers } = LegitmarkTest.ids
const sizeTag = "Interior Size Tag or Stamp"
const outerSides = "Outer Sides"
const images = [png(600, 600, 0), png(640, 600, 1), png(600, 640, 2)]
const photo = (i: number) => Photo.fromBytes(images[i % images.length]!, "png")

// A photo for each required side of a Footwear → Sneakers SR, keyed by side name.
const requiredPhotos = Effect.gen(function*() {
  return { [sizeTag]: yield* photo(0), [outerSides]: yield* photo(1) }
})

const input = (referenceId: string, photos: Readonly<Record<string, Photo.Photo>>) => ({
  referenceId,
  item: { category: footwear, type: sneakers },
  photos
})

// A fresh store per test.
const withTest =
  (options: LegitmarkTest.Options = {}) =>
  <A, E>(effect: Effect.Effect<A, E, Legitmark | LegitmarkTest | LegitmarkClient>) =>
    Effect.provide(effect, LegitmarkTest.layer(options))

const methods = (calls: ReadonlyArray<LegitmarkTest.Call>) => calls.map((c) => c.method)
const count = (calls: ReadonlyArray<LegitmarkTest.Call>, method: LegitmarkTest.Method) =>
  calls.filter((c) => c.method === method).length

// Polls on the default schedule while the TestClock moves on.
const awaitWithClock = (legitmark: Legitmark["Type"], sr: string) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(legitmark.awaitVerdict(sr))
    yield* TestClock.adjust("10 minutes")
    return yield* Fiber.join(fiber)
  })

describe("Legitmark.authenticate on LegitmarkTest", () => {
  it.effect("creates, uploads every required side once, confirms progress and submits", () =>
    Effect.gen(function*() {
      const legitmark = yield* Legitmark
      const test = yield* LegitmarkTest
      const progress: Array<string> = []
      const result = yield* legitmark.authenticate({
        ...input("AUTH-1", yield* requiredPhotos),
        onProgress: (p) => Effect.sync(() => progress.push(`${p._tag} ${p.side.name} ${p.done}/${p.total}`))
      })
      expect(result.submitted).toBe(true)
      expect(result.uploaded).toEqual([LegitmarkTest.ids.sides.interiorSizeTag, LegitmarkTest.ids.sides.outerSides])
      expect(result.sr.state.primary).toBe("QC")
      expect(result.sr.state.supplement).toBe("PENDING")
      expect(result.sr.external_id).toBe("AUTH-1")
      expect(progress.filter((p) => p.startsWith("Uploaded"))).toHaveLength(2)
      expect(progress.at(-1)).toMatch(/^Uploaded .* 2\/2$/)

      const uploads = yield* test.uploads
      expect(uploads.map((u) => u.side).sort()).toEqual(
        [LegitmarkTest.ids.sides.interiorSizeTag, LegitmarkTest.ids.sides.outerSides].sort()
      )
      for (const upload of uploads) {
        expect(upload.contentType).toBe("image/png")
        expect(upload.bytes).toBe(upload.size)
        expect(upload.url).toMatch(/^https:\/\/uploads\.legitmark\.test\//)
      }
      const calls = yield* test.calls
      expect(methods(calls).slice(0, 3)).toEqual([
        "serviceRequests.find",
        "serviceRequests.create",
        "serviceRequests.get"
      ])
      expect(count(calls, "media.upload")).toBe(2)
      expect(count(calls, "serviceRequests.progress")).toBe(1)
      expect(count(calls, "serviceRequests.submit")).toBe(1)
      const [sr] = yield* test.serviceRequests
      expect(sr?.sides?.required.every((side) => side.hasMedia)).toBe(true)
    }).pipe(withTest()))

  it.effect("fails early, uploading nothing, when a required side has no photo", () =>
    Effect.gen(function*() {
      const legitmark = yield* Legitmark
      const test = yield* LegitmarkTest
      const error = yield* Effect.flip(
        legitmark.authenticate(input("AUTH-2", { [outerSides]: yield* photo(1), Sidewalk: yield* photo(0) }))
      )
      expect(error._tag).toBe("MissingPhotosError")
      if (error._tag !== "MissingPhotosError") return
      expect(error.missing.map((s) => s.name)).toEqual([sizeTag])
      expect(error.unknown).toEqual(["Sidewalk"])
      expect(yield* test.uploads).toEqual([])
      expect(count(yield* test.calls, "media.upload")).toBe(0)
    }).pipe(withTest()))

  it.effect("interrupted after one upload, a second call resumes the same SR without re-sending", () =>
    Effect.gen(function*() {
      const legitmark = yield* Legitmark
      const test = yield* LegitmarkTest
      const photos = yield* requiredPhotos
      const firstUpload = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(legitmark.authenticate({
        ...input("AUTH-3", photos),
        concurrency: 1,
        onProgress: (p) =>
          p._tag === "Uploaded" ? Effect.zipRight(Deferred.succeed(firstUpload, void 0), Effect.never) : Effect.void
      }))
      yield* Deferred.await(firstUpload)
      yield* Fiber.interrupt(fiber)
      expect(yield* test.uploads).toHaveLength(1)

      const result = yield* legitmark.authenticate(input("AUTH-3", photos))
      expect(result.skipped).toHaveLength(1)
      expect(result.uploaded).toHaveLength(1)
      expect(result.submitted).toBe(true)
      const uploads = yield* test.uploads
      expect(uploads).toHaveLength(2)
      expect(new Set(uploads.map((u) => u.side)).size).toBe(2)
      expect(yield* test.serviceRequests).toHaveLength(1)

      const again = yield* legitmark.authenticate(input("AUTH-3", photos))
      expect(again.submitted).toBe(false)
      expect(yield* test.serviceRequests).toHaveLength(1)
      const calls = yield* test.calls
      expect(count(calls, "serviceRequests.create")).toBe(1)
      expect(count(calls, "media.upload")).toBe(2)
      expect(count(calls, "serviceRequests.submit")).toBe(1)
    }).pipe(withTest()))

  it.effect("failNext makes create fail once with a RateLimitError; the next call goes through", () =>
    Effect.gen(function*() {
      const legitmark = yield* Legitmark
      const test = yield* LegitmarkTest
      yield* test.failNext(
        "serviceRequests.create",
        new RateLimitError({ message: "Too many requests", status: 429, limitType: "partner_level" })
      )
      const photos = yield* requiredPhotos
      const error = yield* Effect.flip(legitmark.authenticate(input("LIMITED", photos)))
      expect(error._tag).toBe("RateLimitError")
      expect(yield* test.serviceRequests).toHaveLength(0)

      const result = yield* legitmark.authenticate(input("LIMITED", photos))
      expect(result.submitted).toBe(true)
      expect(count(yield* test.calls, "serviceRequests.create")).toBe(2)
    }).pipe(withTest()))
})

describe("Legitmark.awaitVerdict on LegitmarkTest", () => {
  it.effect.each(
    [
      ["VERDICT-OK", "Authentic"],
      ["VERDICT-FAKE", "NotAuthentic"],
      ["VERDICT-CANCEL", "Cancelled"],
      ["VERDICT-INCONCLUSIVE", "Inconclusive"]
    ] as const
  )("with autoAdvance, %s comes to %s", ([referenceId, verdict]) =>
    Effect.gen(function*() {
      const legitmark = yield* Legitmark
      const { sr } = yield* legitmark.authenticate(input(referenceId, yield* requiredPhotos))
      const outcome = yield* awaitWithClock(legitmark, sr.uuid)
      expect(outcome._tag).toBe(verdict)
      expect(outcome.sr.uuid).toBe(sr.uuid)
    }).pipe(withTest({ autoAdvance: true })))

  it.effect("advance walks an SR to COMPLETE/APPROVED one step at a time", () =>
    Effect.gen(function*() {
      const legitmark = yield* Legitmark
      const test = yield* LegitmarkTest
      const { sr } = yield* legitmark.authenticate(input("STEPS", yield* requiredPhotos))
      const states: Array<string> = []
      for (let i = 0; i < 5; i++) {
        const next = yield* test.advance(sr.uuid)
        states.push(`${next.state.primary}/${next.state.supplement ?? "-"}`)
      }
      expect(states).toEqual([
        "QC/APPROVED",
        "UNDERWAY/PENDING",
        "UNDERWAY/ASSIGNED",
        "COMPLETE/APPROVED",
        "COMPLETE/APPROVED"
      ])
      const outcome = yield* legitmark.awaitVerdict(sr.uuid, { schedule: Schedule.recurs(0) })
      expect(outcome._tag).toBe("Authentic")
      expect(outcome.sr.certificate_url).toMatch(/\.pdf$/)
      const unknown = yield* Effect.flip(test.advance("5e000000-0000-4000-8000-0000000000ff"))
      expect(unknown).toMatchObject({ _tag: "NotFoundError", status: 404 })
    }).pipe(withTest()))

  it.effect("complete, cancel and setState decide what a polling awaitVerdict returns", () =>
    Effect.gen(function*() {
      const legitmark = yield* Legitmark
      const test = yield* LegitmarkTest
      const photos = yield* requiredPhotos
      const verdictOf = (referenceId: string, decide: (sr: string) => Effect.Effect<unknown, NotFoundError>) =>
        Effect.gen(function*() {
          const { sr } = yield* legitmark.authenticate(input(referenceId, photos))
          const fiber = yield* Effect.fork(legitmark.awaitVerdict(sr.uuid))
          yield* TestClock.adjust("30 seconds")
          yield* decide(sr.uuid)
          yield* TestClock.adjust("1 minute")
          return (yield* Fiber.join(fiber))._tag
        })
      expect(yield* verdictOf("A", (sr) => test.complete(sr, "REJECTED"))).toBe("NotAuthentic")
      expect(yield* verdictOf("B", (sr) => test.complete(sr, "COMPLETE"))).toBe("Inconclusive")
      expect(yield* verdictOf("C", (sr) => test.cancel(sr))).toBe("Cancelled")
      expect(yield* verdictOf("D", (sr) => test.setState(sr, "COMPLETE", "APPROVED"))).toBe("Authentic")
    }).pipe(withTest()))

  it.effect("QC rejection names the sides to re-upload; authenticate again resubmits (autoAdvance, BLURRY)", () =>
    Effect.gen(function*() {
      const legitmark = yield* Legitmark
      const test = yield* LegitmarkTest
      const photos = yield* requiredPhotos
      const { sr } = yield* legitmark.authenticate(input("VERDICT-BLURRY", photos))
      const rejected = yield* awaitWithClock(legitmark, sr.uuid)
      expect(rejected._tag).toBe("MediaRejected")
      if (rejected._tag !== "MediaRejected") return
      expect(rejected.sides.map((s) => s.name)).toEqual([sizeTag])

      const again = yield* legitmark.authenticate(input("VERDICT-BLURRY", photos))
      expect(again.submitted).toBe(true)
      expect(again.uploaded).toEqual(rejected.sides.map((s) => s.uuid))
      expect(yield* test.uploads).toHaveLength(3)
      const outcome = yield* awaitWithClock(legitmark, sr.uuid)
      expect(outcome._tag).toBe("Authentic")
    }).pipe(withTest({ autoAdvance: true })))

  it.effect("rejectMedia marks the named sides' photos deleted and moves the SR to QC/REJECTED", () =>
    Effect.gen(function*() {
      const legitmark = yield* Legitmark
      const test = yield* LegitmarkTest
      const photos = yield* requiredPhotos
      const { sr } = yield* legitmark.authenticate(input("REJECT-ME", photos))
      yield* test.advance(sr.uuid)
      const rejectedSr = yield* test.rejectMedia(sr.uuid, [outerSides])
      expect(rejectedSr.state.supplement).toBe("REJECTED")
      expect(rejectedSr.sides?.required.find((s) => s.name === outerSides)?.hasMedia).toBe(false)

      const rejected = yield* legitmark.awaitVerdict(sr.uuid, { schedule: Schedule.recurs(0) })
      expect(rejected._tag === "MediaRejected" && rejected.sides.map((s) => s.name)).toEqual([outerSides])
      const again = yield* legitmark.authenticate(input("REJECT-ME", photos))
      expect(again.uploaded).toEqual([LegitmarkTest.ids.sides.outerSides])
      yield* test.complete(sr.uuid, "APPROVED")
      expect((yield* legitmark.awaitVerdict(sr.uuid, { schedule: Schedule.recurs(0) }))._tag).toBe("Authentic")
    }).pipe(withTest()))

  it.effect("gives up with VerdictTimeoutError when the schedule ends first", () =>
    Effect.gen(function*() {
      const legitmark = yield* Legitmark
      const test = yield* LegitmarkTest
      const draft = yield* legitmark.client.serviceRequests.create({
        reference_id: "NEVER-SUBMITTED",
        item: { category: footwear, type: sneakers }
      })
      const error = yield* Effect.flip(legitmark.awaitVerdict(draft.uuid, { schedule: Schedule.recurs(2) }))
      expect(error._tag).toBe("VerdictTimeoutError")
      expect(count(yield* test.calls, "serviceRequests.get")).toBe(3)
    }).pipe(withTest({ autoAdvance: true })))
})

describe("the in-memory LegitmarkClient", () => {
  it.effect("validates input as the real client, and the item against the catalog", () =>
    Effect.gen(function*() {
      const client = yield* LegitmarkClient
      const badUuid = yield* Effect.flip(
        client.serviceRequests.create({ reference_id: "X", item: { category: "nope", type: sneakers } })
      )
      expect(badUuid._tag).toBe("InvalidRequestError")
      const blank = yield* Effect.flip(
        client.serviceRequests.create({ reference_id: "  ", item: { category: footwear, type: sneakers } })
      )
      expect(blank._tag).toBe("InvalidRequestError")
      const unknown = yield* Effect.flip(client.serviceRequests.create({
        reference_id: "X",
        item: { category: footwear, type: LegitmarkTest.ids.crossbody }
      }))
      expect(unknown._tag).toBe("ValidationError")
      expect(yield* Effect.flip(client.serviceRequests.get("not-a-uuid"))).toMatchObject({
        _tag: "InvalidRequestError"
      })
      expect(yield* Effect.flip(client.serviceRequests.get("5e000000-0000-4000-8000-0000000000ff"))).toMatchObject({
        _tag: "NotFoundError",
        status: 404
      })
    }).pipe(withTest()))

  it.effect("create, get with include flags, find, submit gates and conflicts, timestamps from the Clock", () =>
    Effect.gen(function*() {
      const client = yield* LegitmarkClient
      yield* TestClock.adjust("1 hour")
      const created = yield* client.serviceRequests.create({
        reference_id: "SKU 42",
        item: { category: footwear, type: sneakers, brand: LegitmarkTest.ids.nike }
      })
      expect(created.state.primary).toBe("DRAFT")
      expect(created.external_id).toBe("SKU 42")
      expect(created.micro_id).toBe("998001")
      expect(created.created_at).toBe("1970-01-01T01:00:00.000Z")

      const bare = yield* client.serviceRequests.get(created.uuid)
      expect(bare.item).toBeUndefined()
      expect(bare.sides).toBeUndefined()
      const item = yield* client.serviceRequests.get(created.uuid, { item: true })
      expect(item.item?.resolvedType?.name).toBe("Sneakers")
      expect(item.sides).toBeUndefined()
      const withSides = yield* client.serviceRequests.get(created.uuid, { item: true, sides: true })
      expect(withSides.sides?.required.map((s) => s.name)).toEqual([sizeTag, outerSides])
      expect(withSides.sides?.optional.map((s) => s.name)).toEqual(["Box Label"])

      for (const id of [created.uuid, "998001", "SKU 42"]) {
        expect((yield* client.serviceRequests.find(id)).uuid).toBe(created.uuid)
      }
      expect((yield* Effect.flip(client.serviceRequests.find("SKU 43")))._tag).toBe("NotFoundError")

      const missing = yield* Effect.flip(client.serviceRequests.submit(created.uuid))
      expect(missing._tag).toBe("ValidationError")
      if (missing._tag === "ValidationError") expect(missing.issues).toHaveLength(2)

      for (const [i, side] of (withSides.sides?.required ?? []).entries()) {
        yield* client.media.upload(created.uuid, side.uuid, yield* photo(i))
      }
      const { progress } = yield* client.serviceRequests.progress(created.uuid)
      expect(progress).toMatchObject({ current_required: 2, total_required: 2, total_optional: 1, met: true })
      const groups = yield* client.serviceRequests.sideGroups(created.uuid)
      expect(groups.map((g) => g.name)).toEqual(["Overview"])
      expect(groups[0]?.sides.filter((s) => s.hasMedia)).toHaveLength(2)

      const submitted = yield* client.serviceRequests.submit(created.uuid)
      expect(submitted.state?.primary).toBe("QC")
      expect((yield* Effect.flip(client.serviceRequests.submit(created.uuid)))._tag).toBe("ConflictError")
    }).pipe(withTest()))

  it.effect("presigned URLs expire on the Clock; upload asks for a fresh one", () =>
    Effect.gen(function*() {
      const client = yield* LegitmarkClient
      const test = yield* LegitmarkTest
      const sr = yield* client.serviceRequests.create({
        reference_id: "URL",
        item: { category: footwear, type: sneakers }
      })
      const side = LegitmarkTest.ids.sides.boxLabel
      const url = yield* client.media.intent(sr.uuid, side, "png")
      expect(url).toMatch(/^https:\/\/uploads\.legitmark\.test\//)
      yield* TestClock.adjust("6 minutes")
      const expired = yield* Effect.flip(client.media.put(url, images[0]!, "png"))
      expect(expired).toMatchObject({ _tag: "AuthenticationError", status: 403 })

      // A refused PUT (as an expired URL is) makes upload ask for a fresh URL, once.
      yield* test.failNext("media.put", new AuthenticationError({ message: "Request has expired", status: 403 }))
      const uploaded = yield* client.media.upload(sr.uuid, side, yield* photo(2))
      expect(uploaded).toMatchObject({ sr: sr.uuid, side, extension: "png" })
      const calls = methods(yield* test.calls).slice(-5)
      expect(calls).toEqual(["media.upload", "media.intent", "media.put", "media.intent", "media.put"])
      const [upload] = yield* test.uploads
      expect(upload?.checksum).toMatch(/^[0-9a-f]{8}$/)
    }).pipe(withTest()))
})

// Read-only: one store for the whole group.
layer(LegitmarkTest.layerClient())("the in-memory taxonomy", (it) => {
  it.effect("tree has Footwear → Sneakers and Bag → Crossbody", () =>
    Effect.gen(function*() {
      const client = yield* LegitmarkClient
      const tree = yield* client.taxonomy.tree()
      expect(tree.map((c) => [c.name, c.types?.map((t) => t.name)])).toEqual([
        ["Footwear", ["Sneakers"]],
        ["Bag", ["Crossbody"]]
      ])
      const type = yield* client.taxonomy.type(sneakers)
      expect(type.brands?.map((b) => b.name)).toEqual(["Nike"])
      expect((yield* client.taxonomy.categoryTypes(footwear)).map((t) => t.uuid)).toEqual([sneakers])
      expect((yield* client.taxonomy.typeBrands(sneakers, { includeCounts: true }))[0]?.model_count).toBe(1)
      expect((yield* Effect.flip(client.taxonomy.category(LegitmarkTest.ids.nike)))._tag).toBe("NotFoundError")
      expect((yield* Effect.flip(client.taxonomy.side("x")))._tag).toBe("InvalidRequestError")
    }))

  it.effect("pages, searches and streams", () =>
    Effect.gen(function*() {
      const client = yield* LegitmarkClient
      const test = yield* LegitmarkTest
      const first = yield* client.taxonomy.brands({ pageSize: 1 })
      expect(first).toMatchObject({ pageNumber: 1, pageSize: 1, totalCount: 2, totalPages: 2 })
      expect(first.items.map((b) => b.name)).toEqual(["Nike"])
      const second = yield* client.taxonomy.brands({ pageSize: 1, pageNumber: 2 })
      expect(second.items.map((b) => b.name)).toEqual(["Chanel"])
      const sorted = yield* client.taxonomy.brands({ sortBy: "name", sortDirection: "asc" })
      expect(sorted.items.map((b) => b.name)).toEqual(["Chanel", "Nike"])
      const found = yield* client.taxonomy.sides({ search: "box" })
      expect(found.items.map((s) => s.name)).toEqual(["Box Label"])
      expect((yield* client.taxonomy.models({ brandUuid: LegitmarkTest.ids.chanel })).items.map((m) => m.name))
        .toEqual(["Classic Flap Bag"])

      const before = count(yield* test.calls, "taxonomy.sides")
      const all = yield* Stream.runCollect(client.taxonomy.streamSides({ pageSize: 3 }))
      expect(Chunk.size(all)).toBe(7)
      expect(count(yield* test.calls, "taxonomy.sides") - before).toBe(3)
      expect((yield* Effect.flip(client.taxonomy.brands({ pageSize: 0 })))._tag).toBe("InvalidRequestError")
      expect((yield* client.taxonomy.services()).map((s) => s.name)).toContain("Sneaker Authentication")
      expect((yield* client.taxonomy.reasons()).map((r) => r.code)).toEqual(["BLURRY", "LIGHTING"])
    }))
})

describe("LegitmarkTest.layerClient with a custom catalog", () => {
  it.effect("serves and validates against options.taxonomy", () =>
    Effect.gen(function*() {
      const client = yield* LegitmarkClient
      const tree = yield* client.taxonomy.tree()
      expect(tree.map((c) => c.name)).toEqual(["Footwear"])
      const error = yield* Effect.flip(client.serviceRequests.create({
        reference_id: "BAG",
        item: { category: LegitmarkTest.ids.bag, type: LegitmarkTest.ids.crossbody }
      }))
      expect(error._tag).toBe("ValidationError")
    }).pipe(Effect.provide(LegitmarkTest.layerClient({
      taxonomy: {
        ...LegitmarkTest.defaultTaxonomy,
        categories: LegitmarkTest.defaultTaxonomy.categories.filter((c) => c.name === "Footwear"),
        types: LegitmarkTest.defaultTaxonomy.types.filter((t) => t.name === "Sneakers")
      }
    }))))
})

describe("LegitmarkTest types", () => {
  it("failNext takes exactly the errors of the method it targets", () => {
    type Create = LegitmarkClient.Service["serviceRequests"]["create"]
    expectTypeOf<LegitmarkTest.ErrorOf<"serviceRequests.create">>().toEqualTypeOf<
      Effect.Effect.Error<ReturnType<Create>>
    >()
    expectTypeOf<NotFoundError>().not.toMatchTypeOf<LegitmarkTest.ErrorOf<"serviceRequests.create">>()
    expectTypeOf<"taxonomy.streamBrands">().not.toMatchTypeOf<LegitmarkTest.Method>()
  })
})
