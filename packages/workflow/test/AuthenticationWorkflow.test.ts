/**
 * The workflow end to end in this process: SQLite runner, real HTTP to the simulator on 127.0.0.1,
 * webhooks posted back to `handleEvent`.
 */
import { LegitmarkClient, Photo } from "@effect-legitmark/client"
import { State } from "@effect-legitmark/schema/State"
import * as AuthenticationWorkflow from "@effect-legitmark/workflow/AuthenticationWorkflow"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it, layer } from "@effect/vitest"
import * as Webhooks from "effect-legitmark/Webhooks"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Schedule from "effect/Schedule"
import * as Fixture from "./support/Fixture.js"
import { Harness, layer as harness } from "./support/Harness.js"

/** An event as an inbox with confirmation off hands it on: as posted. */
const unconfirmed = (event: Webhooks.WebhookEvent) =>
  new Webhooks.Unconfirmed({ id: crypto.randomUUID(), key: Webhooks.dedupeKey(event), event })

const input = (referenceId: string, photos: Readonly<Record<string, string>> = Fixture.photos) => ({
  referenceId,
  item: Fixture.item,
  photos
})

const outcomesOf = (referenceId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ readonly outcome: string; readonly retake: number }>`
      SELECT outcome, retake FROM test_outcomes WHERE reference_id = ${referenceId} ORDER BY retake`)

const srsOf = (referenceId: string) =>
  Effect.map(Harness, ({ sim }) => sim.serviceRequests).pipe(
    Effect.flatten,
    Effect.map((all) => all.filter((sr) => sr.externalId === referenceId))
  )

layer(harness({ stepMs: 100 }), { timeout: 60_000, excludeTestServices: true })("with webhooks", (it) => {
  it.effect("authenticates an item, woken by the verdict's webhook, and hands the outcome over once", () =>
    Effect.gen(function*() {
      const { sim, spans } = yield* Harness
      const outcome = yield* AuthenticationWorkflow.run(input("WF-HAPPY"))
      expect(outcome._tag).toBe("Authentic")
      expect(outcome.sr.state.primary).toBe("COMPLETE")

      const [sr, ...others] = yield* srsOf("WF-HAPPY")
      expect(others).toEqual([])
      expect((yield* sim.stats).submits[sr!.uuid]).toBe(1)
      expect(yield* outcomesOf("WF-HAPPY")).toEqual([{ outcome: "Authentic", retake: 0 }])

      // The poll interval is ten minutes: only the webhook could have ended the wait, after one check.
      const mine = spans().filter((s) => s.attributes.get("legitmark.reference_id") === "WF-HAPPY")
      const names = mine.map((s) => s.name)
      expect(names.filter((n) => n === "AuthenticationWorkflow.check")).toHaveLength(1)
      for (const step of ["open", "progress", "submit", "check", "deliver"]) {
        expect(names.filter((n) => n === `AuthenticationWorkflow.${step}`), step).toHaveLength(1)
      }
      expect(
        mine.filter((s) => s.name === "AuthenticationWorkflow.upload").map((s) => s.attributes.get("legitmark.side"))
          .sort()
      )
        .toEqual(["Interior Size Tag or Stamp", "Outer Sides"])
      expect(mine.find((s) => s.name === "AuthenticationWorkflow.check")?.attributes.get("legitmark.sr_uuid")).toBe(
        sr!.uuid
      )

      const [status] = yield* AuthenticationWorkflow.executions({ referenceId: "WF-HAPPY" })
      expect(status).toMatchObject({
        referenceId: "WF-HAPPY",
        retake: 0,
        sr: sr!.uuid,
        step: "done",
        uploaded: 2,
        photos: 2,
        state: "COMPLETE/APPROVED",
        outcome: "Authentic",
        error: null
      })
      expect(AuthenticationWorkflow.formatStatus(status!)).toBe(`WF-HAPPY  done  Authentic  sr ${sr!.uuid}`)
    }))

  it.effect("is one authentication however often an item is started", () =>
    Effect.gen(function*() {
      const started = yield* Effect.all([
        AuthenticationWorkflow.start(input("WF-TWICE")),
        AuthenticationWorkflow.start(input("WF-TWICE", { "Outer Sides": Fixture.anotherPhoto })),
        AuthenticationWorkflow.start(input("WF-TWICE"))
      ], { concurrency: "unbounded" })
      expect(new Set(started.map((a) => a.executionId)).size).toBe(1)
      const outcomes = yield* Effect.forEach(started, (a) => a.outcome, { concurrency: "unbounded" })
      expect(outcomes.map((o) => o._tag)).toEqual(["Authentic", "Authentic", "Authentic"])
      expect(yield* srsOf("WF-TWICE")).toHaveLength(1)
      expect(yield* outcomesOf("WF-TWICE")).toHaveLength(1)
      // Started again once it is over: the stored outcome, nothing sent.
      const { sim } = yield* Harness
      const before = (yield* sim.stats).requests
      expect((yield* AuthenticationWorkflow.run(input("WF-TWICE")))._tag).toBe("Authentic")
      expect((yield* sim.stats).requests).toEqual(before)
    }))

  it.effect("ends with the verdict the SR comes to", () =>
    Effect.gen(function*() {
      const outcomes = yield* Effect.forEach(
        ["WF-FAKE", "WF-INCONCLUSIVE", "WF-CANCEL"],
        (ref) => AuthenticationWorkflow.run(input(ref)),
        { concurrency: "unbounded" }
      )
      expect(outcomes.map((o) => o._tag)).toEqual(["NotAuthentic", "Inconclusive", "Cancelled"])
    }))

  it.effect("names the rejected sides, and photographing them again continues the same SR", () =>
    Effect.gen(function*() {
      const first = yield* AuthenticationWorkflow.start(input("WF-BLURRY"))
      const rejected = yield* first.outcome
      expect(rejected._tag).toBe("MediaRejected")
      if (rejected._tag !== "MediaRejected") return
      expect(rejected.sides.map((s) => s.name)).toEqual(["Interior Size Tag or Stamp"])

      const second = yield* first.photographAgain({ "Interior Size Tag or Stamp": Fixture.anotherPhoto })
      expect(second.retake).toBe(1)
      expect(second.executionId).not.toBe(first.executionId)
      const verdict = yield* second.outcome
      expect(verdict._tag).toBe("Authentic")
      expect(verdict.sr.uuid).toBe(rejected.sr.uuid)

      const [sr, ...others] = yield* srsOf("WF-BLURRY")
      expect(others).toEqual([])
      const { sim } = yield* Harness
      expect((yield* sim.stats).submits[sr!.uuid]).toBe(2)
      // The rejected side was uploaded again, the other one was not.
      const versions = [...sr!.media].map(([side, media]) => [side, media.length] as const).sort()
      expect(versions.map(([, n]) => n).sort()).toEqual([1, 2])
      expect(yield* outcomesOf("WF-BLURRY")).toEqual([
        { outcome: "MediaRejected", retake: 0 },
        { outcome: "Authentic", retake: 1 }
      ])
      const lines = (yield* AuthenticationWorkflow.executions({ referenceId: "WF-BLURRY" })).map(
        AuthenticationWorkflow.formatStatus
      )
      expect(lines).toEqual([
        `WF-BLURRY  done  MediaRejected  sr ${sr!.uuid}`,
        `WF-BLURRY (retake 1)  done  Authentic  sr ${sr!.uuid}`
      ])
      const again = yield* Effect.flip(second.photographAgain({}))
      expect(again).toMatchObject({ _tag: "RetakeNotNeededError", outcome: "Authentic" })
    }))

  it.effect("fails for good when the photos do not cover the required sides", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        AuthenticationWorkflow.run(
          input("WF-MISSING", { "Outer Sides": Fixture.photos["Outer Sides"], "Lid": "x.png" })
        )
      )
      expect(exit).toMatchObject(Exit.fail(expect.objectContaining({ _tag: "MissingPhotosError", unknown: ["Lid"] })))
      const [status] = yield* AuthenticationWorkflow.executions({ referenceId: "WF-MISSING" })
      expect(status?.step).toBe("failed")
      expect(status?.error).toMatch(/^MissingPhotosError: no photo for the required sides Interior Size Tag or Stamp/)
      const empty = yield* Effect.flip(AuthenticationWorkflow.start(input("")))
      expect(empty).toMatchObject({ _tag: "InvalidRequestError", issues: [expect.stringMatching(/^referenceId: /)] })
      expect(yield* AuthenticationWorkflow.executions({ referenceId: "" })).toEqual([])
      const unreadable = yield* Effect.exit(
        AuthenticationWorkflow.run(input("WF-UNREADABLE", { ...Fixture.photos, "Outer Sides": "/nonexistent/a.png" }))
      )
      // The other upload, interrupted by the failure, is no part of it.
      expect(Exit.isFailure(unreadable) && Cause.failures(unreadable.cause).pipe(Chunk.toReadonlyArray)).toEqual([
        expect.objectContaining({ _tag: "InvalidRequestError" })
      ])
      expect(Exit.isFailure(unreadable) && Cause.isDie(unreadable.cause)).toBe(false)
      expect(yield* outcomesOf("WF-UNREADABLE")).toEqual([])
    }))

  it.effect("resumes an SR opened before, uploading only what the server lacks", () =>
    Effect.gen(function*() {
      const client = yield* LegitmarkClient
      const { sim } = yield* Harness
      const draft = yield* client.serviceRequests.create({ reference_id: "WF-RESUME", item: Fixture.item })
      const sides = (yield* client.serviceRequests.get(draft.uuid, { item: true, sides: true })).sides?.required ?? []
      const outer = sides.find((s) => s.name === "Outer Sides")!
      yield* Photo.fromPath(Fixture.photos["Outer Sides"]).pipe(
        Effect.flatMap((photo) => client.media.upload(draft.uuid, outer.uuid, photo)),
        Effect.provide(NodeFileSystem.layer)
      )
      const puts = (yield* sim.stats).routes["media.upload"] ?? 0
      expect((yield* AuthenticationWorkflow.run(input("WF-RESUME")))._tag).toBe("Authentic")
      expect(((yield* sim.stats).routes["media.upload"] ?? 0) - puts).toBe(1)
      expect(yield* srsOf("WF-RESUME")).toHaveLength(1)
    }))

  it.effect("ignores events that say nothing of an outcome, and SRs it does not know", () =>
    Effect.gen(function*() {
      const base = {
        srUuid: "8e61c991-553a-4a58-9eb6-561b64c11908",
        referenceId: "NOPE",
        timestamp: "2026-01-01T00:00:00Z"
      }
      expect(
        yield* AuthenticationWorkflow.handleEvent(
          unconfirmed(Webhooks.StateChange({ ...base, state: new State({ primary: "QC", supplement: "PENDING" }) }))
        )
      ).toBe(false)
      expect(
        yield* AuthenticationWorkflow.handleEvent(
          unconfirmed(
            Webhooks.StateChange({ ...base, state: new State({ primary: "COMPLETE", supplement: "APPROVED" }) })
          )
        )
      ).toBe(false)
    }))
})

// Slow authenticators (a second a step), so that a forged event surely comes before the real one.
layer(harness({ stepMs: 1000 }), { timeout: 60_000, excludeTestServices: true })("a forged webhook", (it) => {
  it.effect("only makes the workflow read the SR, and does not spend the next wake-up", () =>
    Effect.gen(function*() {
      const { spans } = yield* Harness
      const started = yield* AuthenticationWorkflow.start(input("WF-FORGED"))
      const waiting = yield* AuthenticationWorkflow.executions({ referenceId: "WF-FORGED" }).pipe(
        Effect.repeat(
          Schedule.spaced("20 millis").pipe(
            Schedule.whileInput((rows: ReadonlyArray<AuthenticationWorkflow.ExecutionStatus>) =>
              rows[0]?.step !== "waiting"
            ),
            Schedule.passthrough
          )
        )
      )
      const forged = Webhooks.StateChange({
        srUuid: waiting[0]!.sr!,
        referenceId: "WF-FORGED",
        timestamp: new Date().toISOString(),
        state: new State({ primary: "COMPLETE", supplement: "APPROVED" })
      })
      // Handed on as posted (an inbox with confirmation off): the workflow still trusts only the API.
      expect(yield* AuthenticationWorkflow.handleEvent(unconfirmed(forged))).toBe(true)
      // The forged event woke round 0, whose check found the SR still under way; the real verdict's
      // webhook woke round 1 (the poll interval is ten minutes: nothing else could have).
      const outcome = yield* started.outcome
      expect(outcome._tag).toBe("Authentic")
      const checks = spans().filter((s) =>
        s.name === "AuthenticationWorkflow.check" && s.attributes.get("legitmark.reference_id") === "WF-FORGED"
      )
      expect(checks.map((s) => s.attributes.get("legitmark.round"))).toEqual([0, 1])
      expect(checks[0]?.attributes.get("legitmark.state")).not.toBe("COMPLETE/APPROVED")
    }))
})

layer(harness({ webhooks: false, stepMs: 50, pollInterval: "300 millis" }), {
  timeout: 60_000,
  excludeTestServices: true
})(
  "without webhooks",
  (it) => {
    it.effect("a durable clock polls until the outcome", () =>
      Effect.gen(function*() {
        const { spans } = yield* Harness
        expect((yield* AuthenticationWorkflow.run(input("WF-POLL")))._tag).toBe("Authentic")
        const checks = spans().filter((s) =>
          s.name === "AuthenticationWorkflow.check" && s.attributes.get("legitmark.reference_id") === "WF-POLL"
        )
        expect(checks.length).toBeGreaterThanOrEqual(1)
        expect(checks.map((s) => s.attributes.get("legitmark.round"))).toEqual(checks.map((_, i) => i))
      }))
  }
)

describe("AuthenticationWorkflow.formatStatus", () => {
  it("shows uploads in flight", () => {
    expect(AuthenticationWorkflow.formatStatus({
      executionId: "e",
      referenceId: "SKU-1",
      retake: 2,
      sr: null,
      step: "uploading",
      uploaded: 1,
      photos: 3,
      state: "DRAFT/-",
      outcome: null,
      error: null,
      createdAt: "",
      updatedAt: ""
    })).toBe("SKU-1 (retake 2)  uploading 1/3  DRAFT/-")
  })
})
