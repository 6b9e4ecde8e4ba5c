import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { LegitmarkClient } from "../src/LegitmarkClient.js"
import * as RetryPolicy from "../src/RetryPolicy.js"
import { assertTag } from "./support/assertTag.js"
import { capture, type Captured } from "./support/Capture.js"
import * as Fixtures from "./support/fixtures.js"
import * as MockHttp from "./support/MockHttp.js"

const apiKey = Redacted.make("leo_unit_test_key")
const base = "https://api.legitmark.test"
const categoryUuid = "cc30b104-7c47-11ef-a623-02595575faeb"
const typeUuid = "a988f0f5-7fec-4f50-8335-3e0a9c36e1e2"
const brandUuid = "a472b4d9-7f44-11ef-9ad3-0288afec8b95"
const serviceUuid = "31670fe9-9272-11ef-b98d-06fb0f2a63e5"
const sideUuid = "ec883c70-f896-47c9-81b6-8d6ff0b5856a"

const fixture = (source: string) => {
  const found = Fixtures.fixtures.find((f) => f.kind === "response" && f.source.endsWith(source))
  if (found === undefined) throw new Error(`fixture ${source} not found`)
  return found.body
}
const categoriesList = fixture("/taxonomy/list-categories")
const categoryGet = fixture("/taxonomy/get-category")
const typeGet = fixture("/types/retrieve-type (older docs version)")

const withMock = (script: Parameters<typeof MockHttp.layer>[0], options: Partial<LegitmarkClient.Options> = {}) => {
  const http = MockHttp.layer(script)
  return Layer.merge(
    LegitmarkClient.layer({ apiKey, baseUrl: base, ...options }).pipe(
      Layer.provide(http),
      Layer.provide(RetryPolicy.none)
    ),
    http
  )
}

type Call = (t: LegitmarkClient.Taxonomy) => Effect.Effect<unknown, LegitmarkClient.LookupError>

const taxonomy = Effect.map(LegitmarkClient, (client) => client.taxonomy)

/** The one request the test made. */
const onlyRequest = Effect.map(MockHttp.requests, (requests) => {
  expect(requests).toHaveLength(1)
  const [request] = requests
  if (request === undefined) throw new Error("no request")
  expect(request.method).toBe("GET")
  return request
})

const envelope = (data: unknown, extra: Record<string, unknown> = {}) => ({
  message: "ok",
  category: "SUCCESS",
  data,
  rc_hit: false,
  rc_key: "k",
  ...extra
})
const named = (n: number) => ({ uuid: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`, name: `Item ${n}` })
const notFound = MockHttp.json(404, { success: false, error: { code: 404, message: "Not found" } })

describe("taxonomy: requests and decoding", () => {
  it.effect("tree: GET /api/v2/categories/tree with activeOnly, categories with their types", () =>
    Effect.gen(function*() {
      const tree = yield* (yield* taxonomy).tree({ activeOnly: true })
      expect(tree.map((c) => c.name)).toEqual(["Footwear"])
      expect(tree[0]?.types?.map((t) => t.name)).toEqual(["Sneakers"])
      const request = yield* onlyRequest
      expect(request.url).toBe(`${base}/api/v2/categories/tree?activeOnly=true`)
      expect(request.headers).toMatchObject({ authorization: "Bearer leo_unit_test_key", accept: "application/json" })
    }).pipe(Effect.provide(withMock([
      MockHttp.json(200, {
        message: "Category tree fetched successfully",
        category: "SUCCESS",
        data: [{ ...named(1), name: "Footwear", active: true, ordinal: 1, types: [{ ...named(2), name: "Sneakers" }] }],
        metadata: { total_categories: 1, total_types: 1 }
      })
    ]))))

  it.effect("categories: the documented wire names, and the published list decodes into a Page", () =>
    Effect.gen(function*() {
      const page = yield* (yield* taxonomy).categories({
        pageNumber: 2,
        pageSize: 50,
        sortBy: "name",
        sortDirection: "desc",
        search: "foot wear",
        activeOnly: true
      })
      expect(page.items.map((c) => c.name)).toEqual(["Footwear", "Bag"])
      expect(page.items[0]?.has_brands).toBe(true)
      expect(page).toMatchObject({ pageNumber: 1, pageSize: 20, totalCount: 8, totalPages: 1 })
      const request = yield* onlyRequest
      expect(request.url).toBe(
        `${base}/api/v2/categories?page_number=2&page_size=50&sort_by=name&sort_direction=desc` +
          `&search_query=foot+wear&activeOnly=true`
      )
    }).pipe(Effect.provide(withMock([MockHttp.json(200, categoriesList)]))))

  it.effect("categories: no options, no query; missing metadata gives unknown totals", () =>
    Effect.gen(function*() {
      const page = yield* (yield* taxonomy).categories()
      expect(page).toEqual({ items: [], pageNumber: 1, pageSize: 20, totalCount: undefined, totalPages: undefined })
      expect((yield* onlyRequest).url).toBe(`${base}/api/v2/categories`)
    }).pipe(Effect.provide(withMock([MockHttp.json(200, { message: "ok", category: "SUCCESS", data: [] })]))))

  it.effect("category: the published answer decodes", () =>
    Effect.gen(function*() {
      const category = yield* (yield* taxonomy).category(categoryUuid)
      expect(category).toMatchObject({ uuid: categoryUuid, name: "Bag", ordinal: 2, active: true })
      expect((yield* onlyRequest).url).toBe(`${base}/api/v2/categories/${categoryUuid}`)
    }).pipe(Effect.provide(withMock([MockHttp.json(200, categoryGet)]))))

  it.effect("categoryTypes: GET /api/v2/categories/{uuid}/types", () =>
    Effect.gen(function*() {
      const types = yield* (yield* taxonomy).categoryTypes(categoryUuid)
      expect(types.map((t) => t.name)).toEqual(["Item 1"])
      expect((yield* onlyRequest).url).toBe(`${base}/api/v2/categories/${categoryUuid}/types`)
    }).pipe(Effect.provide(withMock([MockHttp.json(200, envelope([named(1)]))]))))

  it.effect("types: paginated", () =>
    Effect.gen(function*() {
      const page = yield* (yield* taxonomy).types({ pageSize: 10 })
      expect(page).toMatchObject({ pageNumber: 1, pageSize: 10, totalCount: 1, totalPages: 1 })
      expect((yield* onlyRequest).url).toBe(`${base}/api/v2/types?page_size=10`)
    }).pipe(Effect.provide(withMock([
      MockHttp.json(200, envelope([named(1)], { metadata: { total_count: 1, total_pages: 1 } }))
    ]))))

  it.effect("type: the published answer decodes, with its brands", () =>
    Effect.gen(function*() {
      const type = yield* (yield* taxonomy).type(typeUuid)
      expect(type).toMatchObject({ uuid: typeUuid, name: "Brooch", feature: false, side_details: [] })
      expect(type.brands?.map((b) => b.name)).toEqual(["Chanel"])
      expect((yield* onlyRequest).url).toBe(`${base}/api/v2/types/${typeUuid}`)
    }).pipe(Effect.provide(withMock([MockHttp.json(200, typeGet)]))))

  it.effect("typeBrands: include_counts and include_inactive", () =>
    Effect.gen(function*() {
      const brands = yield* (yield* taxonomy).typeBrands(typeUuid, { includeCounts: true, includeInactive: false })
      expect(brands).toMatchObject([{ name: "Chanel", model_count: 3 }])
      expect((yield* onlyRequest).url).toBe(
        `${base}/api/v2/types/${typeUuid}/brands?include_counts=true&include_inactive=false`
      )
    }).pipe(Effect.provide(withMock([
      MockHttp.json(200, envelope([{ uuid: brandUuid, name: "Chanel", active: true, model_count: 3 }]))
    ]))))

  it.effect("brands: search is sent as search_query", () =>
    Effect.gen(function*() {
      const page = yield* (yield* taxonomy).brands({ search: "Nike" })
      expect(page.items.map((b) => b.name)).toEqual(["Item 1"])
      expect((yield* onlyRequest).url).toBe(`${base}/api/v2/brands?search_query=Nike`)
    }).pipe(Effect.provide(withMock([MockHttp.json(200, envelope([named(1)]))]))))

  it.effect("models: filters by UUID, and the list under `models`", () =>
    Effect.gen(function*() {
      const page = yield* (yield* taxonomy).models({ pageNumber: 1, brandUuid, typeUuid, categoryUuid })
      expect(page.items).toMatchObject([{ name: "Jordan 1", brand: { uuid: brandUuid, name: "Nike" } }])
      expect(page.totalCount).toBeUndefined()
      expect((yield* onlyRequest).url).toBe(
        `${base}/api/v2/models?page_number=1&brand_uuid=${brandUuid}&type_uuid=${typeUuid}&category_uuid=${categoryUuid}`
      )
    }).pipe(Effect.provide(withMock([
      MockHttp.json(200, {
        success: true,
        message: "ok",
        rc_hit: true,
        rc_key: "models:1",
        models: [{ uuid: "m-1", name: "Jordan 1", brand: { uuid: brandUuid, name: "Nike" } }]
      })
    ]))))

  it.effect.each(
    [
      ["data", { success: true, data: [{ uuid: serviceUuid, name: "Sneakers" }] }],
      ["services", { success: true, services: [{ uuid: serviceUuid, name: "Sneakers" }] }],
      ["service", { success: true, service: [{ uuid: serviceUuid, name: "Sneakers", turnaround_hours: 24 }] }]
    ] as const
  )("services: GET /api/services, the list under %s", ([, body]) =>
    Effect.gen(function*() {
      const services = yield* (yield* taxonomy).services()
      expect(services.map((s) => s.name)).toEqual(["Sneakers"])
      expect((yield* onlyRequest).url).toBe(`${base}/api/services`)
    }).pipe(Effect.provide(withMock([MockHttp.json(200, body)]))))

  it.effect("service: GET /api/services/{uuid}, under `service`", () =>
    Effect.gen(function*() {
      const service = yield* (yield* taxonomy).service(serviceUuid)
      expect(service).toMatchObject({ uuid: serviceUuid, name: "Luxury" })
      expect((yield* onlyRequest).url).toBe(`${base}/api/services/${serviceUuid}`)
    }).pipe(Effect.provide(withMock([
      MockHttp.json(200, { success: true, message: "ok", service: { uuid: serviceUuid, name: "Luxury", extra: 1 } })
    ]))))

  it.effect("sides: paginated side definitions", () =>
    Effect.gen(function*() {
      const page = yield* (yield* taxonomy).sides({ pageNumber: 3, pageSize: 5 })
      expect(page.items).toMatchObject([{ uuid: sideUuid, name: "Outer Sides", ordinal: 2 }])
      expect(page).toMatchObject({ pageNumber: 3, pageSize: 5 })
      expect((yield* onlyRequest).url).toBe(`${base}/api/v2/sides?page_number=3&page_size=5`)
    }).pipe(Effect.provide(withMock([
      MockHttp.json(200, envelope([{ uuid: sideUuid, name: "Outer Sides", ordinal: 2, new_field: true }]))
    ]))))

  it.effect("side: GET /api/v2/sides/{uuid}", () =>
    Effect.gen(function*() {
      const side = yield* (yield* taxonomy).side(sideUuid)
      expect(side.name).toBe("Outer Sides")
      expect((yield* onlyRequest).url).toBe(`${base}/api/v2/sides/${sideUuid}`)
    }).pipe(Effect.provide(withMock([MockHttp.json(200, envelope({ uuid: sideUuid, name: "Outer Sides" }))]))))

  it.effect("reasons: GET /api/v2/reasons", () =>
    Effect.gen(function*() {
      const reasons = yield* (yield* taxonomy).reasons()
      expect(reasons).toMatchObject([{ code: "BLURRY", name: "Image is Blurry" }])
      expect((yield* onlyRequest).url).toBe(`${base}/api/v2/reasons`)
    }).pipe(Effect.provide(withMock([
      MockHttp.json(200, envelope([{ uuid: "r-1", code: "BLURRY", name: "Image is Blurry" }]))
    ]))))

  it.effect("decoding fails on a list without its payload, as UnexpectedResponseError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* taxonomy).brands())
      assertTag(error, "UnexpectedResponseError")
      expect(error.status).toBe(200)
    }).pipe(Effect.provide(withMock([MockHttp.json(200, { message: "ok", category: "SUCCESS" })]))))
})

describe("taxonomy: Accept-Language and spans", () => {
  it.effect("sends the client's default and a per-call override", () =>
    Effect.gen(function*() {
      const t = yield* taxonomy
      yield* t.reasons()
      yield* t.reasons({ acceptLanguage: "ja" })
      yield* t.categories({ acceptLanguage: "en" })
      const requests = yield* MockHttp.requests
      expect(requests.map((r) => r.headers["accept-language"])).toEqual(["zh", "ja", "en"])
    }).pipe(Effect.provide(withMock([MockHttp.json(200, envelope([]))], { acceptLanguage: "zh" }))))

  it.effect("sends no Accept-Language when neither the client nor the call sets one", () =>
    Effect.gen(function*() {
      yield* (yield* taxonomy).tree()
      expect((yield* onlyRequest).headers["accept-language"]).toBeUndefined()
    }).pipe(Effect.provide(withMock([MockHttp.json(200, envelope([]))]))))

  it.effect("runs each call in a Legitmark.taxonomy.<method> span", () => {
    const captured: Captured = { logs: [], spans: [] }
    return Effect.gen(function*() {
      const t = yield* taxonomy
      yield* t.category(categoryUuid)
      yield* t.brands({ pageNumber: 2 })
      const spans = captured.spans.filter((s) => s.name.startsWith("Legitmark."))
      expect(spans.map((s) => s.name)).toEqual(["Legitmark.taxonomy.category", "Legitmark.taxonomy.brands"])
      expect(spans[0]?.attributes.get("legitmark.category_uuid")).toBe(categoryUuid)
      expect(spans[1]?.attributes.get("legitmark.page_number")).toBe(2)
    }).pipe(
      capture(captured),
      Effect.provide(withMock([MockHttp.json(200, categoryGet), MockHttp.json(200, envelope([]))]))
    )
  })
})

describe("taxonomy: validation before sending", () => {
  const invalid: ReadonlyArray<readonly [string, Call]> = [
    ["category with a non-UUID", (t) => t.category("Footwear")],
    ["categoryTypes with a path", (t) => t.categoryTypes(`${categoryUuid}/../x`)],
    ["type with an empty id", (t) => t.type("")],
    ["typeBrands with an encoded slash", (t) => t.typeBrands("%2F")],
    ["service with a name", (t) => t.service("sneakers")],
    ["side with a query", (t) => t.side(`${sideUuid}?x=1`)],
    ["pageNumber 0", (t) => t.categories({ pageNumber: 0 })],
    ["a fractional pageNumber", (t) => t.types({ pageNumber: 1.5 })],
    ["pageSize 0", (t) => t.brands({ pageSize: 0 })],
    ["pageSize 101", (t) => t.sides({ pageSize: 101 })],
    ["a NaN pageSize", (t) => t.models({ pageSize: Number.NaN })],
    ["a search with a newline", (t) => t.brands({ search: "Nike\nX-Evil: 1" })],
    ["a search with NUL", (t) => t.categories({ search: "a\u0000" })],
    ["a non-UUID brand filter", (t) => t.models({ brandUuid: "nike" })],
    ["an Accept-Language with CRLF", (t) => t.tree({ acceptLanguage: "en\r\nX: y" })]
  ]
  it.effect.each(invalid)(
    "refuses %s with InvalidRequestError and sends nothing",
    ([, call]) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(call(yield* taxonomy))
        assertTag(error, "InvalidRequestError")
        expect(error.issues.length).toBeGreaterThan(0)
        expect(yield* MockHttp.requests).toHaveLength(0)
      }).pipe(Effect.provide(withMock([MockHttp.json(200, envelope([]))])))
  )

  it.effect("names the option in the message", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* taxonomy).categories({ pageSize: 500 }))
      expect(error.message).toContain("pageSize")
    }).pipe(Effect.provide(withMock([MockHttp.json(200, envelope([]))]))))

  it.effect("a blank search is no search", () =>
    Effect.gen(function*() {
      yield* (yield* taxonomy).brands({ search: "  " })
      expect((yield* onlyRequest).url).toBe(`${base}/api/v2/brands`)
    }).pipe(Effect.provide(withMock([MockHttp.json(200, envelope([]))]))))
})

describe("taxonomy: errors", () => {
  const lookups: ReadonlyArray<readonly [string, Call]> = [
    ["category", (t) => t.category(categoryUuid)],
    ["categoryTypes", (t) => t.categoryTypes(categoryUuid)],
    ["type", (t) => t.type(typeUuid)],
    ["typeBrands", (t) => t.typeBrands(typeUuid)],
    ["service", (t) => t.service(serviceUuid)],
    ["side", (t) => t.side(sideUuid)]
  ]
  it.effect.each(lookups)("%s maps 404 to NotFoundError", ([, call]) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(call(yield* taxonomy))
      assertTag(error, "NotFoundError")
      expect(error).toMatchObject({ status: 404, method: "GET" })
    }).pipe(Effect.provide(withMock([notFound]))))

  it.effect("a list cannot be not-found: 404 is UnexpectedResponseError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* taxonomy).categories())
      assertTag(error, "UnexpectedResponseError")
      expect(error.status).toBe(404)
    }).pipe(Effect.provide(withMock([notFound]))))

  it.effect("GETs are retried on a transient failure", () =>
    Effect.gen(function*() {
      const t = yield* taxonomy
      // A policy provided to the call wins over the client's `RetryPolicy.none`.
      const category = yield* t.category(categoryUuid).pipe(
        Effect.provide(RetryPolicy.fromSchedule(Schedule.recurs(1)))
      )
      expect(category.name).toBe("Bag")
      expect(yield* MockHttp.requests).toHaveLength(2)
    }).pipe(Effect.provide(withMock([{ reset: true }, MockHttp.json(200, categoryGet)]))))
})

describe("taxonomy: streams", () => {
  // Pages of `size` numbered items out of `total`, as the server would answer `page_number`.
  const pager = (total: number, options: { readonly metadata: boolean }) => (request: MockHttp.Recorded) => {
    const params = new URL(request.url).searchParams
    const pageNumber = Number(params.get("page_number") ?? "1")
    const pageSize = Number(params.get("page_size") ?? "20")
    const start = (pageNumber - 1) * pageSize
    const data = Array.from({ length: Math.max(0, Math.min(pageSize, total - start)) }, (_, i) => named(start + i + 1))
    const metadata = {
      total_count: total,
      page_number: pageNumber,
      total_pages: Math.ceil(total / pageSize),
      page_size: pageSize
    }
    return MockHttp.json(200, envelope(data, options.metadata ? { metadata } : {}))
  }
  const pageNumbers = Effect.map(
    MockHttp.requests,
    (requests) => requests.map((r) => new URL(r.url).searchParams.get("page_number"))
  )

  it.effect("walks 3 pages up to total_pages", () =>
    Effect.gen(function*() {
      const all = yield* Stream.runCollect((yield* taxonomy).streamCategories({ pageSize: 2, activeOnly: true }))
      expect(Chunk.toReadonlyArray(all).map((c) => c.name)).toEqual([1, 2, 3, 4, 5, 6].map((n) => `Item ${n}`))
      expect(yield* pageNumbers).toEqual(["1", "2", "3"])
      const [first] = yield* MockHttp.requests
      expect(first?.url).toBe(`${base}/api/v2/categories?page_number=1&page_size=2&activeOnly=true`)
    }).pipe(Effect.provide(withMock(pager(6, { metadata: true })))))

  it.effect("without metadata, stops at a short page", () =>
    Effect.gen(function*() {
      const all = yield* Stream.runCollect((yield* taxonomy).streamTypes({ pageSize: 2 }))
      expect(Chunk.size(all)).toBe(5)
      expect(yield* pageNumbers).toEqual(["1", "2", "3"])
    }).pipe(Effect.provide(withMock(pager(5, { metadata: false })))))

  it.effect("without metadata, stops at an empty page", () =>
    Effect.gen(function*() {
      const all = yield* Stream.runCollect((yield* taxonomy).streamBrands({ pageSize: 2 }))
      expect(Chunk.size(all)).toBe(4)
      expect(yield* pageNumbers).toEqual(["1", "2", "3"])
    }).pipe(Effect.provide(withMock(pager(4, { metadata: false })))))

  it.effect("stops at an empty page even when total_pages promises more", () =>
    Effect.gen(function*() {
      const all = yield* Stream.runCollect((yield* taxonomy).streamSides({ pageSize: 2 }))
      expect(Chunk.size(all)).toBe(0)
      expect(yield* pageNumbers).toEqual(["1"])
    }).pipe(Effect.provide(withMock([
      MockHttp.json(200, envelope([], { metadata: { total_pages: 10, total_count: 20 } }))
    ]))))

  it.effect("Stream.take(5) with pageSize 20 fetches exactly one page", () =>
    Effect.gen(function*() {
      const five = yield* Stream.runCollect(Stream.take((yield* taxonomy).streamCategories({ pageSize: 20 }), 5))
      expect(Chunk.size(five)).toBe(5)
      expect(yield* MockHttp.requests).toHaveLength(1)
    }).pipe(Effect.provide(withMock(pager(100, { metadata: true })))))

  it.effect("is lazy: nothing is fetched until the stream runs", () =>
    Effect.gen(function*() {
      const stream = (yield* taxonomy).streamModels({ brandUuid })
      expect(yield* MockHttp.requests).toHaveLength(0)
      const models = yield* Stream.runCollect(stream)
      expect(Chunk.size(models)).toBe(1)
      expect((yield* onlyRequest).url).toBe(`${base}/api/v2/models?page_number=1&brand_uuid=${brandUuid}`)
    }).pipe(Effect.provide(withMock([
      MockHttp.json(200, { models: [{ uuid: "m-1", name: "Jordan 1" }], metadata: { total_pages: 1 } })
    ]))))

  it.effect("refuses invalid options when the stream starts, sending nothing", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Stream.runCollect((yield* taxonomy).streamCategories({ pageSize: 0 })))
      assertTag(error, "InvalidRequestError")
      expect(yield* MockHttp.requests).toHaveLength(0)
    }).pipe(Effect.provide(withMock(pager(6, { metadata: true })))))

  it.effect("fails with the failing page's error", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Stream.runCollect((yield* taxonomy).streamCategories({ pageSize: 2 })))
      assertTag(error, "ServerError")
      expect(yield* pageNumbers).toEqual(["1", "2"])
    }).pipe(Effect.provide(withMock((request, n) =>
      n === 0 ? pager(6, { metadata: true })(request) : MockHttp.json(503, { success: false })
    ))))
})
