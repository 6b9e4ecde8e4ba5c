/**
 * In-memory Layers for users' unit tests: a `LegitmarkClient` that keeps service requests, uploads and
 * the catalog in a store instead of speaking HTTP, the real `Legitmark` workflows on top of it, and a
 * `LegitmarkTest` service to drive the store (move SRs through their states, reject photos, inject
 * failures) and to read back what was called.
 *
 * @since 0.1.0
 */
import { LegitmarkClient } from "@effect-legitmark/client"
import {
  AuthenticationError,
  ConflictError,
  InvalidRequestError,
  type LegitmarkError,
  NotFoundError,
  ValidationError
} from "@effect-legitmark/client/LegitmarkError"
import * as Photo from "@effect-legitmark/client/Photo"
import * as Validation from "@effect-legitmark/client/Validation"
import type { FieldError } from "@effect-legitmark/schema/ErrorBody"
import * as Media from "@effect-legitmark/schema/Media"
import * as Progress from "@effect-legitmark/schema/Progress"
import * as SR from "@effect-legitmark/schema/ServiceRequest"
import { Side, SideGroup } from "@effect-legitmark/schema/Side"
import { type Primary, State, type Supplement } from "@effect-legitmark/schema/State"
import * as Taxonomy from "@effect-legitmark/schema/Taxonomy"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as SynchronizedRef from "effect/SynchronizedRef"
import { Legitmark } from "./Legitmark.js"

type ClientService = LegitmarkClient.Service
type Group = keyof ClientService
type EffectMethodOf<G extends Group> = {
  [M in keyof ClientService[G] & string]: ClientService[G][M] extends (...args: Array<never>) => Effect.Effect<
    infer _A,
    infer _E
  > ? M :
    never
}[keyof ClientService[G] & string]

/**
 * The test Layer's types, merged with its Tag: `LegitmarkTest.Options`, `LegitmarkTest.Service`…
 *
 * @since 0.1.0
 */
export declare namespace LegitmarkTest {
  /**
   * A client method that returns an `Effect`, as `"<group>.<method>"`. The `stream*` methods are walks
   * over their page method (`streamBrands` calls `taxonomy.brands` once per page).
   *
   * @since 0.1.0
   */
  export type Method = { [G in Group]: `${G}.${EffectMethodOf<G>}` }[Group]

  /**
   * The exact error union of a method: what `failNext` may inject into it.
   *
   * @since 0.1.0
   */
  export type ErrorOf<M extends Method> = M extends `${infer G extends Group}.${infer N}` ?
    N extends keyof ClientService[G] ?
      ClientService[G][N] extends (...args: Array<never>) => Effect.Effect<infer _A, infer E> ? E : never :
    never :
    never

  /**
   * @since 0.1.0
   */
  export interface Options {
    /** The catalog the client serves and validates against. Default {@link defaultTaxonomy}. */
    readonly taxonomy?: Catalog
    /**
     * When true, every `serviceRequests.get` of a submitted SR answers with its current state and then
     * moves it one step, so `awaitVerdict` comes to a verdict without driving the store by hand. Markers
     * in the reference id pick the verdict, as in the simulator: `FAKE` → not authentic, `CANCEL` (or
     * `NOT_SERVICEABLE`) → cancelled, `BLURRY` → QC rejects the first required side once,
     * `INCONCLUSIVE` → COMPLETE/COMPLETE; anything else → authentic.
     */
    readonly autoAdvance?: boolean
  }

  /**
   * One call made to the in-memory client, valid or not, with its arguments as given.
   *
   * @since 0.1.0
   */
  export interface Call {
    readonly method: Method
    readonly args: ReadonlyArray<unknown>
  }

  /**
   * One photo the in-memory storage received.
   *
   * @since 0.1.0
   */
  export interface Upload {
    readonly sr: string
    readonly side: string
    readonly extension: Media.Extension
    readonly contentType: string
    /** The size the photo declared. */
    readonly size: number
    /** The bytes its stream actually produced. */
    readonly bytes: number
    /** FNV-1a of the bytes (not cryptographic): equal photos have equal checksums. */
    readonly checksum: string
    /** The presigned URL it was PUT to, without its query. */
    readonly url: string
    readonly uploadedAt: string
  }

  /**
   * A verdict `complete` can give: `APPROVED` (authentic), `REJECTED` (not authentic), `COMPLETE`
   * (processed, verdict not stated).
   *
   * @since 0.1.0
   */
  export type Completion = "APPROVED" | "REJECTED" | "COMPLETE"

  /**
   * The control side of the test Layer. Every SR argument is a uuid; an SR that does not exist fails
   * with `NotFoundError`.
   *
   * @since 0.1.0
   */
  export interface Service {
    /** The in-memory client (also provided as `LegitmarkClient`). */
    readonly client: LegitmarkClient.Service
    /** Sets an SR's state as it is, whatever it was. */
    readonly setState: (
      sr: string,
      primary: Primary,
      supplement?: Supplement | null
    ) => Effect.Effect<SR.ServiceRequest, NotFoundError>
    /**
     * Moves an SR one step: DRAFT → QC/PENDING (without checking its photos) → QC/APPROVED →
     * UNDERWAY/PENDING → UNDERWAY/ASSIGNED → COMPLETE/APPROVED, with the reference-id markers of
     * `autoAdvance`. An SR with no next step is left as it is.
     */
    readonly advance: (sr: string) => Effect.Effect<SR.ServiceRequest, NotFoundError>
    /** Completes an SR with a verdict. */
    readonly complete: (sr: string, verdict: Completion) => Effect.Effect<SR.ServiceRequest, NotFoundError>
    /** Cancels an SR (CANCELLED/null), as Legitmark does server-side. */
    readonly cancel: (sr: string) => Effect.Effect<SR.ServiceRequest, NotFoundError>
    /**
     * QC rejects photos: the SR goes to QC/REJECTED and the photos of these sides (uuids or names;
     * default the first required side) are marked deleted, so they no longer count.
     */
    readonly rejectMedia: (
      sr: string,
      sides?: ReadonlyArray<string>
    ) => Effect.Effect<SR.ServiceRequest, NotFoundError>
    /** Makes the next `times` (default 1) calls of `method` fail with `error`, before they touch the store. */
    readonly failNext: <M extends Method>(method: M, error: ErrorOf<M>, times?: number) => Effect.Effect<void>
    /** Every SR, in creation order, with all its parts. */
    readonly serviceRequests: Effect.Effect<ReadonlyArray<SR.ServiceRequest>>
    /** Every photo received, in order. */
    readonly uploads: Effect.Effect<ReadonlyArray<Upload>>
    /** Every call made to the client, in order. `media.upload` also logs the intent and PUT it makes. */
    readonly calls: Effect.Effect<ReadonlyArray<Call>>
  }

  /**
   * The catalog of a test store. Categories and types list the uuids of their sides (an SR needs the
   * sides of its category and of its type); types list their brands.
   *
   * @since 0.1.0
   */
  export interface Catalog {
    readonly categories: ReadonlyArray<CatalogCategory>
    readonly types: ReadonlyArray<CatalogType>
    readonly brands: ReadonlyArray<CatalogBrand>
    readonly models: ReadonlyArray<CatalogModel>
    readonly services: ReadonlyArray<CatalogService>
    readonly sideGroups: ReadonlyArray<CatalogSideGroup>
    readonly sides: ReadonlyArray<CatalogSide>
    readonly reasons: ReadonlyArray<CatalogReason>
  }

  /** @since 0.1.0 */
  export interface CatalogCategory {
    readonly uuid: string
    readonly name: string
    readonly sides: ReadonlyArray<string>
    readonly ordinal: number
    readonly active: boolean
  }

  /** @since 0.1.0 */
  export interface CatalogType {
    readonly uuid: string
    readonly name: string
    readonly category: string
    readonly sides: ReadonlyArray<string>
    readonly brands: ReadonlyArray<string>
    readonly ordinal: number
    readonly active: boolean
  }

  /** @since 0.1.0 */
  export interface CatalogBrand {
    readonly uuid: string
    readonly name: string
    readonly active: boolean
  }

  /** @since 0.1.0 */
  export interface CatalogModel {
    readonly uuid: string
    readonly name: string
    readonly brand: string
    readonly type: string
  }

  /** @since 0.1.0 */
  export interface CatalogService {
    readonly uuid: string
    readonly name: string
    readonly description: string
    /** The categories it covers; `create` without a `service` picks the first one covering the item. */
    readonly categories: ReadonlyArray<string>
    readonly active: boolean
  }

  /** @since 0.1.0 */
  export interface CatalogSideGroup {
    readonly uuid: string
    readonly name: string
    readonly description: string
    readonly lock: boolean
  }

  /** @since 0.1.0 */
  export interface CatalogSide {
    readonly uuid: string
    readonly name: string
    readonly description: string
    readonly ordinal: number
    readonly required: boolean
    readonly group: string
    readonly active: boolean
  }

  /** @since 0.1.0 */
  export interface CatalogReason {
    readonly uuid: string
    readonly code: string
    readonly name: string
    readonly message: string
  }
}

// --- the default catalog ---------------------------------------------------------------------------

/**
 * The uuids of the default catalog (the simulator's seed and the published fixtures use the same).
 *
 * @since 0.1.0
 */
export const ids = {
  footwear: "25ed7133-f230-4d64-850d-0cfc698e2931",
  sneakers: "95e428c2-7c4f-11ef-a623-02595575faeb",
  bag: "cc30b104-7c47-11ef-a623-02595575faeb",
  crossbody: "95e42d6b-7c4f-11ef-a623-02595575faeb",
  nike: "a46f1e52-7f44-11ef-9ad3-0288afec8b95",
  chanel: "a472b4d9-7f44-11ef-9ad3-0288afec8b95",
  dunkLow: "c1a0e7b2-3f4d-4a5b-8c6d-0e1f2a3b4c02",
  classicFlap: "c1a0e7b2-3f4d-4a5b-8c6d-0e1f2a3b4c06",
  sneakerService: "3167113c-9272-11ef-b98d-06fb0f2a63e5",
  luxuryService: "31670fe9-9272-11ef-b98d-06fb0f2a63e5",
  sides: {
    interiorSizeTag: "ec883c70-f896-47c9-81b6-8d6ff0b5856a",
    outerSides: "4a10bea5-a89c-4489-bba0-e55d8950b8dd",
    boxLabel: "e35a64e1-2629-4c4a-8e9c-9e9840db725e",
    front: "3c14c21f-8134-11ef-9e85-02d0d7ecc26b",
    back: "3c14e254-8134-11ef-9e85-02d0d7ecc26b",
    interiorLabel: "7a8b9c0d-8134-11ef-9e85-02d0d7ecc26b",
    hardware: "7a8bb2e4-8134-11ef-9e85-02d0d7ecc26b"
  },
  sideGroups: {
    overview: "17062000-af27-4d47-b712-6d27b2556f96",
    exterior: "d441d889-53c5-11f0-9948-06fb0f2a63e5",
    interior: "e8a1c2d3-53c5-11f0-9948-06fb0f2a63e5"
  }
} as const

/**
 * A small catalog: Footwear → Sneakers (required "Interior Size Tag or Stamp" and "Outer Sides",
 * optional "Box Label"; brand Nike) and Bag → Crossbody (required "Front", "Back" and "Interior Label or
 * Heat Stamp", optional "Hardware"; brand Chanel), a service for each category, and two QC reasons.
 *
 * @since 0.1.0
 */
export const defaultTaxonomy: LegitmarkTest.Catalog = {
  categories: [
    { uuid: ids.footwear, name: "Footwear", sides: [], ordinal: 1, active: true },
    { uuid: ids.bag, name: "Bag", sides: [ids.sides.front, ids.sides.back], ordinal: 2, active: true }
  ],
  types: [
    {
      uuid: ids.sneakers,
      name: "Sneakers",
      category: ids.footwear,
      sides: [ids.sides.interiorSizeTag, ids.sides.outerSides, ids.sides.boxLabel],
      brands: [ids.nike],
      ordinal: 1,
      active: true
    },
    {
      uuid: ids.crossbody,
      name: "Crossbody",
      category: ids.bag,
      sides: [ids.sides.interiorLabel, ids.sides.hardware],
      brands: [ids.chanel],
      ordinal: 1,
      active: true
    }
  ],
  brands: [
    { uuid: ids.nike, name: "Nike", active: true },
    { uuid: ids.chanel, name: "Chanel", active: true }
  ],
  models: [
    { uuid: ids.dunkLow, name: "Dunk Low", brand: ids.nike, type: ids.sneakers },
    { uuid: ids.classicFlap, name: "Classic Flap Bag", brand: ids.chanel, type: ids.crossbody }
  ],
  services: [
    {
      uuid: ids.sneakerService,
      name: "Sneaker Authentication",
      description: "Authentication of sneakers and footwear",
      categories: [ids.footwear],
      active: true
    },
    {
      uuid: ids.luxuryService,
      name: "Luxury Authentication",
      description: "Authentication of luxury bags and accessories",
      categories: [ids.bag],
      active: true
    }
  ],
  sideGroups: [
    { uuid: ids.sideGroups.overview, name: "Overview", description: "Labels and overall views", lock: false },
    { uuid: ids.sideGroups.exterior, name: "Exterior", description: "The outside of the item", lock: false },
    {
      uuid: ids.sideGroups.interior,
      name: "Interior & Hardware",
      description: "Inside labels and hardware",
      lock: false
    }
  ],
  sides: [
    {
      uuid: ids.sides.interiorSizeTag,
      name: "Interior Size Tag or Stamp",
      description: "A photo of the size tag within the sneaker",
      ordinal: 1,
      required: true,
      group: ids.sideGroups.overview,
      active: true
    },
    {
      uuid: ids.sides.outerSides,
      name: "Outer Sides",
      description: "A photo captured from above of both outer sides",
      ordinal: 2,
      required: true,
      group: ids.sideGroups.overview,
      active: true
    },
    {
      uuid: ids.sides.boxLabel,
      name: "Box Label",
      description: "Take a straight, clear photo of the label or branding on the box",
      ordinal: 10,
      required: false,
      group: ids.sideGroups.overview,
      active: true
    },
    {
      uuid: ids.sides.front,
      name: "Front",
      description: "The front of the bag, straight on",
      ordinal: 1,
      required: true,
      group: ids.sideGroups.exterior,
      active: true
    },
    {
      uuid: ids.sides.back,
      name: "Back",
      description: "The back of the bag, straight on",
      ordinal: 2,
      required: true,
      group: ids.sideGroups.exterior,
      active: true
    },
    {
      uuid: ids.sides.interiorLabel,
      name: "Interior Label or Heat Stamp",
      description: "The brand stamp inside the bag",
      ordinal: 3,
      required: true,
      group: ids.sideGroups.interior,
      active: true
    },
    {
      uuid: ids.sides.hardware,
      name: "Hardware",
      description: "Zippers, clasps and engravings",
      ordinal: 4,
      required: false,
      group: ids.sideGroups.interior,
      active: true
    }
  ],
  reasons: [
    {
      uuid: "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d1",
      code: "BLURRY",
      name: "Image is Blurry",
      message: "The submitted image is too blurry. Please capture a clearer photo."
    },
    {
      uuid: "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d2",
      code: "LIGHTING",
      name: "Insufficient Lighting",
      message: "The lighting in the submitted image is insufficient. Please take a new photo."
    }
  ]
}

// --- the store ---------------------------------------------------------------------------------------

interface StoredMedia {
  readonly id: number
  readonly extension: Media.Extension
  readonly uploadedAt: number
  readonly deleted: boolean
}

interface StoredState {
  readonly primary: Primary
  readonly supplement: Supplement | null
}

interface StoredSR {
  readonly uuid: string
  readonly microId: number
  readonly externalId: string
  readonly category: string
  readonly type: string
  readonly brand: string | null
  readonly model: string | null
  readonly service: string
  readonly state: StoredState
  readonly createdAt: number
  readonly updatedAt: number
  readonly completedAt: number | null
  /** Uploaded versions per side uuid, oldest first. */
  readonly media: HashMap.HashMap<string, ReadonlyArray<StoredMedia>>
  /** Whether the `BLURRY` marker already had QC reject this SR once. */
  readonly rejectedOnce: boolean
}

interface Grant {
  readonly sr: string
  readonly side: string
  readonly extension: Media.Extension
  readonly expiresAt: number
}

interface Injected {
  readonly method: LegitmarkTest.Method
  readonly error: LegitmarkError
  readonly remaining: number
}

interface Store {
  readonly srs: HashMap.HashMap<string, StoredSR>
  /** Presigned URLs handed out by `media.intent`, by URL. */
  readonly grants: HashMap.HashMap<string, Grant>
  readonly uploads: ReadonlyArray<LegitmarkTest.Upload>
  readonly calls: ReadonlyArray<LegitmarkTest.Call>
  readonly failures: ReadonlyArray<Injected>
  /** One counter for every id the store hands out, so that ids are deterministic. */
  readonly counter: number
}

const emptyStore: Store = {
  srs: HashMap.empty(),
  grants: HashMap.empty(),
  uploads: [],
  calls: [],
  failures: [],
  counter: 0
}

/** First micro id handed out, as in the published create example. */
const firstMicroId = 998001
const apiBase = "https://api.legitmark.test"
const uploadBase = "https://uploads.legitmark.test"
/** How long a presigned URL stays valid, on the `Clock`. */
const uploadTtlMs = 300_000
const defaultPageSize = 20
const controlMethod = "CONTROL"

/** A UUID (version 4 layout) built from a counter: `5e000000-0000-4000-8000-000000000001`. */
const counterUuid = (n: number) => `5e000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`

const iso = (ms: number) => new Date(ms).toISOString()
const withoutQuery = (url: string) => url.split("?")[0] ?? url
const sideKey = (key: string) => key.trim().toLowerCase()

// FNV-1a, 32 bits: enough to tell photos apart in a test.
const fnv1a = (hash: number, bytes: Uint8Array) => {
  let h = hash
  for (const byte of bytes) h = Math.imul(h ^ byte, 0x01000193) >>> 0
  return h
}

type Marker = "FAKE" | "BLURRY" | "CANCEL" | "NOT_SERVICEABLE" | "INCONCLUSIVE"
const hasMarker = (sr: StoredSR, marker: Marker) => sr.externalId.toUpperCase().includes(marker)

/** What the authenticators do next with an SR, as the simulator scripts it. */
type Step =
  | { readonly _tag: "Move"; readonly to: StoredState }
  | { readonly _tag: "Reject" }

const nextStep = (sr: StoredSR, fromDraft: boolean): Option.Option<Step> => {
  const move = (primary: Primary, supplement: Supplement | null) =>
    Option.some<Step>({ _tag: "Move", to: { primary, supplement } })
  const { primary, supplement } = sr.state
  if (primary === "DRAFT") return fromDraft ? move("QC", "PENDING") : Option.none()
  if (primary === "QC" && supplement === "PENDING") {
    if (hasMarker(sr, "NOT_SERVICEABLE") || hasMarker(sr, "CANCEL")) return move("CANCELLED", null)
    if (hasMarker(sr, "BLURRY") && !sr.rejectedOnce) return Option.some({ _tag: "Reject" })
    return move("QC", "APPROVED")
  }
  if (primary === "QC" && supplement === "APPROVED") return move("UNDERWAY", "PENDING")
  if (primary === "UNDERWAY" && supplement === "PENDING") return move("UNDERWAY", "ASSIGNED")
  if (primary === "UNDERWAY" && supplement === "ASSIGNED") {
    if (hasMarker(sr, "FAKE")) return move("COMPLETE", "REJECTED")
    if (hasMarker(sr, "INCONCLUSIVE")) return move("COMPLETE", "COMPLETE")
    return move("COMPLETE", "APPROVED")
  }
  return Option.none()
}

const withState = (sr: StoredSR, state: StoredState, now: number): StoredSR => ({
  ...sr,
  state,
  updatedAt: now,
  completedAt: state.primary === "COMPLETE" ? now : sr.completedAt
})

const deleteMedia = (sr: StoredSR, sides: ReadonlyArray<string>): StoredSR => ({
  ...sr,
  media: sides.reduce(
    (media, side) => HashMap.modify(media, side, (versions) => versions.map((v) => ({ ...v, deleted: true }))),
    sr.media
  )
})

const liveSides = (sr: StoredSR): ReadonlySet<string> =>
  new Set(HashMap.toEntries(sr.media).flatMap(([side, versions]) => versions.some((v) => !v.deleted) ? [side] : []))

// --- the catalog, indexed ----------------------------------------------------------------------------

const indexCatalog = (catalog: LegitmarkTest.Catalog) => {
  const byUuid = <A extends { readonly uuid: string }>(all: ReadonlyArray<A>) =>
    new Map(all.map((a) => [a.uuid.toLowerCase(), a] as const))
  const categories = byUuid(catalog.categories)
  const types = byUuid(catalog.types)
  const brands = byUuid(catalog.brands)
  const models = byUuid(catalog.models)
  const services = byUuid(catalog.services)
  const sides = byUuid(catalog.sides)
  const groups = byUuid(catalog.sideGroups)
  const requirements = (category: string, type: string) => {
    const uuids = [...(categories.get(category)?.sides ?? []), ...(types.get(type)?.sides ?? [])]
    const all = [...new Set(uuids.map((u) => u.toLowerCase()))]
      .flatMap((uuid) => {
        const side = sides.get(uuid)
        return side === undefined ? [] : [side]
      })
      .sort((a, b) => a.ordinal - b.ordinal)
    return { required: all.filter((s) => s.required), optional: all.filter((s) => !s.required) }
  }
  return { catalog, categories, types, brands, models, services, sides, groups, requirements }
}

type Index = ReturnType<typeof indexCatalog>

// --- wire objects, shaped as the simulator answers ---------------------------------------------------

const uploadUrl = (sr: string, side: string, extension: string) => `${uploadBase}/${sr}/${side}.${extension}`

const certificateUrl = (sr: StoredSR) =>
  sr.state.primary === "COMPLETE" && sr.state.supplement === "APPROVED" ?
    `https://media.legitmark.test/certificates/${sr.microId}.pdf` :
    null

const stateOf = (sr: StoredSR) => new State({ primary: sr.state.primary, supplement: sr.state.supplement })

const sideDefinition = (index: Index, side: LegitmarkTest.CatalogSide) =>
  new Side({
    uuid: side.uuid,
    name: side.name,
    description: side.description,
    ordinal: side.ordinal,
    required: side.required,
    active: side.active,
    side_group_id: side.group,
    side_group_name: index.groups.get(side.group.toLowerCase())?.name ?? null
  })

const renderSides = (index: Index, sr: StoredSR) => {
  const { optional, required } = index.requirements(sr.category, sr.type)
  const live = liveSides(sr)
  const thumbnail = [...required, ...optional].find((s) => live.has(s.uuid))?.uuid
  const render = (side: LegitmarkTest.CatalogSide) => {
    const versions = Option.getOrElse(HashMap.get(sr.media, side.uuid), (): ReadonlyArray<StoredMedia> => [])
    const latest = [...versions].reverse().find((v) => !v.deleted)
    return new Side({
      uuid: side.uuid,
      name: side.name,
      description: side.description,
      ordinal: side.ordinal,
      required: side.required,
      active: side.active,
      side_group_id: side.group,
      media_url: versions.map((v) => ({
        id: v.id,
        url: `${uploadUrl(sr.uuid, side.uuid, v.extension)}?versionId=${v.id}`,
        version: String(v.id),
        last_modified: iso(v.uploadedAt),
        deleted: v.deleted,
        latest: latest?.id === v.id
      })),
      is_thumbnail: thumbnail === side.uuid
    })
  }
  return { required: required.map(render), optional: optional.map(render) }
}

interface Include {
  readonly summary?: boolean | undefined
  readonly item?: boolean | undefined
  readonly sides?: boolean | undefined
  readonly user?: boolean | undefined
  readonly service?: boolean | undefined
  readonly outcome?: boolean | undefined
}

const everything: Include = { summary: true, item: true, sides: true, user: true, service: true, outcome: true }

const testUser = "7e570000-0000-4000-8000-000000000001"

/** The SR as `get` answers it; `sides` only with `item`, as the API ignores it otherwise. */
const renderServiceRequest = (index: Index, sr: StoredSR, include: Include) => {
  const category = index.categories.get(sr.category)
  const type = index.types.get(sr.type)
  const brand = sr.brand === null ? undefined : index.brands.get(sr.brand)
  const model = sr.model === null ? undefined : index.models.get(sr.model)
  const service = index.services.get(sr.service)
  const first = category?.name ?? ""
  const second = type?.name ?? ""
  const sides = include.item && include.sides ? renderSides(index, sr) : undefined
  return new SR.ServiceRequest({
    uuid: sr.uuid,
    state: stateOf(sr),
    active: sr.state.primary !== "CANCELLED",
    migrated: false,
    micro_id: String(sr.microId),
    legacy_id: null,
    external_id: sr.externalId,
    tab: sr.state.primary,
    source: "api",
    partner_code: null,
    metadata: {},
    certificate_url: certificateUrl(sr),
    created_at: iso(sr.createdAt),
    updated_at: iso(sr.updatedAt),
    drafted_at: iso(sr.createdAt),
    ...(include.summary ?
      {
        summary: {
          first_line: first,
          second_line: second,
          combined: `${first} ${second}`,
          thumbnail: null,
          size: null,
          condition: null,
          alternative_name: null
        }
      } :
      {}),
    ...(include.item ?
      {
        item: new SR.Item({
          category: { uuid: sr.category, name: first, media: null, sides: category?.sides ?? [] },
          type: { uuid: sr.type, name: second, media: null, sides: type?.sides ?? [] },
          brand: brand === undefined ? null : { uuid: brand.uuid, name: brand.name, media: null },
          model: model === undefined ? null : { uuid: model.uuid, name: model.name }
        })
      } :
      {}),
    ...(sides === undefined ? {} : { sides }),
    ...(include.user ?
      { user: { uuid: testUser, first_name: "Test", last_name: "Partner", email: "partner@example.com" } } :
      {}),
    ...(include.service && service !== undefined ?
      { service: { uuid: service.uuid, name: service.name, description: service.description } } :
      {}),
    ...(include.outcome ?
      {
        outcome: sr.state.primary === "COMPLETE" ?
          {
            result: sr.state.supplement === "APPROVED" ?
              "AUTHENTIC" :
              sr.state.supplement === "REJECTED" ?
              "NOT_AUTHENTIC" :
              "INCONCLUSIVE",
            state: { primary: sr.state.primary, supplement: sr.state.supplement },
            completed_at: sr.completedAt === null ? null : iso(sr.completedAt),
            certificate_url: certificateUrl(sr)
          } :
          null
      } :
      {})
  })
}

/** The SR as `create` answers it: the style summary, user and service as ids. */
const renderCreated = (sr: StoredSR, index: Index) =>
  new SR.ServiceRequest({
    uuid: sr.uuid,
    state: stateOf(sr),
    active: true,
    migrated: false,
    micro_id: String(sr.microId),
    legacy_id: null,
    external_id: sr.externalId,
    tab: sr.state.primary,
    source: "api",
    partner_code: null,
    summary: { style: index.types.get(sr.type)?.name ?? null, style_id: sr.type },
    user: testUser,
    service: sr.service,
    created_at: iso(sr.createdAt),
    updated_at: iso(sr.updatedAt),
    drafted_at: iso(sr.createdAt)
  })

/** What the public lookup reveals. */
const renderFound = (sr: StoredSR) =>
  new SR.ServiceRequest({
    uuid: sr.uuid,
    state: stateOf(sr),
    micro_id: String(sr.microId),
    legacy_id: null,
    external_id: sr.externalId,
    tab: sr.state.primary,
    certificate_url: certificateUrl(sr)
  })

const renderCategory = (index: Index, category: LegitmarkTest.CatalogCategory, withTypes: boolean) =>
  new Taxonomy.Category({
    uuid: category.uuid,
    name: category.name,
    sides: category.sides,
    media: null,
    feature: false,
    ordinal: category.ordinal,
    active: category.active,
    has_brands: index.catalog.types.some((t) => t.category === category.uuid && t.brands.length > 0),
    ...(withTypes ?
      {
        types: index.catalog.types.filter((t) => t.category === category.uuid).map((t) => renderType(index, t, false))
      } :
      {})
  })

const renderBrand = (index: Index, brand: LegitmarkTest.CatalogBrand, counts = false) =>
  new Taxonomy.Brand({
    uuid: brand.uuid,
    name: brand.name,
    media: null,
    active: brand.active,
    ...(counts ? { model_count: index.catalog.models.filter((m) => m.brand === brand.uuid).length } : {})
  })

const renderType = (index: Index, type: LegitmarkTest.CatalogType, detailed: boolean) =>
  new Taxonomy.Type({
    uuid: type.uuid,
    name: type.name,
    sides: type.sides,
    media: null,
    feature: false,
    ordinal: type.ordinal,
    active: type.active,
    ...(detailed ?
      {
        side_details: type.sides.flatMap((uuid) => {
          const side = index.sides.get(uuid)
          return side === undefined ? [] : [sideDefinition(index, side)]
        }),
        brands: type.brands.flatMap((uuid) => {
          const brand = index.brands.get(uuid)
          return brand === undefined || !brand.active ? [] : [renderBrand(index, brand)]
        })
      } :
      {})
  })

const renderModel = (index: Index, model: LegitmarkTest.CatalogModel) => {
  const type = index.types.get(model.type)
  const category = type === undefined ? undefined : index.categories.get(type.category)
  return new Taxonomy.Model({
    uuid: model.uuid,
    name: model.name,
    brand: { uuid: model.brand, name: index.brands.get(model.brand)?.name ?? "" },
    type: { uuid: model.type, name: type?.name ?? "" },
    category: { uuid: category?.uuid ?? "", name: category?.name ?? "" }
  })
}

interface PageQuery {
  readonly pageNumber?: number | undefined
  readonly pageSize?: number | undefined
  readonly sortBy?: string | undefined
  readonly sortDirection?: "asc" | "desc" | undefined
  readonly search?: string | undefined
}

const fieldOf = (item: object, key: string): unknown => Object.getOwnPropertyDescriptor(item, key)?.value

/** One page of a list: filtered by `search` on the name, sorted by `sortBy`, then sliced. */
const paginate = <A extends { readonly name: string }>(
  all: ReadonlyArray<A>,
  query: PageQuery
): LegitmarkClient.Page<A> => {
  const search = query.search?.trim().toLowerCase() ?? ""
  const found = all.filter((a) => search === "" || a.name.toLowerCase().includes(search))
  const sortBy = query.sortBy
  const sorted = sortBy === undefined ? found : [...found].sort((a, b) => {
    const x = fieldOf(a, sortBy)
    const y = fieldOf(b, sortBy)
    const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y))
    return query.sortDirection === "desc" ? -order : order
  })
  const pageNumber = query.pageNumber ?? 1
  const pageSize = query.pageSize ?? defaultPageSize
  return {
    items: sorted.slice((pageNumber - 1) * pageSize, pageNumber * pageSize),
    pageNumber,
    pageSize,
    totalCount: sorted.length,
    totalPages: Math.ceil(sorted.length / pageSize)
  }
}

// Every page, the next fetched only once the items of the previous one were pulled (as the client).
const allPages = <A, E>(
  fetchPage: (pageNumber: number) => Effect.Effect<LegitmarkClient.Page<A>, E>
): Stream.Stream<A, E> =>
  Stream.paginateChunkEffect(1, (pageNumber: number) =>
    Effect.map(fetchPage(pageNumber), (page) =>
      [
        Chunk.fromIterable(page.items),
        page.items.length > 0 && pageNumber < (page.totalPages ?? 0) ? Option.some(pageNumber + 1) : Option.none()
      ] as const))

// --- the service -------------------------------------------------------------------------------------

/**
 * Builds an empty store with its in-memory client and control API.
 *
 * @since 0.1.0
 */
export const make = (options: LegitmarkTest.Options = {}): Effect.Effect<LegitmarkTest.Service> =>
  Effect.gen(function*() {
    const index = indexCatalog(options.taxonomy ?? defaultTaxonomy)
    const autoAdvance = options.autoAdvance ?? false
    const store = yield* SynchronizedRef.make(emptyStore)

    // Logs the call, then fails with an injected error if one is due, else runs the call.
    const call = <M extends LegitmarkTest.Method, A, E>(
      method: M,
      args: ReadonlyArray<unknown>,
      body: Effect.Effect<A, E>
    ): Effect.Effect<A, E | LegitmarkTest.ErrorOf<M>> =>
      SynchronizedRef.modify(store, (s): readonly [Option.Option<LegitmarkError>, Store] => {
        const due = s.failures.find((f) => f.method === method)
        const calls = [...s.calls, { method, args }]
        if (due === undefined) return [Option.none(), { ...s, calls }]
        const failures = s.failures.flatMap((f) =>
          f !== due ? [f] : f.remaining > 1 ? [{ ...f, remaining: f.remaining - 1 }] : []
        )
        return [Option.some(due.error), { ...s, calls, failures }]
      }).pipe(
        Effect.flatMap(Option.match({
          onNone: () => body,
          // `failNext` only accepts errors of this method's union, so the injected one is one of them.
          onSome: (error) => Effect.fail(error as LegitmarkTest.ErrorOf<M>)
        })),
        Effect.withSpan(`Legitmark.${method}`)
      )

    const nextId = SynchronizedRef.modify(
      store,
      (s): readonly [number, Store] => [s.counter + 1, { ...s, counter: s.counter + 1 }]
    )

    // The control API has no HTTP call to name: its not-found errors carry no method or URL.
    const notFound = (what: string, method: string, path: string) =>
      new NotFoundError({
        message: `${what} not found`,
        status: 404,
        code: "not_found",
        ...(method === controlMethod ? {} : { method, url: apiBase + path })
      })

    const loadSr = (uuid: string, method: string, path: string) =>
      Effect.flatMap(SynchronizedRef.get(store), (s) =>
        Option.match(HashMap.get(s.srs, uuid.toLowerCase()), {
          onNone: () => Effect.fail(notFound("Service request", method, path)),
          onSome: Effect.succeed
        }))

    /** Atomically updates one SR; `f` decides the answer and the new value, or fails leaving it as it was. */
    const modifySr = <A, E>(
      uuid: string,
      method: string,
      path: string,
      f: (sr: StoredSR, now: number) => Effect.Effect<readonly [A, StoredSR], E>
    ): Effect.Effect<A, E | NotFoundError> =>
      Effect.flatMap(
        Clock.currentTimeMillis,
        (now) =>
          SynchronizedRef.modifyEffect(store, (s) =>
            Option.match(HashMap.get(s.srs, uuid.toLowerCase()), {
              onNone: (): Effect.Effect<readonly [A, Store], E | NotFoundError> =>
                Effect.fail(notFound("Service request", method, path)),
              onSome: (sr) =>
                Effect.map(f(sr, now), ([a, next]) => [a, { ...s, srs: HashMap.set(s.srs, next.uuid, next) }] as const)
            }))
      )

    const applyStep = (sr: StoredSR, step: Step, now: number): StoredSR => {
      switch (step._tag) {
        case "Move":
          return withState(sr, step.to, now)
        case "Reject": {
          // As the simulator: QC refuses the first required side's photo.
          const first = index.requirements(sr.category, sr.type).required[0]
          const rejected = withState(sr, { primary: "QC", supplement: "REJECTED" }, now)
          return { ...deleteMedia(rejected, first === undefined ? [] : [first.uuid]), rejectedOnce: true }
        }
      }
    }

    // --- serviceRequests ---

    const validationError = (message: string, method: string, path: string, issues: ReadonlyArray<FieldError>) =>
      new ValidationError({ message, status: 400, code: "validation_error", method, url: apiBase + path, issues })

    const checkItem = (body: SR.CreateServiceRequest) => {
      const invalid = (code: string, message: string) =>
        Effect.fail(validationError(message, "POST", "/api/v2/sr", [{ code, message }]))
      const category = index.categories.get(body.item.category.toLowerCase())
      if (category === undefined || !category.active) {
        return invalid("validation/unknown-category", "item.category is not a known active category.")
      }
      const type = index.types.get(body.item.type.toLowerCase())
      if (type === undefined || !type.active || type.category !== category.uuid) {
        return invalid("validation/unknown-type", "item.type is not an active type of item.category.")
      }
      const brand = body.item.brand?.toLowerCase() ?? null
      if (brand !== null && (!type.brands.includes(brand) || index.brands.get(brand)?.active !== true)) {
        return invalid("validation/unknown-brand", "item.brand is not an active brand of item.type.")
      }
      const model = body.item.model?.toLowerCase() ?? null
      const m = model === null ? undefined : index.models.get(model)
      if (model !== null && (m === undefined || m.type !== type.uuid || (brand !== null && m.brand !== brand))) {
        return invalid("validation/unknown-model", "item.model is not a model of item.type (and item.brand).")
      }
      const service = body.service === undefined ?
        index.catalog.services.find((s) => s.active && s.categories.includes(category.uuid)) :
        index.services.get(body.service.toLowerCase())
      if (service === undefined || !service.active || !service.categories.includes(category.uuid)) {
        return invalid("validation/unknown-service", "service does not cover item.category.")
      }
      return Effect.succeed({ category: category.uuid, type: type.uuid, brand, model, service: service.uuid })
    }

    const serviceRequests: LegitmarkClient.ServiceRequests = {
      create: (input) =>
        call(
          "serviceRequests.create",
          [input],
          Effect.gen(function*() {
            const body = yield* Validation.createServiceRequest(input)
            const item = yield* checkItem(body)
            const n = yield* nextId
            const now = yield* Clock.currentTimeMillis
            const sr = yield* SynchronizedRef.modify(store, (s): readonly [StoredSR, Store] => {
              const created: StoredSR = {
                ...item,
                uuid: counterUuid(n),
                microId: firstMicroId + HashMap.size(s.srs),
                externalId: body.reference_id,
                state: { primary: "DRAFT", supplement: null },
                createdAt: now,
                updatedAt: now,
                completedAt: null,
                media: HashMap.empty(),
                rejectedOnce: false
              }
              return [created, { ...s, srs: HashMap.set(s.srs, created.uuid, created) }]
            })
            return renderCreated(sr, index)
          })
        ),

      get: (uuid, include = {}) =>
        call(
          "serviceRequests.get",
          [uuid, include],
          Effect.gen(function*() {
            const path = `/api/v2/sr/${uuid}`
            const sr = yield* loadSr(yield* Validation.srUuid(uuid), "GET", path)
            const answer = renderServiceRequest(index, sr, include)
            // The caller sees every state at least once: answer first, then move on.
            if (autoAdvance) {
              yield* modifySr(sr.uuid, "GET", path, (current, now) =>
                Effect.succeed(Option.match(nextStep(current, false), {
                  onNone: () =>
                    [undefined, current] as const,
                  onSome: (step) =>
                    [undefined, applyStep(current, step, now)] as const
                })))
            }
            return answer
          })
        ),

      submit: (uuid) =>
        call(
          "serviceRequests.submit",
          [uuid],
          Effect.gen(function*() {
            const sr = yield* Validation.srUuid(uuid)
            const path = `/api/v2/sr/${sr}/submit`
            return yield* modifySr(sr, "POST", path, (
              current,
              now
            ): Effect.Effect<
              readonly [SR.SubmittedServiceRequest, StoredSR],
              ConflictError | ValidationError
            > => {
              const { primary, supplement } = current.state
              if (!(primary === "DRAFT" || (primary === "QC" && supplement === "REJECTED"))) {
                return Effect.fail(
                  new ConflictError({
                    message: `Service request is ${primary}${
                      supplement === null ? "" : `/${supplement}`
                    }; only a DRAFT can be submitted`,
                    status: 409,
                    code: "sr/invalid_state",
                    method: "POST",
                    url: apiBase + path
                  })
                )
              }
              const live = liveSides(current)
              const missing = index.requirements(current.category, current.type).required.filter((s) =>
                !live.has(s.uuid)
              )
              if (missing.length > 0) {
                return Effect.fail(
                  validationError(
                    "Required sides are missing",
                    "POST",
                    path,
                    missing.map((s) => ({
                      code: "validation/missing-side",
                      message: `${s.name} (${s.uuid}) is required.`
                    }))
                  )
                )
              }
              const next = withState(current, { primary: "QC", supplement: "PENDING" }, now)
              return Effect.succeed(
                [{ uuid: next.uuid, micro_id: String(next.microId), state: stateOf(next) }, next] as const
              )
            })
          })
        ),

      sideGroups: (uuid, options = {}) =>
        call(
          "serviceRequests.sideGroups",
          [uuid, options],
          Effect.gen(function*() {
            const sr = yield* loadSr(yield* Validation.srUuid(uuid), "GET", `/api/v2/sr/${uuid}/side-groups`)
            const { optional, required } = renderSides(index, sr)
            const all = [...required, ...optional].sort((a, b) => (a.ordinal ?? 0) - (b.ordinal ?? 0))
            return [...new Set(all.map((s) => s.side_group_id ?? ""))].flatMap((id) => {
              const group = index.groups.get(id.toLowerCase())
              return group === undefined ? [] : [
                new SideGroup({
                  uuid: group.uuid,
                  name: group.name,
                  description: group.description,
                  lock: group.lock,
                  sides: all.filter((s) => s.side_group_id === id)
                })
              ]
            })
          })
        ),

      progress: (uuid) =>
        call(
          "serviceRequests.progress",
          [uuid],
          Effect.gen(function*() {
            const sr = yield* loadSr(yield* Validation.srUuid(uuid), "GET", `/api/side-groups/progress?sr_id=${uuid}`)
            const { optional, required } = index.requirements(sr.category, sr.type)
            const live = liveSides(sr)
            const currentRequired = required.filter((s) => live.has(s.uuid)).length
            return {
              success: true,
              progress: new Progress.Progress({
                current_required: currentRequired,
                total_required: required.length,
                current_optional: optional.filter((s) => live.has(s.uuid)).length,
                total_optional: optional.length,
                met: currentRequired === required.length
              }),
              last_updated: iso(sr.updatedAt)
            }
          })
        ),

      find: (identifier) =>
        call(
          "serviceRequests.find",
          [identifier],
          Effect.gen(function*() {
            const id = (yield* Validation.identifier(identifier)).trim()
            const s = yield* SynchronizedRef.get(store)
            const byUuid = HashMap.get(s.srs, id.toLowerCase())
            const sr = Option.isSome(byUuid) ? byUuid.value : [...HashMap.values(s.srs)]
              .sort((a, b) => a.microId - b.microId)
              .find((sr) => String(sr.microId) === id || sr.externalId === id)
            if (sr === undefined) {
              return yield* notFound("Service request", "GET", `/api/sr/find/${encodeURIComponent(id)}`)
            }
            return renderFound(sr)
          })
        )
    }

    // --- media ---

    const intent: LegitmarkClient.Media["intent"] = (sr, side, extension) =>
      call(
        "media.intent",
        [sr, side, extension],
        Effect.gen(function*() {
          const input = yield* Validation.intent({ sr, side, extension: extension.toLowerCase() })
          const path = `/intent?sr=${input.sr}&side=${input.side}.${input.extension}`
          const stored = yield* loadSr(input.sr, "GET", path)
          const { optional, required } = index.requirements(stored.category, stored.type)
          if (![...required, ...optional].some((s) => s.uuid === input.side.toLowerCase())) {
            const message = "side is not one of this service request's sides."
            return yield* validationError(message, "GET", path, [{ code: "validation/unknown-side", message }])
          }
          const n = yield* nextId
          const now = yield* Clock.currentTimeMillis
          const url = `${
            uploadUrl(stored.uuid, input.side.toLowerCase(), input.extension)
          }?X-Amz-Expires=300&X-Amz-Signature=${n.toString(16).padStart(8, "0")}`
          const grant: Grant = {
            sr: stored.uuid,
            side: input.side.toLowerCase(),
            extension: input.extension,
            expiresAt: now + uploadTtlMs
          }
          yield* SynchronizedRef.update(store, (s) => ({ ...s, grants: HashMap.set(s.grants, url, grant) }))
          return url
        })
      )

    // The storage's refusals, as S3 words them (403 for a URL it did not sign or that expired).
    const refused = (url: string, message: string) =>
      new AuthenticationError({ message, status: 403, code: "AccessDenied", method: "PUT", url: withoutQuery(url) })

    const putPhoto = (url: string, photo: Photo.Photo) =>
      Effect.gen(function*() {
        if (!url.startsWith("https://")) {
          return yield* new InvalidRequestError({
            message: `Invalid upload URL ${withoutQuery(url)}: it must be an https URL`,
            issues: ["upload URL must be https (or http on a loopback host)"]
          })
        }
        const now = yield* Clock.currentTimeMillis
        const grant = HashMap.get((yield* SynchronizedRef.get(store)).grants, url)
        if (Option.isNone(grant)) return yield* refused(url, "Request is not signed by this test store")
        if (now > grant.value.expiresAt) return yield* refused(url, "Request has expired")
        if (Media.contentType[grant.value.extension] !== photo.contentType) {
          return yield* new ValidationError({
            message: `Content-Type ${photo.contentType} does not match the signed ${
              Media.contentType[grant.value.extension]
            }`,
            status: 400,
            code: "InvalidContentType",
            method: "PUT",
            url: withoutQuery(url),
            issues: []
          })
        }
        // Read the photo's stream as the real PUT would, counting and fingerprinting its bytes.
        const [bytes, hash] = yield* Stream.runFold(
          photo.stream,
          [0, 0x811c9dc5] as readonly [number, number],
          ([n, h], chunk): readonly [number, number] => [n + chunk.byteLength, fnv1a(h, chunk)]
        )
        const id = yield* nextId
        const { extension, side, sr } = grant.value
        const upload: LegitmarkTest.Upload = {
          sr,
          side,
          extension,
          contentType: photo.contentType,
          size: photo.size,
          bytes,
          checksum: hash.toString(16).padStart(8, "0"),
          url: withoutQuery(url),
          uploadedAt: iso(now)
        }
        const version: StoredMedia = { id, extension, uploadedAt: now, deleted: false }
        yield* SynchronizedRef.update(store, (s) => ({
          ...s,
          uploads: [...s.uploads, upload],
          srs: HashMap.modify(s.srs, sr, (stored) => ({
            ...stored,
            updatedAt: now,
            media: HashMap.set(
              stored.media,
              side,
              [...Option.getOrElse(HashMap.get(stored.media, side), (): ReadonlyArray<StoredMedia> => []), version]
            )
          }))
        }))
      })

    const put: LegitmarkClient.Media["put"] = (url: string, body: Photo.Photo | Uint8Array, extension?: string) =>
      call(
        "media.put",
        body instanceof Uint8Array ? [url, body, extension] : [url, body],
        body instanceof Uint8Array ?
          Effect.flatMap(Photo.fromBytes(body, extension ?? ""), (photo) => putPhoto(url, photo)) :
          putPhoto(url, body)
      )

    const upload: LegitmarkClient.Media["upload"] = (sr, side, photo) =>
      call(
        "media.upload",
        [sr, side, photo],
        Effect.gen(function*() {
          const url = yield* intent(sr, side, photo.extension)
          // As the client: a URL refused (expired) is replaced once.
          yield* put(url, photo).pipe(
            Effect.catchIf(
              (error) => error._tag === "AuthenticationError",
              () => Effect.flatMap(intent(sr, side, photo.extension), (fresh) => put(fresh, photo))
            )
          )
          return { sr, side, extension: photo.extension, size: photo.size }
        })
      )

    // --- taxonomy ---

    const lookup = <A>(
      method: LegitmarkTest.Method & `taxonomy.${string}`,
      what: string,
      path: string,
      find: (uuid: string) => A | undefined
    ) =>
    (uuid: string, options: LegitmarkClient.CallOptions = {}) =>
      call(
        method,
        [uuid, options],
        Effect.gen(function*() {
          const id = yield* Validation.uuid(`${what.toLowerCase()}_uuid`)(uuid)
          yield* Validation.callOptions(options)
          const found = find(id.toLowerCase())
          if (found === undefined) return yield* notFound(what, "GET", `${path}/${id}`)
          return found
        })
      )

    const categoriesPage = (options: LegitmarkClient.PageOptions & { readonly activeOnly?: boolean }) =>
      call(
        "taxonomy.categories",
        [options],
        Effect.map(Validation.categoryPageOptions(options), (query) =>
          paginate(
            index.catalog.categories.filter((c) => !query.activeOnly || c.active).map((c) =>
              renderCategory(index, c, false)
            ),
            query
          ))
      )
    const typesPage = (options: LegitmarkClient.PageOptions) =>
      call(
        "taxonomy.types",
        [options],
        Effect.map(Validation.pageOptions(options), (query) =>
          paginate(index.catalog.types.map((t) => renderType(index, t, false)), query))
      )
    const brandsPage = (options: LegitmarkClient.PageOptions) =>
      call(
        "taxonomy.brands",
        [options],
        Effect.map(Validation.pageOptions(options), (query) =>
          paginate(index.catalog.brands.map((b) => renderBrand(index, b)), query))
      )
    const modelsPage = (options: LegitmarkClient.PageOptions & LegitmarkClient.ModelFilter) =>
      call(
        "taxonomy.models",
        [options],
        Effect.map(Validation.modelPageOptions(options), (query) =>
          paginate(
            index.catalog.models.filter((m) =>
              (query.brandUuid === undefined || m.brand === query.brandUuid.toLowerCase()) &&
              (query.typeUuid === undefined || m.type === query.typeUuid.toLowerCase()) &&
              (query.categoryUuid === undefined ||
                index.types.get(m.type)?.category === query.categoryUuid.toLowerCase())
            ).map((m) => renderModel(index, m)),
            query
          ))
      )
    const sidesPage = (options: LegitmarkClient.PageOptions) =>
      call(
        "taxonomy.sides",
        [options],
        Effect.map(Validation.pageOptions(options), (query) =>
          paginate(index.catalog.sides.map((s) => sideDefinition(index, s)), query))
      )

    const taxonomy: LegitmarkClient.Taxonomy = {
      tree: (options = {}) =>
        call(
          "taxonomy.tree",
          [options],
          Effect.map(Validation.treeOptions(options), (query) =>
            index.catalog.categories.filter((c) =>
              !query.activeOnly || c.active
            ).map((c) => renderCategory(index, c, true)))
        ),
      categories: (options = {}) => categoriesPage(options),
      streamCategories: (options = {}) => allPages((pageNumber) => categoriesPage({ ...options, pageNumber })),
      category: lookup(
        "taxonomy.category",
        "Category",
        "/api/v2/categories",
        (uuid) =>
          Option.getOrUndefined(
            Option.map(Option.fromNullable(index.categories.get(uuid)), (c) => renderCategory(index, c, false))
          )
      ),
      categoryTypes: lookup(
        "taxonomy.categoryTypes",
        "Category",
        "/api/v2/categories",
        (uuid) =>
          index.categories.has(uuid) ?
            index.catalog.types.filter((t) => t.category === uuid).map((t) => renderType(index, t, false)) :
            undefined
      ),
      types: (options = {}) => typesPage(options),
      streamTypes: (options = {}) => allPages((pageNumber) => typesPage({ ...options, pageNumber })),
      type: lookup("taxonomy.type", "Type", "/api/v2/types", (uuid) => {
        const type = index.types.get(uuid)
        return type === undefined ? undefined : renderType(index, type, true)
      }),
      typeBrands: (uuid, options = {}) =>
        call(
          "taxonomy.typeBrands",
          [uuid, options],
          Effect.gen(function*() {
            const id = yield* Validation.uuid("type_uuid")(uuid)
            const query = yield* Validation.typeBrandsOptions(options)
            const type = index.types.get(id.toLowerCase())
            if (type === undefined) return yield* notFound("Type", "GET", `/api/v2/types/${id}/brands`)
            return type.brands.flatMap((b) => {
              const brand = index.brands.get(b)
              return brand === undefined || (!brand.active && !query.includeInactive) ?
                [] :
                [renderBrand(index, brand, query.includeCounts === true)]
            })
          })
        ),
      brands: (options = {}) => brandsPage(options),
      streamBrands: (options = {}) => allPages((pageNumber) => brandsPage({ ...options, pageNumber })),
      models: (options = {}) => modelsPage(options),
      streamModels: (options = {}) => allPages((pageNumber) => modelsPage({ ...options, pageNumber })),
      services: (options = {}) =>
        call(
          "taxonomy.services",
          [options],
          Effect.as(
            Validation.callOptions(options),
            index.catalog.services.map((s) =>
              new Taxonomy.Service({ uuid: s.uuid, name: s.name, description: s.description, active: s.active })
            )
          )
        ),
      service: lookup("taxonomy.service", "Service", "/api/services", (uuid) => {
        const s = index.services.get(uuid)
        return s === undefined ?
          undefined :
          new Taxonomy.Service({ uuid: s.uuid, name: s.name, description: s.description, active: s.active })
      }),
      sides: (options = {}) => sidesPage(options),
      streamSides: (options = {}) => allPages((pageNumber) => sidesPage({ ...options, pageNumber })),
      side: lookup("taxonomy.side", "Side", "/api/v2/sides", (uuid) => {
        const side = index.sides.get(uuid)
        return side === undefined ? undefined : sideDefinition(index, side)
      }),
      reasons: (options = {}) =>
        call(
          "taxonomy.reasons",
          [options],
          Effect.as(
            Validation.callOptions(options),
            index.catalog.reasons.map((r) =>
              new Taxonomy.Reason({ uuid: r.uuid, code: r.code, name: r.name, description: r.message, active: true })
            )
          )
        )
    }

    const client: LegitmarkClient.Service = { serviceRequests, media: { intent, put, upload }, taxonomy }

    // --- control ---

    const full = (sr: StoredSR) => renderServiceRequest(index, sr, everything)

    const control = (uuid: string, f: (sr: StoredSR, now: number) => StoredSR) =>
      modifySr(uuid, controlMethod, "", (sr, now) => {
        const next = f(sr, now)
        return Effect.succeed([full(next), next] as const)
      })

    const rejectMedia = (uuid: string, sides?: ReadonlyArray<string>) =>
      Effect.flatMap(loadSr(uuid, controlMethod, ""), (sr) => {
        const { optional, required } = index.requirements(sr.category, sr.type)
        const all = [...required, ...optional]
        const keys = sides ?? all.filter((s) => s.required).slice(0, 1).map((s) => s.uuid)
        const chosen = keys.map((key) =>
          all.find((s) => sideKey(s.uuid) === sideKey(key) || sideKey(s.name) === sideKey(key))
        )
        const unknown = keys.filter((_, i) => chosen[i] === undefined)
        if (unknown.length > 0) {
          return Effect.fail(notFound(`Side ${unknown.join(", ")} of SR ${uuid}`, controlMethod, ""))
        }
        return control(uuid, (current, now) =>
          deleteMedia(
            withState(current, { primary: "QC", supplement: "REJECTED" }, now),
            chosen.flatMap((s) => s === undefined ? [] : [s.uuid])
          ))
      })

    return {
      client,
      setState: (uuid, primary, supplement = null) =>
        control(uuid, (sr, now) => withState(sr, { primary, supplement }, now)),
      advance: (uuid) =>
        control(
          uuid,
          (sr, now) =>
            Option.match(nextStep(sr, true), { onNone: () => sr, onSome: (step) => applyStep(sr, step, now) })
        ),
      complete: (uuid, verdict) =>
        control(uuid, (sr, now) => withState(sr, { primary: "COMPLETE", supplement: verdict }, now)),
      cancel: (uuid) => control(uuid, (sr, now) => withState(sr, { primary: "CANCELLED", supplement: null }, now)),
      rejectMedia,
      failNext: (method, error, times = 1) =>
        SynchronizedRef.update(
          store,
          (s) => ({ ...s, failures: [...s.failures, { method, error, remaining: Math.max(1, times) }] })
        ),
      serviceRequests: Effect.map(
        SynchronizedRef.get(store),
        (s) => [...HashMap.values(s.srs)].sort((a, b) => a.microId - b.microId).map(full)
      ),
      uploads: Effect.map(SynchronizedRef.get(store), (s) => s.uploads),
      calls: Effect.map(SynchronizedRef.get(store), (s) => s.calls)
    } satisfies LegitmarkTest.Service
  })

/**
 * The in-memory client and its control service, without `Legitmark`.
 *
 * @since 0.1.0
 */
export const layerClient = (options: LegitmarkTest.Options = {}): Layer.Layer<LegitmarkTest | LegitmarkClient> =>
  Layer.effectContext(
    Effect.map(
      make(options),
      (test) => Context.make(LegitmarkTest, test).pipe(Context.add(LegitmarkClient, test.client))
    )
  )

/**
 * `Legitmark` (the real workflows) on the in-memory client, with the client and the control service.
 *
 * @example
 * ```ts
 * import { LegitmarkClient } from "@effect-legitmark/client"
 * import { Effect } from "effect"
 * import { LegitmarkTest } from "effect-legitmark"
 *
 * // The code under test, unchanged: it only asks for LegitmarkClient (or Legitmark).
 * const openRequest = (sku: string) =>
 *   Effect.flatMap(LegitmarkClient, (client) =>
 *     client.serviceRequests.create({
 *       reference_id: sku,
 *       item: { category: LegitmarkTest.ids.footwear, type: LegitmarkTest.ids.sneakers }
 *     }))
 *
 * const test = Effect.gen(function*() {
 *   const sr = yield* openRequest("SKU-1")
 *   const store = yield* LegitmarkTest
 *   const found = yield* store.client.serviceRequests.get(sr.uuid)
 *   assert.strictEqual(found.external_id, "SKU-1")
 * })
 *
 * Effect.runPromise(test.pipe(Effect.provide(LegitmarkTest.layer())))
 * ```
 *
 * @since 0.1.0
 */
export const layer = (
  options: LegitmarkTest.Options = {}
): Layer.Layer<Legitmark | LegitmarkTest | LegitmarkClient> => Layer.provideMerge(Legitmark.layer, layerClient(options))

/**
 * The control service of the test Layers: `yield* LegitmarkTest` in a test to drive the store and read
 * what was called.
 *
 * @since 0.1.0
 */
export class LegitmarkTest extends Context.Tag("effect-legitmark/LegitmarkTest")<
  LegitmarkTest,
  LegitmarkTest.Service
>() {
  /** @since 0.1.0 */
  static readonly make = make
  /** @since 0.1.0 */
  static readonly layer = layer
  /** @since 0.1.0 */
  static readonly layerClient = layerClient
  /** @since 0.1.0 */
  static readonly defaultTaxonomy = defaultTaxonomy
  /** @since 0.1.0 */
  static readonly ids = ids
}
