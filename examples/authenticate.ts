/**
 * A whole authentication with the high-level `Legitmark` service: photos keyed by side name, a
 * progress bar, then the verdict.
 *
 *   pnpm tsx examples/authenticate.ts
 */
import { Photo } from "@effect-legitmark/client"
import { NodeFileSystem, NodeRuntime } from "@effect/platform-node"
import { type AuthenticateProgress, Legitmark, Verdict } from "effect-legitmark"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { fileURLToPath } from "node:url"
import { ClientLayer } from "./support/ClientLayer.js"
import { chooseItem } from "./support/SampleItem.js"

const photoPath = (name: string) => fileURLToPath(new URL(`./photos/${name}.png`, import.meta.url))

const bar = (p: AuthenticateProgress) => {
  const width = 20
  const filled = Math.round((p.done / Math.max(p.total, 1)) * width)
  return `[${"█".repeat(filled)}${"░".repeat(width - filled)}] ${p.done}/${p.total} ${p._tag} ${p.side.name}`
}

const program = Effect.gen(function*() {
  const legitmark = yield* Legitmark
  const { category, type } = yield* chooseItem

  // Which sides this item needs, from a draft opened for it; authenticate resumes that draft.
  const referenceId = `AUTH-EXAMPLE-${Date.now()}`
  const draft = yield* legitmark.client.serviceRequests.create({
    reference_id: referenceId,
    item: { category: category.uuid, type: type.uuid }
  })
  const sides = (yield* legitmark.client.serviceRequests.get(draft.uuid, { item: true, sides: true })).sides
  const samples = ["size-tag", "outer-sides", "top", "sole", "box-label"]
  const photos: Record<string, Photo.Photo> = {}
  for (const [i, side] of (sides?.required ?? []).entries()) {
    photos[side.name] = yield* Photo.fromPath(photoPath(samples[i % samples.length]!))
  }

  const result = yield* legitmark.authenticate({
    referenceId,
    item: { category: category.uuid, type: type.uuid },
    photos,
    concurrency: 2,
    onProgress: (p) => Console.log(bar(p))
  })
  yield* Console.log(`Submitted SR ${result.sr.uuid}: ${result.sr.state.primary}/${result.sr.state.supplement}`)

  const outcome = yield* legitmark.awaitVerdict(result.sr.uuid, {
    schedule: Schedule.spaced("200 millis"),
    timeout: "2 minutes"
  })
  yield* Console.log(
    outcome._tag === "MediaRejected" ?
      `QC rejected the photos of ${outcome.sides.map((s) => s.name).join(", ")}` :
      Verdict.$match(outcome, {
        Authentic: () => "Verdict: authentic",
        NotAuthentic: () => "Verdict: not authentic",
        Inconclusive: () => "Verdict: processed, no verdict stated",
        Cancelled: () => "Verdict: cancelled"
      })
  )
})

const MainLayer = Layer.mergeAll(Legitmark.layer.pipe(Layer.provideMerge(ClientLayer())), NodeFileSystem.layer)

program.pipe(Effect.provide(MainLayer), NodeRuntime.runMain)
