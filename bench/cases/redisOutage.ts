/**
 * One client process for `bench/redis-outage.ts`: authenticated calls, `concurrency` at a time for
 * `duration-ms`, through `RateLimiter.layerRedis`, while the orchestrator kills and restarts Redis. Reports
 * every call (when it started, how long it took, how it ended) as one `@@bench` line.
 *
 *   tsx bench/cases/redisOutage.ts --url http://127.0.0.1:PORT --redis redis://127.0.0.1:PORT \
 *     --duration-ms 20000 --concurrency 8 --window-ms 1000
 */
import { LegitmarkClient, RateLimiter } from "@effect-legitmark/client"
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { args, num, report, str } from "../lib/protocol.js"

const argv = args()
const url = str(argv, "url")
const redis = str(argv, "redis")
const durationMs = num(argv, "duration-ms", 20_000)
const concurrency = num(argv, "concurrency", 8)
const windowMs = num(argv, "window-ms", 1_000)

const program = Effect.gen(function*() {
  const client = yield* LegitmarkClient
  const calls: Array<readonly [start: number, ms: number, outcome: string]> = []
  const until = Date.now() + durationMs
  const loop = Effect.suspend(() => {
    const start = Date.now()
    return client.taxonomy.services().pipe(
      Effect.match({ onFailure: (error) => error._tag, onSuccess: () => "ok" }),
      Effect.map((outcome) => void calls.push([start, Date.now() - start, outcome]))
    )
  }).pipe(Effect.repeat({ while: () => Date.now() < until }))
  yield* Effect.all(Array.from({ length: concurrency }, () => loop), { concurrency: "unbounded", discard: true })
  return calls
})

const layer = LegitmarkClient.layer({ apiKey: Redacted.make("leo_outage"), baseUrl: url, assetUrl: url }).pipe(
  Layer.provide(Layer.merge(AgentHttpClient.layer, RateLimiter.layerRedis(redis, { window: windowMs })))
)

const calls = await Effect.runPromise(Effect.scoped(Effect.provide(program, layer)))
report({ case: "redis-outage", calls: JSON.stringify(calls) })
process.exit(0)
