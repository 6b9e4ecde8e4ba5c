/**
 * The main job: a full authentication of a sample item, shown step by step.
 *
 * With no LEGITMARK_API_KEY it starts the local simulator in this process and runs against it; with
 * LEGITMARK_API_KEY (and LEGITMARK_BASE_URL / LEGITMARK_ASSET_URL when given) it runs against that
 * server instead, so it assumes nothing of the simulator's data: the category and type come from the
 * server's taxonomy tree, and a sample photo is uploaded for every required side the server asks for.
 *
 *   pnpm demo
 *   pnpm demo --durable    the same as a durable workflow: interrupt it and run it again
 */
import { LegitmarkClient, Photo } from "@effect-legitmark/client"
import { NodeFileSystem, NodeRuntime } from "@effect/platform-node"
import { Verdict } from "effect-legitmark"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import { fileURLToPath } from "node:url"
import { ClientLayer } from "./support/ClientLayer.js"
import { chooseItem } from "./support/SampleItem.js"

const samplePhotos = ["outer-sides.png", "top.png", "size-tag.png", "sole.png", "box-label.png"]

// The sample whose name shares a word with the side's ("Interior Size Tag" → size-tag.png), else the next.
const samplePhotoFor = (sideName: string, index: number): string => {
  const words = sideName.toLowerCase().split(/\W+/)
  const match = samplePhotos.find((file) => file.replace(".png", "").split("-").some((w) => words.includes(w)))
  return fileURLToPath(new URL(`./photos/${match ?? samplePhotos[index % samplePhotos.length]}`, import.meta.url))
}

const program = Effect.gen(function*() {
  const client = yield* LegitmarkClient
  const { category, type } = yield* chooseItem
  yield* Console.log(`Item: ${category.name} → ${type.name}`)

  const referenceId = `DEMO-${Date.now()}`
  const created = yield* client.serviceRequests.create({
    reference_id: referenceId,
    item: { category: category.uuid, type: type.uuid }
  })
  yield* Console.log(`Opened SR ${created.uuid} (${referenceId}), state ${created.state.primary}`)

  const sr = yield* client.serviceRequests.get(created.uuid, { item: true, sides: true, requirements: true })
  const required = sr.sides?.required ?? []
  yield* Console.log(`The authenticators need ${required.length} photos:`)

  const done = yield* Ref.make(0)
  yield* Effect.forEach(
    required.map((side, i) => ({ side, path: samplePhotoFor(side.name, i) })),
    ({ path, side }) =>
      Effect.gen(function*() {
        const photo = yield* Photo.fromPath(path)
        yield* client.media.upload(sr.uuid, side.uuid, photo)
        const n = yield* Ref.updateAndGet(done, (k) => k + 1)
        const file = path.slice(path.lastIndexOf("/") + 1)
        yield* Console.log(
          `  [${"#".repeat(n).padEnd(required.length, ".")}] ${side.name}: ${file} (${
            (photo.size / 1024).toFixed(1)
          } KB)`
        )
      }),
    { concurrency: 4, discard: true }
  )

  const { progress } = yield* client.serviceRequests.progress(sr.uuid)
  yield* Console.log(
    `Progress: ${progress.current_required}/${progress.total_required} required, ` +
      `${progress.current_optional}/${progress.total_optional} optional; ready to submit: ${progress.met}`
  )

  const submitted = yield* client.serviceRequests.submit(sr.uuid)
  yield* Console.log(`Submitted: ${submitted.state?.primary ?? "?"}/${submitted.state?.supplement ?? "-"}`)

  // Poll until a verdict, printing each state the SR passes through.
  const seen = yield* Ref.make("")
  const final = yield* client.serviceRequests.get(sr.uuid).pipe(
    Effect.tap((current) =>
      Effect.gen(function*() {
        const state = `${current.state.primary}/${current.state.supplement ?? "-"}`
        if ((yield* Ref.getAndSet(seen, state)) !== state) yield* Console.log(`  … ${state}`)
      })
    ),
    Effect.repeat(
      Schedule.spaced("100 millis").pipe(
        Schedule.upTo("2 minutes"),
        Schedule.whileInput((current: typeof sr) => Option.isNone(Verdict.fromServiceRequest(current))),
        Schedule.passthrough
      )
    )
  )
  const verdict = Verdict.fromServiceRequest(final)
  yield* Console.log(
    Option.match(verdict, {
      onNone: () => "No verdict within 2 minutes",
      onSome: Verdict.$match({
        Authentic: () => "Verdict: AUTHENTIC ✔",
        NotAuthentic: () => "Verdict: NOT AUTHENTIC ✘",
        Inconclusive: () => "Verdict: processed, no verdict stated",
        Cancelled: () => "Verdict: the SR was cancelled"
      })
    })
  )
  if (Option.isNone(verdict)) return yield* Effect.dieMessage("no verdict")
})

if (process.argv.includes("--durable")) {
  // The same authentication as a durable workflow that survives Ctrl-C (support/DurableDemo.ts).
  void import("./support/DurableDemo.js").then(({ program }) => NodeRuntime.runMain(program))
} else {
  // The local simulator is sped up so that the authenticators take seconds instead of hours.
  program.pipe(
    Effect.provide(Layer.merge(ClientLayer({ speed: 300 }), NodeFileSystem.layer)),
    NodeRuntime.runMain
  )
}
