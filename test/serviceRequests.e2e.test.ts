/**
 * serviceRequests.create / get / submit over real HTTP on 127.0.0.1, through every answer the API (or a
 * gateway, or the network) can give, over both transports a user may pick. Every outcome must be a
 * success or a LegitmarkError with the right tag and fields: never an HttpClientError or a ParseError.
 */
import { LegitmarkClient, LegitmarkError, RetryPolicy } from "@effect-legitmark/client"
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import * as UndiciHttpClient from "@effect-legitmark/client/UndiciHttpClient"
import type * as SR from "@effect-legitmark/schema/ServiceRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, expect, it } from "@effect/vitest"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Payloads from "./support/Payloads.js"
import * as ScriptedServer from "./support/ScriptedServer.js"

// ---------------------------------------------------------------------------------------------------
// Setup
// ---------------------------------------------------------------------------------------------------

const apiKey = "leo_test_e2e_0123456789abcdef"
const srUuid = "8e61c991-553a-4a58-9eb6-561b64c11908"
const createInput: LegitmarkClient.CreateInput = {
  reference_id: "ITEM-2024-0891",
  service: "31670fe9-9272-11ef-b98d-06fb0f2a63e5",
  item: { category: "cc30b104-7c47-11ef-a623-02595575faeb", type: "95e42d6b-7c4f-11ef-a623-02595575faeb" }
}

const transports = [
  { name: "AgentHttpClient.layer", layer: AgentHttpClient.layer },
  { name: "UndiciHttpClient.layer", layer: UndiciHttpClient.layer },
  { name: "NodeHttpClient.layerUndici", layer: NodeHttpClient.layerUndici },
  { name: "FetchHttpClient.layer", layer: FetchHttpClient.layer }
] as const

type Transport = Layer.Layer<HttpClient.HttpClient>

/** Fast retries for tests that assert retries happen: no jitter, 10 ms doubling, 3 retries. */
const fastRetries = RetryPolicy.layer({ jitter: false, base: "10 millis" })

interface ClientSetup {
  readonly baseUrl: string
  readonly transport: Transport
  /** `RetryPolicy.none` unless a test asserts retries; `Layer.empty` leaves the client's default policy. */
  readonly retry?: Layer.Layer<RetryPolicy.RetryPolicy> | Layer.Layer<never>
  /** Generous by default so a busy machine never times out an answer that is not meant to. */
  readonly timeout?: Duration.DurationInput
}

const clientLayer = (setup: ClientSetup) =>
  LegitmarkClient.layer({
    apiKey: Redacted.make(apiKey),
    baseUrl: setup.baseUrl,
    timeout: setup.timeout ?? "5 seconds"
  }).pipe(Layer.provide(Layer.merge(setup.transport, setup.retry ?? RetryPolicy.none)))

/** Runs `use` with a client built from `setup`; the client (and its transport) live as long as `use`. */
const withClient = <A, E>(
  setup: ClientSetup,
  use: (client: LegitmarkClient.Service) => Effect.Effect<A, E>
) => Effect.flatMap(LegitmarkClient, use).pipe(Effect.provide(clientLayer(setup)))

/** The same, with a transport that also counts the requests it is asked to send. */
const withCountingClient = <A, E>(
  setup: ClientSetup,
  use: (client: LegitmarkClient.Service) => Effect.Effect<A, E>
) =>
  Effect.gen(function*() {
    const sent = yield* Ref.make(0)
    const counting = Layer.effect(
      HttpClient.HttpClient,
      Effect.map(HttpClient.HttpClient, HttpClient.tapRequest(() => Ref.update(sent, (n) => n + 1)))
    ).pipe(Layer.provide(setup.transport))
    const result = yield* withClient({ ...setup, transport: counting }, use)
    return { result, sent: yield* Ref.get(sent) }
  })

// ---------------------------------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------------------------------

type Tag = LegitmarkError.LegitmarkError["_tag"]
type ErrorOf<T extends Tag> = Extract<LegitmarkError.LegitmarkError, { readonly _tag: T }>
type Outcome = Either.Either<SR.ServiceRequest | SR.SubmittedServiceRequest, LegitmarkError.LegitmarkError>

const hasTag = <T extends Tag>(error: LegitmarkError.LegitmarkError, tag: T): error is ErrorOf<T> => error._tag === tag

/** The call failed with a LegitmarkError tagged `tag` (and nothing else: no HttpClientError, no ParseError). */
const expectFailure = <T extends Tag>(result: Either.Either<unknown, unknown>, tag: T): ErrorOf<T> => {
  if (Either.isRight(result)) return assert.fail(`expected a ${tag}, got a success`)
  const error = result.left
  if (!LegitmarkError.isLegitmarkError(error)) return assert.fail(`not a LegitmarkError: ${String(error)}`)
  expect(error._tag).toBe(tag)
  if (!hasTag(error, tag)) return assert.fail(`expected a ${tag}, got ${error._tag}: ${error.message}`)
  // Secrets stay secret: the key appears nowhere in what an error shows.
  expect(JSON.stringify(error)).not.toContain(apiKey)
  expect(String(error)).not.toContain(apiKey)
  return error
}

/**
 * A create's outcome with an `InDoubtError` replaced by the failure it carries; any failure after which
 * the server may have acted must have come as one.
 */
const inDoubtFailure = (outcome: Outcome): Outcome => {
  if (Either.isRight(outcome)) return outcome
  const error = outcome.left
  if (error._tag !== "InDoubtError") {
    const mayHaveActed = error._tag === "ServerError" || error._tag === "TimeoutError" ||
      (error._tag === "TransportError" && error.connected) ||
      (error._tag === "UnexpectedResponseError" && (error.status ?? 500) < 300)
    expect([error._tag, mayHaveActed]).toEqual([error._tag, false])
    return outcome
  }
  expect(error.referenceId).toBe(createInput.reference_id)
  expect(error.attempts).toBe(1)
  assert(error.lastFailure !== undefined)
  return Either.left(error.lastFailure)
}

const expectSuccess = <A>(result: Either.Either<A, unknown>): A => {
  if (Either.isLeft(result)) {
    const error = result.left
    return assert.fail(
      `expected a success, got ${LegitmarkError.isLegitmarkError(error) ? error._tag : "a foreign error"}: ${
        String(error)
      }`
    )
  }
  return result.right
}

const millis = (duration: Duration.Duration | undefined) =>
  duration === undefined ? undefined : Duration.toMillis(duration)
const iso = (dateTime: DateTime.Utc | undefined) => dateTime === undefined ? undefined : DateTime.formatIso(dateTime)

/** What an error carries about the call; `requestId` comes from the `x-request-id` response header. */
const expectCall = (
  error: LegitmarkError.LegitmarkError,
  call: { readonly method: string; readonly url: string; readonly requestId?: string; readonly status?: number }
) =>
  expect({
    method: "method" in error ? error.method : undefined,
    url: "url" in error ? error.url : undefined,
    requestId: "requestId" in error ? error.requestId : undefined,
    status: "status" in error ? error.status : undefined
  }).toEqual(call)

const pathOf = (request: ScriptedServer.RecordedRequest) => new URL(request.url, "http://127.0.0.1").pathname

// ---------------------------------------------------------------------------------------------------
// The three endpoints
// ---------------------------------------------------------------------------------------------------

type EndpointName = "create" | "get" | "submit"

interface Endpoint {
  readonly name: EndpointName
  readonly method: "GET" | "POST"
  readonly path: string
  readonly call: (
    client: LegitmarkClient.Service
  ) => Effect.Effect<SR.ServiceRequest | SR.SubmittedServiceRequest, LegitmarkError.LegitmarkError>
  /** A 200 body shaped like the published examples, and what the decoded SR must show. */
  readonly ok: unknown
  readonly expectOk: (sr: SR.ServiceRequest | SR.SubmittedServiceRequest) => void
}

const endpoints: ReadonlyArray<Endpoint> = [
  {
    name: "create",
    method: "POST",
    path: "/api/v2/sr",
    call: (client) => client.serviceRequests.create(createInput),
    ok: Payloads.createResponse,
    expectOk: (sr) => {
      expect(sr.uuid).toBe("a1b2c3d4-e5f6-7890-abcd-ef1234567890")
      expect(sr.state?.primary).toBe("DRAFT")
      expect(sr.state?.supplement).toBeNull()
      assert("external_id" in sr, "create answers a full SR")
      expect(sr.external_id).toBe("ITEM-2024-0891")
      expect(sr.user).toBe("user-uuid")
    }
  },
  {
    name: "get",
    method: "GET",
    path: `/api/v2/sr/${srUuid}`,
    call: (client) => client.serviceRequests.get(srUuid),
    ok: Payloads.getResponse,
    expectOk: (sr) => {
      expect(sr.uuid).toBe(srUuid)
      expect(sr.state?.primary).toBe("COMPLETE")
      expect(sr.state?.supplement).toBe("APPROVED")
      assert("external_id" in sr, "get answers a full SR")
      expect(sr.external_id).toBe("SAMPLE-BARCODE-SKU123")
      expect(sr.tab).toBe("COMPLETE")
    }
  },
  {
    name: "submit",
    method: "POST",
    path: `/api/v2/sr/${srUuid}/submit`,
    call: (client) => client.serviceRequests.submit(srUuid),
    ok: Payloads.submitResponse,
    expectOk: (sr) => {
      expect(sr.uuid).toBe(srUuid)
      expect(sr.micro_id).toBe("178168")
      expect(sr.state?.primary).toBe("QC")
      expect(sr.state?.supplement).toBeNull()
    }
  }
]

const endpoint = (name: EndpointName): Endpoint => {
  const found = endpoints.find((e) => e.name === name)
  if (found === undefined) throw new Error(name)
  return found
}

// ---------------------------------------------------------------------------------------------------
// The status matrix: every case × every endpoint × every transport, one attempt each (RetryPolicy.none)
// ---------------------------------------------------------------------------------------------------

const requestIdHeader = { "x-request-id": "req-e2e-42" }
const longMalformedBody = `{"success":true,"sr":{"uuid":"${srUuid}",${"\"x\":1,".repeat(1000)}`
const html502 = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center>" +
  "<hr><center>nginx</center></body></html>"

interface Context {
  readonly endpoint: Endpoint
  readonly url: string
}

interface MatrixCase {
  readonly name: string
  readonly answer: (endpoint: Endpoint) => ScriptedServer.Answer
  readonly timeout?: Duration.DurationInput
  readonly check: (result: Outcome, context: Context) => void
}

/** A response error: right call fields, status and request id. */
type ResponseTag = Exclude<Tag, "InvalidRequestError" | "TransportError" | "TimeoutError">

const responseError = <T extends ResponseTag>(result: Outcome, context: Context, tag: T, status: number) => {
  const error = expectFailure(result, tag)
  expectCall(error, {
    method: context.endpoint.method,
    url: context.url,
    requestId: requestIdHeader["x-request-id"],
    status
  })
  return error
}

/** A status this endpoint cannot give: an UnexpectedResponseError with the status and the body excerpt. */
const unexpectedStatus = (result: Outcome, context: Context, status: number) => {
  const error = responseError(result, context, "UnexpectedResponseError", status)
  expect(error.issue).toContain(String(status))
  expect(error.body.length).toBeGreaterThan(0)
}

const matrix: ReadonlyArray<MatrixCase> = [
  {
    name: "200 with a published SR",
    answer: (endpoint) => ScriptedServer.json(200, endpoint.ok, requestIdHeader),
    check: (result, { endpoint }) => endpoint.expectOk(expectSuccess(result))
  },
  {
    name: "400 with field issues",
    answer: () => ScriptedServer.json(400, Payloads.validationError, requestIdHeader),
    check: (result, context) => {
      // `get` has no ValidationError in its union: a 400 there is an answer the call cannot give.
      if (context.endpoint.name === "get") return unexpectedStatus(result, context, 400)
      const error = responseError(result, context, "ValidationError", 400)
      expect(error.message).toBe("User-friendly error message")
      expect(error.issues).toEqual([{ code: "validation/missing-field", message: "field_name is required." }])
    }
  },
  {
    name: "401 with a details code",
    answer: () => ScriptedServer.json(401, Payloads.authenticationError, requestIdHeader),
    check: (result, context) => {
      const error = responseError(result, context, "AuthenticationError", 401)
      expect(error.message).toBe("Authentication required")
      expect(error.code).toBe("authorization/missing_token")
    }
  },
  {
    name: "403",
    answer: () =>
      ScriptedServer.json(403, {
        success: false,
        error: {
          code: 403,
          timestamp: "2024-01-01T00:00:00.000Z",
          message: "Forbidden",
          details: "authorization/forbidden"
        }
      }, requestIdHeader),
    check: (result, context) => {
      const error = responseError(result, context, "AuthenticationError", 403)
      expect(error.message).toBe("Forbidden")
      expect(error.code).toBe("authorization/forbidden")
    }
  },
  {
    name: "404",
    answer: () =>
      ScriptedServer.json(404, {
        success: false,
        error: { code: 404, timestamp: "2024-01-01T00:00:00.000Z", message: "Service request not found" }
      }, requestIdHeader),
    check: (result, context) => {
      // `create` cannot be not-found: a 404 there is an answer the call cannot give.
      if (context.endpoint.name === "create") return unexpectedStatus(result, context, 404)
      const error = responseError(result, context, "NotFoundError", 404)
      expect(error.message).toBe("Service request not found")
    }
  },
  {
    name: "409",
    answer: () =>
      ScriptedServer.json(409, {
        success: false,
        error: { code: 409, timestamp: "2024-01-01T00:00:00.000Z", message: "Conflict", details: "sr/conflict" }
      }, requestIdHeader),
    check: (result, context) => {
      if (context.endpoint.name === "get") return unexpectedStatus(result, context, 409)
      const error = responseError(result, context, "ConflictError", 409)
      expect(error.message).toBe("Conflict")
      expect(error.code).toBe("sr/conflict")
    }
  },
  {
    name: "429 with partner rate-limit headers",
    answer: () =>
      ScriptedServer.json(429, Payloads.rateLimitStringBody, {
        ...requestIdHeader,
        "retry-after": "7",
        "x-ratelimit-limit-partner": "1000",
        "x-ratelimit-remaining-partner": "0",
        "x-ratelimit-reset-partner": "1767225600",
        "x-ratelimit-limit-user": "100",
        "x-ratelimit-remaining-user": "42",
        "x-ratelimit-reset-user": "2026-01-01T00:00:30.000Z"
      }),
    check: (result, context) => {
      const error = responseError(result, context, "RateLimitError", 429)
      expect(error.code).toBe("error/rate_limit_exceeded")
      expect(millis(error.retryAfter)).toBe(7_000)
      expect(error.limitType).toBe("partner_level")
      expect(error.limit).toBe(1000)
      expect(error.remaining).toBe(0)
      expect(iso(error.resetAt)).toBe("2026-01-01T00:00:00.000Z")
    }
  },
  {
    name: "429 with user rate-limit headers",
    answer: () =>
      ScriptedServer.json(429, Payloads.rateLimitStringBody, {
        ...requestIdHeader,
        "retry-after": "30",
        "x-ratelimit-limit-partner": "1000",
        "x-ratelimit-remaining-partner": "900",
        "x-ratelimit-reset-partner": "1767225600",
        "x-ratelimit-limit-user": "100",
        "x-ratelimit-remaining-user": "0",
        "x-ratelimit-reset-user": "2026-01-01T00:00:30.000Z"
      }),
    check: (result, context) => {
      const error = responseError(result, context, "RateLimitError", 429)
      expect(millis(error.retryAfter)).toBe(30_000)
      expect(error.limitType).toBe("user_level")
      expect(error.limit).toBe(100)
      expect(error.remaining).toBe(0)
      expect(iso(error.resetAt)).toBe("2026-01-01T00:00:30.000Z")
    }
  },
  {
    name: "429 with the documented details body and no headers",
    answer: () => ScriptedServer.json(429, Payloads.rateLimitDetailsBody, requestIdHeader),
    check: (result, context) => {
      const error = responseError(result, context, "RateLimitError", 429)
      expect(error.message).toBe("Rate limit exceeded")
      expect(millis(error.retryAfter)).toBe(60_000)
      expect(error.limitType).toBe("partner_level")
      expect(error.limit).toBe(1000)
      expect(error.remaining).toBe(0)
      expect(iso(error.resetAt)).toBe("2024-01-01T00:01:00.000Z")
    }
  },
  {
    name: "429 without rate-limit headers or details",
    answer: () => ScriptedServer.json(429, Payloads.rateLimitStringBody, requestIdHeader),
    check: (result, context) => {
      const error = responseError(result, context, "RateLimitError", 429)
      expect(error.code).toBe("error/rate_limit_exceeded")
      expect(error.retryAfter).toBeUndefined()
      expect(error.limitType).toBeUndefined()
      expect(error.limit).toBeUndefined()
      expect(error.remaining).toBeUndefined()
      expect(error.resetAt).toBeUndefined()
    }
  },
  {
    name: "500",
    answer: () =>
      ScriptedServer.json(500, {
        success: false,
        error: { code: 500, timestamp: "2024-01-01T00:00:00.000Z", message: "Internal server error" }
      }, requestIdHeader),
    check: (result, context) => {
      const error = responseError(result, context, "ServerError", 500)
      expect(error.message).toBe("Internal server error")
      expect(error.isRetryable).toBe(true)
    }
  },
  {
    name: "502 with an HTML body",
    answer: () => ({
      status: 502,
      headers: { ...requestIdHeader, "content-type": "text/html" },
      body: html502
    }),
    check: (result, context) => {
      const error = responseError(result, context, "ServerError", 502)
      expect(error.message).toBe("HTTP 502")
      expect(error.code).toBeUndefined()
    }
  },
  {
    name: "503 with Retry-After and an empty body",
    answer: () => ({ status: 503, headers: { ...requestIdHeader, "retry-after": "2" } }),
    check: (result, context) => {
      const error = responseError(result, context, "ServerError", 503)
      expect(error.message).toBe("HTTP 503")
      expect(millis(error.retryAfter)).toBe(2_000)
    }
  },
  {
    name: "200 with an empty body",
    answer: () => ({ status: 200, headers: { ...requestIdHeader, "content-type": "application/json" } }),
    check: (result, context) => {
      const error = responseError(result, context, "UnexpectedResponseError", 200)
      expect(error.issue).toBe("empty body")
      expect(error.body).toBe("")
    }
  },
  {
    name: "200 with malformed JSON",
    answer: () => ({
      status: 200,
      headers: { ...requestIdHeader, "content-type": "application/json" },
      body: longMalformedBody
    }),
    check: (result, context) => {
      const error = responseError(result, context, "UnexpectedResponseError", 200)
      expect(error.issue).toMatch(/^malformed JSON/)
      // A capped excerpt, not the whole body.
      expect(longMalformedBody.length).toBeGreaterThan(4000)
      expect(error.body.length).toBeLessThanOrEqual(1025)
      expect(longMalformedBody.startsWith(error.body.replace(/…$/, ""))).toBe(true)
    }
  },
  {
    name: "200 with JSON that is not an SR",
    answer: () => ScriptedServer.json(200, { success: true, message: "ok", sr: { state: "DRAFT" } }, requestIdHeader),
    check: (result, context) => {
      const error = responseError(result, context, "UnexpectedResponseError", 200)
      expect(error.issue).toContain("uuid")
      expect(error.body).toContain("\"sr\"")
    }
  },
  {
    name: "a connection dropped before the answer",
    answer: () => ScriptedServer.drop,
    check: (result, context) => {
      const error = expectFailure(result, "TransportError")
      expectCall(error, { method: context.endpoint.method, url: context.url })
      // The request reached the server: it may have acted.
      expect(error.connected).toBe(true)
    }
  },
  {
    name: "a connection dropped in the middle of the body",
    answer: (endpoint) => ScriptedServer.dropAfterHeaders(200, JSON.stringify(endpoint.ok)),
    check: (result, context) => {
      const error = expectFailure(result, "TransportError")
      expect(error.method).toBe(context.endpoint.method)
      expect(error.url).toBe(context.url)
      expect(error.connected).toBe(true)
    }
  },
  {
    name: "an answer slower than the timeout",
    answer: (endpoint) => ({ ...ScriptedServer.json(200, endpoint.ok, requestIdHeader), delayMs: 10_000 }),
    timeout: "300 millis",
    check: (result, context) => {
      const error = expectFailure(result, "TimeoutError")
      expectCall(error, { method: context.endpoint.method, url: context.url })
      expect(millis(error.timeout)).toBe(300)
    }
  },
  {
    name: "a body slower than the timeout",
    answer: (endpoint) => ({ ...ScriptedServer.json(200, endpoint.ok, requestIdHeader), bodyDelayMs: 10_000 }),
    timeout: "300 millis",
    check: (result, context) => {
      const error = expectFailure(result, "TimeoutError")
      expectCall(error, { method: context.endpoint.method, url: context.url })
      expect(millis(error.timeout)).toBe(300)
    }
  }
]

for (const transport of transports) {
  describe(`over ${transport.name}`, () => {
    describe("status matrix", () => {
      for (const testCase of matrix) {
        for (const endpoint of endpoints) {
          it.scopedLive(`${endpoint.name}: ${testCase.name}`, () =>
            Effect.gen(function*() {
              const server = yield* ScriptedServer.make([testCase.answer(endpoint)])
              const outcome: Outcome = yield* withClient({
                baseUrl: server.url,
                transport: transport.layer,
                ...(testCase.timeout === undefined ? {} : { timeout: testCase.timeout })
              }, (client) => Effect.either(endpoint.call(client)))
              // A create that failed without proof that the server did not act is in doubt: what the case
              // checks is the failure the `InDoubtError` carries.
              const result = endpoint.name === "create" ? inDoubtFailure(outcome) : outcome
              testCase.check(result, { endpoint, url: `${server.url}${endpoint.path}` })
              // Exactly one attempt reached the server, as the endpoint's method and path. After a 2xx it
              // could not read, a create or submit asks the server once what became of it (here the
              // check gets the same unreadable answer, so the original error stands).
              const requests = (yield* server.requests).map((r) => `${r.method} ${pathOf(r)}`)
              expect(requests[0]).toBe(`${endpoint.method} ${endpoint.path}`)
              const checked = endpoint.method === "POST" && Either.isLeft(result) &&
                result.left._tag === "UnexpectedResponseError" && (result.left.status ?? 500) < 300
              expect(requests.slice(1).filter((r) => r.startsWith("POST"))).toEqual([])
              expect(requests).toHaveLength(checked ? 2 : 1)
            }))
        }
      }
    })

    // -----------------------------------------------------------------------------------------------
    // What is sent
    // -----------------------------------------------------------------------------------------------

    describe("requests", () => {
      it.scopedLive("create sends the bearer key, JSON headers, a user agent and the body", () =>
        Effect.gen(function*() {
          const server = yield* ScriptedServer.make([ScriptedServer.json(200, Payloads.createResponse)])
          yield* withClient(
            { baseUrl: server.url, transport: transport.layer },
            (client) => client.serviceRequests.create(createInput)
          )
          const [request, ...others] = yield* server.requests
          assert(request !== undefined)
          expect(others).toHaveLength(0)
          expect(request.method).toBe("POST")
          expect(request.url).toBe("/api/v2/sr")
          expect(request.headers["authorization"]).toBe(`Bearer ${apiKey}`)
          expect(request.headers["accept"]).toBe("application/json")
          expect(request.headers["user-agent"]).toMatch(/^effect-legitmark\/\d+\.\d+\.\d+/)
          expect(request.headers["content-type"]).toMatch(/^application\/json/)
          expect(JSON.parse(request.body)).toEqual(createInput)
        }))

      it.scopedLive("get sends the include flags as query parameters", () =>
        Effect.gen(function*() {
          const server = yield* ScriptedServer.make([ScriptedServer.json(200, Payloads.getResponse)])
          const sr = yield* withClient({ baseUrl: server.url, transport: transport.layer }, (client) =>
            client.serviceRequests.get(srUuid, { item: true, sides: true, requirements: true }))
          expect(sr.uuid).toBe(srUuid)
          const [request] = yield* server.requests
          assert(request !== undefined)
          const url = new URL(request.url, server.url)
          expect(request.method).toBe("GET")
          expect(url.pathname).toBe(`/api/v2/sr/${srUuid}`)
          expect(Object.fromEntries(url.searchParams)).toEqual({ item: "true", sides: "true", requirements: "true" })
          expect(request.headers["authorization"]).toBe(`Bearer ${apiKey}`)
          expect(request.headers["accept"]).toBe("application/json")
          expect(request.headers["user-agent"]).toMatch(/^effect-legitmark\//)
        }))

      it.scopedLive("submit sends a POST without a body", () =>
        Effect.gen(function*() {
          const server = yield* ScriptedServer.make([ScriptedServer.json(200, Payloads.submitResponse)])
          yield* withClient({ baseUrl: server.url, transport: transport.layer }, (client) =>
            client.serviceRequests.submit(srUuid))
          const [request] = yield* server.requests
          assert(request !== undefined)
          expect(request.method).toBe("POST")
          expect(request.url).toBe(`/api/v2/sr/${srUuid}/submit`)
          expect(request.headers["authorization"]).toBe(`Bearer ${apiKey}`)
          expect(request.body).toBe("")
        }))

      it.scopedLive("a redirect is never followed: the key stays with the configured host", () =>
        Effect.gen(function*() {
          const elsewhere = yield* ScriptedServer.make([ScriptedServer.json(200, Payloads.getResponse)])
          const server = yield* ScriptedServer.make([{ status: 302, headers: { location: `${elsewhere.url}/steal` } }])
          const result = yield* withClient(
            { baseUrl: server.url, transport: transport.layer },
            (client) => Effect.either(client.serviceRequests.get(srUuid))
          )
          const error = expectFailure(result, "UnexpectedResponseError")
          expect(error.status).toBe(302)
          expect(yield* server.requests).toHaveLength(1)
          expect(yield* elsewhere.requests).toHaveLength(0)
        }))

      it.scopedLive("an invalid request is refused before anything is sent", () =>
        Effect.gen(function*() {
          const server = yield* ScriptedServer.make([ScriptedServer.json(200, Payloads.getResponse)])
          const results = yield* withClient({ baseUrl: server.url, transport: transport.layer }, (client) =>
            Effect.all([
              Effect.either(client.serviceRequests.get("not-a-uuid")),
              Effect.either(client.serviceRequests.submit("../../admin")),
              Effect.either(
                client.serviceRequests.create({ ...createInput, item: { ...createInput.item, category: "x" } })
              )
            ]))
          for (const result of results) {
            const error = expectFailure(result, "InvalidRequestError")
            expect(error.issues.length).toBeGreaterThan(0)
          }
          expect(yield* server.requests).toHaveLength(0)
        }))
    })

    // -----------------------------------------------------------------------------------------------
    // Retries: what is retried, what is not, counted by the server (or the transport)
    // -----------------------------------------------------------------------------------------------

    describe("retries", () => {
      const serverError = ScriptedServer.json(500, { success: false, error: { code: 500, message: "boom" } })

      it.scopedLive("get: 500 then 200 succeeds after 2 attempts", () =>
        Effect.gen(function*() {
          const server = yield* ScriptedServer.make([serverError, ScriptedServer.json(200, Payloads.getResponse)])
          const sr = yield* withClient(
            { baseUrl: server.url, transport: transport.layer, retry: fastRetries },
            (client) => client.serviceRequests.get(srUuid)
          )
          endpoint("get").expectOk(sr)
          expect(yield* server.requests).toHaveLength(2)
        }))

      it.scopedLive("get: the default policy (none provided) retries a 502", () =>
        Effect.gen(function*() {
          const server = yield* ScriptedServer.make([
            { status: 502, body: html502, headers: { "content-type": "text/html" } },
            ScriptedServer.json(200, Payloads.getResponse)
          ])
          const sr = yield* withClient(
            { baseUrl: server.url, transport: transport.layer, retry: Layer.empty },
            (client) => client.serviceRequests.get(srUuid)
          )
          endpoint("get").expectOk(sr)
          expect(yield* server.requests).toHaveLength(2)
        }))

      it.scopedLive("get: a persistent 500 fails with a ServerError after 1 + 3 attempts", () =>
        Effect.gen(function*() {
          const server = yield* ScriptedServer.make([serverError])
          const result = yield* withClient(
            { baseUrl: server.url, transport: transport.layer, retry: fastRetries },
            (client) => Effect.either(client.serviceRequests.get(srUuid))
          )
          expect(expectFailure(result, "ServerError").status).toBe(500)
          expect(yield* server.requests).toHaveLength(4)
        }))

      it.scopedLive("get: a dropped connection, then a timeout, then 200 succeeds after 3 attempts", () =>
        Effect.gen(function*() {
          const server = yield* ScriptedServer.make([
            ScriptedServer.drop,
            { ...ScriptedServer.json(200, Payloads.getResponse), delayMs: 10_000 },
            ScriptedServer.json(200, Payloads.getResponse)
          ])
          const sr = yield* withClient(
            { baseUrl: server.url, transport: transport.layer, retry: fastRetries, timeout: "300 millis" },
            (client) => client.serviceRequests.get(srUuid)
          )
          endpoint("get").expectOk(sr)
          expect(yield* server.requests).toHaveLength(3)
        }))

      for (const name of ["create", "submit"] as const) {
        // Before re-sending, the client asks the server whether the failed call went through: create by
        // looking its reference id up, submit by reading the SR's state.
        const check = name === "create" ?
          {
            path: `/api/sr/find/${createInput.reference_id}`,
            notActed: ScriptedServer.json(404, { success: false, error: { code: 404, message: "Not found" } }),
            acted: ScriptedServer.json(200, Payloads.createResponse)
          } :
          {
            path: `/api/v2/sr/${srUuid}`,
            notActed: ScriptedServer.json(200, Payloads.createResponse),
            acted: ScriptedServer.json(200, Payloads.getResponse)
          }
        if (name === "submit") {
          // Reading the SR's state does not lag: after an answer, a draft proves the submit did not go through.
          it.scopedLive(`${name}: after a 500, it is re-sent once the server says it did not act`, () =>
            Effect.gen(function*() {
              const server = yield* ScriptedServer.make([
                serverError,
                check.notActed,
                ScriptedServer.json(200, endpoint(name).ok)
              ])
              const value = yield* withClient(
                { baseUrl: server.url, transport: transport.layer, retry: fastRetries },
                (client) => endpoint(name).call(client)
              )
              expect(value.uuid).toBeDefined()
              const sent = (yield* server.requests).map((r) => `${r.method} ${r.url}`)
              expect(sent).toEqual([`POST ${endpoint(name).path}`, `GET ${check.path}`, `POST ${endpoint(name).path}`])
            }))
        } else {
          // The lookup may lag: its 404 proves nothing until the in-doubt window is over.
          it.scopedLive(`${name}: after a 500, a 404 from the lookup proves nothing: InDoubtError, never re-sent`, () =>
            Effect.gen(function*() {
              const server = yield* ScriptedServer.make([serverError, check.notActed])
              const result = yield* withClient(
                { baseUrl: server.url, transport: transport.layer, retry: fastRetries },
                (client) => Effect.either(endpoint(name).call(client))
              )
              expect(expectFailure(result, "InDoubtError").lastFailure?._tag).toBe("ServerError")
              const sent = (yield* server.requests).map((r) => `${r.method} ${r.url}`)
              expect(sent).toEqual([`POST ${endpoint(name).path}`, ...Array(3).fill(`GET ${check.path}`)])
            }))
        }

        // The request may still be on its way through the server: finding nothing proves nothing.
        const inDoubt = [
          ["a dropped connection", ScriptedServer.drop, "TransportError"],
          ["a timeout", { ...ScriptedServer.json(200, endpoint(name).ok), delayMs: 10_000 }, "TimeoutError"]
        ] as const
        for (const [label, fault, tag] of inDoubt) {
          it.scopedLive(`${name}: after ${label}, it is never re-sent; the check repeats and the failure stands`, () =>
            Effect.gen(function*() {
              const server = yield* ScriptedServer.make([fault, check.notActed])
              const result = yield* withClient(
                { baseUrl: server.url, transport: transport.layer, retry: fastRetries, timeout: "300 millis" },
                (client) => Effect.either(endpoint(name).call(client))
              )
              if (name === "create") expect(expectFailure(result, "InDoubtError").lastFailure?._tag).toBe(tag)
              else expectFailure(result, tag)
              const sent = (yield* server.requests).map((r) => `${r.method} ${r.url}`)
              expect(sent).toEqual([`POST ${endpoint(name).path}`, ...Array(3).fill(`GET ${check.path}`)])
            }))
        }

        it.scopedLive(`${name}: after a 500, it is not re-sent when the server says it acted`, () =>
          Effect.gen(function*() {
            const server = yield* ScriptedServer.make([serverError, check.acted])
            const value = yield* withClient(
              { baseUrl: server.url, transport: transport.layer, retry: fastRetries },
              (client) => endpoint(name).call(client)
            )
            expect(value.uuid).toBeDefined()
            const sent = (yield* server.requests).map((r) => `${r.method} ${r.url}`)
            // A create found by the public lookup is then read with this key, to be sure it is ours.
            expect(sent).toEqual([
              `POST ${endpoint(name).path}`,
              `GET ${check.path}`,
              ...(name === "create" ? ["GET /api/v2/sr/a1b2c3d4-e5f6-7890-abcd-ef1234567890"] : [])
            ])
          }))

        it.scopedLive(`${name}: a 429 is retried (it proves the server did not act)`, () =>
          Effect.gen(function*() {
            const server = yield* ScriptedServer.make([
              ScriptedServer.json(429, Payloads.rateLimitStringBody, { "retry-after": "0" }),
              ScriptedServer.json(200, endpoint(name).ok)
            ])
            const value = yield* withClient(
              { baseUrl: server.url, transport: transport.layer, retry: fastRetries },
              (client) => endpoint(name).call(client)
            )
            endpoint(name).expectOk(value)
            expect(yield* server.requests).toHaveLength(2)
          }))

        it.scopedLive(`${name}: a refused connection is retried (the server never saw it)`, () =>
          Effect.gen(function*() {
            const baseUrl = yield* ScriptedServer.deadUrl
            const { result, sent } = yield* withCountingClient(
              { baseUrl, transport: transport.layer, retry: fastRetries },
              (client) => Effect.either(endpoint(name).call(client))
            )
            const error = expectFailure(result, "TransportError")
            expect(error.connected).toBe(false)
            expect(error.code).toBe("ECONNREFUSED")
            expectCall(error, { method: "POST", url: `${baseUrl}${endpoint(name).path}` })
            // 1 attempt + 3 retries, all refused.
            expect(sent).toBe(4)
          }))
      }

      it.scopedLive("get: a refused connection fails with TransportError (connected = false)", () =>
        Effect.gen(function*() {
          const baseUrl = yield* ScriptedServer.deadUrl
          const { result, sent } = yield* withCountingClient(
            { baseUrl, transport: transport.layer },
            (client) => Effect.either(client.serviceRequests.get(srUuid))
          )
          const error = expectFailure(result, "TransportError")
          expect(error.connected).toBe(false)
          expect(sent).toBe(1)
        }))

      it.scopedLive("a Retry-After beyond the policy's cap fails at once", () =>
        Effect.gen(function*() {
          const server = yield* ScriptedServer.make([
            ScriptedServer.json(429, Payloads.rateLimitStringBody, { "retry-after": "3600" }),
            ScriptedServer.json(200, Payloads.getResponse)
          ])
          const result = yield* withClient(
            { baseUrl: server.url, transport: transport.layer, retry: fastRetries },
            (client) => Effect.either(client.serviceRequests.get(srUuid))
          )
          expect(millis(expectFailure(result, "RateLimitError").retryAfter)).toBe(3_600_000)
          expect(yield* server.requests).toHaveLength(1)
        }))
    })
  })
}
