/**
 * Crash-proof, with real processes: a runner (SQLite) works through a batch of authentications against
 * the simulator and is killed with SIGKILL at seeded random points of each phase (during create,
 * between uploads, after submit, while waiting, while handling the outcome), then started again on the
 * same database. However it is cut, every item ends with one SR, each photo PUT once, one submit and
 * the outcome handler's row written once.
 */
import { freePort } from "@effect-legitmark/testing"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { join } from "node:path"
import * as Fixture from "./support/Fixture.js"
import * as Processes from "./support/Processes.js"

const seed = Number(process.env.WORKFLOW_CRASH_SEED ?? 19)
const items = 8
const handlerMs = 150

describe("a runner killed with SIGKILL", () => {
  it.live(`resumes every authentication exactly once (seed ${seed})`, () =>
    Effect.gen(function*() {
      const random = Processes.prng(seed)
      const webhookPort = yield* freePort
      const sim = yield* Fixture.simulator({ stepMs: 250, webhookUrl: `http://127.0.0.1:${webhookPort}/` })
      const dir = yield* Fixture.tempDir
      const filename = join(dir, "runner.db")
      const options = {
        simulator: sim.baseUrl,
        apiKey: Fixture.apiKey,
        sqlite: filename,
        webhookPort,
        prefix: `CRASH-${seed}-`,
        items,
        start: true,
        photos: Fixture.photos,
        item: Fixture.item,
        pollMs: 1000,
        handlerMs,
        sharding: { entityMessagePollInterval: "250 millis" }
      }
      // Each kill: the nth line (seeded) of a phase, then a seeded delay inside it.
      const plan = [
        { phase: "during create", pattern: /@@span end Legitmark\.serviceRequests\.create /, n: 1 + random(4), ms: 0 },
        { phase: "between uploads", pattern: /@@span end AuthenticationWorkflow\.upload /, n: 1 + random(3), ms: 0 },
        { phase: "after submit", pattern: /@@span end Legitmark\.serviceRequests\.submit /, n: 1 + random(3), ms: 0 },
        {
          phase: "while waiting",
          pattern: /@@span end AuthenticationWorkflow\.submit /,
          n: 1 + random(2),
          ms: 100 + random(400)
        },
        {
          phase: "while handling the outcome",
          pattern: /@@span start AuthenticationWorkflow\.deliver/,
          n: 1 + random(2),
          ms: random(handlerMs)
        }
      ]
      const killed: Array<string> = []
      for (const kill of plan) {
        yield* Effect.scoped(Effect.gen(function*() {
          const runner = yield* Processes.start(options)
          yield* runner.waitFor(kill.pattern, kill.n)
          if (kill.ms > 0) yield* Effect.sleep(kill.ms)
          yield* runner.kill
          killed.push(`${kill.phase} (#${kill.n} +${kill.ms} ms)`)
        }))
      }
      expect(killed).toHaveLength(plan.length)

      yield* Effect.scoped(Effect.gen(function*() {
        const runner = yield* Processes.start(options)
        yield* runner.exit
      }))

      const referenceIds = Array.from({ length: items }, (_, i) => `${options.prefix}${i}`)
      const tally = yield* Fixture.tally(sim, referenceIds).pipe(
        Effect.provide(SqliteClient.layer({ filename })),
        Effect.scoped
      )
      const context = `seed ${seed}, kills: ${killed.join(", ")}; ${tally.creates} creates, ${tally.puts} PUTs, ` +
        `${tally.submits.reduce((a, b) => a + b, 0)} submits, ${[...tally.outcomes.values()].flat().length} outcomes ` +
        `for ${items} items`
      yield* Effect.logInfo(`crash: ${context}`)
      expect(Fixture.notOnce(tally.srs, referenceIds), context).toEqual([])
      expect(tally.creates, context).toBe(items)
      expect(tally.versions, context).toEqual(Array(items * 2).fill(1))
      expect(tally.puts, context).toBe(items * 2)
      expect(tally.submits, context).toEqual(Array(items).fill(1))
      expect(Fixture.notOnce(tally.outcomes, referenceIds), context).toEqual([])
      expect([...tally.outcomes.values()].flat(), context).toEqual(Array(items).fill("Authentic"))
    }).pipe(Effect.scoped), { timeout: 300_000 })
})
