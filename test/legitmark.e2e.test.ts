/**
 * The `Legitmark` workflows end to end: the real client over real HTTP against the simulator on a port.
 * The workflows' cases (missing photos, QC rejection, timeouts) run in process on the same core, in
 * packages/legitmark/test/Legitmark.test.ts; here, what crosses a socket.
 */
import { LegitmarkClient, Photo } from "@effect-legitmark/client"
import { Simulator } from "@effect-legitmark/simulator"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Legitmark } from "effect-legitmark"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const apiKey = "leo_e2e_workflow_key"
const footwear = "25ed7133-f230-4d64-850d-0cfc698e2931"
const sneakers = "95e428c2-7c4f-11ef-a623-02595575faeb"
const samples = ["outer-sides", "top", "size-tag", "sole", "box-label"].map((name) =>
  readFileSync(fileURLToPath(new URL(`../examples/photos/${name}.png`, import.meta.url)))
)

// A simulator on a manual clock, and `Legitmark` on the real client.
const setup = Effect.gen(function*() {
  const simulator = yield* Simulator.start({ apiKeys: [apiKey], clock: "manual" })
  const layer = Legitmark.layer.pipe(
    Layer.provideMerge(
      LegitmarkClient.layer({
        apiKey: Redacted.make(apiKey),
        baseUrl: simulator.baseUrl,
        assetUrl: simulator.assetUrl
      })
    ),
    Layer.provide(NodeHttpClient.layerUndici)
  )
  const context = yield* Layer.build(layer)
  return { simulator, legitmark: yield* Effect.provide(Legitmark, context) }
})

const photo = (i: number) => Photo.fromBytes(samples[i % samples.length]!, "png")

// A photo for every required side of a Footwear → Sneakers SR, keyed by side name.
const photosFor = (legitmark: Legitmark["Type"], referenceId: string) =>
  Effect.gen(function*() {
    const probe = yield* legitmark.client.serviceRequests.create({
      reference_id: `${referenceId}-probe`,
      item: { category: footwear, type: sneakers }
    })
    const sr = yield* legitmark.client.serviceRequests.get(probe.uuid, { item: true, sides: true })
    const required = sr.sides?.required ?? []
    const photos: Record<string, Photo.Photo> = {}
    for (const [i, side] of required.entries()) photos[side.name] = yield* photo(i)
    return { photos, required }
  })

const input = (referenceId: string, photos: Record<string, Photo.Photo>) => ({
  referenceId,
  item: { category: footwear, type: sneakers },
  photos
})

const fast = { schedule: Schedule.spaced("10 millis"), timeout: "20 seconds" } as const

// The authenticators at work: the simulated clock moves one scheduled event at a time while we poll.
const authenticators = (simulator: Simulator.SimulatorInfo) =>
  Effect.forkScoped(simulator.advance({ steps: 1 }).pipe(Effect.repeat(Schedule.spaced("5 millis"))))

describe("Legitmark.authenticate against the simulator", () => {
  it.scopedLive("creates, uploads every required side once, confirms progress and submits", () =>
    Effect.gen(function*() {
      const { legitmark, simulator } = yield* setup
      const { photos, required } = yield* photosFor(legitmark, "AUTH-1")
      const progress: Array<string> = []
      const result = yield* legitmark.authenticate({
        ...input("AUTH-1", photos),
        onProgress: (p) => Effect.sync(() => progress.push(`${p._tag} ${p.done}/${p.total}`))
      })
      expect(result.submitted).toBe(true)
      expect(result.uploaded).toHaveLength(required.length)
      expect(result.sr.state.primary).toBe("QC")
      expect(result.sr.external_id).toBe("AUTH-1")
      expect(progress.filter((p) => p.startsWith("Uploaded"))).toHaveLength(required.length)
      expect(progress.at(-1)).toBe(`Uploaded ${required.length}/${required.length}`)
      const stats = yield* simulator.stats
      expect(stats.uploads).toBe(required.length)
      expect(stats.uploadsWithAuthorization).toBe(0)
    }))

  it.scopedLive("interrupted after one upload, a second call resumes the same SR without re-sending", () =>
    Effect.gen(function*() {
      const { legitmark, simulator } = yield* setup
      const { photos, required } = yield* photosFor(legitmark, "AUTH-3")
      const firstUpload = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(legitmark.authenticate({
        ...input("AUTH-3", photos),
        concurrency: 1,
        onProgress: (p) =>
          p._tag === "Uploaded" ? Effect.zipRight(Deferred.succeed(firstUpload, void 0), Effect.never) : Effect.void
      }))
      yield* Deferred.await(firstUpload)
      yield* Fiber.interrupt(fiber)
      expect((yield* simulator.stats).uploads).toBe(1)

      const result = yield* legitmark.authenticate(input("AUTH-3", photos))
      expect(result.skipped).toHaveLength(1)
      expect(result.uploaded).toHaveLength(required.length - 1)
      expect(result.submitted).toBe(true)
      const stats = yield* simulator.stats
      expect(stats.uploads).toBe(required.length)
      // One SR for AUTH-3 (and the probe): the second call found the first one's SR.
      expect(stats.srCount).toBe(2)

      const again = yield* legitmark.authenticate(input("AUTH-3", photos))
      expect(again.submitted).toBe(false)
      expect((yield* simulator.stats).srCount).toBe(2)
    }))
})

describe("Legitmark.awaitVerdict against the simulator", () => {
  it.scopedLive("polls over HTTP while the authenticators work, until the verdict", () =>
    Effect.gen(function*() {
      const { legitmark, simulator } = yield* setup
      const { photos } = yield* photosFor(legitmark, "VERDICT-FAKE")
      const { sr } = yield* legitmark.authenticate(input("VERDICT-FAKE", photos))
      yield* authenticators(simulator)
      const outcome = yield* legitmark.awaitVerdict(sr.uuid, fast)
      expect(outcome._tag).toBe("NotAuthentic")
      expect(outcome.sr.uuid).toBe(sr.uuid)
    }))
})
