/**
 * Following a service request to its outcome: polls through `Legitmark.awaitVerdict` and reports each
 * state the SR moves into.
 */
import type { ServiceRequest } from "@effect-legitmark/schema/ServiceRequest"
import { Legitmark } from "effect-legitmark/Legitmark"
import type { Outcome } from "effect-legitmark/Legitmark"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Render from "./render.js"

/** A state the SR was seen in, and when. */
export interface Seen {
  readonly state: string
  readonly at: string
}

/** `  17:03:02  QC/APPROVED        photos passed quality control` */
export const stateLine = (seen: Seen, sr: ServiceRequest): string =>
  `  ${new Date(seen.at).toLocaleTimeString("en-GB")}  ${Render.describeState(sr.state)}`

export interface Options {
  readonly interval: Duration.Duration
  readonly timeout: Duration.Duration | undefined
  /** The SR as last seen, whose state is not reported again. */
  readonly from: ServiceRequest
  /** Print each new state (false for `--json`, where the states come in the final document). */
  readonly print: boolean
}

/** The state history, starting with the state of `from`, and the outcome. */
export const untilOutcome = (options: Options) =>
  Effect.gen(function*() {
    const legitmark = yield* Legitmark
    const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())
    const first: Seen = { state: Render.stateLabel(options.from.state), at: yield* now }
    const seen = yield* Ref.make<ReadonlyArray<Seen>>([first])
    if (options.print) yield* Console.log(stateLine(first, options.from))

    const report = (sr: ServiceRequest) =>
      Effect.gen(function*() {
        const state = Render.stateLabel(sr.state)
        const history = yield* Ref.get(seen)
        if (history[history.length - 1]?.state === state) return
        const entry: Seen = { state, at: yield* now }
        yield* Ref.set(seen, [...history, entry])
        if (options.print) yield* Console.log(stateLine(entry, sr))
      })

    // Every poll's SR goes through the schedule, the one with the outcome included.
    const outcome: Outcome = yield* legitmark.awaitVerdict(options.from.uuid, {
      schedule: Schedule.spaced(options.interval).pipe(Schedule.tapInput(report)),
      ...(options.timeout === undefined ? {} : { timeout: options.timeout })
    })
    return { outcome, states: yield* Ref.get(seen) }
  })

/** The end of a watch for `--json`: the states seen, the last state and the outcome. */
export const outcomeJson = (outcome: Outcome, states: ReadonlyArray<Seen>) => ({
  states,
  state: Render.stateLabel(outcome.sr.state),
  outcome: Render.outcomeCode(outcome),
  certificate_url: outcome.sr.certificate_url ?? null,
  ...(outcome._tag === "MediaRejected" ? { rejected_sides: outcome.sides.map((side) => side.name) } : {})
})
