/**
 * What an authentication uploads: the photos the server does not have, decided from everything it
 * reports. Each side's `media_url`, where the answer has one, says whether that side has a photo. Where
 * it has none (the official SDK's payload shape), only the progress counts tell how many sides of each
 * kind (required, optional) have one, not which:
 * - photos counted on sides the answer does not show go first to required sides the caller gave no
 *   photo for (they must be there already, or the SR cannot be submitted anyway), then to the caller's
 *   own sides in the SR's order, which is the order an interrupted earlier call uploaded them in;
 * - the rest is uploaded, the counts are read again, and the sides taken to be there are planned
 *   anew, until the counts account for every side not yet sent;
 * - if the submit gate (`met`) is still shut, required sides taken to be there are sent after all.
 * A count can thus cost a photo sent twice, never a photo not sent: a resumed call whose earlier run
 * uploaded in order re-sends nothing.
 */
import type { Progress, ProgressResponse } from "@effect-legitmark/schema/Progress"
import type { Side } from "@effect-legitmark/schema/Side"
import * as Effect from "effect/Effect"

/** What the answer says of a side's photo. */
export type Known = "present" | "absent" | "unknown"

/** A side's photo as its `media_url` shows it, if the answer has one. */
export const knownFromMedia = (side: Side): Known => side.mediaKnown ? side.hasMedia ? "present" : "absent" : "unknown"

export interface Input {
  readonly required: ReadonlyArray<Side>
  readonly optional: ReadonlyArray<Side>
  /** Whether the caller gave a photo for the side. */
  readonly withPhoto: (side: Side) => boolean
  /** What the server is known to have, by side uuid; sides uploaded since are `present`. */
  readonly known: ReadonlyMap<string, Known>
}

export interface Plan {
  /** Sides whose photo goes now. */
  readonly upload: ReadonlyArray<Side>
  /** Sides with a photo from the caller, not shown by the answer, that the counts take to be there. */
  readonly covered: ReadonlyArray<Side>
  /** Required sides without a photo from the caller that cannot all be on the server. */
  readonly missing: ReadonlyArray<Side>
}

/** The counts, unless the server flagged them as incomplete (`warning`, `s3_error`). */
export const usableCounts = (answer: ProgressResponse): Progress | undefined =>
  answer.s3_error === true || (answer.warning !== undefined && answer.warning !== null) ? undefined : answer.progress

const planKind = (
  sides: ReadonlyArray<Side>,
  input: Input,
  count: number | undefined,
  required: boolean
): Plan => {
  const known = (side: Side) => input.known.get(side.uuid) ?? "unknown"
  const present = sides.filter((side) => known(side) === "present").length
  const unknown = sides.filter((side) => known(side) === "unknown")
  const ours = unknown.filter(input.withPhoto)
  const theirs = unknown.filter((side) => !input.withPhoto(side))
  // Photos the server counts on sides the answer does not show.
  const unattributed = count === undefined ? 0 : Math.max(0, count - present)
  const spare = Math.max(0, unattributed - (required ? theirs.length : 0))
  const covered = count === undefined ? [] : ours.slice(0, spare)
  const absent = sides.filter((side) => known(side) === "absent")
  return {
    upload: [...absent.filter(input.withPhoto), ...ours.slice(covered.length)],
    covered,
    missing: required ?
      [
        ...absent.filter((side) => !input.withPhoto(side)),
        ...(count !== undefined && unattributed < theirs.length ? theirs : [])
      ] :
      []
  }
}

/** The next round, from what is known and the counts (`undefined`: none, or none to trust). */
export const plan = (input: Input, counts: Progress | undefined): Plan => {
  const required = planKind(input.required, input, counts?.current_required, true)
  const optional = planKind(input.optional, input, counts?.current_optional, false)
  return {
    upload: [...required.upload, ...optional.upload],
    covered: [...required.covered, ...optional.covered],
    missing: required.missing
  }
}

export interface Settled {
  /** Sides sent, in the order sent. */
  readonly uploaded: ReadonlyArray<Side>
  /** Sides with a photo from the caller that were not sent: shown or counted on the server. */
  readonly skipped: ReadonlyArray<Side>
  /** The last progress answer, read after the last upload. */
  readonly progress: ProgressResponse
}

/**
 * Uploads round by round until the counts account for every side not sent (see the module comment),
 * then makes sure of the submit gate. `first` is the plan made from `known` and `counts`, the progress
 * answer read for it (if one was).
 */
export const settle = <E, E2>(options: {
  readonly input: Input
  readonly first: Plan
  readonly counts: ProgressResponse | undefined
  readonly readProgress: Effect.Effect<ProgressResponse, E>
  readonly upload: (sides: ReadonlyArray<Side>) => Effect.Effect<void, E2>
}): Effect.Effect<Settled, E | E2> =>
  Effect.gen(function*() {
    const { input, readProgress } = options
    const known = new Map(input.known)
    const current: Input = { ...input, known }
    const uploaded: Array<Side> = []
    const send = (sides: ReadonlyArray<Side>) =>
      Effect.tap(options.upload(sides), () =>
        Effect.sync(() => {
          for (const side of sides) {
            known.set(side.uuid, "present")
            uploaded.push(side)
          }
        }))
    let round = options.first
    let progress = options.counts
    let fresh = progress !== undefined
    while (round.upload.length > 0) {
      yield* send(round.upload)
      fresh = false
      if (round.covered.length === 0) break
      progress = yield* readProgress
      fresh = true
      round = plan(current, usableCounts(progress))
    }
    if (!fresh || progress === undefined) progress = yield* readProgress
    // The gate is shut: a required side taken to be there may be the one missing.
    const requiredCovered = round.covered.filter((side) => input.required.includes(side))
    if (!progress.progress.met && requiredCovered.length > 0) {
      yield* send(requiredCovered)
      progress = yield* readProgress
    }
    const sent = new Set(uploaded.map((side) => side.uuid))
    const skipped = [...input.required, ...input.optional].filter((side) =>
      input.withPhoto(side) && !sent.has(side.uuid)
    )
    return { uploaded, skipped, progress }
  })
