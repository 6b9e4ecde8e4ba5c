/**
 * The high-level Legitmark service: whole authentications, not single calls.
 *
 * @since 0.1.0
 */
import { LegitmarkClient } from "@effect-legitmark/client"
import type * as Errors from "@effect-legitmark/client/LegitmarkError"
import type * as Photo from "@effect-legitmark/client/Photo"
import type { ServiceRequest } from "@effect-legitmark/schema/ServiceRequest"
import type { Side } from "@effect-legitmark/schema/Side"
import * as Clock from "effect/Clock"
import type * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as UploadPlan from "./internal/uploadPlan.js"
import * as Metrics from "./Metrics.js"
import * as Verdict from "./Verdict.js"

/**
 * Required sides that `photos` does not cover (and that have no photo on the server yet), or keys of
 * `photos` that name no side of the SR.
 *
 * @since 0.1.0
 */
export class MissingPhotosError extends Schema.TaggedError<MissingPhotosError>("effect-legitmark/MissingPhotosError")(
  "MissingPhotosError",
  {
    message: Schema.String,
    sr: Schema.String,
    missing: Schema.Array(Schema.Struct({ uuid: Schema.String, name: Schema.String })),
    unknown: Schema.Array(Schema.String)
  }
) {}

/**
 * No verdict within the `timeout` of `awaitVerdict`.
 *
 * @since 0.1.0
 */
export class VerdictTimeoutError
  extends Schema.TaggedError<VerdictTimeoutError>("effect-legitmark/VerdictTimeoutError")(
    "VerdictTimeoutError",
    { message: Schema.String, sr: Schema.String, state: Schema.String }
  )
{}

/**
 * One step of an authentication, for a progress bar: `done` of `total` photos are on the server.
 *
 * @since 0.1.0
 */
export interface AuthenticateProgress {
  readonly _tag: "Uploading" | "Uploaded" | "Skipped"
  readonly side: { readonly uuid: string; readonly name: string }
  readonly done: number
  readonly total: number
}

/**
 * Which photos this call uploaded, and which were already on the server.
 *
 * @since 0.1.0
 */
export interface Authenticated {
  readonly sr: ServiceRequest
  readonly uploaded: ReadonlyArray<string>
  readonly skipped: ReadonlyArray<string>
  /** False when the SR had already been submitted by an earlier call. */
  readonly submitted: boolean
}

/**
 * @since 0.1.0
 */
export interface AuthenticateInput {
  /** Your id for the item. A call with a `referenceId` that already has an SR resumes that SR. */
  readonly referenceId: string
  readonly item: {
    readonly category: string
    readonly type: string
    readonly brand?: string
    readonly model?: string
  }
  readonly service?: string
  /** Resume this SR instead of looking it up by `referenceId`. */
  readonly sr?: string
  /** Photos keyed by side uuid or side name (case-insensitive). */
  readonly photos: Readonly<Record<string, Photo.Photo>>
  /** Uploads in flight at once. Default 4. */
  readonly concurrency?: number
  readonly onProgress?: (progress: AuthenticateProgress) => Effect.Effect<void>
}

/**
 * What an SR came to: a `Verdict`, or photos rejected by QC that must be re-uploaded before the SR is
 * submitted again.
 *
 * @since 0.1.0
 */
export type Outcome =
  | Verdict.Verdict
  | {
    readonly _tag: "MediaRejected"
    readonly sr: ServiceRequest
    /** Required sides whose photo QC refused: upload them again, then submit. */
    readonly sides: ReadonlyArray<{ readonly uuid: string; readonly name: string }>
  }

/**
 * @since 0.1.0
 */
export interface AwaitOptions {
  /** How to poll. Default: every 5 s, then backing off to every 60 s. */
  readonly schedule?: Schedule.Schedule<unknown, ServiceRequest>
  /** Give up after this long (default: never). */
  readonly timeout?: Duration.DurationInput
}

/**
 * @since 0.1.0
 */
export type AuthenticateError =
  | MissingPhotosError
  | Errors.InvalidRequestError
  | Errors.ValidationError
  | Errors.NotFoundError
  | Errors.ConflictError
  | Errors.InDoubtError
  | Errors.CommonError

/**
 * @since 0.1.0
 */
export interface Service {
  /** The client underneath, for single calls. */
  readonly client: LegitmarkClient.Service
  /**
   * Creates the SR (or resumes the one for `referenceId`), checks that `photos` cover every required
   * side, uploads what the server does not have yet, confirms progress and submits. Interrupted at any
   * point, a second call with the same input picks up where the first stopped. While an earlier create
   * for `referenceId` may still land, it creates nothing and fails with an `InDoubtError`.
   */
  readonly authenticate: (input: AuthenticateInput) => Effect.Effect<Authenticated, AuthenticateError>
  /** Polls an SR until it has a verdict, or until QC rejects its photos. */
  readonly awaitVerdict: (
    sr: string,
    options?: AwaitOptions
  ) => Effect.Effect<
    Outcome,
    VerdictTimeoutError | Errors.InvalidRequestError | Errors.NotFoundError | Errors.CommonError
  >
}

const sideRef = (side: Side) => ({ uuid: side.uuid, name: side.name })

const isMediaRejected = (sr: ServiceRequest) => sr.state.primary === "QC" && sr.state.supplement === "REJECTED"

const outcomeOf = (sr: ServiceRequest): Option.Option<Outcome> =>
  isMediaRejected(sr) ?
    Option.some({
      _tag: "MediaRejected",
      sr,
      sides: (sr.sides?.required ?? []).filter((side) => !side.hasMedia).map(sideRef)
    }) :
    Verdict.fromServiceRequest(sr)

// The verdict time's series, one per outcome.
const verdictTimes = {
  Authentic: Metric.tagged(Metrics.verdictTime, "outcome", "Authentic"),
  NotAuthentic: Metric.tagged(Metrics.verdictTime, "outcome", "NotAuthentic"),
  Inconclusive: Metric.tagged(Metrics.verdictTime, "outcome", "Inconclusive"),
  Cancelled: Metric.tagged(Metrics.verdictTime, "outcome", "Cancelled"),
  MediaRejected: Metric.tagged(Metrics.verdictTime, "outcome", "MediaRejected")
} satisfies Record<Outcome["_tag"], Metric.Metric.Histogram<number>>

// The most submissions a service remembers the time of, for the verdict time; the oldest go first.
const maxSubmissions = 10_000

/**
 * The default polling: every 5 s for a minute, then backing off to once a minute.
 *
 * @since 0.1.0
 */
export const defaultPollSchedule: Schedule.Schedule<unknown, ServiceRequest> = Schedule.union(
  Schedule.spaced("5 seconds").pipe(Schedule.upTo("1 minute")),
  Schedule.exponential("5 seconds", 1.5).pipe(Schedule.modifyDelay((_, d) => Duration.min(d, Duration.minutes(1))))
)

/**
 * @since 0.1.0
 */
export const make: Effect.Effect<Service, never, LegitmarkClient> = Effect.gen(function*() {
  const client = yield* LegitmarkClient
  // When this service submitted each SR (epoch ms), until `awaitVerdict` finds its outcome.
  const submittedAt = new Map<string, number>()
  const remember = (uuid: string) =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      submittedAt.delete(uuid)
      submittedAt.set(uuid, now)
      if (submittedAt.size > maxSubmissions) submittedAt.delete(submittedAt.keys().next().value!)
    })
  const decided = (outcome: Outcome) =>
    Effect.suspend(() => {
      const since = submittedAt.get(outcome.sr.uuid)
      if (since === undefined) return Effect.void
      submittedAt.delete(outcome.sr.uuid)
      return Effect.flatMap(
        Clock.currentTimeMillis,
        (now) => Metric.update(verdictTimes[outcome._tag], (now - since) / 1000)
      )
    })

  const readSides = (uuid: string) => client.serviceRequests.get(uuid, { item: true, sides: true, requirements: true })

  // The SR for this input: the one named, the one already opened for its reference id (if this key can
  // read it: the lookup is public), or a new one.
  const openOrResume = (input: AuthenticateInput) =>
    input.sr !== undefined ?
      readSides(input.sr) :
      client.serviceRequests.find(input.referenceId).pipe(
        Effect.flatMap((found) => readSides(found.uuid)),
        Effect.catchTag("NotFoundError", () =>
          client.serviceRequests.create({
            reference_id: input.referenceId,
            item: input.item,
            ...(input.service === undefined ? {} : { service: input.service })
          }).pipe(Effect.flatMap((created) => readSides(created.uuid))))
      )

  const authenticate = (input: AuthenticateInput) =>
    Effect.gen(function*() {
      const sr = yield* openOrResume(input)
      yield* Effect.annotateCurrentSpan("legitmark.sr_uuid", sr.uuid)
      if (sr.state.primary !== "DRAFT" && !isMediaRejected(sr)) {
        return { sr, uploaded: [], skipped: [], submitted: false } satisfies Authenticated
      }

      // Match the photos to the SR's sides by uuid or name.
      const required = sr.sides?.required ?? []
      const optional = sr.sides?.optional ?? []
      const sides = [...required, ...optional]
      const keyOf = (key: string) => key.trim().toLowerCase()
      const byKey = new Map<string, Side>()
      for (const side of sides) {
        byKey.set(keyOf(side.uuid), side)
        byKey.set(keyOf(side.name), side)
      }
      const unknown = Object.keys(input.photos).filter((key) => !byKey.has(keyOf(key)))
      const photoFor = new Map<string, Photo.Photo>()
      for (const [key, photo] of Object.entries(input.photos)) {
        const side = byKey.get(keyOf(key))
        if (side) photoFor.set(side.uuid, photo)
      }

      // What the server has: each side's media where the answer shows it, else the progress counts.
      const plan: UploadPlan.Input = {
        required,
        optional,
        withPhoto: (side) => photoFor.has(side.uuid),
        known: new Map(sides.map((side) => [side.uuid, UploadPlan.knownFromMedia(side)]))
      }
      const counts = [...plan.known.values()].includes("unknown") ?
        yield* client.serviceRequests.progress(sr.uuid) :
        undefined
      const first = UploadPlan.plan(plan, counts && UploadPlan.usableCounts(counts))
      const missing = first.missing
      if (missing.length > 0 || unknown.length > 0) {
        return yield* new MissingPhotosError({
          message: [
            missing.length > 0 ? `no photo for the required sides ${missing.map((s) => s.name).join(", ")}` : "",
            unknown.length > 0 ? `no side of the SR is called ${unknown.join(", ")}` : ""
          ].filter((s) => s !== "").join("; "),
          sr: sr.uuid,
          missing: missing.map(sideRef),
          unknown
        })
      }

      // Upload only what the server does not have: a resumed call does not send a side again.
      const total = sides.filter(plan.withPhoto).length
      const done = yield* Ref.make(0)
      const report = (tag: AuthenticateProgress["_tag"], side: Side) =>
        Effect.flatMap(
          Ref.updateAndGet(done, (n) => tag === "Uploading" ? n : n + 1),
          (n) =>
            input.onProgress === undefined
              ? Effect.void
              : input.onProgress({ _tag: tag, side: sideRef(side), done: n, total })
        )
      const shown = sides.filter((side) => plan.withPhoto(side) && plan.known.get(side.uuid) === "present")
      yield* Effect.forEach(shown, (side) => report("Skipped", side), { discard: true })
      const settled = yield* UploadPlan.settle({
        input: plan,
        first,
        counts,
        readProgress: client.serviceRequests.progress(sr.uuid),
        upload: (todo) =>
          Effect.forEach(
            todo,
            (side) =>
              report("Uploading", side).pipe(
                Effect.zipRight(client.media.upload(sr.uuid, side.uuid, photoFor.get(side.uuid)!)),
                Effect.zipRight(report("Uploaded", side))
              ),
            { concurrency: input.concurrency ?? 4, discard: true }
          )
      })
      const counted = settled.skipped.filter((side) => !shown.includes(side))
      yield* Effect.forEach(counted, (side) => report("Skipped", side), { discard: true })

      // The progress endpoint is the server's word on whether the SR may be submitted.
      const { progress } = settled.progress
      if (!progress.met) {
        const after = yield* client.serviceRequests.get(sr.uuid, { item: true, sides: true })
        const stillMissing = (after.sides?.required ?? []).filter((side) => !side.hasMedia).map(sideRef)
        return yield* new MissingPhotosError({
          message: `the server still counts ${progress.current_required} of ${progress.total_required} required photos`,
          sr: sr.uuid,
          missing: stillMissing,
          unknown: []
        })
      }
      // A submit that the server refuses as a conflict may be one an earlier, interrupted call made.
      yield* client.serviceRequests.submit(sr.uuid).pipe(
        Effect.catchTag("ConflictError", (conflict) =>
          Effect.flatMap(
            client.serviceRequests.get(sr.uuid),
            (current) => current.state.primary === "DRAFT" ? Effect.fail(conflict) : Effect.void
          ))
      )
      yield* remember(sr.uuid)
      const submitted = yield* client.serviceRequests.get(sr.uuid, { summary: true, item: true, sides: true })
      return {
        sr: submitted,
        uploaded: settled.uploaded.map((s) => s.uuid),
        skipped: settled.skipped.map((s) => s.uuid),
        submitted: true
      } satisfies Authenticated
    }).pipe(Effect.withSpan("Legitmark.authenticate", { attributes: { "legitmark.reference_id": input.referenceId } }))

  const awaitVerdict = (uuid: string, options: AwaitOptions = {}) => {
    const poll = client.serviceRequests.get(uuid, { item: true, sides: true }).pipe(
      Effect.repeat(
        (options.schedule ?? defaultPollSchedule).pipe(
          Schedule.whileInput((sr: ServiceRequest) => Option.isNone(outcomeOf(sr))),
          Schedule.passthrough
        )
      ),
      Effect.flatMap((sr) =>
        Option.match(outcomeOf(sr), {
          onSome: (outcome) => Effect.as(decided(outcome), outcome),
          // The caller's schedule stopped before a verdict.
          onNone: () =>
            new VerdictTimeoutError({
              message: `SR ${uuid} is still ${sr.state.primary} after polling stopped`,
              sr: uuid,
              state: `${sr.state.primary}/${sr.state.supplement ?? "-"}`
            })
        })
      )
    )
    const bounded = options.timeout === undefined ? poll : poll.pipe(
      Effect.timeoutFail({
        duration: options.timeout,
        onTimeout: () =>
          new VerdictTimeoutError({
            message: `no verdict for SR ${uuid} within ${Duration.format(Duration.decode(options.timeout!))}`,
            sr: uuid,
            state: "unknown"
          })
      })
    )
    return bounded.pipe(Effect.withSpan("Legitmark.awaitVerdict", { attributes: { "legitmark.sr_uuid": uuid } }))
  }

  return { client, authenticate, awaitVerdict }
})

/**
 * The service: `yield* Legitmark` in a program, `Legitmark.layer` / `Legitmark.layerConfig()` to
 * provide it.
 *
 * @since 0.1.0
 */
export class Legitmark extends Context.Tag("effect-legitmark/Legitmark")<Legitmark, Service>() {
  /** @since 0.1.0 */
  static readonly make = make
  /** @since 0.1.0 */
  static get layer(): Layer.Layer<Legitmark, never, LegitmarkClient> {
    return layer
  }
  /** @since 0.1.0 */
  static get layerConfig(): typeof layerConfig {
    return layerConfig
  }
}

/**
 * @since 0.1.0
 */
export const layer: Layer.Layer<Legitmark, never, LegitmarkClient> = Layer.effect(Legitmark, make)

/**
 * `Legitmark` with its client configured from `Config` (see `LegitmarkClient.layerConfig`); the user
 * still picks the HTTP transport.
 *
 * @example
 * ```ts
 * import { Photo } from "@effect-legitmark/client"
 * import { NodeFileSystem, NodeHttpClient } from "@effect/platform-node"
 * import { Effect, Layer } from "effect"
 * import { Legitmark } from "effect-legitmark"
 *
 * const program = Effect.gen(function*() {
 *   const legitmark = yield* Legitmark
 *   // Bag → Crossbody needs a photo of each of its three required sides, keyed by side name or uuid.
 *   const { sr } = yield* legitmark.authenticate({
 *     referenceId: "SKU-2024-0891",
 *     item: { category: "cc30b104-7c47-11ef-a623-02595575faeb", type: "95e42d6b-7c4f-11ef-a623-02595575faeb" },
 *     photos: {
 *       "Front": yield* Photo.fromPath("examples/photos/bag-front.png"),
 *       "Back": yield* Photo.fromPath("examples/photos/bag-back.png"),
 *       "Interior Label or Heat Stamp": yield* Photo.fromPath("examples/photos/bag-label.png")
 *     }
 *   })
 *   const outcome = yield* legitmark.awaitVerdict(sr.uuid, { timeout: "2 hours" })
 *   yield* Effect.log(`${sr.uuid}: ${outcome._tag}`)
 * })
 *
 * // Reads LEGITMARK_API_KEY (required), LEGITMARK_BASE_URL and LEGITMARK_ASSET_URL.
 * const MainLayer = Legitmark.layerConfig().pipe(Layer.provide(NodeHttpClient.layerUndici))
 *
 * export const main = program.pipe(Effect.provide(Layer.merge(MainLayer, NodeFileSystem.layer)))
 * ```
 *
 * @since 0.1.0
 */
export const layerConfig = (config?: Config.Config<LegitmarkClient.Options>) =>
  layer.pipe(Layer.provide(LegitmarkClient.layerConfig(config)))
