/**
 * The SR state machine: submit, then a scripted walk through QC and authentication on the simulated
 * clock. Markers in the SR's `reference_id` choose the script (see README).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Errors from "./internal/errors.js"
import * as Seed from "./Seed.js"
import { SimClock } from "./SimClock.js"
import type { ServiceRequest, State } from "./Store.js"
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
 * @since 0.1.0
 */
export interface LifecycleService {
  /** Submits a DRAFT (or QC/REJECTED) SR whose required sides are all uploaded. */
  readonly submit: (uuid: string) => Effect.Effect<ServiceRequest, Errors.ApiError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Lifecycle extends Context.Tag("@effect-legitmark/simulator/Lifecycle")<Lifecycle, LifecycleService>() {}

const sameState = (a: State, b: State) => a.primary === b.primary && a.supplement === b.supplement

/** What happens when the SR has sat in its current state for one step. */
type Transition =
  | { readonly _tag: "Move"; readonly to: State }
  | { readonly _tag: "Reject" }
  | { readonly _tag: "Invalidate"; readonly code: string; readonly message: string }

const nextTransition = (sr: ServiceRequest): Option.Option<Transition> => {
  const m = markers(sr)
  const { primary, supplement } = sr.state
  const move = (primary: State["primary"], supplement: State["supplement"]) =>
    Option.some<Transition>({ _tag: "Move", to: { primary, supplement } })
  if (primary === "QC" && supplement === "PENDING") {
    if (m.has("NOT_SERVICEABLE")) {
      return Option.some({
        _tag: "Invalidate",
        code: "NOT_SERVICEABLE",
        message: "This item cannot be serviced by Legitmark."
      })
    }
    if (m.has("CANCEL")) {
      return Option.some({ _tag: "Invalidate", code: "CANCELLED", message: "The service request was cancelled." })
    }
    if (m.has("BLURRY") && !sr.rejectedOnce) return Option.some({ _tag: "Reject" })
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

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: { readonly stepMs?: number | undefined } = {}) =>
  Effect.gen(function*() {
    const clock = yield* SimClock
    const store = yield* Store
    const webhooks = yield* Webhooks
    const stepMs = options.stepMs ?? defaultStepMs

    const common = (sr: ServiceRequest, now: number) => ({
      sr_uuid: sr.uuid,
      reference_id: sr.externalId,
      timestamp: new Date(now).toISOString()
    })

    const stateChanged = (sr: ServiceRequest, now: number) =>
      webhooks.emit({ event_type: "state_change", ...common(sr, now), state: sr.state })

    const apply = (sr: ServiceRequest, transition: Transition, now: number): ServiceRequest => {
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
          // QC rejects the first required side's photos; they stop counting until re-uploaded.
          const side = Seed.requirements(sr.category, sr.type).required[0]
          const media = side === undefined
            ? sr.media
            : HashMap.modify(sr.media, side.uuid, (versions) => versions.map((v) => ({ ...v, deleted: true })))
          return {
            ...sr,
            state: { primary: "QC", supplement: "REJECTED" },
            updatedAt: now,
            media,
            rejectedOnce: true,
            rejections: side === undefined ? [] : [{ side: side.uuid, reason: Seed.defaultReason }]
          }
        }
      }
    }

    const announce = (sr: ServiceRequest, transition: Transition, now: number) =>
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

    // One scheduled step: applies only if the SR is still in the state it was in when scheduled.
    const stepFrom = (uuid: string, from: State): Effect.Effect<void> =>
      Effect.gen(function*() {
        const now = yield* clock.now
        const result = yield* store.modify(uuid, (sr) =>
          Effect.succeed(
            sameState(sr.state, from)
              ? Option.match(nextTransition(sr), {
                onNone: () => [Option.none(), sr] as const,
                onSome: (t) => {
                  const next = apply(sr, t, now)
                  return [Option.some([next, t] as const), next] as const
                }
              })
              : [Option.none(), sr] as const
          )).pipe(Effect.orElseSucceed(() => Option.none()))
        if (Option.isNone(result)) return
        const [next, transition] = result.value
        yield* announce(next, transition, now)
        yield* scheduleNext(next)
      })

    const scheduleNext = (sr: ServiceRequest) =>
      Option.isSome(nextTransition(sr)) ? clock.schedule(stepMs, stepFrom(sr.uuid, sr.state)) : Effect.void

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
            const missing = Seed.requirements(sr.category, sr.type).required.filter((s) => !uploaded.has(s.uuid))
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

    return Lifecycle.of({ submit })
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: { readonly stepMs?: number | undefined } = {}
): Layer.Layer<Lifecycle, never, SimClock | Store | Webhooks> => Layer.effect(Lifecycle, make(options))
