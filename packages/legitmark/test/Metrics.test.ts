/**
 * The verdict time, read back with `Metric.value` after authentications over the test Layer (time on the
 * `TestClock`). Each test tags its calls with `Effect.tagMetrics("test", <its name>)`.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as MetricLabel from "effect/MetricLabel"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import { Legitmark } from "../src/Legitmark.js"
import { LegitmarkTest } from "../src/LegitmarkTest.js"
import * as Metrics from "../src/Metrics.js"

const { footwear, sneakers } = LegitmarkTest.ids
const input = (referenceId: string) =>
  Effect.map(
    Effect.all({ "Interior Size Tag or Stamp": LegitmarkTest.photo(1), "Outer Sides": LegitmarkTest.photo(2) }),
    (photos) => ({ referenceId, item: { category: footwear, type: sneakers }, photos })
  )
const once = { schedule: Schedule.recurs(0) }

const verdictTime = (test: string, outcome: string) =>
  Metric.value(
    Metric.taggedWithLabels(Metrics.verdictTime, [MetricLabel.make("outcome", outcome), MetricLabel.make("test", test)])
  )

describe("legitmark.authentication.verdict_time", () => {
  it.effect("is the time from the submission to the verdict awaitVerdict found, by outcome, once", () =>
    Effect.gen(function*() {
      const test = "verdict-time"
      const legitmark = yield* Legitmark
      const control = yield* LegitmarkTest
      const { sr, submitted } = yield* legitmark.authenticate(yield* input("TIMED"))
      expect(submitted).toBe(true)
      yield* TestClock.adjust(Duration.minutes(90))
      yield* control.complete(sr.uuid, "APPROVED")
      const outcome = yield* legitmark.awaitVerdict(sr.uuid, once).pipe(Effect.tagMetrics("test", test))
      expect(outcome._tag).toBe("Authentic")
      const authentic = yield* verdictTime(test, "Authentic")
      expect(authentic.count).toBe(1)
      expect(authentic.sum).toBe(90 * 60)
      // Asked again, the same verdict is not a second one.
      yield* legitmark.awaitVerdict(sr.uuid, once).pipe(Effect.tagMetrics("test", test))
      expect((yield* verdictTime(test, "Authentic")).count).toBe(1)
    }).pipe(Effect.provide(LegitmarkTest.layer({ review: "manual" }))))

  it.effect("records rejected photos and cancellations under their outcome", () =>
    Effect.gen(function*() {
      const test = "verdict-outcomes"
      const legitmark = yield* Legitmark
      const control = yield* LegitmarkTest
      const rejected = (yield* legitmark.authenticate(yield* input("REJECTED"))).sr.uuid
      const cancelled = (yield* legitmark.authenticate(yield* input("CANCELLED"))).sr.uuid
      yield* TestClock.adjust(Duration.seconds(30))
      yield* control.rejectMedia(rejected, ["outer sides"])
      yield* control.cancel(cancelled)
      yield* legitmark.awaitVerdict(rejected, once).pipe(Effect.tagMetrics("test", test))
      yield* legitmark.awaitVerdict(cancelled, once).pipe(Effect.tagMetrics("test", test))
      expect(yield* verdictTime(test, "MediaRejected")).toMatchObject({ count: 1, sum: 30 })
      expect(yield* verdictTime(test, "Cancelled")).toMatchObject({ count: 1, sum: 30 })
    }).pipe(Effect.provide(LegitmarkTest.layer({ review: "manual" }))))

  it.effect("records nothing for an SR this service did not submit", () =>
    Effect.gen(function*() {
      const test = "verdict-not-ours"
      const legitmark = yield* Legitmark
      const control = yield* LegitmarkTest
      const draft = yield* legitmark.client.serviceRequests.create({
        reference_id: "ELSEWHERE",
        item: { category: footwear, type: sneakers }
      })
      yield* control.advance(draft.uuid)
      yield* control.complete(draft.uuid, "APPROVED")
      expect((yield* legitmark.awaitVerdict(draft.uuid, once).pipe(Effect.tagMetrics("test", test)))._tag).toBe(
        "Authentic"
      )
      expect((yield* verdictTime(test, "Authentic")).count).toBe(0)
    }).pipe(Effect.provide(LegitmarkTest.layer({ review: "manual" }))))
})
