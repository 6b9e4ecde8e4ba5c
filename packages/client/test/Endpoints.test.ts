/**
 * Every declared endpoint, through its client method, on a recording mock `HttpClient`: the request is the
 * declared route's (method, host, path with its parameters, query), carries the API key exactly when the
 * route takes it and nothing of the client's to a storage host, runs in the span named after the endpoint,
 * and its value is read out of an answer. The table is keyed by the endpoints' names: a new endpoint does
 * not type-check until it has its case here.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Endpoints from "../src/Endpoints.js"
import { LegitmarkClient } from "../src/LegitmarkClient.js"
import type * as LegitmarkError from "../src/LegitmarkError.js"
import * as Photo from "../src/Photo.js"
import * as RetryPolicy from "../src/RetryPolicy.js"
import { capture, type Captured } from "./support/Capture.js"
import * as Fixtures from "./support/fixtures.js"
import * as Images from "./support/images.js"
import * as MockHttp from "./support/MockHttp.js"

const base = "https://api.legitmark.test"
const asset = "https://asset.legitmark.test"
const storage = "https://bucket.s3.amazonaws.test"
const sr = "8e61c991-553a-4a58-9eb6-561b64c11908"
const side = "ec883c70-f896-47c9-81b6-8d6ff0b5856a"
const uuid = "cc30b104-7c47-11ef-a623-02595575faeb"
const presigned = `${storage}/upload/${sr}/${side}.png?X-Amz-Signature=abc`
const photo = Effect.runSync(Photo.fromBytes(Images.png(800, 800), "png"))

const page = (data: unknown) => ({ success: true, message: "ok", data, metadata: { total_count: 0, total_pages: 1 } })

interface Case {
  /** The client method, called. */
  readonly call: (client: LegitmarkClient.Service) => Effect.Effect<unknown, LegitmarkError.LegitmarkError>
  /** Where it must go: the origin and path, and the query as sent. */
  readonly url: string
  readonly answer: MockHttp.Answer
}

const cases: { readonly [N in Endpoints.Name]: Case } = {
  "serviceRequests.create": {
    call: (c) => c.serviceRequests.create({ reference_id: "SKU-1", item: { category: uuid, type: uuid } }),
    url: `${base}/api/v2/sr`,
    answer: MockHttp.json(200, Fixtures.createResponse)
  },
  "serviceRequests.get": {
    call: (c) => c.serviceRequests.get(sr, { item: true, sides: true }),
    url: `${base}/api/v2/sr/${sr}?item=true&sides=true`,
    answer: MockHttp.json(200, Fixtures.getResponse)
  },
  "serviceRequests.submit": {
    call: (c) => c.serviceRequests.submit(sr),
    url: `${base}/api/v2/sr/${sr}/submit`,
    answer: MockHttp.json(200, Fixtures.submitResponse)
  },
  "serviceRequests.sideGroups": {
    call: (c) => c.serviceRequests.sideGroups(sr, { acceptLanguage: "ja" }),
    url: `${base}/api/v2/sr/${sr}/side-groups`,
    answer: MockHttp.json(200, { success: true, data: { side_groups: [] } })
  },
  "serviceRequests.progress": {
    call: (c) => c.serviceRequests.progress(sr),
    url: `${base}/api/side-groups/progress?sr_id=${sr}`,
    answer: MockHttp.json(200, Fixtures.progressResponse)
  },
  "serviceRequests.find": {
    call: (c) => c.serviceRequests.find("SKU 1/2"),
    url: `${base}/api/sr/find/SKU%201%2F2`,
    answer: MockHttp.json(200, Fixtures.getResponse)
  },
  "media.intent": {
    call: (c) => c.media.intent(sr, side, "PNG"),
    url: `${asset}/intent?sr=${sr}&side=${side}.png`,
    answer: MockHttp.json(200, { message: "ok", url: presigned })
  },
  "media.put": {
    call: (c) => c.media.put(presigned, photo),
    url: presigned,
    answer: { status: 200, body: "" }
  },
  "taxonomy.tree": {
    call: (c) => c.taxonomy.tree({ activeOnly: true }),
    url: `${base}/api/v2/categories/tree?activeOnly=true`,
    answer: MockHttp.json(200, { success: true, data: [] })
  },
  "taxonomy.categories": {
    call: (c) => c.taxonomy.categories({ pageNumber: 2, pageSize: 5 }),
    url: `${base}/api/v2/categories?page_number=2&page_size=5`,
    answer: MockHttp.json(200, page([]))
  },
  "taxonomy.category": {
    call: (c) => c.taxonomy.category(uuid),
    url: `${base}/api/v2/categories/${uuid}`,
    answer: MockHttp.json(200, page({ uuid, name: "Bag" }))
  },
  "taxonomy.categoryTypes": {
    call: (c) => c.taxonomy.categoryTypes(uuid),
    url: `${base}/api/v2/categories/${uuid}/types`,
    answer: MockHttp.json(200, page([]))
  },
  "taxonomy.types": {
    call: (c) => c.taxonomy.types({ search: "bag" }),
    url: `${base}/api/v2/types?search_query=bag`,
    answer: MockHttp.json(200, page([]))
  },
  "taxonomy.type": {
    call: (c) => c.taxonomy.type(uuid),
    url: `${base}/api/v2/types/${uuid}`,
    answer: MockHttp.json(200, page({ uuid, name: "Crossbody" }))
  },
  "taxonomy.typeBrands": {
    call: (c) => c.taxonomy.typeBrands(uuid, { includeCounts: true }),
    url: `${base}/api/v2/types/${uuid}/brands?include_counts=true`,
    answer: MockHttp.json(200, page([]))
  },
  "taxonomy.brands": {
    call: (c) => c.taxonomy.brands(),
    url: `${base}/api/v2/brands`,
    answer: MockHttp.json(200, page([]))
  },
  "taxonomy.models": {
    call: (c) => c.taxonomy.models({ brandUuid: uuid }),
    url: `${base}/api/v2/models?brand_uuid=${uuid}`,
    answer: MockHttp.json(200, { success: true, models: [] })
  },
  "taxonomy.services": {
    call: (c) => c.taxonomy.services(),
    url: `${base}/api/services`,
    answer: MockHttp.json(200, { success: true, data: [] })
  },
  "taxonomy.service": {
    call: (c) => c.taxonomy.service(uuid),
    url: `${base}/api/services/${uuid}`,
    answer: MockHttp.json(200, { success: true, service: { uuid, name: "Luxury" } })
  },
  "taxonomy.sides": {
    call: (c) => c.taxonomy.sides(),
    url: `${base}/api/v2/sides`,
    answer: MockHttp.json(200, page([]))
  },
  "taxonomy.side": {
    call: (c) => c.taxonomy.side(uuid),
    url: `${base}/api/v2/sides/${uuid}`,
    answer: MockHttp.json(200, page({ uuid, name: "Outer Sides" }))
  },
  "taxonomy.reasons": {
    call: (c) => c.taxonomy.reasons(),
    url: `${base}/api/v2/reasons`,
    answer: MockHttp.json(200, { success: true, data: [] })
  }
}

const withMock = (answer: MockHttp.Answer) => {
  const http = MockHttp.layer([answer])
  return Layer.merge(
    LegitmarkClient.layer({ apiKey: Redacted.make("leo_unit_test_key"), baseUrl: base, assetUrl: asset }).pipe(
      Layer.provide(http),
      Layer.provide(RetryPolicy.none)
    ),
    http
  )
}

describe("every declared endpoint, through its client method", () => {
  it("has a case here, and every case is an endpoint", () => {
    expect(Endpoints.all.map(({ name }) => name).sort()).toEqual(Object.keys(cases).sort())
  })

  for (const { endpoint, name } of Endpoints.all) {
    const { route } = endpoint
    it.effect(`${name}: ${route.method} ${route.path} on the ${route.host} host, ${route.access}`, () => {
      const captured: Captured = { logs: [], spans: [] }
      return Effect.gen(function*() {
        const exit = yield* Effect.exit(cases[name].call(yield* LegitmarkClient).pipe(capture(captured)))
        expect(Exit.isSuccess(exit) ? "answered" : String(exit)).toBe("answered")
        const requests = yield* MockHttp.requests
        expect(requests.map((request) => `${request.method} ${request.url}`)).toEqual([
          `${route.method} ${cases[name].url}`
        ])
        const headers = requests[0]!.headers
        expect(headers["authorization"] !== undefined).toBe(route.access !== "public")
        // A storage host gets nothing of the client's: no key, no user agent.
        expect(headers["user-agent"] !== undefined).toBe(route.host !== "storage")
        expect(captured.spans.map((span) => span.name)).toContain(`Legitmark.${name}`)
        const span = captured.spans.find((span) => span.name === `Legitmark.${name}`)
        expect(span?.attributes.get("http.request.method")).toBe(route.method)
        expect(span?.kind).toBe("client")
      }).pipe(Effect.provide(withMock(cases[name].answer)))
    })
  }
})
