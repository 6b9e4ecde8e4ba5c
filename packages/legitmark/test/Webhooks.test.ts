import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Queue from "effect/Queue"
import * as Ref from "effect/Ref"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { readFileSync } from "node:fs"
import { createServer } from "node:http"
import { fileURLToPath } from "node:url"
import * as Webhooks from "../src/Webhooks.js"

const fixtures = (JSON.parse(
  readFileSync(fileURLToPath(new URL("../../../test/fixtures/payloads.json", import.meta.url)), "utf8")
) as ReadonlyArray<{ readonly kind: string; readonly body: unknown }>).filter((f) => f.kind === "webhook")

const SR = "8e61c991-553a-4a58-9eb6-561b64c11908"

// Shapes as the simulator (packages/simulator/src/Lifecycle.ts) emits them: the current generation.
const stateChange = (primary: string, supplement: string | null, srUuid = SR) => ({
  event_type: "state_change",
  sr_uuid: srUuid,
  reference_id: "ITEM-1",
  timestamp: "2026-02-10T12:00:00.000Z",
  state: { primary, supplement }
})

const mediaRejected = {
  event_type: "media_rejected",
  sr_uuid: SR,
  reference_id: "ITEM-1",
  timestamp: "2026-02-10T12:15:00.000Z",
  sides: [{ side: "Front", reason: "Image is Blurry", message: "Please capture a clearer photo." }]
}

const invalidated = {
  event_type: "invalidate_sr",
  sr_uuid: SR,
  reference_id: null,
  timestamp: "2026-02-10T12:20:00.000Z",
  invalidation_reason: { code: "NOT_SERVICEABLE", message: "We cannot authenticate this item." }
}

const unknownEvent = { event_type: "sr_archived", sr_uuid: SR, timestamp: "2026-02-10T13:00:00Z", archived_by: "ops" }

const decodeSync = (body: unknown) => Effect.runSync(Webhooks.decode(body))
const decodeError = (body: unknown) => Effect.runSync(Effect.flip(Webhooks.decode(body)))

describe("Webhooks.decode", () => {
  it.each(fixtures.map((f, i) => [i, f.body] as const))("decodes fixture %i into a known event", (_i, body) => {
    expect(decodeSync(body)._tag).not.toBe("Unknown")
  })

  it("decodes a state change of either generation", () => {
    const current = decodeSync(stateChange("COMPLETE", "APPROVED"))
    const older = decodeSync({
      event_type: "state_change",
      timestamp: "2024-03-20T10:15:30Z",
      sr_uuid: "service-request-uuid",
      state: { primary: "COMPLETE", supplement: "APPROVED" },
      reference_id: "your-internal-item-id"
    })
    expect(current).toMatchObject({
      _tag: "StateChange",
      srUuid: SR,
      referenceId: "ITEM-1",
      timestamp: "2026-02-10T12:00:00.000Z",
      state: { primary: "COMPLETE", supplement: "APPROVED" }
    })
    expect(older).toMatchObject({
      _tag: "StateChange",
      srUuid: "service-request-uuid",
      timestamp: "2024-03-20T10:15:30Z"
    })
  })

  it("normalises media_rejected sides of both generations", () => {
    expect(decodeSync(mediaRejected)).toEqual(Webhooks.MediaRejected({
      srUuid: SR,
      referenceId: "ITEM-1",
      timestamp: "2026-02-10T12:15:00.000Z",
      sides: [{ side: "Front", reason: "Image is Blurry", message: "Please capture a clearer photo." }]
    }))
    const older = decodeSync({
      event_type: "media_rejected",
      sr_uuid: SR,
      reference_id: "ITEM-1",
      state: { primary: "QC", supplement: "REJECTED" },
      sides: [{ side: "Front", side_uuid: "side-1", reason: "BLURRY", reason_description: "Image is Blurry" }],
      timestamp: "2024-03-20T10:15:30Z"
    })
    expect(older._tag === "MediaRejected" && older.sides).toEqual([
      { side: "Front", sideUuid: "side-1", reason: "Image is Blurry", reasonCode: "BLURRY" }
    ])
  })

  it("normalises invalidate_sr of both generations: message ?? description", () => {
    expect(decodeSync(invalidated)).toMatchObject({
      _tag: "Invalidated",
      code: "NOT_SERVICEABLE",
      message: "We cannot authenticate this item.",
      referenceId: null
    })
    expect(decodeSync({
      event_type: "invalidate_sr",
      sr_uuid: SR,
      reference_id: "ITEM-1",
      invalidation_reason: { code: "CANCELLED", description: "Cancelled by the partner" },
      state: { primary: "CANCELLED", supplement: null },
      timestamp: "2024-03-20T10:15:30Z"
    })).toMatchObject({ _tag: "Invalidated", code: "CANCELLED", message: "Cancelled by the partner" })
  })

  it("decodes an unknown event type to Unknown with the payload", () => {
    expect(decodeSync(unknownEvent)).toEqual(Webhooks.Unknown({
      eventType: "sr_archived",
      srUuid: SR,
      referenceId: null,
      timestamp: "2026-02-10T13:00:00Z",
      payload: unknownEvent
    }))
  })

  it("hands a known type in an unrecognised shape on as Unknown", () => {
    const body = { event_type: "state_change", sr_uuid: SR, state: "COMPLETE" }
    expect(decodeSync(body)).toMatchObject({ _tag: "Unknown", eventType: "state_change", payload: body })
  })

  it("ignores unknown fields", () => {
    expect(decodeSync({ ...stateChange("QC", "PENDING"), delivery: { attempt: 2 } })._tag).toBe("StateChange")
  })

  it.each(
    [
      ["an array", [], "the body is not a JSON object"],
      ["null", null, "the body is not a JSON object"],
      ["a string", "state_change", "the body is not a JSON object"],
      ["no event_type", { sr_uuid: SR }, "event_type is missing or not a string"],
      ["a numeric event_type", { event_type: 1, sr_uuid: SR }, "event_type is missing or not a string"],
      ["no sr_uuid", { event_type: "state_change" }, "sr_uuid is missing or not a string"]
    ] as const
  )("fails on %s", (_name, body, reason) => {
    const error = decodeError(body)
    expect(error).toBeInstanceOf(Webhooks.WebhookDecodeError)
    expect(error.reason).toBe(reason)
    expect(error.message).toBe(reason)
  })

  it.effect("decodeJson fails on invalid JSON and decodes valid JSON", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Webhooks.decodeJson("{not json"))
      expect(error.reason).toBe("the body is not valid JSON")
      const event = yield* Webhooks.decodeJson(JSON.stringify(stateChange("UNDERWAY", "ASSIGNED")))
      expect(event._tag).toBe("StateChange")
    }))

  const knownish = FastCheck.oneof(
    FastCheck.constantFrom("state_change", "media_rejected", "invalidate_sr"),
    FastCheck.string()
  )
  // Known field names with arbitrary JSON values, plus any other fields.
  const anyWebhook = FastCheck.tuple(
    FastCheck.record({ event_type: knownish, sr_uuid: FastCheck.string() }),
    FastCheck.record(
      {
        state: FastCheck.jsonValue(),
        sides: FastCheck.jsonValue(),
        invalidation_reason: FastCheck.jsonValue(),
        reference_id: FastCheck.jsonValue(),
        timestamp: FastCheck.jsonValue()
      },
      { requiredKeys: [] }
    ),
    FastCheck.dictionary(FastCheck.string(), FastCheck.jsonValue())
  ).map(([required, known, extra]) => ({ ...extra, ...known, ...required }))

  it.prop("any JSON object with a string event_type and sr_uuid never fails decode", [anyWebhook], ([body]) => {
    // Through JSON text too, as a server receives it.
    const event = Effect.runSync(Webhooks.decodeJson(JSON.stringify(body)))
    return event.srUuid === body.sr_uuid
  })
})

describe("Webhooks predicates", () => {
  const primaries = ["DRAFT", "QC", "UNDERWAY", "COMPLETE", "CANCELLED", "QUEUE", "ARCHIVED"] as const
  const supplements = ["PENDING", "REJECTED", "ASSIGNED", "APPROVED", "COMPLETE", "ON_HOLD", null] as const
  const predicates = {
    isAuthentic: Webhooks.isAuthentic,
    isCounterfeit: Webhooks.isCounterfeit,
    isInconclusive: Webhooks.isInconclusive,
    isCancelled: Webhooks.isCancelled,
    needsResubmission: Webhooks.needsResubmission,
    isQcApproved: Webhooks.isQcApproved,
    isAuthenticationInProgress: Webhooks.isAuthenticationInProgress
  }
  type Name = keyof typeof predicates

  // The predicates that hold for a state change to primary/supplement; none for every other state.
  const expected = (primary: string, supplement: string | null): ReadonlyArray<Name> => {
    const state = `${primary}/${supplement}`
    if (state === "COMPLETE/APPROVED") return ["isAuthentic"]
    if (state === "COMPLETE/REJECTED") return ["isCounterfeit"]
    if (primary === "COMPLETE") return ["isInconclusive"]
    if (primary === "CANCELLED") return ["isCancelled"]
    if (primary === "UNDERWAY") return ["isAuthenticationInProgress"]
    if (state === "QC/REJECTED") return ["needsResubmission"]
    if (state === "QC/APPROVED") return ["isQcApproved"]
    return []
  }

  const holding = (body: unknown) =>
    Object.entries(predicates).filter(([, p]) => p(decodeSync(body))).map(([name]) => name)

  for (const primary of primaries) {
    for (const supplement of supplements) {
      it(`state_change ${primary}/${supplement}: ${expected(primary, supplement).join(", ") || "none"}`, () => {
        expect(holding(stateChange(primary, supplement))).toEqual(expected(primary, supplement))
      })
    }
  }

  it("media_rejected needs resubmission", () => {
    expect(holding(mediaRejected)).toEqual(["needsResubmission"])
  })

  it("invalidate_sr is cancelled", () => {
    expect(holding(invalidated)).toEqual(["isCancelled"])
  })

  it("an unknown event satisfies none", () => {
    expect(holding(unknownEvent)).toEqual([])
  })

  it("events match with $match", () => {
    const describe = Webhooks.$match({
      StateChange: ({ state }) => `state ${state.primary}`,
      MediaRejected: ({ sides }) => `rejected ${sides.length}`,
      Invalidated: ({ code }) => `invalidated ${code}`,
      Unknown: ({ eventType }) => `unknown ${eventType}`
    })
    expect([stateChange("QC", "PENDING"), mediaRejected, invalidated, unknownEvent].map((b) => describe(decodeSync(b))))
      .toEqual(["state QC", "rejected 1", "invalidated NOT_SERVICEABLE", "unknown sr_archived"])
  })
})

describe("Webhooks.dedupeKey", () => {
  const key = (body: unknown) => Webhooks.dedupeKey(decodeSync(body))

  it("is sr_uuid + state.primary + state.supplement for a state change", () => {
    expect(key(stateChange("COMPLETE", "APPROVED"))).toBe(`${SR}:COMPLETE:APPROVED`)
    expect(key(stateChange("CANCELLED", null))).toBe(`${SR}:CANCELLED:null`)
    // Redeliveries collide whatever their timestamp; another state or SR does not.
    expect(key({ ...stateChange("QC", "PENDING"), timestamp: "2026-02-11T00:00:00Z" }))
      .toBe(key(stateChange("QC", "PENDING")))
    expect(key(stateChange("QC", "APPROVED"))).not.toBe(key(stateChange("QC", "PENDING")))
    expect(key(stateChange("QC", "PENDING", "other"))).not.toBe(key(stateChange("QC", "PENDING")))
  })

  it("is sr_uuid + event_type for media_rejected and invalidate_sr", () => {
    expect(key(mediaRejected)).toBe(`${SR}:media_rejected`)
    expect(key({ ...mediaRejected, sides: [] })).toBe(`${SR}:media_rejected`)
    expect(key(invalidated)).toBe(`${SR}:invalidate_sr`)
  })

  it("is sr_uuid + event_type (+ timestamp) for an unknown event", () => {
    expect(key(unknownEvent)).toBe(`${SR}:sr_archived:2026-02-10T13:00:00Z`)
    expect(key({ event_type: "sr_archived", sr_uuid: SR })).toBe(`${SR}:sr_archived`)
  })
})

// --- the HttpApp ------------------------------------------------------------------------------------

interface Answer {
  readonly status: number
  readonly body: string
}

/**
 * Serves the webhook app on 127.0.0.1 (random port) and returns a function that POSTs a body to it. The
 * server lives as long as the effect provided with `ServerLive`.
 */
const serve = <E, R>(
  onEvent: (event: Webhooks.WebhookEvent) => Effect.Effect<unknown, E, R>,
  options?: Webhooks.HttpAppOptions
) =>
  Effect.gen(function*() {
    const app = yield* Webhooks.httpApp(onEvent, options)
    yield* HttpServer.serveEffect(app)
    const { address } = yield* HttpServer.HttpServer
    if (address._tag !== "TcpAddress") return yield* Effect.dieMessage("expected a TCP address")
    const url = `http://127.0.0.1:${address.port}/webhooks/legitmark`
    const client = yield* HttpClient.HttpClient
    const send = (request: HttpClientRequest.HttpClientRequest): Effect.Effect<Answer> =>
      client.execute(request).pipe(
        Effect.flatMap((response) => Effect.map(response.text, (text) => ({ status: response.status, body: text }))),
        Effect.orDie
      )
    const postBody = (body: HttpBody.HttpBody) =>
      send(HttpClientRequest.post(url).pipe(HttpClientRequest.setBody(body)))
    return {
      /** POSTs a string as is and anything else as JSON. */
      post: (body: unknown) =>
        postBody(HttpBody.text(typeof body === "string" ? body : JSON.stringify(body), "application/json")),
      postBody,
      get: send(HttpClientRequest.get(url))
    }
  })

const ServerLive = NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })
const withServer = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(Effect.provide([ServerLive, FetchHttpClient.layer]))

const errorOf = (answer: Answer): unknown => (JSON.parse(answer.body) as { readonly error?: unknown }).error

describe("Webhooks.httpApp over HTTP", () => {
  it.scoped("answers 200 to every event type, unknown included, and hands each on", () =>
    withServer(Effect.gen(function*() {
      const received = yield* Queue.unbounded<Webhooks.WebhookEvent>()
      const { post } = yield* serve((event) => Queue.offer(received, event))
      for (
        const body of [
          stateChange("QC", "APPROVED"),
          mediaRejected,
          invalidated,
          unknownEvent,
          ...fixtures.map((f) => f.body)
        ]
      ) {
        expect((yield* post(body)).status).toBe(200)
      }
      const tags = yield* Effect.all(Array.from({ length: 4 + fixtures.length }, () => Queue.take(received)))
      expect(tags.slice(0, 4).map((e) => e._tag)).toEqual(["StateChange", "MediaRejected", "Invalidated", "Unknown"])
    })))

  it.scoped("answers 400 with { error } to a body that is not a webhook, and hands nothing on", () =>
    withServer(Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const { post } = yield* serve(() => Ref.update(calls, (n) => n + 1))
      const cases = [
        ["{not json", "the body is not valid JSON"],
        ["", "the body is not valid JSON"],
        ["[1,2]", "the body is not a JSON object"],
        ["\"state_change\"", "the body is not a JSON object"],
        ["null", "the body is not a JSON object"],
        [{ sr_uuid: SR }, "event_type is missing or not a string"],
        [{ event_type: "state_change" }, "sr_uuid is missing or not a string"],
        [{ event_type: "state_change", sr_uuid: 7 }, "sr_uuid is missing or not a string"]
      ] as const
      for (const [body, reason] of cases) {
        const answer = yield* post(body)
        expect(answer.status).toBe(400)
        expect(errorOf(answer)).toBe(reason)
      }
      expect(yield* Ref.get(calls)).toBe(0)
    })))

  it.scoped("answers 400 to a body over the default 1 MB limit", () =>
    withServer(Effect.gen(function*() {
      const { post } = yield* serve(() => Effect.void)
      const big = yield* post({ ...stateChange("QC", "PENDING"), padding: "x".repeat(1024 * 1024) })
      expect(big.status).toBe(400)
      expect(errorOf(big)).toBe("the body exceeds 1048576 bytes")
      // The connection stays usable.
      expect((yield* post(stateChange("QC", "PENDING"))).status).toBe(200)
    })))

  it.scoped("answers 400 to a chunked body (no content-length) over maxBodyBytes", () =>
    withServer(Effect.gen(function*() {
      const { postBody } = yield* serve(() => Effect.void, { maxBodyBytes: 64 })
      const chunked = yield* postBody(HttpBody.stream(
        Stream.make(JSON.stringify(stateChange("QC", "PENDING"))).pipe(Stream.encodeText),
        "application/json"
      ))
      expect(chunked.status).toBe(400)
      expect(errorOf(chunked)).toBe("the body exceeds 64 bytes")
    })))

  it.scoped("answers 405 to a method other than POST", () =>
    withServer(Effect.gen(function*() {
      const { get } = yield* serve(() => Effect.void)
      const answer = yield* get
      expect(answer.status).toBe(405)
      expect(errorOf(answer)).toBe("method not allowed")
    })))

  it.scoped("delivers duplicates to the user effect once", () =>
    withServer(Effect.gen(function*() {
      const received = yield* Queue.unbounded<string>()
      const { post } = yield* serve((event) => Queue.offer(received, Webhooks.dedupeKey(event)))
      const event = stateChange("UNDERWAY", "ASSIGNED")
      // Sequential and concurrent redeliveries, one with a later timestamp: all acknowledged.
      const answers = [
        yield* post(event),
        yield* post({ ...event, timestamp: "2026-02-10T12:00:05.000Z" }),
        ...(yield* Effect.all([post(event), post(event), post(mediaRejected), post(mediaRejected)], {
          concurrency: "unbounded"
        }))
      ]
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200])
      // A marker event is handed on after any duplicate would have been.
      expect((yield* post(stateChange("COMPLETE", "APPROVED"))).status).toBe(200)
      const delivered = yield* Effect.all([Queue.take(received), Queue.take(received), Queue.take(received)])
      expect(delivered.sort()).toEqual(
        [`${SR}:COMPLETE:APPROVED`, `${SR}:UNDERWAY:ASSIGNED`, `${SR}:media_rejected`].sort()
      )
      expect(yield* Queue.size(received)).toBe(0)
    })))

  it.scoped("answers 200 while the user effect is still blocked", () =>
    withServer(Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const finished = yield* Deferred.make<void>()
      const { post } = yield* serve(() =>
        Deferred.succeed(started, undefined).pipe(
          Effect.zipRight(Deferred.await(gate)),
          Effect.zipRight(Deferred.succeed(finished, undefined))
        )
      )
      const answer = yield* post(stateChange("QC", "PENDING"))
      expect(answer.status).toBe(200)
      yield* Deferred.await(started)
      // The 200 has arrived and the user effect is still waiting on the gate.
      expect(yield* Deferred.isDone(finished)).toBe(false)
      yield* Deferred.succeed(gate, undefined)
      yield* Deferred.await(finished)
    })))

  it.scoped("a failing or dying user effect still yields 200, logged at Warning", () =>
    withServer(Effect.gen(function*() {
      const warnings = yield* Queue.unbounded<string>()
      const capture = Logger.make(({ logLevel, message }) => {
        if (LogLevel.greaterThanEqual(logLevel, LogLevel.Warning)) {
          Queue.unsafeOffer(warnings, Array.isArray(message) ? String(message[0]) : String(message))
        }
      })
      const { post } = yield* serve((event) =>
        Webhooks.isAuthentic(event) ?
          Effect.fail("boom") :
          event._tag === "MediaRejected" ?
          Effect.die(new Error("defect")) :
          Effect.sync(() => {
            throw new Error("thrown while building the effect")
          })
      ).pipe(Effect.provide(Logger.add(capture)))
      const answers = [
        yield* post(stateChange("COMPLETE", "APPROVED")),
        yield* post(mediaRejected),
        yield* post(stateChange("QC", "PENDING"))
      ]
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200])
      const logged = yield* Effect.all([Queue.take(warnings), Queue.take(warnings), Queue.take(warnings)])
      expect(logged.sort()).toEqual([
        `webhook handler failed for MediaRejected of ${SR}`,
        `webhook handler failed for StateChange of ${SR}`,
        `webhook handler failed for StateChange of ${SR}`
      ])
    })))

  it.scoped("a user effect that throws instead of returning an effect still yields 200", () =>
    withServer(Effect.gen(function*() {
      const { post } = yield* serve((): Effect.Effect<void> => {
        throw new Error("not even an effect")
      })
      expect((yield* post(stateChange("QC", "PENDING"))).status).toBe(200)
    })))
})

describe("Webhooks.httpApp", () => {
  const request = (body: unknown) =>
    HttpServerRequest.fromWeb(
      new Request("http://webhooks.test/legitmark", { method: "POST", body: JSON.stringify(body) })
    )

  it.scoped("drops duplicates within the dedupe window (TestClock)", () =>
    Effect.gen(function*() {
      const received = yield* Ref.make(0)
      const app = yield* Webhooks.httpApp(() => Ref.update(received, (n) => n + 1))
      const deliver = (body: unknown) =>
        Effect.provideService(app, HttpServerRequest.HttpServerRequest, request(body)).pipe(
          Effect.map((response) => response.status),
          Effect.zipLeft(Effect.yieldNow())
        )
      const event = stateChange("QC", "APPROVED")
      expect(yield* deliver(event)).toBe(200)
      expect(yield* Ref.get(received)).toBe(1)
      yield* TestClock.adjust("5 seconds")
      expect(yield* deliver(event)).toBe(200)
      yield* TestClock.adjust("5 minutes")
      expect(yield* deliver(event)).toBe(200)
      expect(yield* Ref.get(received)).toBe(1)
      // Ten minutes after the first delivery the key has expired.
      yield* TestClock.adjust(Duration.sum("4 minutes", "55 seconds"))
      expect(yield* deliver(event)).toBe(200)
      expect(yield* Ref.get(received)).toBe(2)
    }))

  it.scoped("honours a custom dedupe window", () =>
    Effect.gen(function*() {
      const received = yield* Ref.make(0)
      const app = yield* Webhooks.httpApp(() => Ref.update(received, (n) => n + 1), { dedupeWindow: "1 minute" })
      const deliver = (body: unknown) =>
        Effect.provideService(app, HttpServerRequest.HttpServerRequest, request(body)).pipe(
          Effect.zipLeft(Effect.yieldNow())
        )
      yield* deliver(invalidated)
      yield* TestClock.adjust("59 seconds")
      yield* deliver(invalidated)
      expect(yield* Ref.get(received)).toBe(1)
      yield* TestClock.adjust("1 second")
      yield* deliver(invalidated)
      expect(yield* Ref.get(received)).toBe(2)
    }))

  it.effect("interrupts in-flight user effects when its scope closes", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const started = yield* Deferred.make<void>()
      const interrupted = yield* Deferred.make<void>()
      const app = yield* Webhooks.httpApp(() =>
        Deferred.succeed(started, undefined).pipe(
          Effect.zipRight(Effect.never),
          Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))
        )
      ).pipe(Scope.extend(scope))
      const response = yield* Effect.provideService(app, HttpServerRequest.HttpServerRequest, request(invalidated))
      expect(response.status).toBe(200)
      yield* Deferred.await(started)
      yield* Scope.close(scope, Exit.void)
      yield* Deferred.await(interrupted)
    }))
})
