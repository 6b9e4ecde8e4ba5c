/**
 * Rate-limited bulk: `n` creates through `LegitmarkClient` (default transport, default retry policy and
 * whatever throttling the client applies by default) against a simulator with a fixed-window limit.
 * The simulator's windows run on its simulated clock at `speed`× the wall clock, so this process runs
 * the client on an Effect `Clock` at the same speed (Retry-After, rate-limit resets, backoff and
 * timeouts all read in simulated time), and the run takes 1/speed of the real duration.
 *
 *   tsx bench/cases/bulk.ts --url http://127.0.0.1:PORT --n 2000 --concurrency 8 --limit 100 --window-ms 10000
 *
 * Reports wall time (real and simulated), the theoretical minimum, the 429s the simulator answered and
 * the creates that failed.
 */
import { LegitmarkClient } from "@effect-legitmark/client"
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { scaled } from "../lib/clock.js"
import { args, maxRssMb, num, report, str } from "../lib/protocol.js"

const argv = args()
const url = str(argv, "url")
const n = num(argv, "n", 2000)
const concurrency = num(argv, "concurrency", 8)
const limit = num(argv, "limit", 100)
const windowMs = num(argv, "window-ms", 10_000)
const tag = str(argv, "tag", String(process.pid))

interface ClockInfo {
  readonly speed: number
  readonly now_ms: number
}
interface Stats {
  readonly statuses: Readonly<Record<string, number>>
  readonly srCount: number
}

const control = async <A>(path: string, method = "GET"): Promise<A> => {
  const response = await fetch(`${url}/__control/${path}`, { method })
  if (!response.ok) throw new Error(`${method} /__control/${path}: ${response.status}`)
  return (await response.json()) as A
}

// A fresh simulator state: no SRs, no rate-limit window, counters at zero.
await control("reset", "POST")
const { now_ms, speed } = await control<ClockInfo>("clock")
const clock = scaled(now_ms, speed)

const item = { category: "cc30b104-7c47-11ef-a623-02595575faeb", type: "95e42d6b-7c4f-11ef-a623-02595575faeb" }
const program = Effect.gen(function*() {
  const client = yield* LegitmarkClient
  const failures = new Map<string, number>()
  const started = Date.now()
  yield* Effect.forEach(
    Array.from({ length: n }, (_, i) => i),
    (i) =>
      client.serviceRequests.create({ reference_id: `BULK-${tag}-${i}`, item }).pipe(
        Effect.catchAll((error) => Effect.sync(() => failures.set(error._tag, (failures.get(error._tag) ?? 0) + 1)))
      ),
    { concurrency, discard: true }
  )
  return { wallMs: Date.now() - started, failures }
}).pipe(
  Effect.provide(
    LegitmarkClient.layer({ apiKey: Redacted.make("leo_bench"), baseUrl: url, assetUrl: url }).pipe(
      Layer.provide(AgentHttpClient.layer)
    )
  ),
  Effect.withClock(clock)
)

const { failures, wallMs } = await Effect.runPromise(program)
const stats = await control<Stats>("stats")
// Fixed windows of `limit`: the k-th window opens at least (k - 1) windows after the first request.
const windows = Math.ceil(n / limit)
const minimumMs = ((windows - 1) * windowMs) / speed
report({
  case: "bulk",
  impl: "client",
  n,
  concurrency,
  speed,
  wallMs,
  simulatedWallMs: wallMs * speed,
  minimumMs,
  overMinimum: wallMs / minimumMs,
  windows,
  rateLimited: stats.statuses["429"] ?? 0,
  created: stats.srCount,
  failed: [...failures.values()].reduce((a, b) => a + b, 0),
  failures: [...failures.entries()].map(([k, v]) => `${k}:${v}`).join(" "),
  maxRssMb: maxRssMb()
})
process.exit(0)
