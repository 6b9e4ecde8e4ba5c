/**
 * Security properties of the client (issue 7, item 4), as property tests (fast-check through
 * `@effect/vitest`'s `it.prop` / `it.effect.prop`) and end to end against the simulator:
 *
 * 1. decoders accept what their schemas encode, and junk answers become LegitmarkErrors, never defects;
 * 2. ids never change the request path;
 * 3. header values that are not printable ASCII (CR, LF, NUL, a lone surrogate, …) are refused before
 *    anything is sent;
 * 4. the API key appears in no log line, span or error, whatever happens, and never leaves the
 *    configured hosts.
 */
import { LegitmarkClient, LegitmarkError, Photo, RetryPolicy } from "@effect-legitmark/client"
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import * as UndiciHttpClient from "@effect-legitmark/client/UndiciHttpClient"
import { ErrorBody } from "@effect-legitmark/schema/ErrorBody"
import { IntentResponse } from "@effect-legitmark/schema/Media"
import { Progress, ProgressResponse } from "@effect-legitmark/schema/Progress"
import { GetResponse, ServiceRequest } from "@effect-legitmark/schema/ServiceRequest"
import { Brand, Category, Model, ModelListResponse, TreeResponse, Type } from "@effect-legitmark/schema/Taxonomy"
import { Faults, Seed, Simulator } from "@effect-legitmark/simulator"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, expect, it } from "@effect/vitest"
import { Legitmark } from "effect-legitmark"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import * as Capture from "./support/Capture.js"
import * as RecordingHttp from "./support/RecordingHttp.js"
import * as ScriptedServer from "./support/ScriptedServer.js"

const apiKey = "leo_sec_7f3a9c2e41b8d6055e1c"
const srUuid = "8e61c991-553a-4a58-9eb6-561b64c11908"
const sideUuid = "ec883c70-f896-47c9-81b6-8d6ff0b5856a"
const FOOTWEAR = "25ed7133-f230-4d64-850d-0cfc698e2931"
const SNEAKERS = "95e428c2-7c4f-11ef-a623-02595575faeb"
const missing = "00000000-0000-4000-8000-000000000000"
const mockBaseUrl = "http://127.0.0.1:9"
// A budget the tests never approach, so the client's rate limiter (paced on the announced limit) never waits.
const rateLimit = { limit: 1_000_000, windowMs: 60_000 }
const pngBytes = new Uint8Array(
  readFileSync(fileURLToPath(new URL("../examples/photos/size-tag.png", import.meta.url)))
)

/** A client on a recording mock transport (no sockets), one attempt per call. */
const mockClient = (answer: (request: RecordingHttp.Recorded) => RecordingHttp.RawAnswer) =>
  Effect.gen(function*() {
    const recording = yield* RecordingHttp.make(answer)
    const client = yield* LegitmarkClient.make({ apiKey: Redacted.make(apiKey), baseUrl: mockBaseUrl }).pipe(
      Effect.provideService(HttpClient.HttpClient, recording.client),
      Effect.provide(RetryPolicy.none),
      Effect.orDie
    )
    return { client, requests: recording.requests }
  })

/** Every failure in `exit` is a LegitmarkError, and there is no defect or interruption. */
const expectOnlyLegitmarkErrors = (
  exit: Exit.Exit<unknown, unknown>
): ReadonlyArray<LegitmarkError.LegitmarkError> => {
  if (Exit.isSuccess(exit)) return []
  const cause = exit.cause
  expect(Chunk.toReadonlyArray(Cause.defects(cause))).toEqual([])
  expect(Cause.isInterruptedOnly(cause)).toBe(false)
  const failures = Chunk.toReadonlyArray(Cause.failures(cause))
  expect(failures.length).toBeGreaterThan(0)
  const errors = failures.filter(LegitmarkError.isLegitmarkError)
  for (const failure of failures) {
    assert(LegitmarkError.isLegitmarkError(failure), `not a LegitmarkError: ${String(failure)}`)
  }
  for (const error of errors) {
    expect(["HttpClientError", "RequestError", "ResponseError", "ParseError"]).not.toContain(error._tag)
  }
  return errors
}

// ---------------------------------------------------------------------------------------------------
// 1. Decoders and junk
// ---------------------------------------------------------------------------------------------------

describe("1. decoders accept what their schemas encode", () => {
  const roundTrip = <A, I>(schema: Schema.Schema<A, I>) => (value: A) => {
    const encoded = Schema.encodeSync(schema)(value)
    const decoded = Schema.decodeUnknownEither(schema)(encoded)
    assert(decoded._tag === "Right", `${String(schema)} refused its own encoding`)
    expect(Schema.encodeSync(schema)(decoded.right)).toEqual(encoded)
  }
  const fastCheck = { fastCheck: { numRuns: 40 } }

  it.prop("ServiceRequest", [ServiceRequest], ([sr]) => roundTrip(ServiceRequest)(sr), fastCheck)
  it.prop("GetResponse (the SR envelope)", [GetResponse], ([r]) => roundTrip(GetResponse)(r), fastCheck)
  it.prop("Progress", [Progress], ([p]) => roundTrip(Progress)(p), fastCheck)
  it.prop("ProgressResponse", [ProgressResponse], ([p]) => roundTrip(ProgressResponse)(p), fastCheck)
  it.prop("Taxonomy Category", [Category], ([c]) => roundTrip(Category)(c), fastCheck)
  it.prop("Taxonomy TreeResponse", [TreeResponse], ([t]) => roundTrip(TreeResponse)(t), fastCheck)
  it.prop("Taxonomy Type", [Type], ([t]) => roundTrip(Type)(t), fastCheck)
  it.prop("Taxonomy Brand", [Brand], ([b]) => roundTrip(Brand)(b), fastCheck)
  it.prop("Taxonomy Model", [Model], ([m]) => roundTrip(Model)(m), fastCheck)
  it.prop("Taxonomy ModelListResponse", [ModelListResponse], ([m]) => roundTrip(ModelListResponse)(m), fastCheck)
  it.prop("IntentResponse", [IntentResponse], ([i]) => roundTrip(IntentResponse)(i), fastCheck)
  it.prop("ErrorBody", [ErrorBody], ([e]) => roundTrip(ErrorBody)(e), fastCheck)
})

describe("1. junk answers become LegitmarkErrors, never defects, HttpClientError or ParseError", () => {
  type Call = (client: LegitmarkClient.Service) => Effect.Effect<unknown, LegitmarkError.LegitmarkError>
  const calls: Record<string, Call> = {
    create: (c) => c.serviceRequests.create({ reference_id: "JUNK-1", item: { category: FOOTWEAR, type: SNEAKERS } }),
    get: (c) => c.serviceRequests.get(srUuid),
    submit: (c) => c.serviceRequests.submit(srUuid),
    sideGroups: (c) => c.serviceRequests.sideGroups(srUuid),
    progress: (c) => c.serviceRequests.progress(srUuid),
    find: (c) => c.serviceRequests.find("SKU 1/2"),
    intent: (c) => c.media.intent(srUuid, sideUuid, "png"),
    put: (c) => c.media.put(`${mockBaseUrl}/upload/x.png?signature=s`, pngBytes, "png"),
    upload: (c) => Effect.flatMap(Photo.fromBytes(pngBytes, "png"), (photo) => c.media.upload(srUuid, sideUuid, photo)),
    tree: (c) => c.taxonomy.tree(),
    categories: (c) => c.taxonomy.categories(),
    streamCategories: (c) => Stream.runDrain(Stream.take(c.taxonomy.streamCategories(), 50)),
    category: (c) => c.taxonomy.category(FOOTWEAR),
    categoryTypes: (c) => c.taxonomy.categoryTypes(FOOTWEAR),
    types: (c) => c.taxonomy.types(),
    type: (c) => c.taxonomy.type(SNEAKERS),
    typeBrands: (c) => c.taxonomy.typeBrands(SNEAKERS),
    brands: (c) => c.taxonomy.brands(),
    models: (c) => c.taxonomy.models(),
    streamModels: (c) => Stream.runDrain(Stream.take(c.taxonomy.streamModels(), 50)),
    services: (c) => c.taxonomy.services(),
    service: (c) => c.taxonomy.service(missing),
    sides: (c) => c.taxonomy.sides(),
    side: (c) => c.taxonomy.side(sideUuid),
    reasons: (c) => c.taxonomy.reasons()
  }

  const jsonText = FastCheck.jsonValue().map((v) => JSON.stringify(v))
  const body = FastCheck.oneof(
    FastCheck.string(),
    FastCheck.string({ unit: "binary" }),
    jsonText,
    // Plausible envelopes with junk payloads.
    FastCheck.tuple(
      FastCheck.constantFrom("sr", "data", "models", "progress", "url", "error", "service"),
      FastCheck.jsonValue()
    ).map(([key, value]) => JSON.stringify({ success: true, [key]: value })),
    FastCheck.constantFrom("", "null", "{", "[]", "<html>502</html>", "{\"sr\":{\"uuid\":1}}", "\u0000\uFFFF")
  )
  const answer = FastCheck.record({
    status: FastCheck.oneof(
      FastCheck.constantFrom(200, 201, 204, 301, 302, 400, 401, 403, 404, 409, 418, 422, 429, 500, 502, 503),
      FastCheck.integer({ min: 200, max: 599 })
    ),
    body,
    contentType: FastCheck.constantFrom("application/json", "text/html", "text/plain", "application/xml", ""),
    retryAfter: FastCheck.option(FastCheck.oneof(FastCheck.string(), FastCheck.integer().map(String)), {
      nil: undefined
    }),
    rateLimitReset: FastCheck.option(FastCheck.string(), { nil: undefined })
  })

  it.effect.prop(
    "every call, any status, any body",
    [FastCheck.constantFrom(...Object.keys(calls)), answer],
    ([name, junk]) =>
      Effect.gen(function*() {
        const headers: Record<string, string> = {}
        if (junk.contentType !== "") headers["content-type"] = junk.contentType
        if (junk.retryAfter !== undefined) headers["retry-after"] = junk.retryAfter.replace(/[^\x20-\x7e]/g, "")
        if (junk.rateLimitReset !== undefined) {
          headers["x-ratelimit-reset-partner"] = junk.rateLimitReset.replace(/[^\x20-\x7e]/g, "")
        }
        const { client } = yield* mockClient(() => ({ status: junk.status, body: junk.body, headers }))
        const call = calls[name]
        assert(call !== undefined)
        const exit = yield* Effect.exit(call(client))
        expectOnlyLegitmarkErrors(exit)
      }),
    { fastCheck: { numRuns: 100 } }
  )

  it.effect("a 2xx with a body the schema refuses is an UnexpectedResponseError with the issue", () =>
    Effect.gen(function*() {
      const { client } = yield* mockClient(() => ({ status: 200, body: "{\"sr\":{\"uuid\":42}}" }))
      const exit = yield* Effect.exit(client.serviceRequests.get(srUuid))
      const [error] = expectOnlyLegitmarkErrors(exit)
      expect(error?._tag).toBe("UnexpectedResponseError")
    }))
})

// ---------------------------------------------------------------------------------------------------
// 2. Ids never change the request path
// ---------------------------------------------------------------------------------------------------

describe("2. ids never change the request path", () => {
  const fragments = [
    "/",
    "..",
    "../",
    "/..",
    "?",
    "#",
    "%2F",
    "%2f",
    "%2e%2e",
    "%2E%2E/",
    "\\",
    "..\\",
    "%5C",
    "%00",
    "\uFF0F",
    "\u2215",
    "\u2044",
    "é",
    "💥",
    "\u202E",
    " ",
    "&x=1",
    "?admin=true",
    "#frag"
  ]
  const fragment = FastCheck.constantFrom(...fragments)

  /** A UUID with a hostile fragment put somewhere in it (or replacing it). */
  const hostileId = FastCheck.tuple(
    FastCheck.uuid(),
    FastCheck.array(fragment, { minLength: 1, maxLength: 3 }),
    FastCheck.nat(36),
    FastCheck.boolean()
  ).map(([uuid, parts, at, alone]) => alone ? parts.join("") : uuid.slice(0, at) + parts.join("") + uuid.slice(at))

  type Lookup = (client: LegitmarkClient.Service, id: string) => Effect.Effect<unknown, LegitmarkError.LegitmarkError>
  const lookups: Record<string, Lookup> = {
    get: (c, id) => c.serviceRequests.get(id),
    submit: (c, id) => c.serviceRequests.submit(id),
    sideGroups: (c, id) => c.serviceRequests.sideGroups(id),
    progress: (c, id) => c.serviceRequests.progress(id),
    "intent sr": (c, id) => c.media.intent(id, sideUuid, "png"),
    "intent side": (c, id) => c.media.intent(srUuid, id, "png"),
    "intent extension": (c, id) => c.media.intent(srUuid, sideUuid, id),
    category: (c, id) => c.taxonomy.category(id),
    categoryTypes: (c, id) => c.taxonomy.categoryTypes(id),
    type: (c, id) => c.taxonomy.type(id),
    typeBrands: (c, id) => c.taxonomy.typeBrands(id),
    service: (c, id) => c.taxonomy.service(id),
    side: (c, id) => c.taxonomy.side(id),
    "models brandUuid": (c, id) => c.taxonomy.models({ brandUuid: id }),
    "models typeUuid": (c, id) => c.taxonomy.models({ typeUuid: id }),
    "models categoryUuid": (c, id) => c.taxonomy.models({ categoryUuid: id })
  }

  it.effect.prop(
    "uuid lookups refuse hostile ids with InvalidRequestError, sending nothing",
    [hostileId],
    ([id]) =>
      Effect.gen(function*() {
        const { client, requests } = yield* mockClient(() => ({ status: 200, body: "{}" }))
        for (const [name, lookup] of Object.entries(lookups)) {
          const exit = yield* Effect.exit(lookup(client, id))
          const [error] = expectOnlyLegitmarkErrors(exit)
          assert(error !== undefined, `${name} accepted ${JSON.stringify(id)}`)
          expect(error._tag).toBe("InvalidRequestError")
        }
        expect(yield* requests).toEqual([])
      }),
    { fastCheck: { numRuns: 50 } }
  )

  const freeText = FastCheck.oneof(
    hostileId,
    FastCheck.array(FastCheck.oneof(fragment, FastCheck.string({ unit: "grapheme", maxLength: 4 })), {
      minLength: 1,
      maxLength: 6
    }).map((parts) => parts.join(""))
  )
  const refusedByClient = (id: string) => id.trim() === "" || /[\u0000-\u001f\u007f]/.test(id)

  it.effect.prop(
    "find sends exactly /api/sr/find/<one encoded segment>, whatever the free text",
    [freeText],
    ([id]) =>
      Effect.gen(function*() {
        const { client, requests } = yield* mockClient(() => ({
          status: 200,
          body: JSON.stringify({ success: true, sr: { uuid: srUuid, state: { primary: "DRAFT", supplement: null } } })
        }))
        const exit = yield* Effect.exit(client.serviceRequests.find(id))
        const sent = yield* requests
        if (refusedByClient(id) || /^(\.|%2e){1,2}$/i.test(id.trim())) {
          const [error] = expectOnlyLegitmarkErrors(exit)
          expect(error?._tag).toBe("InvalidRequestError")
          expect(sent).toEqual([])
          return
        }
        assert(Exit.isSuccess(exit), `find(${JSON.stringify(id)}) failed`)
        expect(sent).toHaveLength(1)
        const url = new URL(sent[0]!.url)
        expect(url.origin).toBe(mockBaseUrl)
        expect(url.search).toBe("")
        expect(url.hash).toBe("")
        const segments = url.pathname.split("/")
        expect(segments.slice(0, 4)).toEqual(["", "api", "sr", "find"])
        expect(segments).toHaveLength(5)
        expect(url.pathname).toBe(`/api/sr/find/${encodeURIComponent(id)}`)
        expect(decodeURIComponent(segments[4]!)).toBe(id)
        // The public lookup is sent without the key.
        expect(sent[0]!.headers["authorization"]).toBeUndefined()
      }),
    { fastCheck: { numRuns: 100 } }
  )

  it.scopedLive("find over real HTTP: a hostile reference id reaches the find route as one segment", () =>
    Effect.gen(function*() {
      const simulator = yield* Simulator.start({ apiKeys: [apiKey], clock: "manual", rateLimit })
      const client = yield* realClient(simulator.baseUrl, simulator.assetUrl)
      const ids = ["a/../../api/v2/categories", "x?y=1#z", "%2e%2e/%2F", "back\\slash\\..", "\uFF0F\u2215 é 💥"]
      for (const id of ids) {
        const created = yield* client.serviceRequests.create({
          reference_id: id,
          item: { category: FOOTWEAR, type: SNEAKERS }
        })
        expect((yield* client.serviceRequests.find(id)).uuid).toBe(created.uuid)
      }
      const stats = yield* simulator.stats
      expect(stats.routes["sr.find"]).toBe(ids.length)
      expect(stats.routes["taxonomy.categories"]).toBeUndefined()
      expect(stats.requests["unmatched"]).toBeUndefined()
    }))
})

describe("2. reference ids the API cannot take are refused before anything is sent", () => {
  // A lone surrogate has no UTF-8 encoding (`encodeURIComponent` throws on it); past 255 characters a
  // reference id is refused too, up to a 10 MB one.
  const loneSurrogate = FastCheck.tuple(
    FastCheck.string({ maxLength: 8 }),
    FastCheck.integer({ min: 0xd800, max: 0xdfff }),
    FastCheck.string({ maxLength: 8 })
  ).map(([before, unit, after]) => `${before}${String.fromCharCode(unit)}${after}`)
  const tooLong = FastCheck.tuple(
    FastCheck.integer({ min: 256, max: 4096 }),
    FastCheck.string({ minLength: 1, maxLength: 4 })
  )
    .map(([length, unit]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length))
    .filter((id) => id.trim().length > 0)

  const refusedEverywhere = (id: string) =>
    Effect.gen(function*() {
      const { client, requests } = yield* mockClient(() => ({ status: 200, body: "{}" }))
      const legitmark = yield* Effect.provideService(Legitmark.make, LegitmarkClient, client)
      const calls: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown>]> = [
        ["find", client.serviceRequests.find(id)],
        ["create", client.serviceRequests.create({ reference_id: id, item: { category: FOOTWEAR, type: SNEAKERS } })],
        [
          "authenticate",
          legitmark.authenticate({ referenceId: id, item: { category: FOOTWEAR, type: SNEAKERS }, photos: {} })
        ]
      ]
      for (const [name, call] of calls) {
        const exit = yield* Effect.exit(call)
        assert(Exit.isFailure(exit), `${name} accepted the id`)
        expect(Chunk.toReadonlyArray(Cause.defects(exit.cause))).toEqual([])
        const failure = Chunk.toReadonlyArray(Cause.failures(exit.cause))[0]
        expect([name, LegitmarkError.isLegitmarkError(failure) && failure._tag]).toEqual([name, "InvalidRequestError"])
      }
      expect(yield* requests).toEqual([])
    })

  it.effect.prop("a reference id with a lone surrogate", [loneSurrogate], ([id]) => refusedEverywhere(id), {
    fastCheck: { numRuns: 50 }
  })
  it.effect.prop("a reference id longer than 255 characters", [tooLong], ([id]) => refusedEverywhere(id), {
    fastCheck: { numRuns: 30 }
  })
  it.effect("a 10 MB reference id", () => refusedEverywhere("x".repeat(10 * 1024 * 1024)))
  it.effect("SKU-\\ud800, the issue's example", () => refusedEverywhere("SKU-\ud800"))
})

// ---------------------------------------------------------------------------------------------------
// 3. Header values that are not printable ASCII
// ---------------------------------------------------------------------------------------------------

describe("3. header values that are not printable ASCII (CR, LF, NUL, non-ASCII) are refused", () => {
  const injected = FastCheck.tuple(
    FastCheck.string({ maxLength: 8 }),
    FastCheck.constantFrom(
      "\r",
      "\n",
      "\r\n",
      "\0",
      "\r\nX-Injected: 1",
      "\nAuthorization: Bearer leo_other",
      // Node refuses these in a header with a TypeError: a defect, unless they are refused first.
      "\ud800",
      "中文",
      "\u2028",
      "é"
    ),
    FastCheck.string({ maxLength: 8 })
  ).map(([before, bad, after]) => `${before}${bad}${after}`)

  it.effect.prop(
    "client level: API key, userAgent, acceptLanguage fail with a ConfigError, nothing sent",
    [injected],
    ([bad]) =>
      Effect.gen(function*() {
        const recording = yield* RecordingHttp.make(() => ({ status: 200, body: "{}" }))
        const options: ReadonlyArray<LegitmarkClient.Options> = [
          { apiKey: Redacted.make(`leo_${bad}`), baseUrl: mockBaseUrl },
          { apiKey: Redacted.make(`${bad}leo_x`), baseUrl: mockBaseUrl },
          { apiKey: Redacted.make(apiKey), baseUrl: mockBaseUrl, userAgent: `agent/${bad}` },
          { apiKey: Redacted.make(apiKey), baseUrl: mockBaseUrl, acceptLanguage: `ja${bad}` }
        ]
        for (const option of options) {
          const exit = yield* Effect.exit(
            LegitmarkClient.make(option).pipe(Effect.provideService(HttpClient.HttpClient, recording.client))
          )
          assert(Exit.isFailure(exit), `accepted ${JSON.stringify(bad)}`)
          expect(Chunk.toReadonlyArray(Cause.defects(exit.cause))).toEqual([])
          const failure = Chunk.toReadonlyArray(Cause.failures(exit.cause))[0]
          expect(ConfigError.isConfigError(failure)).toBe(true)
          // The refused key is not repeated in the error.
          expect(Cause.pretty(exit.cause)).not.toContain(bad.trim() === "" ? "\u0000never" : `leo_${bad}`)
        }
        expect(yield* recording.requests).toEqual([])
      }),
    { fastCheck: { numRuns: 50 } }
  )

  it.effect.prop(
    "per call: acceptLanguage fails with InvalidRequestError, nothing sent",
    [injected],
    ([bad]) =>
      Effect.gen(function*() {
        const { client, requests } = yield* mockClient(() => ({ status: 200, body: "{}" }))
        const acceptLanguage = `ja${bad}`
        const perCall: ReadonlyArray<Effect.Effect<unknown, LegitmarkError.LegitmarkError>> = [
          client.taxonomy.tree({ acceptLanguage }),
          client.taxonomy.categories({ acceptLanguage }),
          client.taxonomy.category(FOOTWEAR, { acceptLanguage }),
          client.taxonomy.categoryTypes(FOOTWEAR, { acceptLanguage }),
          client.taxonomy.types({ acceptLanguage }),
          client.taxonomy.type(SNEAKERS, { acceptLanguage }),
          client.taxonomy.typeBrands(SNEAKERS, { acceptLanguage }),
          client.taxonomy.brands({ acceptLanguage }),
          client.taxonomy.models({ acceptLanguage }),
          client.taxonomy.services({ acceptLanguage }),
          client.taxonomy.service(missing, { acceptLanguage }),
          client.taxonomy.sides({ acceptLanguage }),
          client.taxonomy.side(sideUuid, { acceptLanguage }),
          client.taxonomy.reasons({ acceptLanguage }),
          Stream.runDrain(client.taxonomy.streamBrands({ acceptLanguage }))
          // serviceRequests.sideGroups is left out: it does not validate acceptLanguage (see the report).
        ]
        for (const call of perCall) {
          const [error] = expectOnlyLegitmarkErrors(yield* Effect.exit(call))
          expect(error?._tag).toBe("InvalidRequestError")
        }
        expect(yield* requests).toEqual([])
      }),
    { fastCheck: { numRuns: 30 } }
  )

  it.scopedLive("sideGroups with an injected acceptLanguage: no injected header reaches the server", () =>
    Effect.gen(function*() {
      const server = yield* ScriptedServer.make([ScriptedServer.json(200, { data: { side_groups: [] } })])
      const client = yield* realClient(server.url, server.url)
      const exit = yield* Effect.exit(
        client.serviceRequests.sideGroups(srUuid, { acceptLanguage: "ja\r\nX-Injected: 1" })
      )
      expectOnlyLegitmarkErrors(exit)
      for (const request of yield* server.requests) expect(request.headers["x-injected"]).toBeUndefined()
    }))
})

// ---------------------------------------------------------------------------------------------------
// 4. The API key stays secret
// ---------------------------------------------------------------------------------------------------

/** A real client (on the client's own transport) built in the caller's scope. */
const realClient = (
  baseUrl: string,
  assetUrl: string,
  options: {
    readonly key?: string
    readonly retry?: Layer.Layer<RetryPolicy.RetryPolicy>
    readonly transport?: Layer.Layer<HttpClient.HttpClient>
  } = {}
) =>
  Effect.map(
    Layer.build(
      LegitmarkClient.layer({ apiKey: Redacted.make(options.key ?? apiKey), baseUrl, assetUrl, timeout: "10 seconds" })
        .pipe(
          Layer.provide(Layer.merge(options.transport ?? AgentHttpClient.layer, options.retry ?? RetryPolicy.none))
        )
    ),
    Context.get(LegitmarkClient)
  )

describe("4. the API key stays secret", () => {
  interface Target {
    readonly sr: string
    readonly side: string
    readonly url: string
  }
  type Endpoint = readonly [
    name: string,
    call: (client: LegitmarkClient.Service, target: Target) => Effect.Effect<unknown, LegitmarkError.LegitmarkError>
  ]
  const photo = Photo.fromBytes(pngBytes, "png")
  const endpoints: ReadonlyArray<Endpoint> = [
    [
      "create",
      (c) => c.serviceRequests.create({ reference_id: "SECRET-1", item: { category: FOOTWEAR, type: SNEAKERS } })
    ],
    ["get", (c, t) => c.serviceRequests.get(t.sr, { item: true, sides: true })],
    ["sideGroups", (c, t) => c.serviceRequests.sideGroups(t.sr)],
    ["progress", (c, t) => c.serviceRequests.progress(t.sr)],
    ["find", (c, t) => c.serviceRequests.find(t.sr)],
    ["intent", (c, t) => c.media.intent(t.sr, t.side, "png")],
    ["put", (c, t) => Effect.flatMap(photo, (p) => c.media.put(t.url, p))],
    ["upload", (c, t) => Effect.flatMap(photo, (p) => c.media.upload(t.sr, t.side, p))],
    ["submit", (c, t) => c.serviceRequests.submit(t.sr)],
    ["tree", (c) => c.taxonomy.tree()],
    ["categories", (c) => c.taxonomy.categories()],
    ["streamCategories", (c) => Stream.runDrain(c.taxonomy.streamCategories({ pageSize: 2 }))],
    ["category", (c) => c.taxonomy.category(FOOTWEAR)],
    ["categoryTypes", (c) => c.taxonomy.categoryTypes(FOOTWEAR)],
    ["types", (c) => c.taxonomy.types()],
    ["streamTypes", (c) => Stream.runDrain(c.taxonomy.streamTypes({ pageSize: 3 }))],
    ["type", (c) => c.taxonomy.type(SNEAKERS)],
    ["typeBrands", (c) => c.taxonomy.typeBrands(SNEAKERS)],
    ["brands", (c) => c.taxonomy.brands()],
    ["streamBrands", (c) => Stream.runDrain(c.taxonomy.streamBrands({ pageSize: 3 }))],
    ["models", (c) => c.taxonomy.models({ brandUuid: Seed.brands[0]!.uuid })],
    ["streamModels", (c) => Stream.runDrain(c.taxonomy.streamModels({ pageSize: 4 }))],
    ["services", (c) => c.taxonomy.services()],
    ["service", (c) => c.taxonomy.service(Seed.services[0]!.uuid)],
    ["sides", (c) => c.taxonomy.sides()],
    ["streamSides", (c) => Stream.runDrain(c.taxonomy.streamSides({ pageSize: 5 }))],
    ["side", (c) => c.taxonomy.side(sideUuid)],
    ["reasons", (c) => c.taxonomy.reasons()]
  ]

  /** Runs every endpoint, capturing logs, spans and errors; answers every text they expose and the exits. */
  const runAll = (client: LegitmarkClient.Service, target: Target, captured: Capture.Captured) =>
    Effect.gen(function*() {
      const texts: Array<string> = []
      const exits: Array<readonly [string, Exit.Exit<unknown, LegitmarkError.LegitmarkError>]> = []
      for (const [name, call] of endpoints) {
        const exit = yield* Effect.exit(call(client, target).pipe(Capture.capture(captured)))
        exits.push([name, exit])
        if (Exit.isFailure(exit)) {
          texts.push(Cause.pretty(exit.cause), String(exit.cause))
          for (const error of expectOnlyLegitmarkErrors(exit)) {
            texts.push(error.message, JSON.stringify(error), String(error), Cause.pretty(Cause.fail(error)))
          }
        }
      }
      return { texts, exits }
    })

  const expectNoKey = (key: string, captured: Capture.Captured, texts: ReadonlyArray<string>) => {
    const tail = key.slice(-12)
    const all = [...captured.logs, ...captured.spans.map(Capture.spanText), ...texts]
    expect(captured.spans.length).toBeGreaterThan(0)
    for (const text of all) {
      expect(text).not.toContain(key)
      expect(text).not.toContain(tail)
    }
  }

  const faults: ReadonlyArray<Faults.Spec["fault"]> = ["500", "502", "429", "drop-before", "malformed-json"]
  // One quick retry, so the retry path (and its logs) runs too.
  const quickRetry = RetryPolicy.layer({ retries: 1, base: "1 millis", jitter: false, maxRetryAfter: "1 millis" })

  it.scopedLive("succeeding, under 500/502/429/drop/malformed JSON and 404s: the key is nowhere", () =>
    Effect.gen(function*() {
      const simulator = yield* Simulator.start({ apiKeys: [apiKey], clock: "manual", rateLimit })
      const client = yield* realClient(simulator.baseUrl, simulator.assetUrl, { retry: quickRetry })
      const captured = Capture.empty()
      const texts: Array<string> = []

      // Succeeding: an SR with both required sides uploaded, then every endpoint.
      const sr = yield* client.serviceRequests.create({
        reference_id: "SECRET-OK",
        item: { category: FOOTWEAR, type: SNEAKERS }
      }).pipe(Capture.capture(captured))
      const [first, second] = Seed.requirements(FOOTWEAR, SNEAKERS).required
      assert(first !== undefined && second !== undefined)
      yield* client.media.upload(sr.uuid, first.uuid, yield* photo).pipe(Capture.capture(captured))
      const url = yield* client.media.intent(sr.uuid, second.uuid, "png")
      const target = { sr: sr.uuid, side: second.uuid, url }
      const ok = yield* runAll(client, target, captured)
      texts.push(...ok.texts)
      const failed = ok.exits.filter(([, exit]) => Exit.isFailure(exit)).map(([name]) => name)
      expect(failed).toEqual([])

      // Every endpoint under every fault.
      for (const fault of faults) {
        // `retryAfter: 0`: the client's rate limiter would otherwise hold every next call for 1 s.
        yield* simulator.injectFault({ route: "*", fault, retryAfter: 0 })
        const run = yield* runAll(client, target, captured)
        texts.push(...run.texts)
        // Malformed JSON only breaks JSON answers: the PUT (no JSON) still succeeds.
        const succeeded = run.exits.filter(([, exit]) => Exit.isSuccess(exit)).map(([name]) => name)
        expect(succeeded).toEqual(fault === "malformed-json" ? ["put"] : [])
        yield* simulator.clearFaults
      }

      // 404s: unknown SRs and catalog entries.
      const notFound = yield* runAll(client, { sr: missing, side: missing, url: `${url}x` }, captured)
      texts.push(...notFound.texts)
      const tags = notFound.exits.flatMap(([name, exit]) =>
        Exit.isFailure(exit) ? [[name, Chunk.toReadonlyArray(Cause.failures(exit.cause))[0]?._tag] as const] : []
      )
      for (const name of ["get", "sideGroups", "progress", "find", "intent", "upload", "submit"]) {
        expect(tags).toContainEqual([name, "NotFoundError"])
      }

      expectNoKey(apiKey, captured, texts)
      const stats = yield* simulator.stats
      expect(stats.faults).toMatchObject({ "500": expect.any(Number), "502": expect.any(Number) })
      expect(stats.uploads).toBeGreaterThanOrEqual(2)
      expect(stats.uploadsWithAuthorization).toBe(0)
      expect(stats.authorization["/upload"]?.with ?? 0).toBe(0)
    }))

  it.scopedLive("403 (an unknown key) and 401: the rejected key is nowhere either", () =>
    Effect.gen(function*() {
      const simulator = yield* Simulator.start({ apiKeys: [apiKey], clock: "manual", rateLimit })
      const wrongKey = "leo_wrong_d41d8cd98f00b204e980"
      const client = yield* realClient(simulator.baseUrl, simulator.assetUrl, { key: wrongKey })
      const captured = Capture.empty()
      const target = { sr: srUuid, side: sideUuid, url: `${simulator.assetUrl}/upload/${srUuid}/${sideUuid}.png` }
      const forbidden = yield* runAll(client, target, captured)
      const tags = forbidden.exits.flatMap(([name, exit]) =>
        Exit.isFailure(exit) ? [[name, Chunk.toReadonlyArray(Cause.failures(exit.cause))[0]?._tag] as const] : []
      )
      expect(tags).toContainEqual(["get", "AuthenticationError"])
      expect(tags).toContainEqual(["tree", "AuthenticationError"])
      expect(tags).toContainEqual(["intent", "AuthenticationError"])
      expectNoKey(wrongKey, captured, forbidden.texts)

      const server = yield* ScriptedServer.make([
        ScriptedServer.json(401, {
          success: false,
          error: { code: 401, message: "Authentication required", details: "authorization/missing_token" }
        })
      ])
      const unauthorized = yield* realClient(server.url, server.url)
      const captured401 = Capture.empty()
      const run = yield* runAll(
        unauthorized,
        { sr: srUuid, side: sideUuid, url: `${server.url}/upload/x.png?signature=s` },
        captured401
      )
      expect(run.exits.every(([, exit]) => Exit.isFailure(exit))).toBe(true)
      expectNoKey(apiKey, captured401, run.texts)
      // The key went to the configured host only, and never to the upload URL or the public lookup.
      for (const request of yield* server.requests) {
        const path = new URL(request.url, server.url).pathname
        const auth = request.headers["authorization"]
        if (path.startsWith("/upload") || path.startsWith("/api/sr/find")) expect(auth).toBeUndefined()
        else expect(auth).toBe(`Bearer ${apiKey}`)
      }
    }))

  // Extends the redirect test of serviceRequests.e2e.test.ts (get only) to every endpoint, every redirect
  // status, both transports, and the presigned PUT.
  const transports = [
    { name: "AgentHttpClient.layer", layer: AgentHttpClient.layer },
    { name: "UndiciHttpClient.layer", layer: UndiciHttpClient.layer },
    { name: "NodeHttpClient.layerUndici", layer: NodeHttpClient.layerUndici },
    { name: "FetchHttpClient.layer", layer: FetchHttpClient.layer }
  ] as const
  for (const transport of transports) {
    it.scopedLive(`${transport.name}: a redirect to another host is never followed; the key never leaves`, () =>
      Effect.gen(function*() {
        for (const status of [301, 302, 303, 307, 308]) {
          const elsewhere = yield* ScriptedServer.make([ScriptedServer.json(200, { success: true })])
          const server = yield* ScriptedServer.make((request) => ({
            status,
            headers: { location: `${elsewhere.url}/steal${request.url}` }
          }))
          const client = yield* realClient(server.url, server.url, { transport: transport.layer })
          const captured = Capture.empty()
          const target = {
            sr: srUuid,
            side: sideUuid,
            url: `${server.url}/upload/${srUuid}/${sideUuid}.png?signature=s`
          }
          const run = yield* runAll(client, target, captured)
          for (const [name, exit] of run.exits) {
            const [error] = expectOnlyLegitmarkErrors(exit)
            assert(error !== undefined, `${name} succeeded on a ${status}`)
            expect([name, error._tag]).toEqual([name, "UnexpectedResponseError"])
          }
          expect(yield* elsewhere.requests).toEqual([])
          const received = yield* server.requests
          expect(received.length).toBeGreaterThanOrEqual(endpoints.length)
          for (const request of received) {
            const path = new URL(request.url, server.url).pathname
            if (path.startsWith("/upload") || path.startsWith("/api/sr/find")) {
              expect(request.headers["authorization"]).toBeUndefined()
            }
          }
          expectNoKey(apiKey, captured, run.texts)
        }
      }))
  }
})
