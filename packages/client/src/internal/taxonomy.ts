/**
 * The taxonomy group: category → type → brand → model, services, sides and reasons. Every call is a
 * GET through the one pipeline; options are validated (and mapped to the documented wire names) first.
 */
import * as Taxonomy from "@effect-legitmark/schema/Taxonomy"
import * as Effect from "effect/Effect"
import type * as ParseResult from "effect/ParseResult"
import * as Stream from "effect/Stream"
import type { LegitmarkClient } from "../LegitmarkClient.js"
import * as Validation from "../Validation.js"
import { decoder } from "./decoder.js"
import * as Pagination from "./pagination.js"
import type { ExpectedTag, Pipeline } from "./pipeline.js"

const decodeTree = decoder(Taxonomy.TreeResponse)
const decodeCategories = decoder(Taxonomy.CategoryListResponse)
const decodeCategory = decoder(Taxonomy.CategoryResponse)
const decodeTypes = decoder(Taxonomy.TypeListResponse)
const decodeType = decoder(Taxonomy.TypeResponse)
const decodeBrands = decoder(Taxonomy.BrandListResponse)
const decodeModels = decoder(Taxonomy.ModelListResponse)
const decodeServices = decoder(Taxonomy.ServiceListResponse)
const decodeService = decoder(Taxonomy.ServiceResponse)
const decodeSides = decoder(Taxonomy.SideListResponse)
const decodeSide = decoder(Taxonomy.SideResponse)
const decodeReasons = decoder(Taxonomy.ReasonListResponse)

/** Every option a taxonomy call takes, once validated. */
interface Query {
  readonly acceptLanguage?: string | undefined
  readonly pageNumber?: number | undefined
  readonly pageSize?: number | undefined
  readonly sortBy?: string | undefined
  readonly sortDirection?: "asc" | "desc" | undefined
  readonly search?: string | undefined
  readonly activeOnly?: boolean | undefined
  readonly includeCounts?: boolean | undefined
  readonly includeInactive?: boolean | undefined
  readonly brandUuid?: string | undefined
  readonly typeUuid?: string | undefined
  readonly categoryUuid?: string | undefined
}

// The documented wire names, in the order they are sent (`acceptLanguage` is a header).
const wireNames: ReadonlyArray<readonly [Exclude<keyof Query, "acceptLanguage">, string]> = [
  ["pageNumber", "page_number"],
  ["pageSize", "page_size"],
  ["sortBy", "sort_by"],
  ["sortDirection", "sort_direction"],
  ["search", "search_query"],
  ["activeOnly", "activeOnly"],
  ["includeCounts", "include_counts"],
  ["includeInactive", "include_inactive"],
  ["brandUuid", "brand_uuid"],
  ["typeUuid", "type_uuid"],
  ["categoryUuid", "category_uuid"]
]

const urlParamsOf = (query: Query): Record<string, string> => {
  const params: Record<string, string> = {}
  for (const [option, name] of wireNames) {
    const value = query[option]
    // A blank search is no search.
    if (value !== undefined && !(typeof value === "string" && value.trim() === "")) params[name] = String(value)
  }
  return params
}

const attributesOf = (query: Query, extra: Record<string, unknown> = {}): Record<string, unknown> => {
  const attributes: Record<string, unknown> = { ...extra }
  if (query.pageNumber !== undefined) attributes["legitmark.page_number"] = query.pageNumber
  if (query.pageSize !== undefined) attributes["legitmark.page_size"] = query.pageSize
  return attributes
}

const items = <A>(r: { readonly data: ReadonlyArray<A> }) => r.data

const pageOf = (requested: Pagination.Requested) =>
<A>(r: {
  readonly data: ReadonlyArray<A>
  readonly metadata?: Taxonomy.PageMetadata | undefined
}): LegitmarkClient.Page<A> => Pagination.toPage(r.data, r.metadata, requested)

export const make = (pipeline: Pipeline): LegitmarkClient.Taxonomy => {
  // Every taxonomy call is a GET: safe to retry.
  const get = <A, T extends ExpectedTag>(
    method: string,
    path: string,
    query: Query,
    decode: (u: unknown) => Effect.Effect<A, ParseResult.ParseError>,
    expected: ReadonlyArray<T>,
    attributes: Record<string, unknown> = {}
  ) =>
    pipeline.execute({
      span: `Legitmark.taxonomy.${method}`,
      request: pipeline.request("GET", path, { urlParams: urlParamsOf(query), acceptLanguage: query.acceptLanguage }),
      decode,
      expected,
      idempotent: true,
      attributes: attributesOf(query, attributes)
    })

  const lookup = <A>(
    method: string,
    validateUuid: (u: unknown) => Effect.Effect<string, LegitmarkClient.LookupError>,
    attribute: string,
    path: (uuid: string) => string,
    decode: (u: unknown) => Effect.Effect<A, ParseResult.ParseError>
  ) =>
  (uuid: string, options: LegitmarkClient.CallOptions = {}) =>
    Effect.flatMap(
      Effect.all([validateUuid(uuid), Validation.callOptions(options)]),
      ([id, call]) => get(method, path(id), call, decode, ["NotFoundError"], { [`legitmark.${attribute}`]: id })
    )

  const categories = (query: Query) =>
    get("categories", "/api/v2/categories", query, (u) => Effect.map(decodeCategories(u), pageOf(query)), [])
  const types = (query: Query) =>
    get("types", "/api/v2/types", query, (u) => Effect.map(decodeTypes(u), pageOf(query)), [])
  const brands = (query: Query) =>
    get("brands", "/api/v2/brands", query, (u) => Effect.map(decodeBrands(u), pageOf(query)), [])
  // `models` is the one list under `models` rather than `data`.
  const models = (query: Query) =>
    get(
      "models",
      "/api/v2/models",
      query,
      (u) => Effect.map(decodeModels(u), (r) => Pagination.toPage(r.models, r.metadata, query)),
      []
    )
  const sides = (query: Query) =>
    get("sides", "/api/v2/sides", query, (u) => Effect.map(decodeSides(u), pageOf(query)), [])

  // Validation runs once, when the stream starts; each page then runs as its own call.
  const streamOf = <O extends Query, A, E, E2>(
    validated: Effect.Effect<O, E>,
    fetchPage: (query: O) => Effect.Effect<LegitmarkClient.Page<A>, E2>
  ): Stream.Stream<A, E | E2> =>
    Stream.unwrap(
      Effect.map(validated, (query) => Pagination.stream((pageNumber) => fetchPage({ ...query, pageNumber })))
    )

  return {
    tree: (options = {}) =>
      Effect.flatMap(
        Validation.treeOptions(options),
        (query) => get("tree", "/api/v2/categories/tree", query, (u) => Effect.map(decodeTree(u), items), [])
      ),
    categories: (options = {}) => Effect.flatMap(Validation.categoryPageOptions(options), categories),
    streamCategories: (options = {}) => streamOf(Validation.categoryPageOptions(options), categories),
    category: lookup(
      "category",
      Validation.uuid("category_uuid"),
      "category_uuid",
      (uuid) => `/api/v2/categories/${uuid}`,
      (u) => Effect.map(decodeCategory(u), (r) => r.data)
    ),
    categoryTypes: lookup(
      "categoryTypes",
      Validation.uuid("category_uuid"),
      "category_uuid",
      (uuid) => `/api/v2/categories/${uuid}/types`,
      (u) => Effect.map(decodeTypes(u), items)
    ),
    types: (options = {}) => Effect.flatMap(Validation.pageOptions(options), types),
    streamTypes: (options = {}) => streamOf(Validation.pageOptions(options), types),
    type: lookup(
      "type",
      Validation.uuid("type_uuid"),
      "type_uuid",
      (uuid) => `/api/v2/types/${uuid}`,
      (u) => Effect.map(decodeType(u), (r) => r.data)
    ),
    typeBrands: (uuid, options = {}) =>
      Effect.flatMap(
        Effect.all([Validation.uuid("type_uuid")(uuid), Validation.typeBrandsOptions(options)]),
        ([id, query]) =>
          get(
            "typeBrands",
            `/api/v2/types/${id}/brands`,
            query,
            (u) => Effect.map(decodeBrands(u), items),
            ["NotFoundError"],
            { "legitmark.type_uuid": id }
          )
      ),
    brands: (options = {}) => Effect.flatMap(Validation.pageOptions(options), brands),
    streamBrands: (options = {}) => streamOf(Validation.pageOptions(options), brands),
    models: (options = {}) => Effect.flatMap(Validation.modelPageOptions(options), models),
    streamModels: (options = {}) => streamOf(Validation.modelPageOptions(options), models),
    services: (options = {}) =>
      Effect.flatMap(
        Validation.callOptions(options),
        (query) =>
          get("services", "/api/services", query, (u) =>
            Effect.map(
              decodeServices(u),
              (r) => "data" in r ? r.data : "services" in r ? r.services : r.service
            ), [])
      ),
    service: lookup(
      "service",
      Validation.uuid("service_uuid"),
      "service_uuid",
      (uuid) => `/api/services/${uuid}`,
      (u) => Effect.map(decodeService(u), (r) => "service" in r ? r.service : r.data)
    ),
    sides: (options = {}) => Effect.flatMap(Validation.pageOptions(options), sides),
    streamSides: (options = {}) => streamOf(Validation.pageOptions(options), sides),
    side: lookup(
      "side",
      Validation.uuid("side_uuid"),
      "side_uuid",
      (uuid) => `/api/v2/sides/${uuid}`,
      (u) => Effect.map(decodeSide(u), (r) => r.data)
    ),
    reasons: (options = {}) =>
      Effect.flatMap(Validation.callOptions(options), (query) =>
        get(
          "reasons",
          "/api/v2/reasons",
          query,
          (u) => Effect.map(decodeReasons(u), (r) => "data" in r ? r.data : r.reasons),
          []
        ))
  }
}
