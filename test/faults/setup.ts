/**
 * Shared setup of the fault tests: a simulator on 127.0.0.1 and the real client (and `Legitmark`) on it,
 * with fast retries and a short timeout.
 */
import { LegitmarkClient, LegitmarkError, type Photo, RetryPolicy } from "@effect-legitmark/client"
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import { Simulator } from "@effect-legitmark/simulator"
import type * as HttpClient from "@effect/platform/HttpClient"
import { Legitmark } from "effect-legitmark"
import * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import { footwear, photo, sneakers } from "../support/EndpointCalls.js"

export const apiKey = "leo_faults_0123456789abcdef"
export { footwear, photo, sneakers }

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
  /** How long a create that failed without proof may still land (the client's default unless given). */
  readonly inDoubtWindow?: Duration.DurationInput
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
          timeout: options.timeout ?? "5 seconds",
          ...(options.inDoubtWindow === undefined ? {} : { inDoubtWindow: options.inDoubtWindow })
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

/** The required sides of a Footwear → Sneakers SR, by name. */
export const requiredSides = ["Interior Size Tag or Stamp", "Outer Sides"] as const

export const photos = Effect.gen(function*() {
  const byName: Record<string, Photo.Photo> = {}
  for (const [i, name] of requiredSides.entries()) byName[name] = yield* photo(i)
  return byName
})

/**
 * The worker's loop around `authenticate` (what a real worker does): `authenticate` is resumable by design
 * (find-or-create by reference id, upload only the sides the server lacks, submit only a draft), so a
 * worker re-runs it when it fails with a retryable `LegitmarkError` (the client's own retries ran out; a
 * create in doubt) or with an `UnexpectedResponseError` (a garbled answer: the client does not retry it,
 * but the workflow is safe to re-run).
 */
export const workerRetries = (error: unknown) =>
  LegitmarkError.isLegitmarkError(error) && (error.isRetryable || error._tag === "UnexpectedResponseError")

export const authenticateAsAWorker = (
  legitmark: Legitmark["Type"],
  referenceId: string,
  byName: Record<string, Photo.Photo>,
  // For 3 s: longer than the soak's in-doubt window, after which a create that never landed is re-sent.
  schedule: Schedule.Schedule<unknown> = Schedule.spaced("50 millis").pipe(Schedule.intersect(Schedule.recurs(60)))
) =>
  legitmark.authenticate({ referenceId, item: { category: footwear, type: sneakers }, photos: byName }).pipe(
    Effect.retry({ schedule, while: workerRetries })
  )

/**
 * Every SR the simulator holds, checked against the reference ids the runs used: one SR per id, in
 * QC/PENDING (the manual clock never moves it further), one acted submit, one photo version per
 * required side. Answers a list of problems (empty when all is well), so a failure names every SR.
 */
export const audit = (
  simulator: Simulator.SimulatorInfo,
  referenceIds: ReadonlyArray<string>,
  options: {
    /**
     * Whether a side may hold more than one photo version: a PUT that timed out after the photo was stored
     * is sent again (S3 overwrites one object; the simulator keeps both). Default false.
     */
    readonly photosResent?: boolean
  } = {}
) =>
  Effect.gen(function*() {
    const srs = yield* simulator.serviceRequests
    const stats = yield* simulator.stats
    const problems: Array<string> = []
    const byReference = new Map<string, number>()
    for (const sr of srs) byReference.set(sr.externalId, (byReference.get(sr.externalId) ?? 0) + 1)
    for (const id of referenceIds) {
      const n = byReference.get(id) ?? 0
      if (n !== 1) problems.push(`${id}: ${n} SRs`)
    }
    if (srs.length !== referenceIds.length) problems.push(`${srs.length} SRs for ${referenceIds.length} ids`)
    for (const sr of srs) {
      const where = `${sr.externalId} (${sr.uuid})`
      if (sr.state.primary !== "QC" || sr.state.supplement !== "PENDING") {
        problems.push(`${where}: state ${sr.state.primary}/${sr.state.supplement ?? "-"}`)
      }
      const submits = stats.submits[sr.uuid] ?? 0
      if (submits !== 1) problems.push(`${where}: submitted ${submits} times`)
      const versions = [...HashMap.values(sr.media)].map((v) => v.length)
      if (versions.length !== requiredSides.length || versions.some((n) => n < 1 || (n > 1 && !options.photosResent))) {
        problems.push(`${where}: photo versions per side ${JSON.stringify(versions)}`)
      }
    }
    return { problems, srs: srs.length, stats }
  })

export const sum = (record: Readonly<Record<string, number>>) => Object.values(record).reduce((a, b) => a + b, 0)
