/**
 * Wire objects, shaped like the published payloads (fixtures/payloads.json), quirks included.
 */
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import * as Seed from "../Seed.js"
import type { Media, ServiceRequest } from "../Store.js"
import { progress, uploadedSides } from "../Store.js"
import * as Uploads from "../Uploads.js"

type Lang = Seed.Language

const iso = (ms: number) => new Date(ms).toISOString()

export const category = (c: Seed.Category, lang: Lang) => ({
  uuid: c.uuid,
  name: c.name[lang],
  sides: c.sides,
  media: Seed.media.category(c.uuid),
  feature: c.feature,
  ordinal: c.ordinal,
  active: c.active,
  created_at: c.createdAt,
  updated_at: c.updatedAt
})

export const categoryListed = (c: Seed.Category, lang: Lang) => ({
  ...category(c, lang),
  has_brands: Seed.types.some((t) => t.category === c.uuid && t.brands.length > 0)
})

export const type = (t: Seed.Type, lang: Lang) => ({
  uuid: t.uuid,
  active: t.active,
  name: t.name[lang],
  sides: t.sides,
  media: Seed.media.type(t.uuid),
  feature: t.feature,
  ordinal: t.ordinal,
  created_at: t.createdAt,
  updated_at: t.updatedAt
})

export const brand = (b: Seed.Brand) => ({
  uuid: b.uuid,
  name: b.name,
  media: Seed.media.brand(b.slug),
  active: b.active
})

export const typeDetailed = (t: Seed.Type, lang: Lang) => ({
  ...type(t, lang),
  side_details: t.sides.flatMap((id) => {
    const s = Seed.side(id)
    return s === undefined ? [] : [sideDefinition(s, lang)]
  }),
  brands: t.brands.flatMap((id) => {
    const b = Seed.brand(id)
    return b === undefined || !b.active ? [] : [brand(b)]
  })
})

export const model = (m: Seed.Model) => {
  const b = Seed.brand(m.brand)
  const t = Seed.type(m.type)
  const c = t === undefined ? undefined : Seed.category(t.category)
  return {
    uuid: m.uuid,
    name: m.name,
    brand: { uuid: m.brand, name: b?.name ?? "" },
    type: { uuid: m.type, name: t?.name.en ?? "" },
    category: { uuid: c?.uuid ?? "", name: c?.name.en ?? "" }
  }
}

export const service = (s: Seed.Service, lang: Lang) => ({
  uuid: s.uuid,
  name: s.name[lang],
  description: s.description[lang],
  active: s.active,
  categories: s.categories,
  turnaround_hours: s.turnaroundHours
})

export const sideDefinition = (s: Seed.Side, lang: Lang) => ({
  uuid: s.uuid,
  name: s.name[lang],
  description: s.description[lang],
  ordinal: s.ordinal,
  required: s.required,
  active: s.active,
  side_group_id: s.group,
  side_group_name: Seed.sideGroup(s.group)?.name[lang] ?? null,
  overlay_image: s.overlay ? s.image : null,
  example_image: null,
  thumbnail_image: s.image
})

export const reason = (r: Seed.Reason, lang: Lang) => ({
  uuid: r.uuid,
  code: r.code,
  name: r.name[lang],
  description: r.message[lang],
  active: r.active
})

// --- service requests ---

const latestLive = (versions: ReadonlyArray<Media>) => [...versions].reverse().find((m) => !m.deleted)

/** The side whose photo stands for the SR: the first required side with a live photo. */
const thumbnailSide = (sr: ServiceRequest): string | undefined => {
  const uploaded = uploadedSides(sr)
  const { optional, required } = Seed.requirements(sr.category, sr.type)
  return [...required, ...optional].find((s) => uploaded.has(s.uuid))?.uuid
}

const mediaEntries = (sr: ServiceRequest, side: string, assetUrl: string) => {
  const versions = Option.getOrElse(HashMap.get(sr.media, side), (): ReadonlyArray<Media> => [])
  const latest = latestLive(versions)
  return versions.map((m) => ({
    id: m.id,
    url: Uploads.mediaUrl(assetUrl, { sr: sr.uuid, side, extension: ext(m.extension) }, m.version),
    version: m.version,
    last_modified: iso(m.uploadedAt),
    deleted: m.deleted,
    latest: latest !== undefined && latest.id === m.id
  }))
}

const ext = (s: string): Uploads.Extension => (Uploads.isExtension(s) ? s : "jpg")

/**
 * How an SR's sides are answered: `"docs"` as the published get-full-sr example (per-side `media_url`,
 * `side_group_id`, `is_thumbnail`), `"sdk"` as the official SDK's fixtures (`side_group_name`,
 * `assignment_level`, `inherited_from`, no per-side media, counts in `sides.progress`).
 */
export type SrPayload = "docs" | "sdk"

// A side in the SDK's shape: the definition less its group id and images, where it comes from, and no
// word on its photos.
const sdkSide = (sr: ServiceRequest, s: Seed.Side, lang: Lang) => {
  const { example_image: _example, overlay_image: _overlay, side_group_id: _group, ...definition } = sideDefinition(
    s,
    lang
  )
  const fromCategory = Seed.category(sr.category)?.sides.includes(s.uuid) === true
  return {
    ...definition,
    assignment_level: fromCategory ? "category" : "type",
    inherited_from: fromCategory ? sr.category : sr.type
  }
}

/** One side of an SR in the payload shape asked for. */
const sideOf = (payload: SrPayload) => (sr: ServiceRequest, s: Seed.Side, lang: Lang, assetUrl: string) =>
  payload === "sdk" ? sdkSide(sr, s, lang) : srSide(sr, s, lang, assetUrl)

export const srSide = (sr: ServiceRequest, s: Seed.Side, lang: Lang, assetUrl: string) => ({
  uuid: s.uuid,
  name: s.name[lang],
  description: s.description[lang],
  ordinal: s.ordinal,
  overlay_image: s.overlay ? s.image : null,
  example_image: null,
  thumbnail_image: s.image,
  required: s.required,
  active: s.active,
  side_group_id: s.group,
  media_url: mediaEntries(sr, s.uuid, assetUrl),
  is_thumbnail: thumbnailSide(sr) === s.uuid
})

const thumbnailUrl = (sr: ServiceRequest, assetUrl: string): string | null => {
  const side = thumbnailSide(sr)
  if (side === undefined) return null
  const latest = latestLive(Option.getOrElse(HashMap.get(sr.media, side), (): ReadonlyArray<Media> => []))
  return latest === undefined
    ? null
    : Uploads.mediaUrl(assetUrl, { sr: sr.uuid, side, extension: ext(latest.extension) }, latest.version)
}

const certificateUrl = (sr: ServiceRequest): string | null => {
  if (sr.state.primary !== "COMPLETE" || sr.state.supplement !== "APPROVED" || sr.completedAt === null) return null
  const stamp = iso(sr.completedAt).replace(/[-:T]/g, "").slice(0, 14)
  return `https://media.legitmark.com/document/certificate/${sr.microId}_legitmark_certificate_${stamp}.pdf`
}

const base = (sr: ServiceRequest) => ({
  uuid: sr.uuid,
  active: sr.state.primary !== "CANCELLED",
  migrated: false,
  micro_id: sr.microId,
  legacy_id: null,
  external_id: sr.externalId,
  tab: sr.state.primary,
  source: "api",
  partner_code: null
})

/** The SR as answered by create (the published create example). */
export const created = (sr: ServiceRequest) => ({
  ...base(sr),
  state: sr.state,
  summary: { style: Seed.type(sr.type)?.name.en ?? null, style_id: sr.type },
  user: sr.user,
  service: sr.service,
  created_at: iso(sr.createdAt),
  updated_at: iso(sr.updatedAt),
  drafted_at: iso(sr.draftedAt)
})

export interface Include {
  readonly summary: boolean
  readonly item: boolean
  readonly sides: boolean
  readonly requirements: boolean
  readonly user: boolean
  readonly service: boolean
  readonly outcome: boolean
}

/** Every part of an SR. */
export const everything: Include = {
  summary: true,
  item: true,
  sides: true,
  requirements: true,
  user: true,
  service: true,
  outcome: true
}

const outcome = (sr: ServiceRequest) => {
  if (sr.state.primary !== "COMPLETE") return null
  const result = sr.state.supplement === "APPROVED"
    ? "AUTHENTIC"
    : sr.state.supplement === "REJECTED"
    ? "NOT_AUTHENTIC"
    : "INCONCLUSIVE"
  return {
    result,
    state: sr.state,
    completed_at: sr.completedAt === null ? null : iso(sr.completedAt),
    certificate_url: certificateUrl(sr)
  }
}

/**
 * The SR as answered by get. Dependent flags are ignored unless their parents are set, as documented:
 * `sides` needs `item`; `requirements` needs both (and, like the published payload, adds nothing:
 * the progress endpoint is the source of truth).
 */
export const fetched = (
  sr: ServiceRequest,
  include: Include,
  lang: Lang,
  assetUrl: string,
  payload: SrPayload = "docs"
) => {
  const side = sideOf(payload)
  const c = Seed.category(sr.category)
  const t = Seed.type(sr.type)
  const b = sr.brand === null ? undefined : Seed.brand(sr.brand)
  const m = sr.model === null ? undefined : Seed.model(sr.model)
  const s = Seed.service(sr.service)
  const first = c?.name[lang] ?? ""
  const second = t?.name[lang] ?? ""
  const { optional, required } = Seed.requirements(sr.category, sr.type)
  return {
    ...base(sr),
    metadata: {},
    state: sr.state,
    ...(include.summary
      ? {
        summary: {
          first_line: first,
          second_line: second,
          combined: `${first} ${second}`,
          thumbnail: thumbnailUrl(sr, assetUrl),
          size: null,
          condition: null,
          alternative_name: null
        }
      }
      : {}),
    certificate_url: certificateUrl(sr),
    ...(include.item
      ? {
        item: {
          type: "undefined",
          model: m === undefined ? null : { uuid: m.uuid, name: m.name },
          brand: b === undefined ? null : { uuid: b.uuid, name: b.name, media: Seed.media.brand(b.slug) },
          types: { uuid: sr.type, name: second, media: Seed.media.type(sr.type), sides: t?.sides ?? [] },
          category: { uuid: sr.category, name: first, media: Seed.media.category(sr.category), sides: c?.sides ?? [] }
        }
      }
      : {}),
    ...(include.item && include.sides
      ? {
        sides: {
          required: required.map((s) => side(sr, s, lang, assetUrl)),
          optional: optional.map((s) => side(sr, s, lang, assetUrl)),
          ...(payload === "sdk" ? { progress: progress(sr) } : {})
        }
      }
      : {}),
    ...(include.user
      ? { user: { uuid: sr.user, first_name: "Simulator", last_name: "Partner", email: "partner@example.com" } }
      : {}),
    ...(include.service && s !== undefined
      ? { service: { uuid: s.uuid, name: s.name[lang], description: s.description[lang] } }
      : {}),
    ...(include.outcome ? { outcome: outcome(sr) } : {})
  }
}

/** Side groups holding the SR's sides, each with its sides in the SR's shape. */
export const sideGroups = (sr: ServiceRequest, lang: Lang, assetUrl: string, payload: SrPayload = "docs") => {
  const side = sideOf(payload)
  const { optional, required } = Seed.requirements(sr.category, sr.type)
  const all = [...required, ...optional].sort((a, b) => a.ordinal - b.ordinal)
  const groups = [...new Set(all.map((s) => s.group))]
  return groups.flatMap((id) => {
    const g = Seed.sideGroup(id)
    return g === undefined ? [] : [{
      uuid: g.uuid,
      name: g.name[lang],
      description: g.description[lang],
      lock: g.lock,
      sides: all.filter((s) => s.group === id).map((s) => side(sr, s, lang, assetUrl))
    }]
  })
}

/** What the public find endpoint reveals. */
export const found = (sr: ServiceRequest) => ({
  uuid: sr.uuid,
  micro_id: sr.microId,
  legacy_id: null,
  external_id: sr.externalId,
  tab: sr.state.primary,
  state: sr.state,
  certificate_url: certificateUrl(sr)
})
