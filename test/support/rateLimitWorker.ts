/**
 * One client process for the rate-limit end-to-end test: makes `CALLS` authenticated calls,
 * `CONCURRENCY` at a time, through a `RateLimiter.layerRedis` budget shared with the other processes,
 * then prints what happened as one JSON line.
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

const calls = Number(env("CALLS"))
const concurrency = Number(env("CONCURRENCY"))

const program = Effect.gen(function*() {
  const client = yield* LegitmarkClient
  const startedAt = Date.now()
  const outcomes = yield* Effect.forEach(
    Array.from({ length: calls }),
    () => Effect.either(client.taxonomy.services()),
    { concurrency }
  )
  const failures = outcomes.flatMap((o) => (o._tag === "Left" ? [o.left._tag] : []))
  return { ok: calls - failures.length, failures, startedAt, endedAt: Date.now() }
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
