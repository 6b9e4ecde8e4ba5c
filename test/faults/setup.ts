/**
 * Shared setup of the fault tests: a simulator on 127.0.0.1 and the real client (and `Legitmark`) on it,
 * with fast retries and a short timeout.
 */
import { LegitmarkClient, LegitmarkError, Photo, RetryPolicy } from "@effect-legitmark/client"
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import { Simulator } from "@effect-legitmark/simulator"
import type * as HttpClient from "@effect/platform/HttpClient"
import { Legitmark } from "effect-legitmark"
import * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

export const apiKey = "leo_faults_0123456789abcdef"
export const footwear = "25ed7133-f230-4d64-850d-0cfc698e2931"
export const sneakers = "95e428c2-7c4f-11ef-a623-02595575faeb"

const samples = ["outer-sides", "top", "size-tag", "sole", "box-label"].map((name) =>
  readFileSync(fileURLToPath(new URL(`../../examples/photos/${name}.png`, import.meta.url)))
)

export const photo = (i: number) => Photo.fromBytes(samples[i % samples.length]!, "png")

/**
 * Retries fast and deterministic: 5 ms doubling, no jitter, 3 retries; any `Retry-After` up to 5 s is
 * honoured (the fault tests inject `Retry-After: 0` unless they test the wait itself).
 */
export const fastRetries = RetryPolicy.layer({ base: "5 millis", jitter: false, maxRetryAfter: "5 seconds" })

export interface ClientOptions {
  readonly timeout?: Duration.DurationInput
  readonly retry?: Layer.Layer<RetryPolicy.RetryPolicy>
  /** The transport; the client's own (`AgentHttpClient`) by default. */
  readonly transport?: Layer.Layer<HttpClient.HttpClient>
}

/** `Legitmark` (and its `client`) against `simulator`, living as long as the current scope. */
export const legitmarkFor = (simulator: Simulator.SimulatorInfo, options: ClientOptions = {}) =>
  Effect.gen(function*() {
    const layer = Legitmark.layer.pipe(
      Layer.provideMerge(
        LegitmarkClient.layer({
          apiKey: Redacted.make(apiKey),
          baseUrl: simulator.baseUrl,
          assetUrl: simulator.assetUrl,
          timeout: options.timeout ?? "5 seconds"
        })
      ),
      Layer.provide(Layer.merge(options.transport ?? AgentHttpClient.layer, options.retry ?? fastRetries))
    )
    return yield* Effect.provide(Legitmark, yield* Layer.build(layer))
  })

/** What the simulator counted between two snapshots, per route id. */
export const routeDelta = (before: Simulator.StatsSnapshot, after: Simulator.StatsSnapshot) => {
  const delta: Record<string, number> = {}
  for (const [route, n] of Object.entries(after.routes)) {
    const d = n - (before.routes[route] ?? 0)
    if (d !== 0) delta[route] = d
  }
  return delta
}

/**
 * Why an exit is not acceptable to a caller, if it is not: a defect, an interruption, or a failure that
 * is not a `LegitmarkError` (an `HttpClientError` or a `ParseError` that leaked).
 */
export const leak = (exit: Exit.Exit<unknown, unknown>): string | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const cause = exit.cause
  if (Cause.isDie(cause)) return `defect: ${Cause.pretty(cause)}`
  if (Cause.isInterrupted(cause)) return `interrupted: ${Cause.pretty(cause)}`
  const foreign = [...Cause.failures(cause)].filter((e) => !LegitmarkError.isLegitmarkError(e))
  return foreign.length > 0 ? `not a LegitmarkError: ${foreign.map(String).join(", ")}` : undefined
}
