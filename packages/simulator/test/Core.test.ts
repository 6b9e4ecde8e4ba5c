/**
 * The core without a socket: its app through the in-process face, its `clock` mode on the TestClock, its
 * controls (steps, transitions, the journal, the uploads) and the `answer` fault. What the API does is
 * tested through the server face in the other files; here, what the core adds for its faces.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as TestClock from "effect/TestClock"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import * as Core from "../src/Core.js"
import * as InProcessHttpClient from "../src/InProcessHttpClient.js"
import * as Lifecycle from "../src/Lifecycle.js"
import * as Seed from "../src/Seed.js"
import { jpeg, KEY, OUTER_SIDES, SIZE_TAG } from "./utils.js"

const baseUrl = "https://api.legitmark.test"

const setup = (options: Partial<Core.Options> = {}) =>
  Effect.gen(function*() {
    const core = yield* Core.make({ baseUrl, apiKeys: [KEY], clock: "clock", ...options })
    const client = InProcessHttpClient.make(core.app)
    const call = (method: "GET" | "POST" | "PUT", url: string, body?: unknown) =>
      Effect.gen(function*() {
        const request = HttpClientRequest.make(method)(url.startsWith("http") ? url : `${baseUrl}${url}`)
        // A presigned PUT carries bytes and no key; API calls carry the key and JSON.
        const response = yield* client.execute(
          body instanceof Uint8Array ?
            HttpClientRequest.bodyUint8Array(request, body, "image/jpeg") :
            HttpClientRequest.setHeader(
              body === undefined ? request : HttpClientRequest.bodyUnsafeJson(request, body),
              "authorization",
              `Bearer ${KEY}`
            )
        )
        const text = yield* response.text
        return { status: response.status, headers: response.headers, json: text === "" ? undefined : JSON.parse(text) }
      })
    const create = (reference: string) =>
      Effect.map(
        call("POST", "/api/v2/sr", {
          reference_id: reference,
          item: { category: Seed.ids.footwear, type: Seed.ids.sneakers }
        }),
        (answer) => String(answer.json.sr.uuid)
      )
    const upload = (sr: string, side: string) =>
      Effect.flatMap(call("GET", `${baseUrl}/intent?sr=${sr}&side=${side}.jpg`), (intent) =>
        call("PUT", intent.json.url, jpeg))
    const submitted = (reference: string) =>
      Effect.gen(function*() {
        const sr = yield* create(reference)
        yield* upload(sr, SIZE_TAG)
        yield* upload(sr, OUTER_SIDES)
        assert.strictEqual((yield* call("POST", `/api/v2/sr/${sr}/submit`)).status, 200)
        return sr
      })
    const state = (sr: string) =>
      Effect.map(call("GET", `/api/v2/sr/${sr}`), (answer) => answer.json.sr.state)
    return { core, client, call, create, upload, submitted, state }
  })

describe("Core", () => {
  it.scoped("in `clock` mode time is the TestClock's, and due transitions run before the next request", () =>
    Effect.gen(function*() {
      const { core, state, submitted } = yield* setup()
      yield* TestClock.adjust("1 hour")
      const sr = yield* submitted("clocked")
      assert.strictEqual((yield* core.serviceRequests)[0]?.createdAt, 3_600_000)
      assert.deepStrictEqual(yield* state(sr), { primary: "QC", supplement: "PENDING" })
      yield* TestClock.adjust("1 minute")
      assert.deepStrictEqual(yield* state(sr), { primary: "QC", supplement: "APPROVED" })
      yield* TestClock.adjust("1 hour")
      assert.deepStrictEqual((yield* core.serviceRequests)[0]?.state, { primary: "COMPLETE", supplement: "APPROVED" })
    }))

  it.scoped("stepMs 0 walks a submitted SR to its verdict by the next request", () =>
    Effect.gen(function*() {
      const { state, submitted } = yield* setup({ stepMs: 0 })
      const fake = yield* submitted("SKU-FAKE")
      assert.deepStrictEqual(yield* state(fake), { primary: "COMPLETE", supplement: "REJECTED" })
    }))

  it.scoped("manual review schedules nothing; step and transition move SRs, with their webhook events", () =>
    Effect.gen(function*() {
      const { core, create, state, submitted } = yield* setup({ review: "manual", stepMs: 0 })
      const sr = yield* submitted("manual")
      assert.strictEqual(yield* core.pendingTimers, 0)
      assert.deepStrictEqual(yield* state(sr), { primary: "QC", supplement: "PENDING" })
      assert.deepStrictEqual((yield* core.step(sr)).state, { primary: "QC", supplement: "APPROVED" })

      const rejected = yield* core.transition(sr, { _tag: "Reject", sides: ["outer sides"] })
      assert.deepStrictEqual(rejected.state, { primary: "QC", supplement: "REJECTED" })
      assert.deepStrictEqual(rejected.rejections.map((r) => r.side), [OUTER_SIDES])
      assert.sameDeepMembers((yield* core.uploads).map((u) => [u.side, u.deleted]), [
        [SIZE_TAG, false],
        [OUTER_SIDES, true]
      ])
      const cancelled = yield* core.transition(sr, Lifecycle.cancelled)
      assert.deepStrictEqual(cancelled.state, { primary: "CANCELLED", supplement: null })
      const events = yield* core.webhookEvents
      assert.deepStrictEqual(events.map((e) => e.event_type).slice(-4), [
        "state_change",
        "media_rejected",
        "state_change",
        "invalidate_sr"
      ])

      const draft = yield* create("draft")
      assert.deepStrictEqual((yield* core.step(draft)).state, { primary: "QC", supplement: "PENDING" })
      const unknownSide = yield* Effect.flip(core.transition(draft, { _tag: "Reject", sides: ["Sidewalk"] }))
      assert.deepStrictEqual(unknownSide, new Lifecycle.UnknownSides({ sides: ["Sidewalk"] }))
      const unknownSr = yield* Effect.flip(core.step("00000000-0000-4000-8000-000000000000"))
      assert.strictEqual(unknownSr._tag, "ServiceRequestNotFound")
    }))

  it.scoped("an `answer` fault writes out an error in the documented envelope, or any body", () =>
    Effect.gen(function*() {
      const { call, core } = yield* setup()
      yield* TestClock.adjust("2 seconds")
      yield* core.injectFault({
        route: "taxonomy.reasons",
        fault: "answer",
        status: 422,
        headers: { "retry-after": "3" },
        error: { message: "Nope", details: "sr/nope", errors: [{ code: "validation/x", message: "x is wrong" }] },
        times: 1
      })
      yield* core.injectFault({ route: "taxonomy.reasons", fault: "answer", status: 418, body: "teapot", times: 1 })
      const first = yield* call("GET", "/api/v2/reasons")
      assert.strictEqual(first.status, 422)
      assert.strictEqual(first.headers["retry-after"], "3")
      assert.deepStrictEqual(first.json, {
        success: false,
        error: {
          code: 422,
          timestamp: "1970-01-01T00:00:02.000Z",
          message: "Nope",
          details: "sr/nope",
          errors: [{ code: "validation/x", message: "x is wrong" }]
        }
      })
      const second = yield* HttpClient.get(`${baseUrl}/api/v2/reasons`).pipe(
        Effect.flatMap((response) => Effect.map(response.text, (text) => [response.status, text])),
        Effect.provideService(HttpClient.HttpClient, InProcessHttpClient.make(core.app))
      )
      assert.deepStrictEqual(second, [418, "teapot"])
      assert.strictEqual((yield* call("GET", "/api/v2/reasons")).status, 200)
    }))

  it.scoped("the journal records each exchange with its route and status, null for a dropped connection", () =>
    Effect.gen(function*() {
      const { call, core, create } = yield* setup()
      yield* create("journal")
      yield* core.injectFault({ route: "sr.create", fault: "drop-after", times: 1 })
      const dropped = yield* Effect.either(create("journal-2"))
      assert.isTrue(Either.isLeft(dropped))
      yield* call("GET", "/no/such/route")
      assert.deepStrictEqual(
        (yield* core.exchanges).map((e) => [e.route, e.method, e.url, e.status]),
        [
          ["sr.create", "POST", "/api/v2/sr", 200],
          ["sr.create", "POST", "/api/v2/sr", null],
          ["unmatched", "GET", "/no/such/route", 404]
        ]
      )
      // Dropped after the server acted: the SR is there.
      assert.strictEqual((yield* core.stats).srCount, 2)
    }))

  it("Seed.ids name entries of the catalog", () => {
    const { sideGroups, sides, ...top } = Seed.ids
    const known = new Set([
      ...[Seed.categories, Seed.types, Seed.brands, Seed.models, Seed.services].flatMap((all) => all.map((x) => x.uuid))
    ])
    for (const [name, uuid] of Object.entries(top)) assert.isTrue(known.has(uuid), name)
    for (const [name, uuid] of Object.entries(sides)) assert.isDefined(Seed.side(uuid), name)
    for (const [name, uuid] of Object.entries(sideGroups)) assert.isDefined(Seed.sideGroup(uuid), name)
  })
})

// Every module a source file loads, following the package's own relative imports (type-only ones aside).
const importGraph = (entry: string) => {
  const seen = new Set<string>()
  const external = new Set<string>()
  const visit = (url: URL) => {
    if (seen.has(url.href)) return
    seen.add(url.href)
    const source = readFileSync(fileURLToPath(url), "utf8")
    for (const [, spec] of source.matchAll(/^(?:import|export) (?!type )[^"]*?from "([^"]+)"/gm)) {
      if (spec!.startsWith(".")) visit(new URL(spec!.replace(/\.js$/, ".ts"), url))
      else external.add(spec!)
    }
  }
  visit(new URL(entry, import.meta.url))
  return external
}

describe("the faces", () => {
  it("the core and the in-process face load no Node server code; the server face does", () => {
    for (const entry of ["../src/Core.ts", "../src/InProcessHttpClient.ts"]) {
      const loaded = [...importGraph(entry)]
      assert.isEmpty(loaded.filter((spec) => spec.startsWith("@effect/platform-node")), entry)
      assert.notInclude(loaded, "node:http")
    }
    assert.include([...importGraph("../src/Simulator.ts")], "@effect/platform-node/NodeHttpServer")
  })
})
