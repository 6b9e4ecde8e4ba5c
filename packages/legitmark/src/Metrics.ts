/**
 * The metrics of whole authentications, declared once with Effect's `Metric` (the client's own calls are
 * measured by `@effect-legitmark/client`'s `Metrics`). They stay in the process until the application
 * provides an exporter, e.g. `@effect/opentelemetry`'s `NodeSdk.layer` with a metric reader. Each carries
 * its unit as a `unit` label, which `@effect/opentelemetry` exports as the instrument's unit.
 *
 * @since 0.2.0
 */
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricKey from "effect/MetricKey"

/**
 * The bucket boundaries of {@link verdictTime}, in seconds: from a simulator's instant review to a week.
 *
 * @since 0.2.0
 * @category boundaries
 */
export const verdictTimeBoundaries: MetricBoundaries.MetricBoundaries = MetricBoundaries.fromIterable([
  1,
  5,
  15,
  30,
  60,
  300,
  900,
  1_800,
  3_600,
  7_200,
  14_400,
  28_800,
  86_400,
  172_800,
  604_800
])

/**
 * The time from an SR's submission by `Legitmark.authenticate` to the outcome `Legitmark.awaitVerdict`
 * found, by `outcome` (`Authentic`, `NotAuthentic`, `Inconclusive`, `Cancelled`, `MediaRejected`). It is
 * recorded for the SRs the same `Legitmark` service submitted (the latest 10,000 of them), and includes
 * the polling schedule's delay. Unit: seconds.
 *
 * @since 0.2.0
 * @category metrics
 */
export const verdictTime: Metric.Metric.Histogram<number> = Metric.fromMetricKey(
  MetricKey.tagged(
    MetricKey.histogram(
      "legitmark.authentication.verdict_time",
      verdictTimeBoundaries,
      "Time from an SR's submission to its verdict (or its photos' rejection), by outcome"
    ),
    "unit",
    "s"
  )
)
