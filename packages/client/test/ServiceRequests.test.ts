import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { LegitmarkClient } from "../src/LegitmarkClient.js"
import * as RetryPolicy from "../src/RetryPolicy.js"
import { assertTag } from "./support/assertTag.js"
import * as Fixtures from "./support/fixtures.js"
import * as MockHttp from "./support/MockHttp.js"

const apiKey = Redacted.make("leo_unit_test_key")
const base = "https://api.legitmark.test"
const srUuid = "8e61c991-553a-4a58-9eb6-561b64c11908"
const createBody = {
  reference_id: "ITEM-2024-0891",
  service: "31670fe9-9272-11ef-b98d-06fb0f2a63e5",
  item: { category: "cc30b104-7c47-11ef-a623-02595575faeb", type: "95e42d6b-7c4f-11ef-a623-02595575faeb" }
}

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

const client = LegitmarkClient

describe("serviceRequests.create", () => {
  it.effect("posts the body as JSON with bearer auth and decodes the SR", () =>
    Effect.gen(function*() {
      const sr = yield* (yield* client).serviceRequests.create(createBody)
      expect(sr.external_id).toBe("ITEM-2024-0891")
      expect(sr.state.primary).toBe("DRAFT")
      const [request, ...rest] = yield* MockHttp.requests
      expect(rest).toHaveLength(0)
      expect(request).toMatchObject({ method: "POST", url: `${base}/api/v2/sr` })
      expect(request?.headers).toMatchObject({
        authorization: "Bearer leo_unit_test_key",
        accept: "application/json",
        "content-type": "application/json",
        "user-agent": "effect-legitmark/0.1.0"
      })
      expect(JSON.parse(request?.body ?? "")).toEqual(createBody)
    }).pipe(Effect.provide(withMock([MockHttp.json(200, Fixtures.createResponse)]))))

  it.effect("sends the optional brand and model and an Accept-Language", () =>
    Effect.gen(function*() {
      const item = { ...createBody.item, brand: "a472b4d9-7f44-11ef-9ad3-0288afec8b95" }
      yield* (yield* client).serviceRequests.create({ reference_id: "A 1", item })
      const [request] = yield* MockHttp.requests
      expect(JSON.parse(request?.body ?? "")).toEqual({ reference_id: "A 1", item })
      expect(request?.headers["accept-language"]).toBe("ja")
    }).pipe(Effect.provide(withMock([MockHttp.json(200, Fixtures.createResponse)], { acceptLanguage: "ja" }))))

  it.effect.each(
    [
      ["an empty reference_id", { ...createBody, reference_id: "" }],
      ["a non-UUID category", { ...createBody, item: { ...createBody.item, category: "Footwear" } }],
      ["a non-UUID type", { ...createBody, item: { ...createBody.item, type: "../types" } }],
      ["a non-UUID service", { ...createBody, service: "sneakers" }]
    ] as const
  )("refuses %s before sending anything", ([, body]) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* client).serviceRequests.create(body))
      assertTag(error, "InvalidRequestError")
      expect(error.issues.length).toBeGreaterThan(0)
      expect(yield* MockHttp.requests).toHaveLength(0)
    }).pipe(Effect.provide(withMock([MockHttp.json(200, Fixtures.createResponse)]))))

  it.effect("maps 400 to ValidationError with the server's issues", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* client).serviceRequests.create(createBody))
      assertTag(error, "ValidationError")
      expect(error.status).toBe(400)
      expect(error.message).toBe("User-friendly error message")
      expect(error.issues).toEqual([{ code: "validation/missing-field", message: "field_name is required." }])
      expect(error.isRetryable).toBe(false)
    }).pipe(Effect.provide(withMock([MockHttp.json(400, Fixtures.validationError)]))))

  it.effect("maps 404 to UnexpectedResponseError: create cannot be not-found", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* client).serviceRequests.create(createBody))
      assertTag(error, "UnexpectedResponseError")
      expect(error.status).toBe(404)
    }).pipe(Effect.provide(withMock([MockHttp.json(404, { success: false, error: { message: "nope" } })]))))

  it.effect("maps 409 to ConflictError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* client).serviceRequests.create(createBody))
      assertTag(error, "ConflictError")
      expect(error.message).toBe("Duplicate")
    }).pipe(
      Effect.provide(withMock([MockHttp.json(409, { success: false, error: { code: 409, message: "Duplicate" } })]))
    ))
})

describe("serviceRequests.get", () => {
  it.effect("decodes the full SR and sends the include flags", () =>
    Effect.gen(function*() {
      const sr = yield* (yield* client).serviceRequests.get(srUuid, {
        summary: true,
        item: true,
        sides: true,
        requirements: true
      })
      expect(sr.item?.resolvedType?.name).toBe("Sneakers")
      const [request] = yield* MockHttp.requests
      expect(request?.method).toBe("GET")
      expect(request?.url).toBe(`${base}/api/v2/sr/${srUuid}?summary=true&item=true&sides=true&requirements=true`)
    }).pipe(Effect.provide(withMock([MockHttp.json(200, Fixtures.getResponse)]))))

  it.effect("sends no flags by default", () =>
    Effect.gen(function*() {
      yield* (yield* client).serviceRequests.get(srUuid)
      const [request] = yield* MockHttp.requests
      expect(request?.url).toBe(`${base}/api/v2/sr/${srUuid}`)
    }).pipe(Effect.provide(withMock([MockHttp.json(200, Fixtures.getResponse)]))))

  it.effect.each(["not-a-uuid", "../../admin", `${srUuid}/submit`, `${srUuid}?x=1`, "%2F", ""])(
    "refuses the id %j before sending anything",
    (id) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip((yield* client).serviceRequests.get(id))
        assertTag(error, "InvalidRequestError")
        expect(yield* MockHttp.requests).toHaveLength(0)
      }).pipe(Effect.provide(withMock([MockHttp.json(200, Fixtures.getResponse)])))
  )

  it.effect("maps 404 to NotFoundError with the request id", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* client).serviceRequests.get(srUuid))
      assertTag(error, "NotFoundError")
      expect(error).toMatchObject({ status: 404, requestId: "req-123", method: "GET" })
    }).pipe(Effect.provide(withMock([
      MockHttp.json(404, { success: false, error: { code: 404, message: "Not found" } }, { "x-request-id": "req-123" })
    ]))))

  it.effect.each([401, 403])(
    "maps %i to AuthenticationError with the details code",
    (status) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip((yield* client).serviceRequests.get(srUuid))
        assertTag(error, "AuthenticationError")
        expect(error).toMatchObject({ status, code: "authorization/missing_token" })
      }).pipe(Effect.provide(withMock([MockHttp.json(status, Fixtures.authError)])))
  )

  it.effect("maps a body the schema refuses to UnexpectedResponseError with an excerpt", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* client).serviceRequests.get(srUuid))
      assertTag(error, "UnexpectedResponseError")
      expect(error.status).toBe(200)
      expect(error.issue).toContain("sr")
      expect(error.body).toContain("weird")
    }).pipe(Effect.provide(withMock([MockHttp.json(200, { success: true, weird: true })]))))

  it.effect("maps malformed JSON to UnexpectedResponseError and caps the excerpt", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* client).serviceRequests.get(srUuid))
      assertTag(error, "UnexpectedResponseError")
      expect(error.issue).toContain("malformed JSON")
      expect(error.body.length).toBeLessThanOrEqual(1025)
    }).pipe(Effect.provide(withMock([{ status: 200, body: `{"sr": ${"x".repeat(5000)}` }]))))

  it.effect("maps a 502 with an HTML body to ServerError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* client).serviceRequests.get(srUuid))
      assertTag(error, "ServerError")
      expect(error).toMatchObject({ status: 502, message: "HTTP 502" })
      expect(error.isRetryable).toBe(true)
    }).pipe(Effect.provide(withMock([{ status: 502, body: "<html><body>Bad Gateway</body></html>" }]))))

  it.effect("maps a refused connection to TransportError that proves nothing was sent", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* client).serviceRequests.get(srUuid))
      assertTag(error, "TransportError")
      expect(error).toMatchObject({ connected: false, code: "ECONNREFUSED" })
    }).pipe(Effect.provide(withMock([{ refused: true }]))))
})

describe("rate limits", () => {
  it.effect("parses Retry-After, the X-RateLimit headers and the 429 body", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* client).serviceRequests.get(srUuid))
      assertTag(error, "RateLimitError")
      expect(error.retryAfter && error.retryAfter.toJSON()).toEqual({ _id: "Duration", _tag: "Millis", millis: 30_000 })
      expect(error).toMatchObject({ limitType: "partner_level", limit: 1000, remaining: 0, status: 429 })
      expect(error.resetAt?.epochMillis).toBe(Date.parse("2024-01-01T00:01:00.000Z"))
    }).pipe(Effect.provide(withMock([MockHttp.json(429, Fixtures.rateLimitBody, {
      "retry-after": "30",
      "x-ratelimit-limit-partner": "1000",
      "x-ratelimit-remaining-partner": "0",
      "x-ratelimit-reset-partner": String(Date.parse("2024-01-01T00:01:00.000Z") / 1000)
    })]))))

  it.effect("takes the user-level headers when the user limit is the one exhausted", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* client).serviceRequests.get(srUuid))
      assertTag(error, "RateLimitError")
      expect(error).toMatchObject({ limitType: "user_level", limit: 50, remaining: 0 })
      expect(error.resetAt?.epochMillis).toBe(Date.parse("2026-01-01T00:00:00Z"))
    }).pipe(Effect.provide(withMock([MockHttp.json(429, { success: false, error: { message: "slow down" } }, {
      "x-ratelimit-limit-partner": "1000",
      "x-ratelimit-remaining-partner": "420",
      "x-ratelimit-limit-user": "50",
      "x-ratelimit-remaining-user": "0",
      "x-ratelimit-reset-user": "2026-01-01T00:00:00Z"
    })]))))

  it.effect("falls back to the body's retry_after_seconds and limits without headers", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* client).serviceRequests.get(srUuid))
      assertTag(error, "RateLimitError")
      expect(error.retryAfter?.toJSON()).toEqual({ _id: "Duration", _tag: "Millis", millis: 60_000 })
      expect(error).toMatchObject({ limitType: "partner_level", limit: 1000, remaining: 0 })
    }).pipe(Effect.provide(withMock([MockHttp.json(429, Fixtures.rateLimitBody)]))))

  it.effect("is still a RateLimitError with neither headers nor body", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* client).serviceRequests.get(srUuid))
      assertTag(error, "RateLimitError")
      expect(error.retryAfter).toBeUndefined()
      expect(error.limit).toBeUndefined()
    }).pipe(Effect.provide(withMock([{ status: 429, body: "" }]))))
})

describe("serviceRequests.submit", () => {
  it.effect("posts to the submit path and decodes the short SR", () =>
    Effect.gen(function*() {
      const sr = yield* (yield* client).serviceRequests.submit(srUuid)
      expect(sr.state?.primary).toBe("QC")
      const [request] = yield* MockHttp.requests
      expect(request).toMatchObject({ method: "POST", url: `${base}/api/v2/sr/${srUuid}/submit` })
    }).pipe(Effect.provide(withMock([MockHttp.json(200, Fixtures.submitResponse)]))))

  it.effect("maps 400 (missing photos) to ValidationError and 409 to ConflictError", () =>
    Effect.gen(function*() {
      const c = yield* client
      const missing = yield* Effect.flip(c.serviceRequests.submit(srUuid))
      const conflict = yield* Effect.flip(c.serviceRequests.submit(srUuid))
      expect([missing._tag, conflict._tag]).toEqual(["ValidationError", "ConflictError"])
    }).pipe(Effect.provide(withMock([
      MockHttp.json(400, { success: false, error: { code: 400, message: "Required photos missing" } }),
      MockHttp.json(409, { success: false, error: { code: 409, message: "Not a draft" } })
    ]))))
})

describe("serviceRequests.sideGroups", () => {
  it.effect("reads the grouped requirements, localized on request", () =>
    Effect.gen(function*() {
      const groups = yield* (yield* client).serviceRequests.sideGroups(srUuid, { acceptLanguage: "zh" })
      expect(groups.map((g) => [g.name, g.sides.map((s) => s.name)])).toEqual([["Photos", ["Outer Sides"]]])
      const [request] = yield* MockHttp.requests
      expect(request?.url).toBe(`${base}/api/v2/sr/${srUuid}/side-groups`)
      expect(request?.headers["accept-language"]).toBe("zh")
    }).pipe(Effect.provide(withMock([MockHttp.json(200, {
      success: true,
      message: "ok",
      data: {
        side_groups: [{
          uuid: "17062000-af27-4d47-b712-6d27b2556f96",
          name: "Photos",
          description: null,
          lock: false,
          sides: [{ uuid: "4a10bea5-a89c-4489-bba0-e55d8950b8dd", name: "Outer Sides", required: true }]
        }]
      }
    })]))))
})

describe("serviceRequests.progress", () => {
  it.effect("reads the dedicated progress endpoint, warnings included", () =>
    Effect.gen(function*() {
      const c = yield* client
      const first = yield* c.serviceRequests.progress(srUuid)
      expect(first.progress).toMatchObject({ current_required: 2, total_required: 2, met: true })
      expect(first.last_updated).toBe("2024-01-01T00:00:00.000Z")
      const degraded = yield* c.serviceRequests.progress(srUuid)
      expect(degraded).toMatchObject({ s3_error: true, warning: "Media count unavailable" })
      const [request] = yield* MockHttp.requests
      expect(request?.url).toBe(`${base}/api/side-groups/progress?sr_id=${srUuid}`)
    }).pipe(Effect.provide(withMock([
      MockHttp.json(200, Fixtures.progressResponse),
      MockHttp.json(200, {
        success: true,
        progress: { current_required: 0, total_required: 2, current_optional: 0, total_optional: 0, met: false },
        warning: "Media count unavailable",
        s3_error: true
      })
    ]))))
})

describe("serviceRequests.find", () => {
  it.effect("encodes free text into one path segment and sends no API key", () =>
    Effect.gen(function*() {
      const sr = yield* (yield* client).serviceRequests.find("SKU 12/b?c#d%2F")
      expect(sr.external_id).toBe("ITEM-2024-0891")
      const [request] = yield* MockHttp.requests
      expect(request?.url).toBe(`${base}/api/sr/find/SKU%2012%2Fb%3Fc%23d%252F`)
      expect(request?.headers.authorization).toBeUndefined()
    }).pipe(Effect.provide(withMock([MockHttp.json(200, Fixtures.createResponse)]))))

  it.effect("accepts the SR under data as well", () =>
    Effect.gen(function*() {
      const sr = yield* (yield* client).serviceRequests.find("178168")
      expect(sr.uuid).toBe(srUuid)
    }).pipe(Effect.provide(withMock([
      MockHttp.json(200, { success: true, data: (Fixtures.getResponse as { readonly sr: unknown }).sr })
    ]))))

  it.effect.each(["", "  ", "..", ".", "%2e%2E", "a\nb"])(
    "refuses %j before sending anything",
    (id) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip((yield* client).serviceRequests.find(id))
        assertTag(error, "InvalidRequestError")
        expect(yield* MockHttp.requests).toHaveLength(0)
      }).pipe(Effect.provide(withMock([MockHttp.json(200, Fixtures.createResponse)])))
  )

  it.effect("maps 404 to NotFoundError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* client).serviceRequests.find("nope"))
      assertTag(error, "NotFoundError")
    }).pipe(Effect.provide(withMock([MockHttp.json(404, {})]))))
})
