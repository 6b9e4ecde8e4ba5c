/**
 * The test Layer's own behaviour: the real client over the simulator's core in process, its controls,
 * failures injected at the wire, and what it reads back. The API's behaviour itself (state machine,
 * markers, uploads, taxonomy) is tested once, in packages/simulator; the workflows in Legitmark.test.ts.
 */
import { LegitmarkClient } from "@effect-legitmark/client"
import {
  ConflictError,
  type NotFoundError,
  RateLimitError,
  TransportError,
  ValidationError
} from "@effect-legitmark/client/LegitmarkError"
import type * as Photo from "@effect-legitmark/client/Photo"
import * as RateLimiter from "@effect-legitmark/client/RateLimiter"
import * as RetryPolicy from "@effect-legitmark/client/RetryPolicy"
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { crc32, inflateSync } from "node:zlib"
import { Legitmark } from "../src/Legitmark.js"
import { LegitmarkTest } from "../src/LegitmarkTest.js"

const { footwear, sneakers } = LegitmarkTest.ids
const item = { category: footwear, type: sneakers }
const sizeTag = "Interior Size Tag or Stamp"
const outerSides = "Outer Sides"
const input = (referenceId: string) =>
  Effect.map(
    Effect.all({ [sizeTag]: LegitmarkTest.photo(1), [outerSides]: LegitmarkTest.photo(2) }),
    (photos) => ({ referenceId, item, photos })
  )

const once = { schedule: Schedule.recurs(0) }
const statuses = (calls: ReadonlyArray<LegitmarkTest.Call>, method: LegitmarkTest.Method) =>
  calls.filter((call) => call.method === method).map((call) => call.status)

const bytesOf = (photo: Photo.Photo) =>
  Effect.map(Stream.runCollect(photo.stream), (chunks) => Buffer.concat(Chunk.toReadonlyArray(chunks)))

// The chunks of a PNG, each checked against its CRC.
const pngChunks = (bytes: Buffer) => {
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  const chunks: Array<{ readonly type: string; readonly data: Buffer }> = []
  for (let at = 8; at < bytes.length;) {
    const length = bytes.readUInt32BE(at)
    const body = bytes.subarray(at + 4, at + 8 + length)
    expect(bytes.readUInt32BE(at + 8 + length)).toBe(crc32(body))
    chunks.push({ type: body.subarray(0, 4).toString("ascii"), data: body.subarray(4) })
    at += 12 + length
  }
  return chunks
}

describe("the common path", () => {
  it.effect("authenticate, then awaitVerdict on its default schedule: the verdict, with no clock to move", () =>
    Effect.gen(function*() {
      const legitmark = yield* Legitmark
      const { sr } = yield* legitmark.authenticate(yield* input("PLAIN"))
      const outcome = yield* legitmark.awaitVerdict(sr.uuid)
      expect(outcome._tag).toBe("Authentic")
      expect(outcome.sr.certificate_url).toMatch(/\.pdf$/)
      // No time passed: the first poll found the verdict.
      expect(yield* Clock.currentTimeMillis).toBe(0)
    }).pipe(Effect.provide(LegitmarkTest.layer())))

  it.effect("LegitmarkTest.photo is a real 600×600 PNG of a few KB, in one colour per seed", () =>
    Effect.gen(function*() {
      const photo = yield* LegitmarkTest.photo()
      expect(photo).toMatchObject({
        extension: "png",
        contentType: "image/png",
        dimensions: { width: 600, height: 600 }
      })
      expect(photo.size).toBeLessThan(4096)
      const chunks = pngChunks(yield* bytesOf(photo))
      expect(chunks.map((c) => c.type)).toEqual(["IHDR", "IDAT", "IEND"])
      const header = chunks[0]!.data
      expect([header.readUInt32BE(0), header.readUInt32BE(4), header[8], header[9]]).toEqual([600, 600, 8, 2])
      // 600 rows of a filter byte and 600 RGB pixels.
      const rows = inflateSync(chunks[1]!.data)
      expect(rows.length).toBe(600 * (1 + 600 * 3))
      expect(yield* bytesOf(yield* LegitmarkTest.photo(1))).not.toEqual(yield* bytesOf(photo))
    }))
})

describe("failNext injects at the wire, and the client's pipeline maps it", () => {
  it.effect("a RateLimitError with retryAfter is retried after it under the provided RetryPolicy", () =>
    Effect.gen(function*() {
      const legitmark = yield* Legitmark
      const test = yield* LegitmarkTest
      yield* test.failNext(
        "serviceRequests.create",
        new RateLimitError({ message: "Too many requests", status: 429, retryAfter: Duration.seconds(2) })
      )
      const fiber = yield* Effect.fork(legitmark.authenticate(yield* input("LIMITED")))
      yield* TestClock.adjust("1999 millis")
      // The policy's first delay (100 ms) is raised to the server's Retry-After.
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      expect(statuses(yield* test.calls, "serviceRequests.create")).toEqual([429])
      yield* TestClock.adjust("1 millis")
      const result = yield* Fiber.join(fiber)
      expect(result.submitted).toBe(true)
      expect(statuses(yield* test.calls, "serviceRequests.create")).toEqual([429, 200])
      expect(yield* test.serviceRequests).toHaveLength(1)
    }).pipe(
      Effect.provide(LegitmarkTest.layer()),
      Effect.provide(RetryPolicy.layer({ retries: 2, base: "100 millis", jitter: false }))
    ))

  it.effect("without retries, the error comes back as the pipeline read it from the answer", () =>
    Effect.gen(function*() {
      const client = yield* LegitmarkClient
      const test = yield* LegitmarkTest
      const resetAt = DateTime.unsafeMake(90_000)
      yield* test.failNext(
        "serviceRequests.create",
        new RateLimitError({
          message: "Slow down",
          status: 429,
          retryAfter: Duration.seconds(30),
          limitType: "user_level",
          limit: 100,
          remaining: 0,
          resetAt
        })
      )
      const error = yield* Effect.flip(client.serviceRequests.create({ reference_id: "R", item }))
      expect(error).toMatchObject({
        _tag: "RateLimitError",
        status: 429,
        message: "Slow down",
        limitType: "user_level",
        limit: 100,
        remaining: 0,
        method: "POST",
        url: "https://api.legitmark.test/api/v2/sr"
      })
      expect(error._tag === "RateLimitError" && Duration.toSeconds(error.retryAfter ?? Duration.zero)).toBe(30)
      expect(error._tag === "RateLimitError" && error.resetAt && DateTime.toEpochMillis(error.resetAt)).toBe(90_000)
      expect(yield* test.serviceRequests).toHaveLength(0)
    }).pipe(Effect.provide(LegitmarkTest.layerClient()), Effect.provide(RetryPolicy.none)))

  it.effect("validation, conflict, a dropped connection and a written-out 502 each come back typed", () =>
    Effect.gen(function*() {
      const client = yield* LegitmarkClient
      const test = yield* LegitmarkTest
      const issue = { code: "validation/invalid-value", message: "reference_id is taken" }
      yield* test.failNext(
        "serviceRequests.create",
        new ValidationError({ message: "Invalid", status: 422, code: "sr/duplicate", issues: [issue] })
      )
      expect(yield* Effect.flip(client.serviceRequests.create({ reference_id: "V", item }))).toMatchObject({
        _tag: "ValidationError",
        status: 422,
        code: "sr/duplicate",
        issues: [issue]
      })
      const sr = yield* client.serviceRequests.create({ reference_id: "C", item })
      yield* test.failNext("serviceRequests.submit", new ConflictError({ message: "Busy", status: 409 }))
      expect(yield* Effect.flip(client.serviceRequests.submit(sr.uuid))).toMatchObject({
        _tag: "ConflictError",
        status: 409
      })
      // A create whose connection dropped may have gone through: it is in doubt, with the failure it met.
      yield* test.failNext("serviceRequests.create", new TransportError({ message: "reset", connected: true }))
      const inDoubt = yield* Effect.flip(client.serviceRequests.create({ reference_id: "T", item }))
      expect(inDoubt._tag === "InDoubtError" && inDoubt.lastFailure).toMatchObject({
        _tag: "TransportError",
        connected: true
      })
      yield* test.failNext("taxonomy.tree", {
        status: 502,
        headers: { "content-type": "text/html" },
        body: "<h1>502</h1>"
      })
      expect(yield* Effect.flip(client.taxonomy.tree())).toMatchObject({ _tag: "ServerError", status: 502 })
      // Dropped before the server acted: no SR for "T".
      expect((yield* test.serviceRequests).map((s) => s.external_id)).toEqual(["C"])
      expect(statuses(yield* test.calls, "serviceRequests.create")).toEqual([422, 200, null])
      expect((yield* client.taxonomy.tree()).length).toBeGreaterThan(0)
    }).pipe(Effect.provide(LegitmarkTest.layerClient()), Effect.provide(RetryPolicy.none)))

  it.effect("the server counts the rate limit the test Layer is given", () =>
    Effect.gen(function*() {
      const client = yield* LegitmarkClient
      yield* client.taxonomy.reasons()
      const error = yield* Effect.flip(client.taxonomy.reasons())
      expect(error).toMatchObject({ _tag: "RateLimitError", status: 429, limit: 1, remaining: 0 })
      expect(error._tag === "RateLimitError" && Duration.toSeconds(error.retryAfter ?? Duration.zero)).toBe(60)
    }).pipe(
      Effect.provide(LegitmarkTest.layerClient({ rateLimit: { limit: 1, window: "1 minute" } })),
      Effect.provide(Layer.merge(RetryPolicy.none, RateLimiter.none))
    ))
})

describe("the controls", () => {
  it.effect("with manual review, SRs wait in QC/PENDING for advance, complete, cancel, setState", () =>
    Effect.gen(function*() {
      const legitmark = yield* Legitmark
      const test = yield* LegitmarkTest
      const submit = (referenceId: string) =>
        Effect.map(Effect.flatMap(input(referenceId), legitmark.authenticate), (result) => result.sr.uuid)
      const sr = yield* submit("STEPS")
      expect((yield* legitmark.awaitVerdict(sr, once).pipe(Effect.flip))._tag).toBe("VerdictTimeoutError")
      const states: Array<string> = []
      for (let i = 0; i < 5; i++) {
        const next = yield* test.advance(sr)
        states.push(`${next.state.primary}/${next.state.supplement ?? "-"}`)
      }
      expect(states).toEqual([
        "QC/APPROVED",
        "UNDERWAY/PENDING",
        "UNDERWAY/ASSIGNED",
        "COMPLETE/APPROVED",
        "COMPLETE/APPROVED"
      ])
      expect((yield* legitmark.awaitVerdict(sr, once))._tag).toBe("Authentic")

      const verdictAfter = (decide: (sr: string) => Effect.Effect<unknown, NotFoundError>) =>
        Effect.gen(function*() {
          const sr = yield* submit(`DECIDE-${states.length}`)
          states.push(sr)
          yield* decide(sr)
          return (yield* legitmark.awaitVerdict(sr, once))._tag
        })
      expect(yield* verdictAfter((sr) => test.complete(sr, "REJECTED"))).toBe("NotAuthentic")
      expect(yield* verdictAfter((sr) => test.complete(sr, "COMPLETE"))).toBe("Inconclusive")
      expect(yield* verdictAfter((sr) => test.cancel(sr))).toBe("Cancelled")
      expect(yield* verdictAfter((sr) => test.setState(sr, "COMPLETE", "APPROVED"))).toBe("Authentic")

      // A DRAFT is submitted by advance without its photos being checked.
      const draft = yield* legitmark.client.serviceRequests.create({ reference_id: "DRAFT", item })
      expect((yield* test.advance(draft.uuid)).state).toMatchObject({ primary: "QC", supplement: "PENDING" })
    }).pipe(Effect.provide(LegitmarkTest.layer({ review: "manual" }))))

  it.effect("rejectMedia marks the named sides' photos rejected; authenticate uploads just those again", () =>
    Effect.gen(function*() {
      const legitmark = yield* Legitmark
      const test = yield* LegitmarkTest
      const { sr } = yield* legitmark.authenticate(yield* input("REJECT-ME"))
      const rejected = yield* test.rejectMedia(sr.uuid, [outerSides.toLowerCase()])
      expect(rejected.state).toMatchObject({ primary: "QC", supplement: "REJECTED" })
      expect(rejected.sides?.required.find((s) => s.name === outerSides)?.hasMedia).toBe(false)
      const outcome = yield* legitmark.awaitVerdict(sr.uuid, once)
      expect(outcome._tag === "MediaRejected" && outcome.sides.map((s) => s.name)).toEqual([outerSides])
      expect((yield* test.uploads).map((u) => u.rejected)).toContain(true)

      const again = yield* legitmark.authenticate(yield* input("REJECT-ME"))
      expect(again.uploaded).toEqual([LegitmarkTest.ids.sides.outerSides])
      yield* test.complete(sr.uuid, "APPROVED")
      expect((yield* legitmark.awaitVerdict(sr.uuid, once))._tag).toBe("Authentic")
      expect(yield* Effect.flip(test.rejectMedia(sr.uuid, ["Sidewalk"]))).toMatchObject({
        _tag: "NotFoundError",
        message: `SR ${sr.uuid} has no side Sidewalk`
      })
      expect(yield* Effect.flip(test.advance("00000000-0000-4000-8000-000000000000"))).toMatchObject({
        _tag: "NotFoundError",
        status: 404
      })
    }).pipe(Effect.provide(LegitmarkTest.layer({ review: "manual" }))))

  it.effect("with review every minute, the SR moves one step per minute of the TestClock", () =>
    Effect.gen(function*() {
      const legitmark = yield* Legitmark
      const { sr } = yield* legitmark.authenticate(yield* input("TIMED"))
      expect(sr.state).toMatchObject({ primary: "QC", supplement: "PENDING" })
      const fiber = yield* Effect.fork(legitmark.awaitVerdict(sr.uuid))
      yield* TestClock.adjust("10 minutes")
      expect((yield* Fiber.join(fiber))._tag).toBe("Authentic")
      expect(yield* legitmark.client.serviceRequests.get(sr.uuid, { outcome: true })).toMatchObject({
        outcome: { completed_at: "1970-01-01T00:04:00.000Z" }
      })
    }).pipe(Effect.provide(LegitmarkTest.layer({ review: "1 minute" }))))

  it.effect("calls and uploads read back what the API received", () =>
    Effect.gen(function*() {
      const legitmark = yield* Legitmark
      const test = yield* LegitmarkTest
      const same = yield* LegitmarkTest.photo(3)
      yield* legitmark.authenticate({ referenceId: "READ", item, photos: { [sizeTag]: same, [outerSides]: same } })
      const calls = yield* test.calls
      expect(calls.slice(0, 3).map((c) => c.method)).toEqual([
        "serviceRequests.find",
        "serviceRequests.create",
        "serviceRequests.get"
      ])
      expect(statuses(calls, "serviceRequests.find")).toEqual([404])
      expect(statuses(calls, "media.intent")).toEqual([200, 200])
      expect(statuses(calls, "media.put")).toEqual([200, 200])
      expect(calls.find((c) => c.method === "serviceRequests.create")?.request).toBe("POST /api/v2/sr")
      const uploads = yield* test.uploads
      expect(uploads.map((u) => u.side).sort()).toEqual(
        [LegitmarkTest.ids.sides.interiorSizeTag, LegitmarkTest.ids.sides.outerSides].sort()
      )
      for (const upload of uploads) {
        expect(upload).toMatchObject({ extension: "png", contentType: "image/png", size: same.size, rejected: false })
      }
      expect(new Set(uploads.map((u) => u.checksum)).size).toBe(1)
    }).pipe(Effect.provide(LegitmarkTest.layer())))
})

describe("one behaviour: the test API answers as the simulator does", () => {
  it.effect("a submit without the required photos is the simulator's sr/requirements_not_met", () =>
    Effect.gen(function*() {
      const client = yield* LegitmarkClient
      const sr = yield* client.serviceRequests.create({ reference_id: "MISSING", item })
      const error = yield* Effect.flip(client.serviceRequests.submit(sr.uuid))
      expect(error).toMatchObject({ _tag: "ValidationError", status: 400, code: "sr/requirements_not_met" })
      expect(error._tag === "ValidationError" && error.issues.map((i) => i.code)).toEqual([
        "validation/missing-side",
        "validation/missing-side"
      ])
    }).pipe(Effect.provide(LegitmarkTest.layerClient())))

  it.effect("an unknown sortBy is the simulator's 400, which a list cannot give: UnexpectedResponseError", () =>
    Effect.gen(function*() {
      const client = yield* LegitmarkClient
      const sorted = yield* client.taxonomy.brands({ sortBy: "name", sortDirection: "desc", pageSize: 2 })
      expect(sorted).toMatchObject({ pageNumber: 1, pageSize: 2, totalCount: 7, totalPages: 4 })
      expect(yield* Effect.flip(client.taxonomy.brands({ sortBy: "colour" }))).toMatchObject({
        _tag: "UnexpectedResponseError",
        status: 400
      })
    }).pipe(Effect.provide(LegitmarkTest.layerClient()), Effect.provide(RetryPolicy.none)))
})

describe("LegitmarkTest types", () => {
  it("failNext takes the errors of the method that a server can cause, or an answer written out", () => {
    type CreateFailure = LegitmarkTest.Failure<"serviceRequests.create">
    expectTypeOf<RateLimitError>().toMatchTypeOf<CreateFailure>()
    expectTypeOf<ValidationError>().toMatchTypeOf<CreateFailure>()
    expectTypeOf<{ readonly status: 503 }>().toMatchTypeOf<CreateFailure>()
    expectTypeOf<NotFoundError>().not.toMatchTypeOf<CreateFailure>()
    expectTypeOf<ConflictError>().toMatchTypeOf<LegitmarkTest.Failure<"serviceRequests.submit">>()
    expectTypeOf<"media.upload">().not.toMatchTypeOf<LegitmarkTest.Method>()
    expectTypeOf<"taxonomy.streamBrands">().not.toMatchTypeOf<LegitmarkTest.Method>()
  })
})

// The packages a module loads, following relative imports and the workspace's own packages into their
// sources (type-only imports aside).
const loads = (entry: URL) => {
  const seen = new Set<string>()
  const external = new Set<string>()
  const visit = (url: URL) => {
    if (seen.has(url.href)) return
    seen.add(url.href)
    const source = readFileSync(fileURLToPath(url), "utf8")
    for (const [, spec] of source.matchAll(/^(?:import|export) (?!type )[^"]*?from "([^"]+)"/gm)) {
      const own = /^@effect-legitmark\/(\w+)(?:\/(\w+))?$/.exec(spec!)
      if (spec!.startsWith(".")) visit(new URL(spec!.replace(/\.js$/, ".ts"), url))
      else if (own) visit(new URL(`../../${own[1]}/src/${own[2] ?? "index"}.ts`, import.meta.url))
      else external.add(spec!)
    }
  }
  visit(entry)
  return [...external]
}

describe("the test Layer's dependencies", () => {
  it("loads the simulator's core, never its Node server", () => {
    const loaded = loads(new URL("../src/LegitmarkTest.ts", import.meta.url))
    // The walk reaches the simulator (only it answers requests).
    expect(loaded).toContain("@effect/platform/HttpServerResponse")
    expect(loaded.filter((spec) => spec.startsWith("@effect/platform-node"))).toEqual([])
  })
})
