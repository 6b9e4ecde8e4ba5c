import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Queue from "effect/Queue"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import * as WebhookInbox from "../src/WebhookInbox.js"
import * as Webhooks from "../src/Webhooks.js"
import * as SrApi from "./support/SrApi.js"
import {
  errorOf,
  inboxUntil,
  invalidated as invalidatedOf,
  mediaRejected as mediaRejectedOf,
  recorder,
  serve,
  SR,
  sr,
  stateChange,
  TestLayer,
  unknownEvent as unknownEventOf
} from "./support/WebhookServer.js"

const fixtures = (JSON.parse(
  readFileSync(fileURLToPath(new URL("../../../test/fixtures/payloads.json", import.meta.url)), "utf8")
) as ReadonlyArray<{ readonly kind: string; readonly body: unknown }>).filter((f) => f.kind === "webhook")

const mediaRejected = mediaRejectedOf()
const invalidated = invalidatedOf()
const unknownEvent = unknownEventOf()

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

const fast = {
  retry: Schedule.spaced("10 millis").pipe(Schedule.intersect(Schedule.recurs(3))),
  pollInterval: Duration.millis(10)
}

describe("Webhooks.httpApp over HTTP", () => {
  it.scopedLive("answers 200 to every event type, unknown included, and hands each on", () =>
    Effect.gen(function*() {
      const api = yield* SrApi.SrApi
      yield* api.set(sr(1), { primary: "QC", supplement: "APPROVED" })
      yield* api.set(sr(2), { primary: "QC", supplement: "REJECTED" })
      yield* api.set(sr(3), { primary: "CANCELLED", supplement: null })
      const { handler, received } = yield* recorder
      const { post } = yield* serve(handler)
      for (
        const body of [stateChange("QC", "APPROVED", sr(1)), mediaRejectedOf(sr(2)), invalidatedOf(sr(3)), unknownEvent]
      ) {
        expect((yield* post(body)).status).toBe(200)
      }
      const handed = yield* Effect.all(Array.from({ length: 4 }, () => Queue.take(received)))
      expect(handed.map((r) => `${r._tag} ${r.event._tag}`).sort()).toEqual([
        "Confirmed Invalidated",
        "Confirmed MediaRejected",
        "Confirmed StateChange",
        "Unconfirmed Unknown"
      ])
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("hands every published payload on as posted when confirmation is off", () =>
    Effect.gen(function*() {
      const { handler, received } = yield* recorder
      const { post } = yield* serve(handler, { confirm: false })
      for (const fixture of fixtures) expect((yield* post(fixture.body)).status).toBe(200)
      const handed = yield* Effect.all(fixtures.map(() => Queue.take(received)))
      expect(handed.every((r) => r._tag === "Unconfirmed" && r.event._tag !== "Unknown")).toBe(true)
      expect(new Set(handed.map((r) => r.key)).size).toBe(fixtures.length)
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("answers 400 with { error } to a body that is not a webhook, and records nothing", () =>
    Effect.gen(function*() {
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
      const inbox = yield* WebhookInbox.WebhookInbox
      expect(Object.values(yield* inbox.counts).reduce((a, b) => a + b)).toBe(0)
      expect(yield* Ref.get(calls)).toBe(0)
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("answers 413 to a body over the default 1 MB limit, and keeps the connection usable", () =>
    Effect.gen(function*() {
      const { post } = yield* serve(() => Effect.void, { confirm: false })
      const big = yield* post({ ...stateChange("QC", "PENDING"), padding: "x".repeat(1024 * 1024) })
      expect(big.status).toBe(413)
      expect(errorOf(big)).toBe("the body exceeds 1048576 bytes")
      expect((yield* post(stateChange("QC", "PENDING"))).status).toBe(200)
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("answers 413 to a chunked body (no content-length) over maxBodyBytes", () =>
    Effect.gen(function*() {
      const { postBody } = yield* serve(() => Effect.void, { maxBodyBytes: 64, confirm: false })
      const chunked = yield* postBody(HttpBody.stream(
        Stream.make(JSON.stringify(stateChange("QC", "PENDING"))).pipe(Stream.encodeText),
        "application/json"
      ))
      expect(chunked.status).toBe(413)
      expect(errorOf(chunked)).toBe("the body exceeds 64 bytes")
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("answers 405 to a method other than POST", () =>
    Effect.gen(function*() {
      const { get } = yield* serve(() => Effect.void)
      const answer = yield* get
      expect(answer.status).toBe(405)
      expect(errorOf(answer)).toBe("method not allowed")
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("hands redeliveries on once: the same bytes, another timestamp, at once or in turn", () =>
    Effect.gen(function*() {
      const api = yield* SrApi.SrApi
      yield* api.set(SR, { primary: "UNDERWAY", supplement: "ASSIGNED" })
      yield* api.set(sr(2), { primary: "QC", supplement: "REJECTED" })
      const { handler, received } = yield* recorder
      const { post } = yield* serve(handler)
      const event = stateChange("UNDERWAY", "ASSIGNED")
      const answers = [
        yield* post(event),
        yield* post({ ...event, timestamp: "2026-02-10T12:00:05.000Z" }),
        ...(yield* Effect.all([post(event), post(event), post(mediaRejectedOf(sr(2))), post(mediaRejectedOf(sr(2)))], {
          concurrency: "unbounded"
        }))
      ]
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200])
      // Three deliveries were recorded (the same bytes are one); two of them hold a key.
      yield* inboxUntil((c) => c.pending === 0 && c.handled === 2 && c.duplicate === 1)
      const handed = yield* Queue.takeAll(received)
      expect(Array.from(handed, (r) => r.key).sort()).toEqual(
        [`${SR}:UNDERWAY:ASSIGNED`, `${sr(2)}:media_rejected`].sort()
      )
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("answers 200 once the event is recorded, while the handler is still running", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const finished = yield* Deferred.make<void>()
      const { post } = yield* serve(() =>
        Deferred.succeed(started, undefined).pipe(
          Effect.zipRight(Deferred.await(gate)),
          Effect.zipRight(Deferred.succeed(finished, undefined))
        ), { confirm: false })
      expect((yield* post(stateChange("QC", "PENDING"))).status).toBe(200)
      yield* Deferred.await(started)
      expect(yield* Deferred.isDone(finished)).toBe(false)
      yield* Deferred.succeed(gate, undefined)
      yield* Deferred.await(finished)
      yield* inboxUntil((c) => c.handled === 1)
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("runs a failing, dying or throwing handler again until it succeeds, logging each failure", () =>
    Effect.gen(function*() {
      const warnings = yield* Queue.unbounded<string>()
      const capture = Logger.make(({ logLevel, message }) => {
        if (LogLevel.greaterThanEqual(logLevel, LogLevel.Warning)) {
          Queue.unsafeOffer(warnings, Array.isArray(message) ? String(message[0]) : String(message))
        }
      })
      let attempts = 0
      const handled = yield* Deferred.make<Webhooks.Received>()
      const handler = (received: Webhooks.Received): Effect.Effect<boolean, string> => {
        attempts++
        if (attempts === 1) return Effect.fail("boom")
        if (attempts === 2) return Effect.die(new Error("defect"))
        if (attempts === 3) throw new Error("not even an effect")
        return Deferred.succeed(handled, received)
      }
      const { post } = yield* serve(handler, { confirm: false, ...fast }).pipe(Effect.provide(Logger.add(capture)))
      expect((yield* post(stateChange("QC", "PENDING"))).status).toBe(200)
      expect((yield* Deferred.await(handled)).key).toBe(`${SR}:QC:PENDING`)
      expect(attempts).toBe(4)
      const logged = yield* Effect.all([Queue.take(warnings), Queue.take(warnings), Queue.take(warnings)])
      expect(logged.every((line) => /the handler failed; trying again in/.test(line))).toBe(true)
      yield* inboxUntil((c) => c.handled === 1 && c.pending === 0)
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("marks an entry failed once the retry schedule gives up", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const { post } = yield* serve(() => Effect.zipRight(Ref.update(calls, (n) => n + 1), Effect.fail("down")), {
        confirm: false,
        ...fast
      })
      expect((yield* post(stateChange("QC", "PENDING"))).status).toBe(200)
      yield* inboxUntil((c) => c.failed === 1)
      // The first attempt and the schedule's three retries.
      expect(yield* Ref.get(calls)).toBe(4)
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("answers 503 when the inbox cannot record, hands nothing on, and takes the redelivery", () =>
    Effect.gen(function*() {
      const broken = yield* Ref.make(true)
      const memory = yield* WebhookInbox.makeMemory
      const flaky = WebhookInbox.WebhookInbox.of({
        ...memory,
        record: (delivery) =>
          Effect.flatMap(Ref.get(broken), (down) =>
            down ?
              Effect.fail(new WebhookInbox.WebhookInboxError({ operation: "record", reason: "disk full" })) :
              memory.record(delivery))
      })
      const { handler, received } = yield* recorder
      const { post } = yield* serve(handler, { confirm: false }).pipe(
        Effect.provideService(WebhookInbox.WebhookInbox, flaky)
      )
      const refused = yield* post(stateChange("QC", "PENDING"))
      expect(refused.status).toBe(503)
      expect(errorOf(refused)).toBe("the event could not be recorded; deliver it again")
      expect(yield* memory.counts).toMatchObject({ pending: 0, handled: 0 })
      expect(yield* Queue.size(received)).toBe(0)
      // Legitmark delivers it again once the store is back.
      yield* Ref.set(broken, false)
      expect((yield* post(stateChange("QC", "PENDING"))).status).toBe(200)
      expect((yield* Queue.take(received)).key).toBe(`${SR}:QC:PENDING`)
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("hands an event recorded before its app stopped on to the next app on the same inbox", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<string>()
      const interrupted = yield* Deferred.make<void>()
      const first = yield* Scope.make()
      const { post } = yield* serve((received) =>
        Deferred.succeed(started, received.id).pipe(
          Effect.zipRight(Effect.never),
          Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))
        ), { confirm: false }).pipe(Scope.extend(first))
      expect((yield* post(invalidated)).status).toBe(200)
      const id = yield* Deferred.await(started)
      // Closing the app's scope interrupts the handler and hands the entry back at once.
      yield* Scope.close(first, Exit.void)
      yield* Deferred.await(interrupted)
      const { handler, received } = yield* recorder
      yield* serve(handler, { confirm: false })
      const again = yield* Queue.take(received)
      // The same delivery, handed on again: the same entry id and key.
      expect([again.id, again.key]).toEqual([id, `${SR}:invalidate_sr`])
      yield* inboxUntil((c) => c.handled === 1 && c.pending === 0)
    }).pipe(Effect.provide(TestLayer)))
})

describe("Webhooks.httpApp on the TestClock", () => {
  const request = (body: unknown) =>
    HttpServerRequest.fromWeb(
      new Request("http://webhooks.test/legitmark", { method: "POST", body: JSON.stringify(body) })
    )
  /** Lets the worker run until the inbox has no entry left to process now. */
  const drain = Effect.flatMap(WebhookInbox.WebhookInbox, (inbox) =>
    Effect.gen(function*() {
      for (let i = 0; i < 200; i++) yield* Effect.yieldNow()
      return yield* inbox.counts
    }))
  const Inbox = Layer.merge(WebhookInbox.layerMemory, SrApi.layer)

  it.scoped("hands a key on once within the dedupe window, and again after it", () =>
    Effect.gen(function*() {
      const received = yield* Ref.make(0)
      const app = yield* Webhooks.httpApp(() => Ref.update(received, (n) => n + 1), {
        confirm: false,
        pollInterval: "1 hour"
      })
      const deliver = (body: unknown) =>
        Effect.provideService(app, HttpServerRequest.HttpServerRequest, request(body)).pipe(
          Effect.map((response) => response.status),
          Effect.zipLeft(drain)
        )
      const at = (timestamp: string) => ({ ...stateChange("QC", "APPROVED"), timestamp })
      expect(yield* deliver(at("2026-02-10T12:00:00Z"))).toBe(200)
      expect(yield* Ref.get(received)).toBe(1)
      yield* TestClock.adjust("5 seconds")
      expect(yield* deliver(at("2026-02-10T12:00:05Z"))).toBe(200)
      yield* TestClock.adjust("5 minutes")
      expect(yield* deliver(at("2026-02-10T12:05:05Z"))).toBe(200)
      expect(yield* Ref.get(received)).toBe(1)
      // Ten minutes after the key was bound it is free again.
      yield* TestClock.adjust(Duration.sum("4 minutes", "55 seconds"))
      expect(yield* deliver(at("2026-02-10T12:10:00Z"))).toBe(200)
      expect(yield* Ref.get(received)).toBe(2)
    }).pipe(Effect.provide(Inbox)))

  it.scoped("honours a custom dedupe window", () =>
    Effect.gen(function*() {
      const received = yield* Ref.make(0)
      const app = yield* Webhooks.httpApp(() => Ref.update(received, (n) => n + 1), {
        confirm: false,
        dedupeWindow: "1 minute",
        pollInterval: "1 hour"
      })
      const deliver = (timestamp: string) =>
        Effect.provideService(app, HttpServerRequest.HttpServerRequest, request({ ...invalidated, timestamp })).pipe(
          Effect.zipLeft(drain)
        )
      yield* deliver("2026-02-10T12:20:00Z")
      yield* TestClock.adjust("59 seconds")
      yield* deliver("2026-02-10T12:20:59Z")
      expect(yield* Ref.get(received)).toBe(1)
      yield* TestClock.adjust("1 second")
      yield* deliver("2026-02-10T12:21:00Z")
      expect(yield* Ref.get(received)).toBe(2)
    }).pipe(Effect.provide(Inbox)))

  it.scoped("leaves an entry another worker holds until its lease runs out", () =>
    Effect.gen(function*() {
      const inbox = yield* WebhookInbox.WebhookInbox
      const body = JSON.stringify(stateChange("QC", "PENDING"))
      yield* inbox.record({ id: "held-elsewhere", body })
      // A worker in another process claimed it and died.
      expect(yield* inbox.claim({ owner: "dead", limit: 10, lease: Duration.seconds(30) })).toHaveLength(1)
      const received = yield* Ref.make(0)
      yield* Webhooks.httpApp(() => Ref.update(received, (n) => n + 1), { confirm: false })
      yield* drain
      yield* TestClock.adjust("29 seconds")
      yield* drain
      expect(yield* Ref.get(received)).toBe(0)
      // The next poll after the lease ends takes it.
      yield* TestClock.adjust("2 seconds")
      expect(yield* drain).toMatchObject({ handled: 1, pending: 0 })
      expect(yield* Ref.get(received)).toBe(1)
    }).pipe(Effect.provide(Inbox)))

  it.scoped("retries the handler on the retry schedule, from the count stored in the inbox", () =>
    Effect.gen(function*() {
      const attempts = yield* Ref.make(0)
      const app = yield* Webhooks.httpApp(
        () =>
          Effect.flatMap(Ref.updateAndGet(attempts, (n) => n + 1), (n) => n < 3 ? Effect.fail("not yet") : Effect.void),
        { confirm: false, retry: Schedule.exponential("10 seconds") }
      )
      yield* Effect.provideService(app, HttpServerRequest.HttpServerRequest, request(invalidated))
      yield* drain
      expect(yield* Ref.get(attempts)).toBe(1)
      yield* TestClock.adjust("9 seconds")
      yield* drain
      expect(yield* Ref.get(attempts)).toBe(1)
      yield* TestClock.adjust("2 seconds")
      yield* drain
      expect(yield* Ref.get(attempts)).toBe(2)
      // The second retry waits 20 s (after an attempt made by the poll at 10 or 11 s).
      yield* TestClock.adjust("17 seconds")
      yield* drain
      expect(yield* Ref.get(attempts)).toBe(2)
      yield* TestClock.adjust("4 seconds")
      expect(yield* drain).toMatchObject({ handled: 1, pending: 0 })
      expect(yield* Ref.get(attempts)).toBe(3)
    }).pipe(Effect.provide(Inbox)))
})
