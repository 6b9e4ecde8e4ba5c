/**
 * The simulator's state: service requests and the photos uploaded for them.
 *
 * @since 0.1.0
 */
import type * as Wire from "@effect-legitmark/schema/State"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Ref from "effect/Ref"
import * as SynchronizedRef from "effect/SynchronizedRef"
import * as Ids from "./internal/ids.js"
import * as Seed from "./Seed.js"
import { SimClock } from "./SimClock.js"

/**
 * The primary states the API documents, named once in `@effect-legitmark/schema` (the simulator renders
 * its answers independently of the schema, but not its state names).
 *
 * @since 0.1.0
 */
export type Primary = (typeof Wire.knownPrimaries)[number]

/**
 * @since 0.1.0
 */
export type Supplement = (typeof Wire.knownSupplements)[number]

/**
 * @since 0.1.0
 */
export interface State {
  readonly primary: Primary
  readonly supplement: Supplement | null
}

/**
 * One uploaded version of a side's photo.
 *
 * @since 0.1.0
 */
export interface Media {
  readonly id: number
  readonly version: string
  readonly extension: string
  readonly contentType: string
  readonly bytes: Uint8Array
  readonly uploadedAt: number
  /** Set when QC rejected this photo: it no longer counts towards progress. */
  readonly deleted: boolean
}

/**
 * @since 0.1.0
 */
export interface Rejection {
  readonly side: string
  readonly reason: Seed.Reason
}

/**
 * @since 0.1.0
 */
export interface ServiceRequest {
  readonly uuid: string
  readonly microId: string
  readonly externalId: string
  readonly user: string
  readonly category: string
  readonly type: string
  readonly brand: string | null
  readonly model: string | null
  readonly service: string
  readonly state: State
  readonly createdAt: number
  readonly updatedAt: number
  readonly draftedAt: number
  readonly completedAt: number | null
  /** Uploaded versions per side uuid, oldest first. */
  readonly media: HashMap.HashMap<string, ReadonlyArray<Media>>
  /** The last QC rejection, if any. */
  readonly rejections: ReadonlyArray<Rejection>
  /** Whether the `BLURRY` marker already rejected this SR once. */
  readonly rejectedOnce: boolean
}

/**
 * @since 0.1.0
 */
export interface NewServiceRequest {
  readonly externalId: string
  readonly user: string
  readonly category: string
  readonly type: string
  readonly brand: string | null
  readonly model: string | null
  readonly service: string
}

/**
 * @since 0.1.0
 */
export class ServiceRequestNotFound extends Data.TaggedError("ServiceRequestNotFound")<{}> {}

/**
 * @since 0.1.0
 */
export interface StoreService {
  readonly create: (input: NewServiceRequest) => Effect.Effect<ServiceRequest>
  readonly get: (uuid: string) => Effect.Effect<Option.Option<ServiceRequest>>
  /** Looks an SR up by uuid, micro id or external id (the public `find` endpoint). */
  readonly find: (identifier: string) => Effect.Effect<Option.Option<ServiceRequest>>
  /** Atomically updates one SR; `f` decides the answer and the new value (or fails, leaving it as it was). */
  readonly modify: <A, E>(
    uuid: string,
    f: (sr: ServiceRequest) => Effect.Effect<readonly [A, ServiceRequest], E>
  ) => Effect.Effect<A, E | ServiceRequestNotFound>
  readonly count: Effect.Effect<number>
  /** Every SR, oldest first (read-only: for tests and control reads). */
  readonly list: Effect.Effect<ReadonlyArray<ServiceRequest>>
  readonly reset: Effect.Effect<void>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Store extends Context.Tag("@effect-legitmark/simulator/Store")<Store, StoreService>() {}

/**
 * First micro id handed out, as in the published create example.
 *
 * @since 0.1.0
 */
export const firstMicroId = 998001

/**
 * The sides of an SR that have a live (not rejected) photo.
 *
 * @since 0.1.0
 */
export const uploadedSides = (sr: ServiceRequest): ReadonlySet<string> =>
  new Set(
    HashMap.toEntries(sr.media).flatMap(([side, versions]) => versions.some((m) => !m.deleted) ? [side] : [])
  )

/**
 * @since 0.1.0
 */
export interface Progress {
  readonly current_required: number
  readonly total_required: number
  readonly current_optional: number
  readonly total_optional: number
  readonly met: boolean
}

/**
 * @since 0.1.0
 */
export const progress = (sr: ServiceRequest): Progress => {
  const { optional, required } = Seed.requirements(sr.category, sr.type)
  const uploaded = uploadedSides(sr)
  const currentRequired = required.filter((s) => uploaded.has(s.uuid)).length
  return {
    current_required: currentRequired,
    total_required: required.length,
    current_optional: optional.filter((s) => uploaded.has(s.uuid)).length,
    total_optional: optional.length,
    met: currentRequired === required.length
  }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: { readonly seed?: number | undefined } = {}) =>
  Effect.gen(function*() {
    const clock = yield* SimClock
    const random = Random.make(options.seed ?? 0)
    const srs = yield* SynchronizedRef.make(HashMap.empty<string, ServiceRequest>())
    const microIds = yield* Ref.make(firstMicroId)

    const create = (input: NewServiceRequest) =>
      Effect.gen(function*() {
        const uuid = yield* Ids.uuid(random)
        const microId = yield* Ref.getAndUpdate(microIds, (n) => n + 1)
        const now = yield* clock.now
        const sr: ServiceRequest = {
          ...input,
          uuid,
          microId: String(microId),
          state: { primary: "DRAFT", supplement: null },
          createdAt: now,
          updatedAt: now,
          draftedAt: now,
          completedAt: null,
          media: HashMap.empty(),
          rejections: [],
          rejectedOnce: false
        }
        yield* SynchronizedRef.update(srs, HashMap.set(uuid, sr))
        return sr
      })

    const find = (identifier: string) =>
      Effect.map(SynchronizedRef.get(srs), (all) =>
        Option.orElse(
          HashMap.get(all, identifier.toLowerCase()),
          () =>
            Option.fromNullable(
              [...HashMap.values(all)]
                // The micro id breaks ties (a manual clock gives SRs the same created_at).
                .sort((a, b) => a.createdAt - b.createdAt || Number(a.microId) - Number(b.microId))
                .find((sr) => sr.microId === identifier || sr.externalId === identifier)
            )
        ))

    const modify = <A, E>(
      uuid: string,
      f: (sr: ServiceRequest) => Effect.Effect<readonly [A, ServiceRequest], E>
    ): Effect.Effect<A, E | ServiceRequestNotFound> =>
      SynchronizedRef.modifyEffect(srs, (all) =>
        Option.match(HashMap.get(all, uuid), {
          onNone: (): Effect.Effect<
            readonly [A, HashMap.HashMap<string, ServiceRequest>],
            E | ServiceRequestNotFound
          > => Effect.fail(new ServiceRequestNotFound()),
          onSome: (sr) => Effect.map(f(sr), ([a, next]) => [a, HashMap.set(all, uuid, next)] as const)
        }))

    return Store.of({
      create,
      get: (uuid) => Effect.map(SynchronizedRef.get(srs), HashMap.get(uuid.toLowerCase())),
      find,
      modify,
      count: Effect.map(SynchronizedRef.get(srs), HashMap.size),
      list: Effect.map(
        SynchronizedRef.get(srs),
        (all) =>
          [...HashMap.values(all)].sort((a, b) => a.createdAt - b.createdAt || Number(a.microId) - Number(b.microId))
      ),
      reset: Effect.zipRight(SynchronizedRef.set(srs, HashMap.empty()), Ref.set(microIds, firstMicroId))
    })
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: { readonly seed?: number | undefined } = {}): Layer.Layer<Store, never, SimClock> =>
  Layer.effect(Store, make(options))
