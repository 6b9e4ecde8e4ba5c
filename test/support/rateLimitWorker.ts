/**
 * One client process for the rate-limit end-to-end tests: authenticated calls, `CONCURRENCY` at a time,
 * through a `RateLimiter.layerRedis` budget shared with the other processes. With `CALLS` it makes that
 * many; without, it calls until its stdin closes, writing `@@call start N` and `@@call done N <outcome>`
 * as each call starts and ends, so that a test can tell which calls ran while Redis was down. It ends
 * with one JSON line of what happened. Its log (Effect's logger) goes to stdout; stderr stays for
 * whatever else writes there.
 *
 * The window is given (the simulator's reset header has a 1 s resolution, so a learned 1 s window would
 * be taken as 2 s) and so is an initial limit (so that the first burst, before any answer, stays under).
 *
 *   BASE_URL=… REDIS_URL=… API_KEY=… WINDOW_MS=1000 LIMIT=40 CALLS=300 CONCURRENCY=20 \
 *     node --import tsx rateLimitWorker.ts
 */
import { LegitmarkClient, RateLimiter } from "@effect-legitmark/client"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`${name} is required`)
  return value
}

const calls = process.env["CALLS"] === undefined ? undefined : Number(env("CALLS"))
const concurrency = Number(env("CONCURRENCY"))

const program = Effect.gen(function*() {
  const client = yield* LegitmarkClient
  const startedAt = Date.now()
  const failures: Array<string> = []
  let ok = 0
  let next = 0
  const call = Effect.suspend(() => {
    const n = next++
    if (calls === undefined) process.stdout.write(`@@call start ${n}\n`)
    return Effect.either(client.taxonomy.services()).pipe(
      Effect.map((outcome) => {
        if (outcome._tag === "Left") failures.push(outcome.left._tag)
        else ok++
        if (calls === undefined) {
          process.stdout.write(`@@call done ${n} ${outcome._tag === "Left" ? outcome.left._tag : "ok"}\n`)
        }
      })
    )
  })
  if (calls !== undefined) {
    yield* Effect.forEach(Array.from({ length: calls }), () => call, { concurrency, discard: true })
  } else {
    let stopped = false
    process.stdin.once("end", () => (stopped = true)).resume()
    const loop = Effect.repeat(call, { until: () => stopped })
    yield* Effect.all(Array.from({ length: concurrency }, () => loop), { concurrency: "unbounded", discard: true })
  }
  return { ok, failures, startedAt, endedAt: Date.now() }
})

const layer = LegitmarkClient.layer({ apiKey: Redacted.make(env("API_KEY")), baseUrl: env("BASE_URL") }).pipe(
  Layer.provide(
    Layer.merge(
      NodeHttpClient.layerUndici,
      RateLimiter.layerRedis(env("REDIS_URL"), { window: Number(env("WINDOW_MS")), initialLimit: Number(env("LIMIT")) })
    )
  )
)

Effect.runPromise(Effect.scoped(Effect.provide(program, layer))).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`)
    process.exit(0)
  },
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`)
    process.exit(1)
  }
)
