/**
 * The body of the workflow and its activities. Every activity may run again after a crash, so each is
 * safe to re-run: a step that may already have acted (create, each upload, submit) records its intent
 * first, and a re-run that finds the intent asks the server what happened before acting again.
 */
import { LegitmarkClient } from "@effect-legitmark/client/LegitmarkClient"
import type * as LegitmarkError from "@effect-legitmark/client/LegitmarkError"
import type { ServiceRequest } from "@effect-legitmark/schema/ServiceRequest"
import type { Side } from "@effect-legitmark/schema/Side"
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import * as Activity from "@effect/workflow/Activity"
import * as DurableClock from "@effect/workflow/DurableClock"
import * as DurableDeferred from "@effect/workflow/DurableDeferred"
import type { WorkflowEngine, WorkflowInstance } from "@effect/workflow/WorkflowEngine"
import { MissingPhotosError, type Outcome } from "effect-legitmark/Legitmark"
import * as Verdict from "effect-legitmark/Verdict"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Definition from "./definition.js"
import * as Photos from "./photos.js"
import * as Store from "./store.js"

export interface Execution {
  readonly executionId: string
  readonly referenceId: string
  readonly retake: number
}

export interface Resolved<R> {
  readonly pollInterval: Duration.Duration
  readonly maxPollInterval: Duration.Duration
  readonly concurrency: number
  readonly retry: Schedule.Schedule<unknown, unknown>
  readonly lookup: Schedule.Schedule<unknown, unknown>
  readonly onOutcome:
    | ((outcome: Outcome, execution: Execution) => Effect.Effect<void, unknown, R | SqlClient.SqlClient>)
    | undefined
}

// --- retries ----------------------------------------------------------------------------------------

type Transient =
  | LegitmarkError.RateLimitError
  | LegitmarkError.ServerError
  | LegitmarkError.TransportError
  | LegitmarkError.TimeoutError
  | LegitmarkError.UnexpectedResponseError
  | LegitmarkError.InDoubtError
  | SqlError.SqlError
  | Photos.PhotoUnavailable

const transientTags: ReadonlySet<string> = new Set([
  "RateLimitError",
  "ServerError",
  "TransportError",
  "TimeoutError",
  // A garbled answer: every step is safe to re-run, so it is tried again like any transient failure.
  "UnexpectedResponseError",
  // A create that may still land: the client asks the lookup again and re-sends only once that can no
  // longer be, so trying the step again is how the workflow waits for the answer.
  "InDoubtError",
  "SqlError",
  "PhotoUnavailable"
])

const isTransient = <E extends { readonly _tag: string }>(error: E): error is Extract<E, Transient> =>
  transientTags.has(error._tag)

/**
 * Runs a step, retrying its transient failures on `schedule`: what is left is a failure the workflow
 * reports. A bounded schedule that runs out ends the workflow with the last failure as a defect.
 */
const retrying =
  (schedule: Schedule.Schedule<unknown, unknown>, step: string) =>
  <A, E extends { readonly _tag: string; readonly message: string }, R>(
    effect: Effect.Effect<A, E, R>
  ) =>
    effect.pipe(
      Effect.tapError((error) =>
        isTransient(error) ? Effect.logDebug(`${step}: ${error._tag} (${error.message}); trying again`) : Effect.void
      ),
      Effect.retry({ schedule, while: isTransient }),
      Effect.catchIf(isTransient, (error) => Effect.die(error))
    )

// --- helpers ----------------------------------------------------------------------------------------

const stateOf = (state: { readonly primary: string; readonly supplement: string | null }) =>
  `${state.primary}/${state.supplement ?? "-"}`

const isMediaRejected = (state: { readonly primary: string; readonly supplement: string | null }) =>
  state.primary === "QC" && state.supplement === "REJECTED"

/** Where an SR can be submitted from: a draft, or photos QC rejected. */
const isSubmittable = (state: { readonly primary: string; readonly supplement: string | null }) =>
  state.primary === "DRAFT" || isMediaRejected(state)

const sideRef = (side: Side) => ({ uuid: side.uuid, name: side.name })

const sidesOf = (sr: ServiceRequest) => [...(sr.sides?.required ?? []), ...(sr.sides?.optional ?? [])]

const outcomeOf = (sr: ServiceRequest): Option.Option<Outcome> =>
  isMediaRejected(sr.state) ?
    Option.some({
      _tag: "MediaRejected",
      sr,
      sides: (sr.sides?.required ?? []).filter((side) => !side.hasMedia).map(sideRef)
    }) :
    Verdict.fromServiceRequest(sr)

const readSides = (sr: string) =>
  Effect.flatMap(LegitmarkClient, (client) => client.serviceRequests.get(sr, { item: true, sides: true }))

/** Runs `effect` again on `schedule` while it answers `None`. */
const untilSome = <A, E, R>(
  effect: Effect.Effect<Option.Option<A>, E, R>,
  schedule: Schedule.Schedule<unknown, unknown>
) => {
  const whileNone: Schedule.Schedule<unknown, Option.Option<A>> = schedule
  return Effect.repeat(effect, Schedule.passthrough(Schedule.whileInput(whileNone, Option.isNone)))
}

const lookup = (referenceId: string) =>
  Effect.flatMap(LegitmarkClient, (client) =>
    client.serviceRequests.find(referenceId).pipe(
      Effect.map(Option.some),
      Effect.catchTag("NotFoundError", () => Effect.succeedNone)
    ))

const span = (name: string, execution: Execution, attributes: Record<string, unknown> = {}) =>
  Effect.withSpan(`AuthenticationWorkflow.${name}`, {
    captureStackTrace: false,
    attributes: {
      "legitmark.reference_id": execution.referenceId,
      "legitmark.execution_id": execution.executionId,
      "legitmark.retake": execution.retake,
      ...attributes
    }
  })

// --- activities -------------------------------------------------------------------------------------

type Payload = typeof Definition.Payload.Type

/**
 * Opens the SR: the one named in the payload, the one the lookup finds for the reference id, or a new
 * one. A create that may have gone through (an earlier attempt recorded its intent and then stopped, or
 * failed without proof that the server did not act) is reconciled by looking the reference id up again,
 * on `lookup`, before another create is sent: the lookup may lag behind a create. Past that bound a
 * second SR is possible, if the first create landed and the lookup still does not show it.
 */
const open = <R>(payload: Payload, execution: Execution, options: Resolved<R>) =>
  Activity.make({
    name: "open",
    success: Definition.Opened,
    error: Definition.Failure,
    execute: Effect.gen(function*() {
      const client = yield* LegitmarkClient
      const locate = Effect.gen(function*() {
        yield* Store.begin(execution)
        if (payload.sr !== undefined) return yield* readSides(payload.sr)
        const found = yield* lookup(payload.referenceId)
        if (Option.isSome(found)) return yield* readSides(found.value.uuid)
        if (!(yield* Store.claim(execution.executionId, "create"))) {
          const late = yield* untilSome(lookup(payload.referenceId), options.lookup)
          if (Option.isSome(late)) return yield* readSides(late.value.uuid)
          yield* Effect.logWarning(
            `no SR found for ${payload.referenceId} after an earlier create that may have gone through; creating one`
          )
        }
        const created = yield* client.serviceRequests.create({
          reference_id: payload.referenceId,
          item: payload.item,
          ...(payload.service === undefined ? {} : { service: payload.service })
        })
        return yield* readSides(created.uuid)
      })
      const sr = yield* retrying(options.retry, "open")(locate)
      yield* Effect.annotateCurrentSpan("legitmark.sr_uuid", sr.uuid)
      const opened: Definition.Opened = {
        sr: sr.uuid,
        state: sr.state,
        sides: [
          ...(sr.sides?.required ?? []).map((side) => ({ ...sideRef(side), required: true, hasMedia: side.hasMedia })),
          ...(sr.sides?.optional ?? []).map((side) => ({ ...sideRef(side), required: false, hasMedia: side.hasMedia }))
        ]
      }
      const planned = planUploads(opened, payload.photos)
      yield* retrying(options.retry, "open")(
        Store.record(execution.executionId, {
          sr: sr.uuid,
          state: stateOf(sr.state),
          step: isSubmittable(sr.state) ? "uploading" : "waiting",
          ...(Either.isRight(planned) ? { photos: planned.right.length } : {})
        })
      )
      return opened
    }).pipe(span("open", execution))
  })

/** Uploads one side's photo, unless an earlier attempt's upload already landed. */
const upload = <R>(
  execution: Execution,
  sr: string,
  side: { readonly uuid: string; readonly name: string },
  source: string,
  options: Resolved<R>
) =>
  Activity.make({
    name: `upload/${side.uuid}`,
    error: Definition.Failure,
    execute: retrying(options.retry, `upload ${side.name}`)(Effect.gen(function*() {
      const client = yield* LegitmarkClient
      if (!(yield* Store.claim(execution.executionId, `upload/${side.uuid}`))) {
        const current = yield* readSides(sr)
        if (sidesOf(current).some((s) => s.uuid === side.uuid && s.hasMedia)) {
          yield* Effect.annotateCurrentSpan("legitmark.upload", "already on the server")
          return yield* Store.uploaded(execution.executionId, side.uuid)
        }
      }
      const photo = yield* Photos.load(source)
      yield* client.media.upload(sr, side.uuid, photo)
      yield* Store.uploaded(execution.executionId, side.uuid)
    })).pipe(span("upload", execution, { "legitmark.sr_uuid": sr, "legitmark.side": side.name }))
  })

/** The progress endpoint is the server's word on whether the SR may be submitted. */
const confirm = <R>(execution: Execution, sr: string, options: Resolved<R>) =>
  Activity.make({
    name: "progress",
    error: Definition.Failure,
    execute: retrying(options.retry, "progress")(Effect.gen(function*() {
      const client = yield* LegitmarkClient
      const { progress } = yield* client.serviceRequests.progress(sr)
      if (!progress.met) {
        const current = yield* readSides(sr)
        return yield* new MissingPhotosError({
          message: `the server still counts ${progress.current_required} of ${progress.total_required} required photos`,
          sr,
          missing: (current.sides?.required ?? []).filter((side) => !side.hasMedia).map(sideRef),
          unknown: []
        })
      }
      yield* Store.record(execution.executionId, { step: "submitting" })
    })).pipe(span("progress", execution, { "legitmark.sr_uuid": sr }))
  })

/** Submits, unless an earlier attempt's submit went through (the SR has left the submittable states). */
const submit = <R>(execution: Execution, sr: string, options: Resolved<R>) =>
  Activity.make({
    name: "submit",
    error: Definition.Failure,
    execute: retrying(options.retry, "submit")(Effect.gen(function*() {
      const client = yield* LegitmarkClient
      const submitted = (state: string) => Store.record(execution.executionId, { step: "waiting", state })
      if (!(yield* Store.claim(execution.executionId, "submit"))) {
        const current = yield* client.serviceRequests.get(sr)
        if (!isSubmittable(current.state)) return yield* submitted(stateOf(current.state))
      }
      const answer = yield* client.serviceRequests.submit(sr).pipe(
        Effect.catchTag("ConflictError", (conflict) =>
          Effect.flatMap(
            client.serviceRequests.get(sr),
            (current) => isSubmittable(current.state) ? Effect.fail(conflict) : Effect.succeed(current)
          ))
      )
      yield* submitted(answer.state ? stateOf(answer.state) : "QC/PENDING")
    })).pipe(span("submit", execution, { "legitmark.sr_uuid": sr }))
  })

/**
 * Reads the SR: its outcome, if it has one. First it points the webhook handler at the next round's
 * wake-up, so that an event raised after this read wakes the next wait rather than a spent one.
 */
const check = <R>(execution: Execution, sr: string, round: number, options: Resolved<R>) =>
  Activity.make({
    name: `check/${round}`,
    success: Schema.NullOr(Definition.Outcome),
    error: Definition.Failure,
    execute: retrying(options.retry, "check")(Effect.gen(function*() {
      yield* Store.record(execution.executionId, { waitRound: round + 1 })
      const current = yield* readSides(sr)
      const outcome = outcomeOf(current)
      yield* Effect.annotateCurrentSpan("legitmark.state", stateOf(current.state))
      yield* Store.record(execution.executionId, {
        state: stateOf(current.state),
        ...(Option.isSome(outcome) ?
          { outcome: outcome.value._tag, step: options.onOutcome === undefined ? "done" : "handling" } :
          {})
      })
      return Option.getOrNull(outcome)
    })).pipe(span("check", execution, { "legitmark.sr_uuid": sr, "legitmark.round": round }))
  })

/**
 * Hands the outcome to the user's handler once: the handler runs in a transaction on the workflow's
 * database with a marker row, so a re-run after a crash finds the marker (or, when the crash came first,
 * finds the handler's own writes rolled back with it).
 */
const deliver = <R>(
  execution: Execution,
  outcome: Outcome,
  handler: (outcome: Outcome, execution: Execution) => Effect.Effect<void, unknown, R | SqlClient.SqlClient>,
  options: Resolved<R>
) =>
  Activity.make({
    name: "deliver",
    execute: Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* Effect.gen(function*() {
        if (yield* Store.claim(execution.executionId, "deliver")) yield* handler(outcome, execution)
        yield* Store.record(execution.executionId, { step: "done" })
      }).pipe(
        sql.withTransaction,
        // The handler's failures are its own: whatever they are, it is called again (its writes undone).
        Effect.tapError((error) => Effect.logWarning("the outcome handler failed; calling it again", error)),
        Effect.retry(options.retry),
        Effect.orDie
      )
    }).pipe(span("deliver", execution, { "legitmark.outcome": outcome._tag }))
  })

const fail = (execution: Execution, failure: Definition.Failure) =>
  Activity.make({
    name: "fail",
    execute: Store.record(execution.executionId, { step: "failed", error: `${failure._tag}: ${failure.message}` }).pipe(
      Effect.retry(Schedule.exponential("1 second").pipe(Schedule.union(Schedule.spaced("1 minute")))),
      Effect.orDie,
      span("fail", execution)
    )
  })

// --- the workflow -----------------------------------------------------------------------------------

/** Matches the payload's photos (keyed by side uuid or name) to the SR's sides, as `authenticate` does. */
const planUploads = (opened: Definition.Opened, photos: Readonly<Record<string, string>>) => {
  const keyOf = (key: string) => key.trim().toLowerCase()
  const byKey = new Map<string, Definition.Opened["sides"][number]>()
  for (const side of opened.sides) {
    byKey.set(keyOf(side.uuid), side)
    byKey.set(keyOf(side.name), side)
  }
  const unknown = Object.keys(photos).filter((key) => !byKey.has(keyOf(key)))
  const sourceFor = new Map<string, string>()
  for (const [key, source] of Object.entries(photos)) {
    const side = byKey.get(keyOf(key))
    if (side) sourceFor.set(side.uuid, source)
  }
  const missing = opened.sides.filter((side) => side.required && !side.hasMedia && !sourceFor.has(side.uuid))
  if (missing.length > 0 || unknown.length > 0) {
    return Either.left(
      new MissingPhotosError({
        message: [
          missing.length > 0 ? `no photo for the required sides ${missing.map((s) => s.name).join(", ")}` : "",
          unknown.length > 0 ? `no side of the SR is called ${unknown.join(", ")}` : ""
        ].filter((s) => s !== "").join("; "),
        sr: opened.sr,
        missing: missing.map(({ name, uuid }) => ({ uuid, name })),
        unknown
      })
    )
  }
  // Only what the server does not have yet.
  return Either.right(
    opened.sides.filter((side) => !side.hasMedia && sourceFor.has(side.uuid)).map((side) => ({
      side,
      source: sourceFor.get(side.uuid)!
    }))
  )
}

// `DurableDeferred.raceAll` infers `any` for the error of effects that cannot fail: these get a type.
class Unreachable extends Schema.TaggedError<Unreachable>()("Unreachable", {}) {}
type Waiting = WorkflowEngine | WorkflowInstance

/** The poll interval before the `round`th check: doubling from `pollInterval` up to `maxPollInterval`. */
const intervalOf = <R>(options: Resolved<R>, round: number) =>
  Duration.min(Duration.times(options.pollInterval, 2 ** Math.min(round, 30)), options.maxPollInterval)

const sleep = <R>(options: Resolved<R>, round: number) =>
  DurableClock.sleep({ name: `poll/${round}`, duration: intervalOf(options, round), inMemoryThreshold: Duration.zero })

/**
 * Waits for the outcome: each round sleeps on a durable clock, or less when the webhook handler
 * completes that round's wake-up, then checks the SR. Each race's winner is stored, so a replay takes
 * the same path.
 */
const awaitOutcome = <R>(execution: Execution, sr: string, checkFirst: boolean, options: Resolved<R>) =>
  Effect.gen(function*() {
    for (let round = 0;; round++) {
      if (round > 0 || !checkFirst) {
        const webhook: Effect.Effect<"webhook", Unreachable, Waiting> = Effect.as(
          DurableDeferred.await(Definition.wake(round)),
          "webhook" as const
        )
        const clock: Effect.Effect<"clock", Unreachable, Waiting> = Effect.as(sleep(options, round), "clock" as const)
        yield* DurableDeferred.raceAll({
          name: `wait/${round}`,
          success: Schema.Literal("webhook", "clock"),
          error: Unreachable,
          effects: [webhook, clock]
        }).pipe(Effect.orDie)
      }
      const outcome = yield* check(execution, sr, round, options)
      if (outcome !== null) return outcome
    }
  })

export const make = <R>(options: Resolved<R>) => (payload: Payload, executionId: string) => {
  const execution: Execution = { executionId, referenceId: payload.referenceId, retake: payload.retake }
  return Effect.gen(function*() {
    const opened = yield* open(payload, execution, options)
    const submittable = isSubmittable(opened.state)
    if (submittable) {
      const uploads = yield* planUploads(opened, payload.photos)
      yield* Effect.forEach(uploads, ({ side, source }) => upload(execution, opened.sr, side, source, options), {
        concurrency: options.concurrency,
        discard: true
      })
      yield* confirm(execution, opened.sr, options)
      yield* submit(execution, opened.sr, options)
    }
    const outcome = yield* awaitOutcome(execution, opened.sr, !submittable, options)
    if (options.onOutcome !== undefined) yield* deliver(execution, outcome, options.onOutcome, options)
    return outcome
  }).pipe(
    Effect.tapError((failure) => fail(execution, failure)),
    Effect.annotateLogs({ "legitmark.reference_id": payload.referenceId, "legitmark.retake": payload.retake })
  )
}
