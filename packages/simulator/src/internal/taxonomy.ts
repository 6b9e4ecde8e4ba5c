/**
 * Handlers of the taxonomy and catalog endpoints (localized by `Accept-Language`).
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import * as Seed from "../Seed.js"
import * as Errors from "./errors.js"
import { flag, flagAny, json, language, query, uuidParam } from "./http.js"
import * as Render from "./render.js"

interface Listing<A> {
  readonly items: ReadonlyArray<A>
  /** Fields `sort_by` accepts; the first is the default. */
  readonly sortable: Readonly<Record<string, (a: A) => string | number>>
  readonly text: (a: A) => ReadonlyArray<string>
  readonly active: (a: A) => boolean
}

const positiveInt = (params: URLSearchParams, name: string, fallback: number, max: number) => {
  const raw = params.get(name)
  if (raw === null || raw === "") return Effect.succeed(fallback)
  if (!/^\d+$/.test(raw)) return Effect.fail(Errors.invalid("validation/invalid-type", `${name} must be an integer.`))
  const n = Number(raw)
  return n < 1 || n > max
    ? Effect.fail(Errors.invalid("validation/out-of-range", `${name} must be between 1 and ${max}.`))
    : Effect.succeed(n)
}

/** Filters, sorts and pages a listing as the query asks (`page_number`, `page_size`, `sort_by`, …). */
const paginate = <A>(listing: Listing<A>) =>
  Effect.gen(function*() {
    const params = yield* query
    const pageNumber = yield* positiveInt(params, "page_number", 1, Number.MAX_SAFE_INTEGER)
    const pageSize = yield* positiveInt(params, "page_size", 20, 100)
    const fields = Object.keys(listing.sortable)
    const sortBy = params.get("sort_by") ?? fields[0] ?? ""
    const by = listing.sortable[sortBy]
    if (by === undefined) {
      return yield* Errors.invalid("validation/invalid-value", `sort_by must be one of ${fields.join(", ")}.`)
    }
    const direction = (params.get("sort_direction") ?? "asc").toLowerCase()
    if (direction !== "asc" && direction !== "desc") {
      return yield* Errors.invalid("validation/invalid-value", "sort_direction must be asc or desc.")
    }
    const search = (params.get("search_query") ?? params.get("search") ?? "").trim().toLowerCase()
    const activeOnly = yield* flagAny(params, ["activeOnly", "active_only"])
    const sign = direction === "asc" ? 1 : -1
    const filtered = listing.items
      .filter((a) => !activeOnly || listing.active(a))
      .filter((a) => search === "" || listing.text(a).some((t) => t.toLowerCase().includes(search)))
      .sort((a, b) => {
        const x = by(a)
        const y = by(b)
        return (x < y ? -1 : x > y ? 1 : 0) * sign
      })
    const start = (pageNumber - 1) * pageSize
    return {
      page: filtered.slice(start, start + pageSize),
      metadata: {
        total_count: filtered.length,
        page_number: pageNumber,
        total_pages: Math.ceil(filtered.length / pageSize),
        page_size: pageSize
      }
    }
  })

const rcKey = (kind: string) =>
  Effect.map(
    HttpServerRequest.HttpServerRequest,
    (request) => `${kind}:${createHash("md5").update(request.url).digest("hex")}`
  )

/** The taxonomy envelope: `category: "SUCCESS"` is a status string, and there is no `success`. */
const envelope = (kind: string, message: string, data: unknown, metadata?: unknown) =>
  Effect.map(rcKey(kind), (rc_key) =>
    json({
      message,
      category: "SUCCESS",
      data,
      rc_hit: false,
      rc_key,
      ...(metadata === undefined ? {} : { metadata })
    }))

const idParam = (name: string) => Effect.flatMap(HttpRouter.params, (params) => uuidParam(name, params["uuid"]))

const found = <A>(value: A | undefined, what: string) =>
  value === undefined ? Effect.fail(Errors.notFound(what)) : Effect.succeed(value)

const byOrdinal = <A extends { readonly ordinal: number; readonly createdAt: string; readonly updatedAt: string }>(
  name: (a: A) => string
): Readonly<Record<string, (a: A) => string | number>> => ({
  ordinal: (a) => a.ordinal,
  name,
  created_at: (a) => a.createdAt,
  updated_at: (a) => a.updatedAt
})

const localizedText = (lang: Seed.Language) => (name: Seed.Localized) => [name.en, name[lang]]

export const tree = Effect.gen(function*() {
  const lang = yield* language
  const activeOnly = yield* flagAny(yield* query, ["activeOnly", "active_only"])
  const keep = <A extends { readonly active: boolean }>(a: A) => !activeOnly || a.active
  const data = Seed.categories.filter(keep).sort((a, b) => a.ordinal - b.ordinal).map((c) => ({
    ...Render.category(c, lang),
    types: Seed.types.filter((t) => t.category === c.uuid && keep(t)).sort((a, b) => a.ordinal - b.ordinal).map((
      t
    ) => Render.type(t, lang))
  }))
  return json({
    message: "Category tree fetched successfully",
    category: "SUCCESS",
    data,
    metadata: { total_categories: data.length, total_types: data.reduce((n, c) => n + c.types.length, 0) }
  })
})

export const categories = Effect.gen(function*() {
  const lang = yield* language
  const { metadata, page } = yield* paginate({
    items: Seed.categories,
    sortable: byOrdinal((c: Seed.Category) => c.name[lang]),
    text: (c) => localizedText(lang)(c.name),
    active: (c) => c.active
  })
  return yield* envelope(
    "categories",
    "Categories fetched successfully",
    page.map((c) => Render.categoryListed(c, lang)),
    metadata
  )
})

export const category = Effect.gen(function*() {
  const c = yield* found(Seed.category(yield* idParam("category_uuid")), "Category")
  return yield* envelope("categories", "Category fetched successfully", Render.category(c, yield* language))
})

const typeListing = (items: ReadonlyArray<Seed.Type>, lang: Seed.Language) =>
  paginate({
    items,
    sortable: byOrdinal((t: Seed.Type) => t.name[lang]),
    text: (t) => localizedText(lang)(t.name),
    active: (t) => t.active
  })

export const categoryTypes = Effect.gen(function*() {
  const lang = yield* language
  const c = yield* found(Seed.category(yield* idParam("category_uuid")), "Category")
  const { metadata, page } = yield* typeListing(Seed.types.filter((t) => t.category === c.uuid), lang)
  return yield* envelope("types", "Types fetched successfully", page.map((t) => Render.type(t, lang)), metadata)
})

export const types = Effect.gen(function*() {
  const lang = yield* language
  const params = yield* query
  const categoryId = params.get("category_uuid")
  const items = categoryId === null ? Seed.types : Seed.types.filter((t) => t.category === categoryId.toLowerCase())
  const { metadata, page } = yield* typeListing(items, lang)
  return yield* envelope("types", "Types fetched successfully", page.map((t) => Render.type(t, lang)), metadata)
})

export const type = Effect.gen(function*() {
  const t = yield* found(Seed.type(yield* idParam("type_uuid")), "Type")
  return yield* envelope("types", "Type fetched successfully", Render.typeDetailed(t, yield* language))
})

export const typeBrands = Effect.gen(function*() {
  const t = yield* found(Seed.type(yield* idParam("type_uuid")), "Type")
  const params = yield* query
  const counts = yield* flag(params, "include_counts")
  const inactive = yield* flag(params, "include_inactive")
  const data = t.brands.flatMap((id) => {
    const b = Seed.brand(id)
    if (b === undefined || (!inactive && !b.active)) return []
    const modelCount = Seed.models.filter((m) => m.brand === b.uuid && m.type === t.uuid).length
    return [{ ...Render.brand(b), ...(counts ? { model_count: modelCount } : {}) }]
  })
  return yield* envelope("types", "Brands fetched successfully", data)
})

export const brands = Effect.gen(function*() {
  const { metadata, page } = yield* paginate({
    items: Seed.brands,
    sortable: { name: (b: Seed.Brand) => b.name },
    text: (b) => [b.name],
    active: (b) => b.active
  })
  return yield* envelope("brands", "Brands fetched successfully", page.map(Render.brand), metadata)
})

export const models = Effect.gen(function*() {
  const params = yield* query
  const brand = params.get("brand_uuid")?.toLowerCase()
  const type = params.get("type_uuid")?.toLowerCase()
  const category = params.get("category_uuid")?.toLowerCase()
  const items = Seed.models.filter((m) =>
    (brand === undefined || m.brand === brand) &&
    (type === undefined || m.type === type) &&
    (category === undefined || Seed.type(m.type)?.category === category)
  )
  const { metadata, page } = yield* paginate({
    items,
    sortable: { name: (m: Seed.Model) => m.name },
    text: (m) => [m.name, Seed.brand(m.brand)?.name ?? ""],
    active: () => true
  })
  // `models`, not `data`, as documented; `metadata` is added so lists can be paged.
  return json({
    success: true,
    message: "Models fetched successfully",
    rc_hit: false,
    rc_key: yield* rcKey("models"),
    models: page.map(Render.model),
    metadata
  })
})

export const services = Effect.gen(function*() {
  const lang = yield* language
  const { metadata, page } = yield* paginate({
    items: Seed.services,
    sortable: { name: (s: Seed.Service) => s.name[lang] },
    text: (s) => localizedText(lang)(s.name),
    active: (s) => s.active
  })
  return json({
    success: true,
    message: "Services fetched successfully",
    data: page.map((s) => Render.service(s, lang)),
    metadata
  })
})

export const service = Effect.gen(function*() {
  const s = yield* found(Seed.service(yield* idParam("service_uuid")), "Service")
  return json({ success: true, message: "Service fetched successfully", service: Render.service(s, yield* language) })
})

export const sides = Effect.gen(function*() {
  const lang = yield* language
  const { metadata, page } = yield* paginate({
    items: Seed.sides,
    sortable: { ordinal: (s: Seed.Side) => s.ordinal, name: (s: Seed.Side) => s.name[lang] },
    text: (s) => localizedText(lang)(s.name),
    active: (s) => s.active
  })
  return yield* envelope(
    "sides",
    "Sides fetched successfully",
    page.map((s) => Render.sideDefinition(s, lang)),
    metadata
  )
})

export const side = Effect.gen(function*() {
  const s = yield* found(Seed.side(yield* idParam("side_uuid")), "Side")
  return yield* envelope("sides", "Side fetched successfully", Render.sideDefinition(s, yield* language))
})

export const reasons = Effect.gen(function*() {
  const lang = yield* language
  const { metadata, page } = yield* paginate({
    items: Seed.reasons,
    sortable: { code: (r: Seed.Reason) => r.code, name: (r: Seed.Reason) => r.name[lang] },
    text: (r) => [r.code, ...localizedText(lang)(r.name)],
    active: (r) => r.active
  })
  return yield* envelope("reasons", "Reasons fetched successfully", page.map((r) => Render.reason(r, lang)), metadata)
})

/** The handler of each route of the catalog, by its id in the shared route table. */
export const handlers = {
  "taxonomy.tree": tree,
  "taxonomy.categories": categories,
  "taxonomy.category": category,
  "taxonomy.categoryTypes": categoryTypes,
  "taxonomy.types": types,
  "taxonomy.type": type,
  "taxonomy.typeBrands": typeBrands,
  "taxonomy.brands": brands,
  "taxonomy.models": models,
  "taxonomy.services": services,
  "taxonomy.service": service,
  "taxonomy.sides": sides,
  "taxonomy.side": side,
  "taxonomy.reasons": reasons
} as const
