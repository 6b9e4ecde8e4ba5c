/**
 * The client's metrics, declared once with Effect's `Metric`. Every call of the client records them; they
 * stay in the process (`Metric.snapshot`, `Metric.value`) until the application provides an exporter, e.g.
 * `@effect/opentelemetry`'s `NodeSdk.layer` with a metric reader. Metric labels the caller adds with
 * `Effect.tagMetrics` are added to every series.
 *
 * Endpoints are named `"<group>.<name>"` as the client's methods (`serviceRequests.get`), and outcomes
 * are `"success"` or the error's `_tag` (`NotFoundError`, `RateLimitError`…). Each metric carries its
 * unit (UCUM, as OpenTelemetry writes them) as a `unit` label, which `@effect/opentelemetry` exports as
 * the instrument's unit.
 *
 * @since 0.2.0
 */
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricKey from "effect/MetricKey"

/**
 * Calls, by `endpoint` and `outcome` (`"success"`, the `_tag` of the error the call failed with, or
 * `"interrupted"`), counted once per call however many attempts it took, a call refused before sending
 * included. Unit: calls.
 *
 * @since 0.2.0
 * @category metrics
 */
export const calls: Metric.Metric.Counter<number> = Metric.fromMetricKey(
  MetricKey.tagged(
    MetricKey.counter("legitmark.client.calls", {
      description: "Calls of the Legitmark API by endpoint and outcome (success or the error's _tag)",
      incremental: true
    }),
    "unit",
    "{call}"
  )
)

/**
 * The bucket boundaries of {@link callDuration}, in milliseconds: from a cached answer on a nearby server
 * to a photo upload, or a call that waited out a `Retry-After`.
 *
 * @since 0.2.0
 * @category boundaries
 */
export const callDurationBoundaries: MetricBoundaries.MetricBoundaries = MetricBoundaries.fromIterable([
  5,
  10,
  25,
  50,
  75,
  100,
  250,
  500,
  750,
  1_000,
  2_500,
  5_000,
  7_500,
  10_000,
  30_000,
  60_000
])

/**
 * How long calls took, by `endpoint`: from the call to its outcome, its retries and the rate limiter's
 * waits included. Unit: milliseconds.
 *
 * @since 0.2.0
 * @category metrics
 */
export const callDuration: Metric.Metric.Histogram<number> = Metric.fromMetricKey(
  MetricKey.tagged(
    MetricKey.histogram(
      "legitmark.client.call.duration",
      callDurationBoundaries,
      "How long calls of the Legitmark API took, retries and waits included, by endpoint"
    ),
    "unit",
    "ms"
  )
)

/**
 * Retries, by `endpoint`: each time the `RetryPolicy` sends a failed call again (or, for a call that may
 * have been acted on, checks again before sending it). A policy's final decision to stop is not one.
 * Unit: retries.
 *
 * @since 0.2.0
 * @category metrics
 */
export const retries: Metric.Metric.Counter<number> = Metric.fromMetricKey(
  MetricKey.tagged(
    MetricKey.counter("legitmark.client.retries", {
      description: "Retries of failed Legitmark API calls by endpoint",
      incremental: true
    }),
    "unit",
    "{retry}"
  )
)

/**
 * Answers `429 Too Many Requests`, by `endpoint`: each one, whether or not the call was retried.
 * Unit: answers.
 *
 * @since 0.2.0
 * @category metrics
 */
export const rateLimited: Metric.Metric.Counter<number> = Metric.fromMetricKey(
  MetricKey.tagged(
    MetricKey.counter("legitmark.client.rate_limited", {
      description: "429 answers from the Legitmark API by endpoint",
      incremental: true
    }),
    "unit",
    "{response}"
  )
)

/**
 * The bucket boundaries of {@link rateLimiterWait}, in milliseconds. A request that did not wait records 0.
 *
 * @since 0.2.0
 * @category boundaries
 */
export const rateLimiterWaitBoundaries: MetricBoundaries.MetricBoundaries = MetricBoundaries.fromIterable([
  0,
  1,
  5,
  10,
  50,
  100,
  250,
  500,
  1_000,
  2_500,
  5_000,
  10_000,
  30_000,
  60_000
])

/**
 * How long each request waited for the `RateLimiter`'s permit before it was sent (0 when it waited not at
 * all). Requests sent without the API key (the public lookup, presigned uploads) take no permit and are not
 * recorded. Unit: milliseconds.
 *
 * @since 0.2.0
 * @category metrics
 */
export const rateLimiterWait: Metric.Metric.Histogram<number> = Metric.fromMetricKey(
  MetricKey.tagged(
    MetricKey.histogram(
      "legitmark.client.rate_limiter.wait",
      rateLimiterWaitBoundaries,
      "How long requests waited for the client-side rate limiter before they were sent"
    ),
    "unit",
    "ms"
  )
)

/**
 * The requests left in the current rate-limit window, by `level` (`"partner"` or `"user"`), as the latest
 * answer's `X-RateLimit-Remaining-*` header said. Unit: requests.
 *
 * @since 0.2.0
 * @category metrics
 */
export const rateLimitRemaining: Metric.Metric.Gauge<number> = Metric.fromMetricKey(
  MetricKey.tagged(
    MetricKey.gauge("legitmark.client.rate_limit.remaining", {
      description: "Requests left in the rate-limit window by level (partner, user), from the latest answer"
    }),
    "unit",
    "{request}"
  )
)

/**
 * The bytes of photos uploaded: counted once an upload's PUT succeeds. Unit: bytes.
 *
 * @since 0.2.0
 * @category metrics
 */
export const uploadBytes: Metric.Metric.Counter<number> = Metric.fromMetricKey(
  MetricKey.tagged(
    MetricKey.counter("legitmark.client.upload.bytes", {
      description: "Bytes of photos uploaded to presigned URLs",
      incremental: true
    }),
    "unit",
    "By"
  )
)
