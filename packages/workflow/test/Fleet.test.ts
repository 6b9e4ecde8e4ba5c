/**
 * The fleet: two runner processes sharing one real Postgres (`@effect-legitmark/testing`'s
 * `postgresServer`) split 100 authentications by shard; the webhooks reach one of them, which routes
 * each wake-up to the runner that owns the execution. The other runner is killed with SIGKILL mid-way:
 * the survivor takes over its shards and every authentication completes, each exactly once.
 */
import { freePort, postgresServer } from "@effect-legitmark/testing"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Fixture from "./support/Fixture.js"
import * as Processes from "./support/Processes.js"

const items = 100

// Short enough for a test: a dead runner is noticed, and its shards taken over, within seconds.
const sharding = {
  entityMessagePollInterval: "250 millis",
  refreshAssignmentsInterval: "1 second",
  runnerHealthCheckInterval: "1 second",
  shardLockRefreshInterval: "1 second",
  shardLockExpiration: "4 seconds",
  shardsPerGroup: 60
}

describe("a fleet of two runners on Postgres", () => {
  it.live(`completes ${items} authentications, each once, when one runner is killed mid-way`, () =>
    Effect.gen(function*() {
      const postgres = yield* postgresServer
      const url = yield* postgres.createDatabase("legitmark_fleet")
      const [webhookPort, portA, portB] = [yield* freePort, yield* freePort, yield* freePort]
      const sim = yield* Fixture.simulator({ stepMs: 250, webhookUrl: `http://127.0.0.1:${webhookPort}/` })
      const common = {
        simulator: sim.baseUrl,
        apiKey: Fixture.apiKey,
        prefix: "FLEET-",
        items,
        photos: Fixture.photos,
        item: Fixture.item,
        pollMs: 1000,
        handlerMs: 0,
        sharding
      }
      const outcomes = Effect.scoped(Effect.gen(function*() {
        const client = yield* SqlClient.SqlClient
        const rows = yield* client<{ readonly n: string | number }>`SELECT COUNT(*) AS n FROM test_outcomes`.pipe(
          Effect.orElseSucceed(() => [{ n: 0 }])
        )
        return Number(rows[0]?.n ?? 0)
      }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url) }))))

      const survivor = yield* Processes.start({
        ...common,
        start: false,
        webhookPort,
        postgres: { url, runnerPort: portB }
      })
      yield* survivor.waitFor(/^@@started$/)
      const victim = yield* Processes.start({ ...common, start: true, postgres: { url, runnerPort: portA } })
      yield* victim.waitFor(/^@@started$/)
      // Mid-way: once a fifth of the outcomes are in, and the victim has done some of the work.
      const before = yield* outcomes.pipe(
        Effect.repeat({ schedule: Schedule.spaced("100 millis"), until: (n) => n >= items / 5 })
      )
      const victimSpans = yield* victim.count(/@@span end AuthenticationWorkflow\./)
      yield* victim.kill
      yield* survivor.exit

      const referenceIds = Array.from({ length: items }, (_, i) => `${common.prefix}${i}`)
      const [tally, byRunner] = yield* Effect.all([
        Fixture.tally(sim, referenceIds),
        Effect.flatMap(SqlClient.SqlClient, (client) =>
          client<{ readonly pid: number; readonly n: string | number }>`
            SELECT pid, COUNT(*) AS n FROM test_outcomes GROUP BY pid`)
      ]).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url) })), Effect.scoped)
      const handledBy = new Map(byRunner.map((row) => [row.pid, Number(row.n)]))
      const context = `victim killed with ${before} outcomes in, after ${victimSpans} of its steps; ` +
        `outcomes handled by the victim ${handledBy.get(victim.pid) ?? 0}, the survivor ${handledBy.get(survivor.pid) ?? 0}`
      // Both runners did part of the work.
      expect(handledBy.get(victim.pid) ?? 0, context).toBeGreaterThan(0)
      expect(handledBy.get(survivor.pid) ?? 0, context).toBeGreaterThan(0)
      expect(before, context).toBeLessThan(items)
      expect(Fixture.notOnce(tally.srs, referenceIds), context).toEqual([])
      expect(tally.versions, context).toEqual(Array(items * 2).fill(1))
      expect(tally.submits, context).toEqual(Array(items).fill(1))
      expect(Fixture.notOnce(tally.outcomes, referenceIds), context).toEqual([])
      expect(new Set([...tally.outcomes.values()].flat()), context).toEqual(new Set(["Authentic"]))
    }).pipe(Effect.scoped), { timeout: 300_000 })
})
