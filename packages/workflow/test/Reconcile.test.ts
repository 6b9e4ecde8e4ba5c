/**
 * A create that went through although the client never heard of it, behind a lookup that lags: the
 * open step looks the reference id up again, on its `lookup` schedule, before creating another SR.
 * Within that bound there is one SR; past it (and past the client's own `inDoubtWindow`, which a restart
 * forgets) there are two, the residual risk the README documents.
 */
import { LegitmarkClient, RetryPolicy } from "@effect-legitmark/client"
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import * as AuthenticationWorkflow from "@effect-legitmark/workflow/AuthenticationWorkflow"
import * as SqliteRunner from "@effect-legitmark/workflow/SqliteRunner"
import { describe, expect, it } from "@effect/vitest"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import { join } from "node:path"
import * as Fixture from "./support/Fixture.js"
import * as LaggingApi from "./support/LaggingApi.js"

const lookups = 10

// `inDoubtWindow`: how long this client itself holds back a create after one that may have landed.
// `retries: false` leaves every retry to the workflow: the client's own reconciliation would otherwise
// re-send the create once its window has passed, after as many lookups as the machine's speed allows.
const authenticate = (
  referenceId: string,
  lookupLag: number,
  inDoubtWindow: Duration.DurationInput = "60 seconds",
  retries = true
) =>
  Effect.gen(function*() {
    const sim = yield* Fixture.simulator({ stepMs: 50 })
    const api = yield* LaggingApi.start({ target: sim.baseUrl, droppedCreates: 1, lookupLag })
    const dir = yield* Fixture.tempDir
    const outcome = yield* AuthenticationWorkflow.run({ referenceId, item: Fixture.item, photos: Fixture.photos }).pipe(
      Effect.provide(
        SqliteRunner.layer({
          filename: join(dir, "workflow.db"),
          pollInterval: "200 millis",
          retry: Schedule.spaced("20 millis"),
          lookup: Schedule.spaced("20 millis").pipe(Schedule.intersect(Schedule.recurs(lookups - 1))),
          sharding: { entityMessagePollInterval: "200 millis" }
        }).pipe(
          Layer.provide(LegitmarkClient.layer({
            apiKey: Redacted.make(Fixture.apiKey),
            baseUrl: api.url,
            assetUrl: api.url,
            inDoubtWindow
          })),
          Layer.provide(retries ? AgentHttpClient.layer : Layer.merge(AgentHttpClient.layer, RetryPolicy.none))
        )
      )
    )
    const srs = (yield* sim.serviceRequests).filter((sr) => sr.externalId === referenceId)
    return { outcome, srs, lagged: api.lagged() }
  }).pipe(Effect.scoped)

describe("a create the client never heard of, behind a lagging lookup", () => {
  it.live("is found by looking again, within the bound: one SR", () =>
    Effect.gen(function*() {
      const { lagged, outcome, srs } = yield* authenticate("LAG-WITHIN", 6)
      expect(lagged).toBe(6)
      expect(srs).toHaveLength(1)
      expect(outcome._tag).toBe("Authentic")
      expect(outcome.sr.uuid).toBe(srs[0]!.uuid)
    }), { timeout: 60_000 })

  it.live("past the bound, a second SR is created (the documented residual risk)", () =>
    Effect.gen(function*() {
      // The client's own memory of the create in doubt holds it back for its window too: shortened here,
      // as after a restart, which loses that memory (the workflow's lookup bound is then what is left).
      const { lagged, outcome, srs } = yield* authenticate("LAG-BEYOND", 1000, "2 seconds", false)
      expect(lagged).toBeGreaterThanOrEqual(lookups)
      expect(srs).toHaveLength(2)
      expect(outcome._tag).toBe("Authentic")
      expect(srs.map((sr) => sr.uuid)).toContain(outcome.sr.uuid)
    }), { timeout: 60_000 })
})
