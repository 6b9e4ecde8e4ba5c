/**
 * The client's metrics over real HTTP against the simulator on 127.0.0.1, whose rate limit answers real
 * 429s: the client (no limiter of its own, so that the server's limit is met) retries each after the wait
 * the server asked for, and its metrics agree with what the simulator counted.
 */
import { LegitmarkClient, Metrics, RateLimiter, RetryPolicy } from "@effect-legitmark/client"
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import { Simulator } from "@effect-legitmark/simulator"
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Redacted from "effect/Redacted"

const apiKey = "leo_metrics_e2e_0123456789"
const calls = 8
const label = "metrics-e2e"

const series = <Type, In, Out>(
  metric: Metric.Metric<Type, In, Out>,
  ...tags: ReadonlyArray<readonly [string, string]>
) =>
  Metric.value(
    [...tags, ["test", label] as const].reduce(
      (tagged, [key, value]) => Metric.tagged(tagged, key, value),
      metric
    )
  )

describe("metrics against the simulator", () => {
  it.scopedLive("429s, retries, calls and headroom agree with what the server counted", () =>
    Effect.gen(function*() {
      const simulator = yield* Simulator.start({ apiKeys: [apiKey], rateLimit: { limit: 3, windowMs: 1_000 } })
      const context = yield* Layer.build(
        LegitmarkClient.layer({
          apiKey: Redacted.make(apiKey),
          baseUrl: simulator.baseUrl,
          assetUrl: simulator.assetUrl
        }).pipe(
          Layer.provide(AgentHttpClient.layer),
          Layer.provide(RateLimiter.none),
          Layer.provide(RetryPolicy.layer({ retries: 10, base: "50 millis", jitter: false }))
        )
      )
      const client = Context.get(context, LegitmarkClient)
      // All at once: however slow the machine, more than three arrive in the first window.
      yield* Effect.all(Array.from({ length: calls }, () => client.taxonomy.reasons()), { concurrency: "unbounded" })
        .pipe(Effect.tagMetrics("test", label))
      const sent = (yield* simulator.stats).routes["taxonomy.reasons"] ?? 0

      const endpoint = ["endpoint", "taxonomy.reasons"] as const
      const rateLimited = (yield* series(Metrics.rateLimited, endpoint)).count
      // Three requests a second for eight calls: some met a 429 (some more than one), and each was retried.
      expect(rateLimited).toBeGreaterThan(0)
      expect(sent).toBe(calls + rateLimited)
      expect((yield* series(Metrics.retries, endpoint)).count).toBe(rateLimited)
      expect((yield* series(Metrics.calls, endpoint, ["outcome", "success"])).count).toBe(calls)
      expect((yield* series(Metrics.calls, endpoint, ["outcome", "RateLimitError"])).count).toBe(0)
      expect((yield* series(Metrics.callDuration, endpoint)).count).toBe(calls)
      // The last answer was a success within its window of three.
      const remaining = (yield* series(Metrics.rateLimitRemaining, ["level", "partner"])).value
      expect(remaining).toBeGreaterThanOrEqual(0)
      expect(remaining).toBeLessThan(3)
      // Each request took its permit (at once: \`RateLimiter.none\`), retries included.
      expect((yield* series(Metrics.rateLimiterWait)).count).toBe(calls + rateLimited)
    }), { timeout: 60_000 })
})
