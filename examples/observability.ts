/**
 * Metrics and spans through OpenTelemetry: an authentication, with `@effect/opentelemetry`'s `NodeSdk`
 * printing each span (`Legitmark.authenticate`, `Legitmark.serviceRequests.create`…) as it ends and, at
 * exit, every metric (`legitmark.client.calls`, `legitmark.client.call.duration`,
 * `legitmark.client.upload.bytes`, `legitmark.authentication.verdict_time`…). In production, swap the
 * console exporters for OTLP ones (`@opentelemetry/exporter-trace-otlp-http`, …). The client needs no
 * option for any of it: its metrics are always recorded, and its spans go to whatever tracer is provided.
 *
 *   pnpm tsx examples/observability.ts
 */
import { Photo } from "@effect-legitmark/client"
import { NodeSdk } from "@effect/opentelemetry"
import { NodeFileSystem, NodeRuntime } from "@effect/platform-node"
import {
  ConsoleMetricExporter,
  PeriodicExportingMetricReader,
  type PushMetricExporter
} from "@opentelemetry/sdk-metrics"
import { BatchSpanProcessor, ConsoleSpanExporter, type SpanExporter } from "@opentelemetry/sdk-trace-base"
import { Legitmark } from "effect-legitmark"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { fileURLToPath, pathToFileURL } from "node:url"
import { ClientLayer } from "./support/ClientLayer.js"
import { chooseItem } from "./support/SampleItem.js"

const samples = ["size-tag", "outer-sides", "top", "sole", "box-label"]
const photoPath = (name: string) => fileURLToPath(new URL(`./photos/${name}.png`, import.meta.url))

/** One authentication, from a draft to its verdict: what the exporters are shown. */
export const program = Effect.gen(function*() {
  const legitmark = yield* Legitmark
  const { category, type } = yield* chooseItem
  const item = { category: category.uuid, type: type.uuid }
  const referenceId = `OBSERVED-${Date.now()}`
  const draft = yield* legitmark.client.serviceRequests.create({ reference_id: referenceId, item })
  const { sides } = yield* legitmark.client.serviceRequests.get(draft.uuid, { item: true, sides: true })
  const photos: Record<string, Photo.Photo> = {}
  for (const [i, side] of (sides?.required ?? []).entries()) {
    photos[side.name] = yield* Photo.fromPath(photoPath(samples[i % samples.length]!))
  }
  const { sr } = yield* legitmark.authenticate({ referenceId, item, photos })
  const outcome = yield* legitmark.awaitVerdict(sr.uuid, {
    schedule: Schedule.spaced("200 millis"),
    timeout: "2 minutes"
  })
  yield* Console.log(`Verdict for ${sr.uuid}: ${outcome._tag}`)
  return outcome
})

/**
 * The OpenTelemetry SDK: spans to `spans` (in batches), metrics to `metrics` (every 10 s, and once more
 * when the layer is released).
 */
export const Telemetry = (exporters: { readonly spans: SpanExporter; readonly metrics: PushMetricExporter }) =>
  NodeSdk.layer(() => ({
    resource: { serviceName: "legitmark-example" },
    spanProcessor: new BatchSpanProcessor(exporters.spans),
    metricReader: new PeriodicExportingMetricReader({ exporter: exporters.metrics, exportIntervalMillis: 10_000 })
  }))

/** `Legitmark` on the example's client (the local simulator unless LEGITMARK_API_KEY is set), with telemetry. */
export const MainLayer = (exporters: Parameters<typeof Telemetry>[0]) =>
  Layer.mergeAll(Legitmark.layer.pipe(Layer.provideMerge(ClientLayer())), NodeFileSystem.layer, Telemetry(exporters))

// Run as a script (the test imports `program` and `MainLayer` with in-memory exporters instead).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  program.pipe(
    Effect.provide(MainLayer({ spans: new ConsoleSpanExporter(), metrics: new ConsoleMetricExporter() })),
    NodeRuntime.runMain
  )
}
