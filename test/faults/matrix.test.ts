/**
 * The fault matrix: every client endpoint × every fault the simulator injects, over real HTTP on
 * 127.0.0.1. Each case injects the fault once on the endpoint's route, makes the call, and asserts the
 * outcome (success, or the documented typed error) together with what the simulator counted: requests
 * per route (so "ok after 2 attempts" is the server's count, not the client's), SRs, stored photos and
 * submits the server acted on. No case may let a defect, an interruption, an `HttpClientError` or a
 * `ParseError` reach the caller.
 *
 * Retry-After: the simulator sends `Retry-After` in whole real seconds (`spec.retryAfter ?? 1`, not
 * simulated time), and the client honours it in real time. The matrix injects `Retry-After: 0` so the
 * 503 and 429 cells stay fast; two extra cells wait a real 1 s, and exceed `maxRetryAfter`.
 */
import type { LegitmarkError } from "@effect-legitmark/client"
import { RetryPolicy } from "@effect-legitmark/client"
import * as Endpoints from "@effect-legitmark/client/Endpoints"
import * as UndiciHttpClient from "@effect-legitmark/client/UndiciHttpClient"
import { Faults, Simulator } from "@effect-legitmark/simulator"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import { describe, expect, it } from "@effect/vitest"
import type { Legitmark } from "effect-legitmark"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { type Call, calls, draftSide, photo } from "../support/EndpointCalls.js"
import { apiKey, leak, legitmarkFor, routeDelta } from "./setup.js"

/**
 * The `delay` cells: the client gives up after `shortTimeout`, the fault would answer after `delayMs`
 * (the client's abort interrupts the simulator's handler, so the delay costs no wall time). Every other
 * cell runs with a generous timeout, so that a busy machine never turns a slow answer into an extra
 * attempt.
 */
const shortTimeout = "500 millis"
const timeout = "10 seconds"
const delayMs = 10_000

type Fault = Faults.Kind

// Every fault the simulator can inject.
const faults: ReadonlyArray<Fault> = Faults.Kind.literals

/**
 * How an endpoint may be retried, as it declares it: a GET (or the intent), the presigned PUT (idempotent,
 * answers no JSON), or a call that is not idempotent and reconciles before it is re-sent (create: `find`
 * by reference id, which may lag; submit: `get` of the SR's state).
 */
type Kind = "get" | "put" | "create" | "submit"

const kindOf = (endpoint: Endpoints.Any): Kind =>
  endpoint.retry._tag === "Idempotent"
    ? endpoint.answer.json ? "get" : "put"
    : endpoint.retry.doubt === undefined
    ? "submit"
    : "create"

type Service = Legitmark["Type"]

interface Endpoint {
  readonly name: string
  /** The simulator route the fault is injected on. */
  readonly route: string
  readonly kind: Kind
  /** SRs that `prepare` leaves on the server. */
  readonly srs: number
  /** Makes what the call needs (without faults) and answers the call. */
  readonly prepare: (legitmark: Service, referenceId: string) => Effect.Effect<Call, unknown>
}

// Every declared endpoint, then `media.upload`, which is written on top of two of them.
const endpoints: ReadonlyArray<Endpoint> = [
  ...Endpoints.all.map(({ endpoint, name }): Endpoint => ({
    name,
    route: endpoint.route.id,
    kind: kindOf(endpoint),
    srs: calls[name].srs,
    prepare: (legitmark, referenceId) => calls[name].prepare(legitmark.client, referenceId)
  })),
  {
    // intent, then the PUT; the fault is on the PUT.
    name: "media.upload",
    route: "media.upload",
    kind: "put",
    srs: 1,
    prepare: (legitmark, referenceId) =>
      Effect.gen(function*() {
        const { side, sr } = yield* draftSide(legitmark.client, referenceId)
        const image = yield* photo(0)
        return legitmark.client.media.upload(sr, side, image)
      })
  }
]

/** What a case must end with, as the simulator counted it. */
interface Expected {
  /** `"ok"` or the tag of the typed error. */
  readonly outcome: "ok" | LegitmarkError.LegitmarkError["_tag"]
  /** Requests per route during the call. */
  readonly routes: Readonly<Record<string, number>>
  readonly srCount: number
  /** Photo versions stored during the call. */
  readonly uploads: number
  /** Submits the server acted on during the call. */
  readonly submits: number
}

/**
 * The server answered that it failed, without saying it did not act (unlike a 429): the call reconciles.
 * An `answer` fault without a status is a bare 500.
 */
const unproven = new Set<Fault>(["500", "502", "503", "answer"])
/**
 * No answer: the request may still be on its way through the server, so finding nothing proves nothing
 * (`hold`: the simulator holds the request on its manual clock, which the cell never moves).
 */
const inDoubt = new Map<Fault, "TransportError" | "TimeoutError">([
  ["drop-before", "TransportError"],
  ["delay", "TimeoutError"],
  ["hold", "TimeoutError"]
])
const rateLimited = new Set<Fault>(["429", "429-no-headers"])
const garbled = new Set<Fault>(["malformed-json", "truncated-json"])

/**
 * The table. GETs retry every transient fault (the `delay` one times out: the client aborts, and the
 * simulator's handler is interrupted before it acts; a `hold` times out too, and never lands, as the
 * manual clock does not move) and succeed on attempt 2; a 200 with broken JSON is an
 * `UnexpectedResponseError` at once (not retryable: the pipeline's classification). The PUT ignores its
 * answer's body, so broken JSON is a success; a dropped answer after the photo was stored re-sends it: a
 * second stored version. A `lagging-lookup` only changes `find`, which then does not see the SR the cell
 * made (404). create and submit: a 429 proves the server did not act, so the call is re-sent without
 * asking; otherwise the call is reconciled first (create: `find`, submit: `get`). submit is re-sent after
 * a 5xx when the SR is still a draft (`get` does not lag); after a dropped connection or a timeout the
 * request may still be in flight, so finding nothing proves nothing: the check repeats on the retry
 * schedule (3 times) and the call is never re-sent. create's `find` may lag, so after a 5xx too finding
 * nothing proves nothing within the in-doubt window (the 10 s timeout plus 30 s): 3 checks, then an
 * `InDoubtError`, never a second create. After `drop-after` the check finds the result. Broken JSON in a
 * 2xx after create / submit means the server acted: the check recovers the result.
 */
const expected = (endpoint: Endpoint, fault: Fault): Expected => {
  const route = endpoint.route
  switch (endpoint.kind) {
    case "get":
      if (fault === "lagging-lookup") {
        return route === "sr.find" ?
          { outcome: "NotFoundError", routes: { [route]: 1 }, srCount: endpoint.srs, uploads: 0, submits: 0 } :
          { outcome: "ok", routes: { [route]: 1 }, srCount: endpoint.srs, uploads: 0, submits: 0 }
      }
      return garbled.has(fault) ?
        { outcome: "UnexpectedResponseError", routes: { [route]: 1 }, srCount: endpoint.srs, uploads: 0, submits: 0 } :
        { outcome: "ok", routes: { [route]: 2 }, srCount: endpoint.srs, uploads: 0, submits: 0 }
    case "put": {
      const intent = endpoint.name === "media.upload" ? { "media.intent": 1 } : {}
      return garbled.has(fault) || fault === "lagging-lookup" ?
        { outcome: "ok", routes: { ...intent, [route]: 1 }, srCount: 1, uploads: 1, submits: 0 } :
        {
          outcome: "ok",
          routes: { ...intent, [route]: 2 },
          srCount: 1,
          uploads: fault === "drop-after" ? 2 : 1,
          submits: 0
        }
    }
    case "create":
    case "submit": {
      const reconcile = endpoint.kind === "create" ? "sr.find" : "sr.get"
      const srCount = 1
      const submits = endpoint.kind === "submit" ? 1 : 0
      // The server acted; the check finds it (create: `find`, then `get` of the SR found).
      const found = endpoint.kind === "create" ? { "sr.find": 1, "sr.get": 1 } : { [reconcile]: 1 }
      if (garbled.has(fault)) return { outcome: "ok", routes: { [route]: 1, ...found }, srCount, uploads: 0, submits }
      if (rateLimited.has(fault)) return { outcome: "ok", routes: { [route]: 2 }, srCount, uploads: 0, submits }
      if (fault === "lagging-lookup") return { outcome: "ok", routes: { [route]: 1 }, srCount, uploads: 0, submits }
      const doubt = inDoubt.get(fault)
      if (endpoint.kind === "create" && (unproven.has(fault) || doubt !== undefined)) {
        // The server never acted (it answered first, dropped the request, or was interrupted), but the
        // lookup may lag: no second create within the window.
        return { outcome: "InDoubtError", routes: { [route]: 1, [reconcile]: 3 }, srCount: 0, uploads: 0, submits: 0 }
      }
      if (unproven.has(fault)) {
        return { outcome: "ok", routes: { [route]: 2, [reconcile]: 1 }, srCount, uploads: 0, submits }
      }
      if (doubt !== undefined) {
        // The server never acted (the simulator drops the request, or its handler is interrupted).
        return { outcome: doubt, routes: { [route]: 1, [reconcile]: 3 }, srCount: 1, uploads: 0, submits: 0 }
      }
      return { outcome: "ok", routes: { [route]: 1, ...found }, srCount, uploads: 0, submits }
    }
  }
}

const show = (e: Expected) =>
  `${e.outcome}; ${
    Object.entries(e.routes).map(([r, n]) => `${r}×${n}`).join(" ")
  }; srs ${e.srCount}; uploads ${e.uploads}; submits ${e.submits}`

const outcomeOf = (exit: Exit.Exit<unknown, LegitmarkError.LegitmarkError>): string =>
  Exit.match(exit, {
    onSuccess: () => "ok",
    onFailure: (cause) =>
      Option.match(Cause.failureOption(cause), { onNone: () => "no failure", onSome: (error) => error._tag })
  })

const sum = (record: Readonly<Record<string, number>>) => Object.values(record).reduce((a, b) => a + b, 0)

interface Cell {
  readonly endpoint: Endpoint
  readonly spec: Faults.Spec
  readonly retry?: Layer.Layer<RetryPolicy.RetryPolicy>
  readonly transport?: Layer.Layer<HttpClient.HttpClient>
}

/** Runs one cell on a fresh simulator: prepare without faults, inject one fault, call, compare. */
const runCell = (cell: Cell, want: Expected, fired = 1) =>
  Effect.gen(function*() {
    const simulator = yield* Simulator.start({ apiKeys: [apiKey], clock: "manual" })
    const legitmark = yield* legitmarkFor(simulator, {
      timeout: cell.spec.fault === "delay" || cell.spec.fault === "hold" ? shortTimeout : timeout,
      ...(cell.retry ? { retry: cell.retry } : {}),
      ...(cell.transport ? { transport: cell.transport } : {})
    })
    const call = yield* cell.endpoint.prepare(legitmark, `MATRIX-${cell.endpoint.name}-${cell.spec.fault}`)
    const before = yield* simulator.stats
    yield* simulator.injectFault(cell.spec)
    const exit = yield* Effect.exit(call)
    const after = yield* simulator.stats
    expect(leak(exit)).toBeUndefined()
    expect(after.faults[cell.spec.fault] ?? 0).toBe(fired)
    expect({
      outcome: outcomeOf(exit),
      routes: routeDelta(before, after),
      srCount: after.srCount,
      uploads: after.uploads - before.uploads,
      submits: sum(after.submits) - sum(before.submits)
    }).toEqual(want)
  })

/** `fault` on `endpoint`'s route, once, answering at once (a `delay` after `delayMs`). */
const once = (endpoint: Endpoint, fault: Fault): Faults.Spec => ({
  route: endpoint.route,
  fault,
  times: 1,
  retryAfter: 0,
  ms: delayMs
})

describe("fault matrix: endpoint × fault → outcome (attempts counted by the simulator)", () => {
  for (const endpoint of endpoints) {
    describe(endpoint.name, () => {
      for (const fault of faults) {
        const want = expected(endpoint, fault)
        it.scopedLive(`${endpoint.name} × ${fault} → ${show(want)}`, () =>
          runCell({
            endpoint,
            spec: once(endpoint, fault)
          }, want))
      }
    })
  }
})

// The client's transports keep the per-attempt timeout themselves; any other transport is timed out by the
// client. All must give the same outcomes where the transport matters: timeouts and lost connections.
describe("fault matrix on the other transports: delays and dropped connections", () => {
  const transports = [
    { name: "UndiciHttpClient.layer", layer: UndiciHttpClient.layer },
    { name: "NodeHttpClient.layerUndici", layer: NodeHttpClient.layerUndici },
    { name: "FetchHttpClient.layer", layer: FetchHttpClient.layer }
  ] as const
  for (const transport of transports) {
    for (const endpoint of endpoints) {
      for (const fault of ["delay", "drop-before", "drop-after"] as const) {
        const want = expected(endpoint, fault)
        it.scopedLive(`${transport.name}: ${endpoint.name} × ${fault} → ${show(want)}`, () =>
          runCell({
            endpoint,
            spec: once(endpoint, fault),
            transport: transport.layer
          }, want))
      }
    }
  }
})

describe("fault matrix: Retry-After", () => {
  const get = endpoints.find((e) => e.name === "serviceRequests.get")!
  const honoured: Expected = { outcome: "ok", routes: { "sr.get": 2 }, srCount: 1, uploads: 0, submits: 0 }
  it.scopedLive(`serviceRequests.get × 503 Retry-After 1 s (≤ maxRetryAfter 5 s) → ${show(honoured)}`, () =>
    runCell({ endpoint: get, spec: { route: "sr.get", fault: "503", times: 1, retryAfter: 1 } }, honoured))

  const refused: Expected = { outcome: "ServerError", routes: { "sr.get": 1 }, srCount: 1, uploads: 0, submits: 0 }
  it.scopedLive(`serviceRequests.get × 503 Retry-After 1 s (> maxRetryAfter 0.5 s) → ${show(refused)}`, () =>
    runCell({
      endpoint: get,
      spec: { route: "sr.get", fault: "503", times: 1, retryAfter: 1 },
      retry: RetryPolicy.layer({ base: "5 millis", jitter: false, maxRetryAfter: "500 millis" })
    }, refused))

  const rateLimitedRefused: Expected = {
    outcome: "RateLimitError",
    routes: { "sr.create": 1 },
    srCount: 0,
    uploads: 0,
    submits: 0
  }
  const create = endpoints.find((e) => e.name === "serviceRequests.create")!
  it.scopedLive(`serviceRequests.create × 429 Retry-After 1 s (> maxRetryAfter 0.5 s) → ${show(rateLimitedRefused)}`, () =>
    runCell({
      endpoint: create,
      spec: { route: "sr.create", fault: "429", times: 1, retryAfter: 1 },
      retry: RetryPolicy.layer({ base: "5 millis", jitter: false, maxRetryAfter: "500 millis" })
    }, rateLimitedRefused))
})

describe("fault matrix: a fault that never clears (retries run out: 1 attempt + 3 retries, or 3 checks)", () => {
  const byName = (name: string) => endpoints.find((e) => e.name === name)!
  const cells: ReadonlyArray<readonly [Endpoint, Fault, Expected]> = [
    [byName("serviceRequests.get"), "500", {
      outcome: "ServerError",
      routes: { "sr.get": 4 },
      srCount: 1,
      uploads: 0,
      submits: 0
    }],
    [byName("taxonomy.tree"), "drop-before", {
      outcome: "TransportError",
      routes: { "taxonomy.tree": 4 },
      srCount: 0,
      uploads: 0,
      submits: 0
    }],
    // One 404 from `find` proves nothing within the in-doubt window: never a second create.
    [byName("serviceRequests.create"), "500", {
      outcome: "InDoubtError",
      routes: { "sr.create": 1, "sr.find": 3 },
      srCount: 0,
      uploads: 0,
      submits: 0
    }],
    // A 429 proves the server did not act: re-sent without asking.
    [byName("serviceRequests.create"), "429-no-headers", {
      outcome: "RateLimitError",
      routes: { "sr.create": 4 },
      srCount: 0,
      uploads: 0,
      submits: 0
    }],
    [byName("serviceRequests.submit"), "502", {
      outcome: "ServerError",
      routes: { "sr.submit": 4, "sr.get": 3 },
      srCount: 1,
      uploads: 0,
      submits: 0
    }]
  ]
  for (const [endpoint, fault, want] of cells) {
    it.scopedLive(`${endpoint.name} × ${fault} always → ${show(want)}`, () =>
      // The fault fires on every request to the route.
      runCell({ endpoint, spec: { route: endpoint.route, fault, retryAfter: 0 } }, want, want.routes[endpoint.route]))
  }
})
