/**
 * The SR state machine: submit, then a scripted walk through QC and authentication on the simulated
 * clock. Markers in the SR's `reference_id` choose the script (see README).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Errors from "./internal/errors.js"
import * as Seed from "./Seed.js"
import { SimClock } from "./SimClock.js"
import type { ServiceRequest, ServiceRequestNotFound, State } from "./Store.js"
import { progress, Store, uploadedSides } from "./Store.js"
import { Webhooks } from "./Webhooks.js"

/**
 * A marker found (case-insensitively) in `reference_id`.
 *
 * @since 0.1.0
 */
export type Marker = "FAKE" | "BLURRY" | "CANCEL" | "NOT_SERVICEABLE" | "INCONCLUSIVE"

/**
 * @since 0.1.0
 */
export const markers = (sr: ServiceRequest): ReadonlySet<Marker> => {
  const ref = sr.externalId.toUpperCase()
  const all: ReadonlyArray<Marker> = ["FAKE", "BLURRY", "CANCEL", "NOT_SERVICEABLE", "INCONCLUSIVE"]
  return new Set(all.filter((m) => ref.includes(m)))
}

/**
 * Default simulated time between two transitions.
 *
 * @since 0.1.0
 */
export const defaultStepMs = 60_000

/**
 * `auto`: a submitted SR walks through QC and authentication on its own, one step per `stepMs`.
 * `manual`: it stays where it is until a control moves it (`step`, `transition`).
 *
 * @since 0.1.0
 */
export type Review = "auto" | "manual"

/**
 * @since 0.1.0
 */
export interface Options {
  readonly stepMs?: number | undefined
  readonly review?: Review | undefined
}

/**
 * A change made to an SR from outside the API, as Legitmark's staff or authenticators would make it:
 * a new state; QC rejecting the photos of some sides (uuids or names; by default the first required
 * side), which then stop counting; or the SR invalidated (cancelled).
 *
 * @since 0.1.0
 */
export type Transition =
  | { readonly _tag: "Move"; readonly to: State }
  | { readonly _tag: "Reject"; readonly sides?: ReadonlyArray<string> | undefined }
  | { readonly _tag: "Invalidate"; readonly code: string; readonly message: string }

/**
 * Sides named in a `Reject` that the SR does not have.
 *
 * @since 0.1.0
 */
export class UnknownSides extends Data.TaggedError("UnknownSides")<{ readonly sides: ReadonlyArray<string> }> {}

/**
 * @since 0.1.0
 */
export interface LifecycleService {
  /** Submits a DRAFT (or QC/REJECTED) SR whose required sides are all uploaded. */
  readonly submit: (uuid: string) => Effect.Effect<ServiceRequest, Errors.ApiError>
  /** Takes the SR's next scripted step now; a DRAFT is submitted without its photos being checked. */
  readonly step: (uuid: string) => Effect.Effect<ServiceRequest, ServiceRequestNotFound>
  /** Applies a change now, whatever the SR's state, with its webhooks; in `auto` review the walk goes on from there. */
  readonly transition: (
    uuid: string,
    transition: Transition
  ) => Effect.Effect<ServiceRequest, ServiceRequestNotFound | UnknownSides>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Lifecycle extends Context.Tag("@effect-legitmark/simulator/Lifecycle")<Lifecycle, LifecycleService>() {}

const sameState = (a: State, b: State) => a.primary === b.primary && a.supplement === b.supplement

// A rejection names the sides it refuses.
type Applied = Exclude<Transition, { readonly _tag: "Reject" }> | {
  readonly _tag: "Reject"
  readonly sides: ReadonlyArray<string>
}

/**
 * How an SR is cancelled server-side (the `CANCEL` marker, or a control).
 *
 * @since 0.1.0
 */
export const cancelled = {
  _tag: "Invalidate",
  code: "CANCELLED",
  message: "The service request was cancelled."
} as const satisfies Transition

// QC rejects the first required side's photos unless told which.
const firstRequired = (sr: ServiceRequest) =>
  Seed.requirements(sr.category, sr.type).required.slice(0, 1).map((s) => s.uuid)

const nextTransition = (sr: ServiceRequest): Option.Option<Applied> => {
  const m = markers(sr)
  const { primary, supplement } = sr.state
  const move = (primary: State["primary"], supplement: State["supplement"]) =>
    Option.some<Applied>({ _tag: "Move", to: { primary, supplement } })
  if (primary === "QC" && supplement === "PENDING") {
    if (m.has("NOT_SERVICEABLE")) {
      return Option.some({
        _tag: "Invalidate",
        code: "NOT_SERVICEABLE",
        message: "This item cannot be serviced by Legitmark."
      })
    }
    if (m.has("CANCEL")) return Option.some(cancelled)
    if (m.has("BLURRY") && !sr.rejectedOnce) return Option.some({ _tag: "Reject", sides: firstRequired(sr) })
    return move("QC", "APPROVED")
  }
  if (primary === "QC" && supplement === "APPROVED") return move("UNDERWAY", "PENDING")
  if (primary === "UNDERWAY" && supplement === "PENDING") return move("UNDERWAY", "ASSIGNED")
  if (primary === "UNDERWAY" && supplement === "ASSIGNED") {
    if (m.has("FAKE")) return move("COMPLETE", "REJECTED")
    if (m.has("INCONCLUSIVE")) return move("COMPLETE", "COMPLETE")
    return move("COMPLETE", "APPROVED")
  }
  return Option.none()
}

// The SR's side for each uuid or name (case-insensitive), or the names that match none.
const resolveSides = (sr: ServiceRequest, keys: ReadonlyArray<string>) => {
  const { optional, required } = Seed.requirements(sr.category, sr.type)
  const key = (s: string) => s.trim().toLowerCase()
  const find = (k: string) =>
    [...required, ...optional].find((s) => key(s.uuid) === key(k) || key(s.name.en) === key(k))
  const unknown = keys.filter((k) => find(k) === undefined)
  return unknown.length > 0
    ? Effect.fail(new UnknownSides({ sides: unknown }))
    : Effect.succeed(keys.flatMap((k) => {
      const side = find(k)
      return side === undefined ? [] : [side.uuid]
    }))
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}) =>
  Effect.gen(function*() {
    const clock = yield* SimClock
    const store = yield* Store
    const webhooks = yield* Webhooks
    const stepMs = options.stepMs ?? defaultStepMs
    const review = options.review ?? "auto"

    const common = (sr: ServiceRequest, now: number) => ({
      sr_uuid: sr.uuid,
      reference_id: sr.externalId,
      timestamp: new Date(now).toISOString()
    })

    const stateChanged = (sr: ServiceRequest, now: number) =>
      webhooks.emit({ event_type: "state_change", ...common(sr, now), state: sr.state })

    const apply = (sr: ServiceRequest, transition: Applied, now: number): ServiceRequest => {
      switch (transition._tag) {
        case "Move":
          return {
            ...sr,
            state: transition.to,
            updatedAt: now,
            completedAt: transition.to.primary === "COMPLETE" ? now : sr.completedAt
          }
        case "Invalidate":
          return { ...sr, state: { primary: "CANCELLED", supplement: null }, updatedAt: now }
        case "Reject": {
          // The rejected sides' photos stop counting until they are uploaded again.
          const media = transition.sides.reduce(
            (media, side) => HashMap.modify(media, side, (versions) => versions.map((v) => ({ ...v, deleted: true }))),
            sr.media
          )
          return {
            ...sr,
            state: { primary: "QC", supplement: "REJECTED" },
            updatedAt: now,
            media,
            rejectedOnce: true,
            rejections: transition.sides.map((side) => ({ side, reason: Seed.defaultReason }))
          }
        }
      }
    }

    const announce = (sr: ServiceRequest, transition: Applied, now: number) =>
      Effect.gen(function*() {
        yield* stateChanged(sr, now)
        if (transition._tag === "Reject") {
          yield* webhooks.emit({
            event_type: "media_rejected",
            ...common(sr, now),
            sides: sr.rejections.map((r) => ({
              side: Seed.side(r.side)?.name.en ?? r.side,
              reason: r.reason.name.en,
              message: r.reason.message.en
            }))
          })
        }
        if (transition._tag === "Invalidate") {
          yield* webhooks.emit({
            event_type: "invalidate_sr",
            ...common(sr, now),
            invalidation_reason: { code: transition.code, message: transition.message }
          })
        }
      })

    // Applies the transition `decide` picks for the SR as it is (none: nothing happens), announces it and
    // schedules the next step.
    const change = <E>(
      uuid: string,
      decide: (sr: ServiceRequest) => Effect.Effect<Option.Option<Applied>, E>
    ): Effect.Effect<ServiceRequest, E | ServiceRequestNotFound> =>
      Effect.gen(function*() {
        const now = yield* clock.now
        const [next, transition] = yield* store.modify(uuid, (sr) =>
          Effect.map(decide(sr), (t) => {
            const next = Option.isSome(t) ? apply(sr, t.value, now) : sr
            return [[next, t] as const, next] as const
          }))
        if (Option.isSome(transition)) {
          yield* announce(next, transition.value, now)
          yield* scheduleNext(next)
        }
        return next
      })

    // One scheduled step: applies only if the SR is still in the state it was in when scheduled.
    const stepFrom = (uuid: string, from: State): Effect.Effect<void> =>
      change(uuid, (sr) => Effect.succeed(sameState(sr.state, from) ? nextTransition(sr) : Option.none())).pipe(
        Effect.ignore
      )

    const scheduleNext = (sr: ServiceRequest) =>
      review === "auto" && Option.isSome(nextTransition(sr))
        ? clock.schedule(stepMs, stepFrom(sr.uuid, sr.state))
        : Effect.void

    const step = (uuid: string) =>
      change(uuid, (sr) =>
        Effect.succeed(
          sr.state.primary === "DRAFT"
            ? Option.some<Applied>({ _tag: "Move", to: { primary: "QC", supplement: "PENDING" } })
            : nextTransition(sr)
        ))

    const transition = (uuid: string, t: Transition) =>
      change(uuid, (sr) =>
        t._tag === "Reject"
          ? Effect.map(resolveSides(sr, t.sides ?? firstRequired(sr)), (sides) =>
            Option.some<Applied>({ _tag: "Reject", sides }))
          : Effect.succeed(Option.some<Applied>(t)))

    const submit = (uuid: string) =>
      Effect.gen(function*() {
        const now = yield* clock.now
        const sr = yield* store.modify(uuid, (sr) => {
          const { primary, supplement } = sr.state
          const resubmittable = primary === "DRAFT" || (primary === "QC" && supplement === "REJECTED")
          if (!resubmittable) {
            return Effect.fail(
              Errors.conflict(
                `Service request is ${primary}${
                  supplement === null ? "" : `/${supplement}`
                }; only a DRAFT can be submitted`,
                "sr/invalid_state"
              )
            )
          }
          if (!progress(sr).met) {
            const uploaded = uploadedSides(sr)
            const missing = Seed.requirements(sr.category, sr.type).required.filter((s) =>
              !uploaded.has(s.uuid)
            )
            return Effect.fail(
              new Errors.ApiError({
                status: 400,
                message: "Required sides are missing",
                details: "sr/requirements_not_met",
                errors: missing.map((s) => ({
                  code: "validation/missing-side",
                  message: `${s.name.en} (${s.uuid}) is required.`
                }))
              })
            )
          }
          const next: ServiceRequest = {
            ...sr,
            state: { primary: "QC", supplement: "PENDING" },
            updatedAt: now,
            rejections: []
          }
          return Effect.succeed([next, next] as const)
        }).pipe(Effect.catchTag("ServiceRequestNotFound", () => Effect.fail(Errors.notFound("Service request"))))
        yield* stateChanged(sr, now)
        yield* scheduleNext(sr)
        return sr
      })

    return Lifecycle.of({ submit, step, transition })
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Lifecycle, never, SimClock | Store | Webhooks> =>
  Layer.effect(Lifecycle, make(options))
