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
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Fixture from "./support/Fixture.js"
import * as Processes from "./support/Processes.js"

const items = 100

// Short enough for a test: a dead runner's shards are taken over within about ten seconds. Not shorter:
// a lock refresh slower than the refresh interval (a loaded machine) makes a runner drop its shards
// until the database answers in time again.
const sharding = {
  entityMessagePollInterval: "250 millis",
  refreshAssignmentsInterval: "1 second",
  runnerHealthCheckInterval: "2 seconds",
  shardLockRefreshInterval: "3 seconds",
  shardLockExpiration: "9 seconds",
  shardsPerGroup: 60
}

describe("a fleet of two runners on Postgres", () => {
  it.live(
    `completes ${items} authentications, each once, when one runner is killed mid-way`,
    () =>
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
        const database = yield* Layer.build(PgClient.layer({ url: Redacted.make(url) }))
        const outcomes = Effect.flatMap(
          SqlClient.SqlClient,
          (sql) => sql<{ readonly n: string | number }>`SELECT COUNT(*) AS n FROM test_outcomes`
        ).pipe(
          Effect.map((rows) => Number(rows[0]?.n ?? 0)),
          Effect.orElseSucceed(() => 0),
          Effect.provide(database)
        )

        const survivor = yield* Processes.start({
          ...common,
          start: false,
          webhookPort,
          postgres: { url, runnerPort: portB }
        })
        yield* survivor.waitFor(/^@@started$/)
        const victim = yield* Processes.start({ ...common, start: true, postgres: { url, runnerPort: portA } })
        yield* victim.waitFor(/^@@started$/)
        // Mid-way: once a fifth of the outcomes are in.
        const before = yield* outcomes.pipe(
          Effect.repeat(
            Schedule.spaced("100 millis").pipe(Schedule.whileInput((n: number) => n < items / 5), Schedule.passthrough)
          )
        )
        const victimSteps = yield* victim.count(/@@span end AuthenticationWorkflow\./)
        yield* victim.kill
        yield* survivor.exit

        const referenceIds = Array.from({ length: items }, (_, i) => `${common.prefix}${i}`)
        const tally = yield* Fixture.tally(sim, referenceIds).pipe(Effect.provide(database))
        const byRunner = yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
          sql<{ readonly pid: number; readonly n: string | number }>`
          SELECT pid, COUNT(*) AS n FROM test_outcomes GROUP BY pid`).pipe(Effect.provide(database))
        const handled = new Map(byRunner.map((row) => [row.pid, Number(row.n)]))
        const summary = `victim killed after ${victimSteps} of its steps, with ${before} outcomes in; outcomes ` +
          `handled by the victim ${handled.get(victim.pid) ?? 0}, by the survivor ${handled.get(survivor.pid) ?? 0}`
        yield* Effect.logInfo(`fleet: ${summary}`)
        // Both runners did part of the work, and the survivor finished the victim's.
        expect(victimSteps, summary).toBeGreaterThan(0)
        expect(before, summary).toBeLessThan(items)
        expect(handled.get(survivor.pid) ?? 0, summary).toBeGreaterThan(0)
        expect(Fixture.notOnce(tally.srs, referenceIds), summary).toEqual([])
        expect(tally.versions, summary).toEqual(Array(items * 2).fill(1))
        expect(tally.submits, summary).toEqual(Array(items).fill(1))
        expect(Fixture.notOnce(tally.outcomes, referenceIds), summary).toEqual([])
        expect(new Set([...tally.outcomes.values()].flat()), summary).toEqual(new Set(["Authentic"]))
      }).pipe(Effect.scoped),
    { timeout: 300_000 }
  )
})
