/**
 * `legitmark authenticate`: checks the photos on disk, resolves the item through the taxonomy, gives each
 * photo its side, then runs `Legitmark.authenticate` with a bar per photo and follows the SR to its
 * outcome. Everything the user could have typed wrong fails before the first request that writes.
 */
import * as Terminal from "@effect/platform/Terminal"
import { Legitmark } from "effect-legitmark/Legitmark"
import * as Console from "effect/Console"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Catalog from "./catalog.js"
import * as Failure from "./failure.js"
import * as Photos from "./photos.js"
import * as Progress from "./progress.js"
import * as Render from "./render.js"
import * as Watch from "./watch.js"

export interface Input {
  readonly referenceId: string
  readonly category: string
  readonly type: string
  readonly brand: Option.Option<string>
  readonly photos: ReadonlyArray<string>
  readonly concurrency: number
  readonly wait: boolean
  readonly interval: Duration.Duration
  readonly timeout: Option.Option<Duration.Duration>
  readonly json: boolean
}

export const run = (input: Input) =>
  Effect.gen(function*() {
    const say = (line: string) => input.json ? Effect.void : Console.log(line)

    // On disk: every photo exists and passes the client's checks. No request yet.
    const parsed = yield* Effect.forEach(input.photos, Photos.parse)
    const loaded = yield* Effect.forEach(parsed, Photos.load)

    // Reads only: the item's category and type, its sides, and whether the reference id has an SR.
    const kind = yield* Catalog.itemKind(input.category, input.type)
    const brand = yield* Effect.transposeMapOption(input.brand, Catalog.brand)
    const item = `${kind.category.name} → ${kind.type.name}`
    const sides = yield* Catalog.sides(kind)
    const assigned = yield* Photos.assign(loaded, sides, item)
    const legitmark = yield* Legitmark
    const existing = yield* legitmark.client.serviceRequests.find(input.referenceId).pipe(
      Effect.asSome,
      Effect.catchTag("NotFoundError", () => Effect.succeedNone)
    )
    if (Option.isNone(existing)) {
      const covered = new Set(assigned.map(([side]) => side.uuid))
      const missing = sides.filter((side) => side.required === true && !covered.has(side.uuid))
      if (missing.length > 0) {
        return yield* Failure.input(
          `no photo for the required side${missing.length > 1 ? "s" : ""} ${
            missing.map((side) => side.name).join(", ")
          } of ${item} (add "SIDE=PATH")`
        )
      }
    }

    const uploads = yield* Effect.forEach(assigned, ([side, { photo }]) =>
      Effect.map(Ref.make(0), (sent) => ({ side, size: photo.size, sent, photo: Photos.counted(photo, sent) })))
    const terminal = yield* Terminal.Terminal
    const progress = yield* Progress.make(
      uploads,
      input.json ? "silent" : (yield* terminal.isTTY) ? "terminal" : "lines"
    )

    yield* Option.match(existing, {
      onNone: () =>
        say(`Authenticating ${input.referenceId} (${item}), ${uploads.length} photos`),
      onSome: (sr) =>
        say(`Resuming SR ${sr.uuid} for ${input.referenceId} (${item})`)
    })
    const result = yield* legitmark.authenticate({
      referenceId: input.referenceId,
      item: {
        category: kind.category.uuid,
        type: kind.type.uuid,
        ...Option.match(brand, { onNone: () => ({}), onSome: (b) => ({ brand: b.uuid }) })
      },
      ...Option.match(existing, { onNone: () => ({}), onSome: (sr) => ({ sr: sr.uuid }) }),
      photos: Object.fromEntries(uploads.map((u) => [u.side.uuid, u.photo])),
      concurrency: input.concurrency,
      onProgress: progress.onProgress
    }).pipe(Effect.ensuring(progress.done))

    const sr = result.sr
    const microId = sr.micro_id === undefined || sr.micro_id === null ? "" : ` (micro id ${sr.micro_id})`
    yield* say(
      result.submitted ? `Submitted SR ${sr.uuid}${microId}` : `SR ${sr.uuid}${microId} was already submitted`
    )
    const nameOf = (uuid: string) => uploads.find((u) => u.side.uuid === uuid)?.side.name ?? uuid
    const summary = {
      sr: sr.uuid,
      micro_id: sr.micro_id ?? null,
      reference_id: input.referenceId,
      item: {
        category: { uuid: kind.category.uuid, name: kind.category.name },
        type: { uuid: kind.type.uuid, name: kind.type.name }
      },
      submitted: result.submitted,
      uploaded: result.uploaded.map(nameOf),
      skipped: result.skipped.map(nameOf)
    }
    if (!input.wait) {
      yield* say(`  ${Render.describeState(sr.state)}`)
      if (input.json) yield* Console.log(Render.json({ ...summary, state: Render.stateLabel(sr.state) }))
      return
    }

    const { outcome, states } = yield* Watch.untilOutcome({
      from: sr,
      interval: input.interval,
      timeout: Option.getOrUndefined(input.timeout),
      print: !input.json
    })
    yield* say(Render.describeOutcome(outcome))
    if (input.json) {
      yield* Console.log(Render.json({ ...summary, ...Watch.outcomeJson(outcome, states) }))
    }
  })
