/**
 * Never a second SR for one reference id (issue 15.1), against the simulator's lagging lookup and held
 * creates. The API has no idempotency key: a create that failed without proof that the server did not
 * act (a 5xx, a timeout, a lost connection) may have created the SR, and the public lookup by reference id
 * may say 404 for a while after it did. The client re-sends such a create only once the lookup has said
 * 404 for longer than the create could still land (`inDoubtWindow`: the attempt timeout plus an allowance
 * for the lookup's lag); until then the call fails with an `InDoubtError`, and a later create (or
 * `authenticate`) for the same reference id on the same client sends nothing while it may still land.
 *
 * The figures (SRs created) are the simulator's count.
 */
import { LegitmarkError, RetryPolicy } from "@effect-legitmark/client"
import { Simulator } from "@effect-legitmark/simulator"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import {
  apiKey,
  audit,
  authenticateAsAWorker,
  footwear,
  leak,
  legitmarkFor,
  photos,
  routeDelta,
  sneakers
} from "./setup.js"

const failureOf = (exit: Exit.Exit<unknown, unknown>) =>
  Exit.isSuccess(exit) ? undefined : Option.getOrUndefined(Cause.failureOption(exit.cause))

const tagOf = (exit: Exit.Exit<unknown, unknown>) => {
  if (Exit.isSuccess(exit)) return "ok"
  const failure = failureOf(exit)
  return LegitmarkError.isLegitmarkError(failure) ? failure._tag : leak(exit) ?? "unknown"
}

const item = { category: footwear, type: sneakers }

describe("a create that acted, then answered a 5xx, while the lookup lags 30 s", () => {
  for (const fault of ["500", "502"] as const) {
    it.scopedLive(`${fault} after acting, default retry policy → exactly 1 SR and an InDoubtError`, () =>
      Effect.gen(function*() {
        const simulator = yield* Simulator.start({ apiKeys: [apiKey] })
        // The default policy (3 retries, 250 ms doubling) and the default window (timeout + 30 s).
        const legitmark = yield* legitmarkFor(simulator, { retry: RetryPolicy.layer() })
        yield* simulator.injectFault({ route: "sr.create", fault, after: true })
        yield* simulator.injectFault({ route: "sr.find", fault: "lagging-lookup", ms: 30_000 })
        const before = yield* simulator.stats
        const exit = yield* Effect.exit(
          legitmark.client.serviceRequests.create({ reference_id: `LAG-${fault}`, item })
        )
        const after = yield* simulator.stats
        expect(leak(exit)).toBeUndefined()
        expect({ outcome: tagOf(exit), srs: after.srCount, creates: routeDelta(before, after)["sr.create"] }).toEqual({
          outcome: "InDoubtError",
          srs: 1,
          creates: 1
        })
        const error = failureOf(exit)
        if (!LegitmarkError.isLegitmarkError(error) || error._tag !== "InDoubtError") return
        expect(error.referenceId).toBe(`LAG-${fault}`)
        expect(error.attempts).toBe(1)
        expect(error.lastFailure?._tag).toBe("ServerError")
      }))
  }
})

describe("lagging lookups of several lengths", () => {
  // The window: a 500 ms attempt timeout plus 3.5 s for the lookup's lag (at most 1.5 s here: the margin
  // keeps a busy machine from turning a late lookup into a second create). The policy checks for 8 s.
  const inDoubtWindow = "4 seconds"
  const patient = RetryPolicy.fromSchedule(Schedule.spaced("100 millis").pipe(Schedule.intersect(Schedule.recurs(80))))

  for (const lagMs of [0, 250, 750, 1500]) {
    it.scopedLive(`the server acted, then answered 502; the lookup lags ${lagMs} ms → found once it catches up: 1 SR, 1 POST`, () =>
      Effect.gen(function*() {
        const simulator = yield* Simulator.start({ apiKeys: [apiKey] })
        const legitmark = yield* legitmarkFor(simulator, { timeout: "500 millis", inDoubtWindow, retry: patient })
        yield* simulator.injectFault({ route: "sr.create", fault: "502", after: true, times: 1 })
        yield* simulator.injectFault({ route: "sr.find", fault: "lagging-lookup", ms: lagMs })
        const before = yield* simulator.stats
        const exit = yield* Effect.exit(
          legitmark.client.serviceRequests.create({ reference_id: `LAG-${lagMs}`, item })
        )
        const after = yield* simulator.stats
        expect(leak(exit)).toBeUndefined()
        expect({ outcome: tagOf(exit), srs: after.srCount, creates: routeDelta(before, after)["sr.create"] }).toEqual({
          outcome: "ok",
          srs: 1,
          creates: 1
        })
        const [sr] = yield* simulator.serviceRequests
        expect(Exit.isSuccess(exit) && exit.value.uuid).toBe(sr?.uuid)
      }))
  }

  it.scopedLive("the server did not act (502 before the route ran); the lookup lags 1500 ms → re-sent once the window is over: 1 SR, 2 POSTs", () =>
    Effect.gen(function*() {
      const simulator = yield* Simulator.start({ apiKeys: [apiKey] })
      const legitmark = yield* legitmarkFor(simulator, { timeout: "500 millis", inDoubtWindow, retry: patient })
      yield* simulator.injectFault({ route: "sr.create", fault: "502", times: 1 })
      yield* simulator.injectFault({ route: "sr.find", fault: "lagging-lookup", ms: 1500 })
      const before = yield* simulator.stats
      const exit = yield* Effect.exit(legitmark.client.serviceRequests.create({ reference_id: "LAG-NOT-ACTED", item }))
      const after = yield* simulator.stats
      expect(leak(exit)).toBeUndefined()
      expect({ outcome: tagOf(exit), srs: after.srCount, creates: routeDelta(before, after)["sr.create"] }).toEqual({
        outcome: "ok",
        srs: 1,
        creates: 2
      })
    }))
})

describe("a create held past the timeout, and authenticate called again", () => {
  it.scopedLive("manual clock: the held create lands only when the test says; no second create meanwhile → 1 SR", () =>
    Effect.gen(function*() {
      const simulator = yield* Simulator.start({ apiKeys: [apiKey], clock: "manual" })
      const legitmark = yield* legitmarkFor(simulator, { timeout: "300 millis", inDoubtWindow: "1 minute" })
      const byName = yield* photos
      const input = { referenceId: "HELD-1", item, photos: byName }
      yield* simulator.injectFault({ route: "sr.create", fault: "hold", ms: 5_000, times: 1 })

      const first = yield* Effect.exit(legitmark.authenticate(input))
      expect(tagOf(first)).toBe("InDoubtError")
      // The caller runs authenticate again while the held create has not landed: the lookup says 404.
      const second = yield* Effect.exit(legitmark.authenticate(input))
      expect(tagOf(second)).toBe("InDoubtError")
      expect((yield* simulator.stats).routes["sr.create"]).toBe(1)

      // The held create lands.
      yield* simulator.advance({ ms: 5_000 })
      const third = yield* Effect.exit(legitmark.authenticate(input))
      expect(tagOf(third)).toBe("ok")
      const { problems, stats } = yield* audit(simulator, ["HELD-1"])
      expect(problems).toEqual([])
      expect(stats.routes["sr.create"]).toBe(1)
    }))

  const seed = Number(process.env["SOAK_SEED"] ?? 20240611)
  const items = 50
  it.scopedLive(
    `${items} items, a third of the creates held 700 ms past a 400 ms timeout, the lookup 400 ms behind, workers re-running authenticate (seed ${seed}) → ${items} SRs`,
    () =>
      Effect.gen(function*() {
        const simulator = yield* Simulator.start({
          apiKeys: [apiKey],
          seed,
          rateLimit: { limit: 10_000_000, windowMs: 1_000 }
        })
        // The window: the 400 ms timeout plus 9.6 s for a create held past it (700 ms) and the lookup's lag
        // (400 ms), with a margin wide enough for a busy machine.
        const legitmark = yield* legitmarkFor(simulator, { timeout: "400 millis", inDoubtWindow: "10 seconds" })
        const byName = yield* photos
        yield* simulator.injectFault({ route: "sr.create", fault: "hold", ms: 1_100, probability: 1 / 3, seed })
        yield* simulator.injectFault({ route: "sr.find", fault: "lagging-lookup", ms: 400 })

        const referenceIds = Array.from({ length: items }, (_, i) => `HELD-${seed}-${i}`)
        // The worker keeps at it for longer than the window (a create that never reached the server is
        // re-sent only after it).
        const worker = Schedule.spaced("200 millis").pipe(Schedule.intersect(Schedule.recurs(150)))
        const exits = yield* Effect.forEach(
          referenceIds,
          (id) => Effect.exit(authenticateAsAWorker(legitmark, id, byName, worker)),
          { concurrency: 10 }
        )
        const failed = exits.flatMap((exit, i) => Exit.isSuccess(exit) ? [] : [`${referenceIds[i]}: ${tagOf(exit)}`])
        // A 400 ms timeout also cuts some photo uploads short on a busy machine: those are sent again.
        const { problems, srs, stats } = yield* audit(simulator, referenceIds, { photosResent: true })
        yield* Effect.logInfo(
          `held creates, seed ${seed}: ${srs} SRs for ${items} items, ${stats.routes["sr.create"]} creates sent, ${
            stats.faults["hold"] ?? 0
          } held${problems.length === 0 ? "" : `; ${problems.join("; ")}`}`
        )
        expect({ seed, failed }).toEqual({ seed, failed: [] })
        expect({ seed, srs, problems }).toEqual({ seed, srs: items, problems: [] })
        expect(stats.faults["hold"] ?? 0).toBeGreaterThan(0)
      }),
    120_000
  )
})
