/**
 * `observability.ts` read back: the same program, on the same simulator and SDK layer, with in-memory
 * exporters in place of the console ones. What the exporters received is what an OpenTelemetry backend
 * would: the spans named `Legitmark.*`, and the metrics with their attributes and units.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  AggregationTemporality,
  DataPointType,
  type Histogram,
  InMemoryMetricExporter,
  type MetricData
} from "@opentelemetry/sdk-metrics"
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base"
import * as Effect from "effect/Effect"
import { MainLayer, program } from "./observability.js"

type Attributes = Readonly<Record<string, unknown>>

// The SDK shuts its exporters down as the layer is released, and an `InMemorySpanExporter` forgets its
// spans then: this one keeps them to be read afterwards.
class KeptSpans extends InMemorySpanExporter {
  override shutdown() {
    return Promise.resolve()
  }
}

const points = (metric: MetricData | undefined, attributes: Attributes) =>
  (metric?.dataPoints ?? []).filter((point) =>
    Object.entries(attributes).every(([key, value]) => point.attributes[key] === value)
  )

describe("observability.ts", () => {
  it.live("exports each call's span and the client's metrics", () =>
    Effect.gen(function*() {
      const spans = new KeptSpans()
      const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
      // Providing the layer here releases it when the program is done: the SDK exports what is left.
      const outcome = yield* program.pipe(Effect.provide(MainLayer({ spans, metrics })))
      expect(outcome._tag).toBe("Authentic")

      const finished = spans.getFinishedSpans()
      const names = new Set(finished.map((span) => span.name))
      for (
        const name of [
          "Legitmark.authenticate",
          "Legitmark.awaitVerdict",
          "Legitmark.serviceRequests.create",
          "Legitmark.serviceRequests.find",
          "Legitmark.serviceRequests.submit",
          "Legitmark.media.upload",
          "Legitmark.media.put"
        ]
      ) expect(names, name).toContain(name)
      const create = finished.find((span) => span.name === "Legitmark.serviceRequests.create")
      expect(create?.attributes["http.request.method"]).toBe("POST")
      const puts = finished.filter((span) => span.name === "Legitmark.media.put")
      const sentBytes = puts.reduce((sum, span) => sum + Number(span.attributes["legitmark.bytes"]), 0)
      expect(sentBytes).toBeGreaterThan(0)

      // The final export, made as the layer was released, holds every series in full.
      const exported = metrics.getMetrics().at(-1)?.scopeMetrics.flatMap((scope) => scope.metrics) ?? []
      const metric = (name: string) => exported.find((m) => m.descriptor.name === name)

      const calls = metric("legitmark.client.calls")
      expect(calls?.descriptor.unit).toBe("{call}")
      expect(calls?.dataPointType).toBe(DataPointType.SUM)
      const count = (endpoint: string, outcome: string) =>
        points(calls, { endpoint, outcome }).reduce((sum, point) => sum + Number(point.value), 0)
      expect(count("serviceRequests.create", "success")).toBe(1)
      expect(count("serviceRequests.find", "success")).toBe(1)
      expect(count("serviceRequests.submit", "success")).toBe(1)
      expect(count("media.put", "success")).toBe(puts.length)
      expect(count("serviceRequests.get", "success")).toBeGreaterThanOrEqual(3)

      const duration = metric("legitmark.client.call.duration")
      expect(duration?.descriptor.unit).toBe("ms")
      expect(duration?.dataPointType).toBe(DataPointType.HISTOGRAM)
      const [createDuration] = points(duration, { endpoint: "serviceRequests.create" })
      const histogram = createDuration?.value as Histogram | undefined
      expect(histogram?.count).toBe(1)
      expect(histogram?.sum).toBeGreaterThan(0)
      expect(histogram?.buckets.boundaries).toContain(1_000)

      const uploaded = metric("legitmark.client.upload.bytes")
      expect(uploaded?.descriptor.unit).toBe("By")
      expect(points(uploaded, {}).map((point) => point.value)).toEqual([sentBytes])

      const verdictTime = metric("legitmark.authentication.verdict_time")
      expect(verdictTime?.descriptor.unit).toBe("s")
      const [authentic] = points(verdictTime, { outcome: "Authentic" })
      expect((authentic?.value as Histogram | undefined)?.count).toBe(1)

      expect(metric("legitmark.client.rate_limiter.wait")?.descriptor.unit).toBe("ms")
      expect(points(metric("legitmark.client.rate_limit.remaining"), { level: "partner" })).toHaveLength(1)
    }), { timeout: 120_000 })
})
