/**
 * Confirmed before trusted: a state change, media rejection or invalidation reaches the handler only
 * once the SR re-read from the API agrees, carrying the API's SR; a forged or stale one never does, and
 * never makes the genuine one a duplicate; a genuine one that arrives before the API shows it is kept and
 * checked again until it does.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import * as Verdict from "../src/Verdict.js"
import * as Webhooks from "../src/Webhooks.js"
import * as SrApi from "./support/SrApi.js"
import {
  inboxUntil,
  invalidated,
  mediaRejected,
  recorder,
  serve,
  SR,
  sr,
  stateChange,
  TestLayer
} from "./support/WebhookServer.js"

// Checks again every 20 ms, 5 times, then drops; a failed read is tried again 3 times.
const quick = {
  recheck: Schedule.spaced("20 millis").pipe(Schedule.intersect(Schedule.recurs(5))),
  retry: Schedule.spaced("20 millis").pipe(Schedule.intersect(Schedule.recurs(3))),
  pollInterval: Duration.millis(10)
}

const confirmed = (received: Webhooks.Received): Webhooks.Confirmed => {
  if (received._tag !== "Confirmed") throw new Error(`expected Confirmed, got ${received._tag}`)
  return received
}

describe("Webhooks.httpApp confirms events against the API", () => {
  it.scopedLive("a forged verdict is never handed on, and the genuine one that follows is, once", () =>
    Effect.gen(function*() {
      const api = yield* SrApi.SrApi
      yield* api.set(SR, { primary: "UNDERWAY", supplement: "ASSIGNED" })
      const { handler, received } = yield* recorder
      const { post } = yield* serve(handler, quick)
      // Anyone who can reach the URL posts "authentic" for an SR still being authenticated.
      const forged = stateChange("COMPLETE", "APPROVED", SR, "2026-02-10T12:00:00.000Z")
      expect((yield* post(forged)).status).toBe(200)
      yield* inboxUntil((c) => c.unconfirmed === 1)
      expect(yield* Queue.size(received)).toBe(0)
      // The real verdict arrives: its key was not taken by the forgery.
      yield* api.set(SR, { primary: "COMPLETE", supplement: "APPROVED" })
      const genuine = stateChange("COMPLETE", "APPROVED", SR, "2026-02-10T13:00:00.000Z")
      expect((yield* post(genuine)).status).toBe(200)
      const handed = confirmed(yield* Queue.take(received))
      expect(handed.key).toBe(`${SR}:COMPLETE:APPROVED`)
      expect(handed.event.timestamp).toBe("2026-02-10T13:00:00.000Z")
      expect(Verdict.fromServiceRequest(handed.sr).pipe((v) => v._tag === "Some" && v.value._tag)).toBe("Authentic")
      // The forgery, posted again now that it happens to be true, is the same fact: not handed on twice.
      expect((yield* post({ ...forged, timestamp: "2026-02-10T13:00:01.000Z" })).status).toBe(200)
      yield* inboxUntil((c) => c.pending === 0 && c.duplicate === 1)
      expect(yield* Queue.size(received)).toBe(0)
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("a genuine event that arrives before the API shows it is kept and handed on once it does", () =>
    Effect.gen(function*() {
      const api = yield* SrApi.SrApi
      yield* api.set(SR, { primary: "UNDERWAY", supplement: "APPROVED" })
      const { handler, received } = yield* recorder
      const { post } = yield* serve(handler, { ...quick, recheck: Schedule.spaced("20 millis") })
      expect((yield* post(stateChange("COMPLETE", "REJECTED"))).status).toBe(200)
      // Checked and not confirmed yet, at least twice.
      yield* api.reads.pipe(Effect.repeat({ schedule: Schedule.spaced("5 millis"), until: (n) => n >= 2 }))
      expect(yield* Queue.size(received)).toBe(0)
      yield* api.set(SR, { primary: "COMPLETE", supplement: "REJECTED" })
      const handed = confirmed(yield* Queue.take(received))
      expect([handed.state.primary, handed.state.supplement, handed.srUuid]).toEqual(["COMPLETE", "REJECTED", SR])
      expect(handed.referenceId).toBe(SrApi.referenceId(SR))
      yield* inboxUntil((c) => c.handled === 1 && c.pending === 0)
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("a stale event (the SR has moved on) is dropped after the recheck schedule", () =>
    Effect.gen(function*() {
      const api = yield* SrApi.SrApi
      yield* api.set(SR, { primary: "COMPLETE", supplement: "APPROVED" })
      const { handler, received } = yield* recorder
      const { post } = yield* serve(handler, quick)
      expect((yield* post(stateChange("QC", "PENDING"))).status).toBe(200)
      yield* inboxUntil((c) => c.unconfirmed === 1)
      // The first read and the schedule's five checks.
      expect(yield* api.reads).toBe(6)
      expect(yield* Queue.size(received)).toBe(0)
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("a media rejection is confirmed by QC/REJECTED, an invalidation by CANCELLED", () =>
    Effect.gen(function*() {
      const api = yield* SrApi.SrApi
      yield* api.set(sr(1), { primary: "QC", supplement: "REJECTED" })
      yield* api.set(sr(2), { primary: "QC", supplement: "PENDING" })
      yield* api.set(sr(3), { primary: "CANCELLED", supplement: null })
      yield* api.set(sr(4), { primary: "COMPLETE", supplement: "APPROVED" })
      const { handler, received } = yield* recorder
      const { post } = yield* serve(handler, quick)
      for (const body of [mediaRejected(sr(1)), mediaRejected(sr(2)), invalidated(sr(3)), invalidated(sr(4))]) {
        expect((yield* post(body)).status).toBe(200)
      }
      yield* inboxUntil((c) => c.handled === 2 && c.unconfirmed === 2)
      const handed = Array.from(yield* Queue.takeAll(received), confirmed)
      expect(handed.map((r) => `${r.event._tag} ${r.srUuid} ${r.state.primary}`).sort()).toEqual([
        `Invalidated ${sr(3)} CANCELLED`,
        `MediaRejected ${sr(1)} QC`
      ])
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("an SR the API does not know is dropped; an id that is not an SR's, at once", () =>
    Effect.gen(function*() {
      const api = yield* SrApi.SrApi
      const { handler, received } = yield* recorder
      const { post } = yield* serve(handler, quick)
      expect((yield* post(stateChange("COMPLETE", "APPROVED", sr(9)))).status).toBe(200)
      yield* inboxUntil((c) => c.unconfirmed === 1)
      expect(yield* api.reads).toBe(6)
      expect((yield* post(stateChange("COMPLETE", "APPROVED", "../../admin"))).status).toBe(200)
      yield* inboxUntil((c) => c.unconfirmed === 2)
      expect(yield* api.reads).toBe(6)
      expect(yield* Queue.size(received)).toBe(0)
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("an API that cannot be read is read again on the retry schedule", () =>
    Effect.gen(function*() {
      const api = yield* SrApi.SrApi
      yield* api.set(SR, { primary: "QC", supplement: "APPROVED" })
      yield* api.failNext(2)
      const { handler, received } = yield* recorder
      const { post } = yield* serve(handler, quick)
      expect((yield* post(stateChange("QC", "APPROVED"))).status).toBe(200)
      expect(confirmed(yield* Queue.take(received)).key).toBe(`${SR}:QC:APPROVED`)
      expect(yield* api.reads).toBe(3)
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("with confirmation off, events are handed on as posted, forged ones included", () =>
    Effect.gen(function*() {
      const { handler, received } = yield* recorder
      const { post } = yield* serve(handler, { ...quick, confirm: false })
      expect((yield* post(stateChange("COMPLETE", "APPROVED"))).status).toBe(200)
      const handed = yield* Queue.take(received)
      expect(handed._tag).toBe("Unconfirmed")
      expect(Webhooks.isAuthentic(handed.event)).toBe(true)
      expect(yield* Effect.flatMap(SrApi.SrApi, (api) => api.reads)).toBe(0)
    }).pipe(Effect.provide(TestLayer)))
})
