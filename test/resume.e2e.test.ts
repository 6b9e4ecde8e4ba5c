/**
 * `Legitmark.authenticate` resumed after a real interruption (the fiber interrupted before, during and
 * after each upload, and after the submit), against a simulator that answers in the official SDK's
 * payload shape: sides without `media_url`, counts in `sides.progress` and the progress endpoint. The
 * second call must send only what the server lacks and submit once; PUTs and submits are counted by the
 * simulator.
 */
import { LegitmarkClient, Photo, RetryPolicy } from "@effect-legitmark/client"
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import { Seed, Simulator } from "@effect-legitmark/simulator"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, expect, it } from "@effect/vitest"
import { type AuthenticateInput, Legitmark } from "effect-legitmark"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const apiKey = "leo_e2e_resume_31c8"
const FOOTWEAR = "25ed7133-f230-4d64-850d-0cfc698e2931"
const SNEAKERS = "95e428c2-7c4f-11ef-a623-02595575faeb"
const { optional, required } = Seed.requirements(FOOTWEAR, SNEAKERS)
const [tag, outer] = required
const label = optional.find((side) => side.name.en === "Box Label")!
const bytes = (name: string) =>
  new Uint8Array(readFileSync(fileURLToPath(new URL(`../examples/photos/${name}.png`, import.meta.url))))

/** Called with each answer the client gets; may hold the call (and so the authentication) forever. */
type OnAnswer = (url: string, status: number) => Effect.Effect<void>

const setup = (srPayload: "sdk" | "docs" = "sdk") =>
  Effect.gen(function*() {
    const simulator = yield* Simulator.start({ apiKeys: [apiKey], clock: "manual", srPayload })
    const onAnswer = yield* Ref.make<OnAnswer>(() => Effect.void)
    const transport = Layer.effect(
      HttpClient.HttpClient,
      Effect.map(HttpClient.HttpClient, (http) =>
        HttpClient.tap(http, (response) =>
          Effect.flatMap(Ref.get(onAnswer), (f) =>
            f(response.request.url, response.status))))
    ).pipe(Layer.provide(AgentHttpClient.layer))
    const context = yield* Layer.build(
      Legitmark.layer.pipe(
        Layer.provideMerge(
          LegitmarkClient.layer({
            apiKey: Redacted.make(apiKey),
            baseUrl: simulator.baseUrl,
            assetUrl: simulator.assetUrl
          })
        ),
        Layer.provide(Layer.merge(transport, RetryPolicy.none))
      )
    )
    const photos = {
      [tag!.name.en]: yield* Photo.fromBytes(bytes("size-tag"), "png"),
      [outer!.name.en]: yield* Photo.fromBytes(bytes("outer-sides"), "png"),
      [label.name.en]: yield* Photo.fromBytes(bytes("box-label"), "png")
    }
    return { simulator, onAnswer, legitmark: Context.get(context, Legitmark), photos }
  })

type Setup = Effect.Effect.Success<ReturnType<typeof setup>>

const input = (referenceId: string, photos: Setup["photos"], extra: Partial<AuthenticateInput> = {}) => ({
  referenceId,
  item: { category: FOOTWEAR, type: SNEAKERS },
  photos,
  concurrency: 1,
  ...extra
})

const puts = (simulator: Simulator.SimulatorInfo) =>
  Effect.map(simulator.stats, (stats) => stats.routes["media.upload"] ?? 0)
const submits = (simulator: Simulator.SimulatorInfo) =>
  Effect.map(simulator.stats, (stats) => Object.values(stats.submits).reduce((a, b) => a + b, 0))

/** Waits (on the wall clock) until `check` holds. */
const eventually = (check: Effect.Effect<boolean>) =>
  Effect.repeat(check, { until: (ok) => ok, schedule: Schedule.spaced("5 millis") })

/** Where the first call is interrupted: the kth photo (1-based, in the SR's side order), or the submit. */
type Point =
  | { readonly at: "before" | "during" | "answered" | "after"; readonly upload: 1 | 2 | 3 }
  | { readonly at: "after submit" }

const points: ReadonlyArray<readonly [string, Point, number]> = [
  // [name, point, photos the server holds after the first call]
  ["before upload 1", { at: "before", upload: 1 }, 0],
  ["during upload 1", { at: "during", upload: 1 }, 0],
  ["after upload 1", { at: "after", upload: 1 }, 1],
  ["before upload 2", { at: "before", upload: 2 }, 1],
  ["during upload 2", { at: "during", upload: 2 }, 1],
  // Stored, and answered, but the call never learned it: the answer was lost with the interruption.
  ["when upload 2 is answered", { at: "answered", upload: 2 }, 2],
  ["after upload 2", { at: "after", upload: 2 }, 2],
  ["before upload 3", { at: "before", upload: 3 }, 2],
  ["during upload 3", { at: "during", upload: 3 }, 2],
  ["after upload 3", { at: "after", upload: 3 }, 3],
  ["after the submit", { at: "after submit" }, 3]
]

/** Runs the first call until `point`, then interrupts its fiber. */
const interruptedAt = (setup: Setup, referenceId: string, point: Point) =>
  Effect.gen(function*() {
    const { legitmark, onAnswer, photos, simulator } = setup
    const scope = yield* Effect.scope
    const reached = yield* Deferred.make<void>()
    const stop = Effect.zipRight(Deferred.succeed(reached, void 0), Effect.never)
    let onProgress: AuthenticateInput["onProgress"]
    if (point.at === "after submit") {
      yield* Ref.set(onAnswer, (url, status) => url.endsWith("/submit") && status === 200 ? stop : Effect.void)
    } else if (point.at === "answered") {
      let answered = 0
      yield* Ref.set(onAnswer, (url, status) =>
        url.includes("/upload/") && status === 200 && ++answered === point.upload ? stop : Effect.void)
    } else {
      const tag = point.at === "after" ? "Uploaded" : "Uploading"
      onProgress = (p) => {
        if (p._tag !== tag || p.done !== (point.at === "after" ? point.upload : point.upload - 1)) {
          return Effect.void
        }
        if (point.at !== "during") {
          return stop
        }
        // The PUT is held at the server, its photo not yet stored, and the call interrupted there.
        return simulator.injectFault({ route: "media.upload", fault: "delay", ms: 30_000, times: 1 }).pipe(
          Effect.zipRight(
            Effect.forkIn(
              Effect.zipRight(
                eventually(Effect.map(puts(simulator), (n) =>
                  n === point.upload)),
                Deferred.succeed(reached, void 0)
              ),
              scope
            )
          ),
          Effect.asVoid
        )
      }
    }
    const fiber = yield* Effect.fork(
      legitmark.authenticate(input(referenceId, photos, onProgress === undefined ? {} : { onProgress }))
    )
    yield* Deferred.await(reached)
    yield* Fiber.interrupt(fiber)
    yield* Ref.set(onAnswer, () => Effect.void)
    yield* simulator.clearFaults
  })

describe.each(
  [
    ["the official SDK's shape (no per-side media)", "sdk"],
    ["the published docs' shape (each side's media_url)", "docs"]
  ] as const
)("Legitmark.authenticate resumed, sides in %s", (_, shape) => {
  it.scopedLive.each(points)("interrupted %s: the second call sends only what is missing and submits once", (
    [, point, held]
  ) =>
    Effect.gen(function*() {
      const env = yield* setup(shape)
      const { legitmark, photos, simulator } = env
      const referenceId = `RESUME ${JSON.stringify(point)}`
      yield* interruptedAt(env, referenceId, point)
      const [sr] = yield* simulator.serviceRequests
      assert(sr !== undefined, "the first call opened an SR")
      expect((yield* simulator.stats).uploads).toBe(held)
      const putsBefore = yield* puts(simulator)
      const submitsBefore = yield* submits(simulator)
      expect(submitsBefore).toBe(point.at === "after submit" ? 1 : 0)

      const result = yield* legitmark.authenticate(input(referenceId, photos))
      expect(yield* puts(simulator)).toBe(putsBefore + (3 - held))
      expect(yield* submits(simulator)).toBe(1)
      expect((yield* simulator.stats).srCount).toBe(1)
      expect(result.submitted).toBe(point.at !== "after submit")
      if (point.at !== "after submit") {
        expect(result.uploaded).toHaveLength(3 - held)
        expect(result.skipped).toHaveLength(held)
        expect(result.sr.state.primary).toBe("QC")
      }
      // Every photo is on the server once: no side has a second version.
      const [after] = yield* simulator.serviceRequests
      for (const side of [tag!, outer!, label]) {
        const versions = after === undefined ? undefined : [...after.media].find(([uuid]) => uuid === side.uuid)?.[1]
        expect(versions?.length, side.name.en).toBe(1)
      }
    }), { timeout: 60_000 })
})

describe("Legitmark.authenticate resumed, sides in the official SDK's shape (no per-side media)", () => {
  it.scopedLive("progress met: nothing is uploaded, the SR goes straight to submit", () =>
    Effect.gen(function*() {
      const env = yield* setup()
      const { legitmark, photos, simulator } = env
      yield* interruptedAt(env, "MET", { at: "after", upload: 3 })
      const putsBefore = yield* puts(simulator)
      const progress: Array<string> = []
      const result = yield* legitmark.authenticate(
        input("MET", photos, { onProgress: (p) => Effect.sync(() => progress.push(`${p._tag} ${p.done}/${p.total}`)) })
      )
      expect(yield* puts(simulator)).toBe(putsBefore)
      expect(result.uploaded).toEqual([])
      expect(yield* submits(simulator)).toBe(1)
      expect(progress).toEqual(["Skipped 1/3", "Skipped 2/3", "Skipped 3/3"])
    }))

  it.scopedLive("a photo the counts cannot place costs one re-send, never a missing photo", () =>
    Effect.gen(function*() {
      const { legitmark, photos, simulator } = yield* setup()
      // The second required side is up, put there out of the order a call uploads in: the count (1 of
      // 2 required) is taken to be the first side, so the second is sent again, then the first.
      const opened = yield* legitmark.client.serviceRequests.create({
        reference_id: "OUT-OF-ORDER",
        item: { category: FOOTWEAR, type: SNEAKERS }
      })
      yield* legitmark.client.media.upload(opened.uuid, outer!.uuid, photos[outer!.name.en]!)
      const putsBefore = yield* puts(simulator)
      const result = yield* legitmark.authenticate(input("OUT-OF-ORDER", photos))
      expect(result.submitted).toBe(true)
      expect(yield* puts(simulator)).toBe(putsBefore + 3)
      expect([...result.uploaded].sort()).toEqual([tag!.uuid, outer!.uuid, label.uuid].sort())
    }))

  it.scopedLive("a required side the caller gives no photo for is taken to be the one the server counts", () =>
    Effect.gen(function*() {
      const { legitmark, photos, simulator } = yield* setup()
      const opened = yield* legitmark.client.serviceRequests.create({
        reference_id: "PARTIAL",
        item: { category: FOOTWEAR, type: SNEAKERS }
      })
      yield* legitmark.client.media.upload(opened.uuid, tag!.uuid, photos[tag!.name.en]!)
      const putsBefore = yield* puts(simulator)
      const rest = { [outer!.name.en]: photos[outer!.name.en]! }
      const result = yield* legitmark.authenticate(input("PARTIAL", rest))
      expect(result.submitted).toBe(true)
      expect(result.uploaded).toEqual([outer!.uuid])
      expect(yield* puts(simulator)).toBe(putsBefore + 1)
    }))

  it.scopedLive("no photo for a required side the counts prove empty: MissingPhotosError before any upload", () =>
    Effect.gen(function*() {
      const { legitmark, photos, simulator } = yield* setup()
      const rest = { [outer!.name.en]: photos[outer!.name.en]! }
      const error = yield* Effect.flip(legitmark.authenticate(input("NOTHING-UP", rest)))
      assert.strictEqual(error._tag, "MissingPhotosError")
      if (error._tag !== "MissingPhotosError") return
      expect(error.missing.map((s) => s.uuid)).toEqual([tag!.uuid])
      expect(yield* puts(simulator)).toBe(0)
    }))
})
