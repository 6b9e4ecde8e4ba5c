/**
 * Layers for users' unit tests: the real `LegitmarkClient` (validation, retry policy, rate limiter,
 * decoding, error mapping) and the real `Legitmark` over the simulator's core, called in process (no
 * socket, time on the test's `Clock`). The `LegitmarkTest` service drives that core as Legitmark's staff
 * would (move an SR along, complete, cancel, reject photos), fails the next calls at the wire, and reads
 * back what it received.
 *
 * @since 0.1.0
 */
import { LegitmarkClient } from "@effect-legitmark/client"
import type * as Endpoints from "@effect-legitmark/client/Endpoints"
import * as Errors from "@effect-legitmark/client/LegitmarkError"
import * as Photo from "@effect-legitmark/client/Photo"
import * as SR from "@effect-legitmark/schema/ServiceRequest"
import type { knownPrimaries, knownSupplements } from "@effect-legitmark/schema/State"
import * as Core from "@effect-legitmark/simulator/Core"
import * as InProcessHttpClient from "@effect-legitmark/simulator/InProcessHttpClient"
import * as Lifecycle from "@effect-legitmark/simulator/Lifecycle"
import * as Seed from "@effect-legitmark/simulator/Seed"
import type * as Store from "@effect-legitmark/simulator/Store"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as TestApi from "./internal/testApi.js"
import * as TestPhoto from "./internal/testPhoto.js"
import { Legitmark } from "./Legitmark.js"

/**
 * The test Layer's types, merged with its Tag: `LegitmarkTest.Options`, `LegitmarkTest.Service`…
 *
 * @since 0.1.0
 */
export declare namespace LegitmarkTest {
  /**
   * A client method that sends one request, as `"<group>.<method>"`: a declared endpoint
   * (`media.upload` sends two: `media.intent`, then `media.put`).
   *
   * @since 0.1.0
   */
  export type Method = Endpoints.Name

  /**
   * The exact error union of a method.
   *
   * @since 0.1.0
   */
  export type ErrorOf<M extends Method> = Endpoints.ErrorOf<Endpoints.ByName<M>>

  /**
   * An answer written out: its status, headers and body (JSON, or a string sent as is).
   *
   * @since 0.2.0
   */
  export interface Answer {
    /** Never set: an error of another method is not an answer. */
    readonly _tag?: never
    readonly status: number
    readonly headers?: Readonly<Record<string, string>>
    readonly body?: unknown
  }

  /**
   * What `failNext` can make a method's request meet: one of its errors that a server can cause, sent
   * as the API would answer it (a `TransportError` is a connection dropped before the server acts), or
   * any answer written out. The client's pipeline turns it back into an error, retrying what it retries.
   *
   * @since 0.2.0
   */
  export type Failure<M extends Method> = Extract<ErrorOf<M>, TestApi.ServerCaused> | Answer

  /**
   * @since 0.1.0
   */
  export interface Options {
    /**
     * How Legitmark reviews a submitted SR. `"instant"` (default): it reaches its verdict at once, so
     * the first read after the submit (the first poll of `awaitVerdict`) sees it. `"manual"`: it waits in
     * QC/PENDING until the test moves it (`advance`, `complete`, …). A duration: one step per that much
     * time on the `Clock` (`TestClock.adjust` moves it). Markers in the reference id pick the verdict:
     * `FAKE` → not authentic, `INCONCLUSIVE` → COMPLETE/COMPLETE, `CANCEL` or `NOT_SERVICEABLE` →
     * cancelled, `BLURRY` → QC rejects the first required side once; anything else → authentic.
     */
    readonly review?: "instant" | "manual" | Duration.DurationInput
    /** Requests the API key may make per window (default 1000 per minute), as the server counts them. */
    readonly rateLimit?: { readonly limit: number; readonly window: Duration.DurationInput }
  }

  /**
   * One request the test API received.
   *
   * @since 0.1.0
   */
  export interface Call {
    /** The client method that sends such a request; undefined for one no method sends. */
    readonly method: Method | undefined
    /** Method, path and query as received: `GET /api/v2/sr/…?item=true`. */
    readonly request: string
    /** The status answered; null when the connection was dropped. */
    readonly status: number | null
  }

  /**
   * One photo the test storage received.
   *
   * @since 0.1.0
   */
  export interface Upload {
    readonly sr: string
    readonly side: string
    readonly extension: string
    readonly contentType: string
    /** The bytes received. */
    readonly size: number
    /** FNV-1a of the bytes (not cryptographic): equal photos have equal checksums. */
    readonly checksum: string
    readonly version: string
    readonly uploadedAt: string
    /** QC rejected it: it no longer counts towards the SR's progress. */
    readonly rejected: boolean
  }

  /**
   * A verdict `complete` can give: `APPROVED` (authentic), `REJECTED` (not authentic), `COMPLETE`
   * (processed, verdict not stated).
   *
   * @since 0.1.0
   */
  export type Completion = "APPROVED" | "REJECTED" | "COMPLETE"

  /**
   * The control side of the test Layer. Every SR argument is a uuid; an SR that does not exist fails
   * with `NotFoundError`. The answers are the SR as the API has it, with every part.
   *
   * @since 0.1.0
   */
  export interface Service {
    /** The client (also provided as `LegitmarkClient`). */
    readonly client: LegitmarkClient.Service
    /** Sets an SR's state, whatever it was. */
    readonly setState: (
      sr: string,
      primary: (typeof knownPrimaries)[number],
      supplement?: (typeof knownSupplements)[number] | null
    ) => Effect.Effect<SR.ServiceRequest, Errors.NotFoundError>
    /**
     * Moves an SR one step: DRAFT → QC/PENDING (photos unchecked) → QC/APPROVED → UNDERWAY/PENDING →
     * UNDERWAY/ASSIGNED → COMPLETE/APPROVED, with the markers of `Options.review`.
     */
    readonly advance: (sr: string) => Effect.Effect<SR.ServiceRequest, Errors.NotFoundError>
    /** Completes an SR with a verdict. */
    readonly complete: (sr: string, verdict: Completion) => Effect.Effect<SR.ServiceRequest, Errors.NotFoundError>
    /** Cancels an SR (CANCELLED), as Legitmark does server-side. */
    readonly cancel: (sr: string) => Effect.Effect<SR.ServiceRequest, Errors.NotFoundError>
    /**
     * QC rejects photos: the SR goes to QC/REJECTED and the photos of these sides (uuids or names;
     * default the first required side) no longer count.
     */
    readonly rejectMedia: (
      sr: string,
      sides?: ReadonlyArray<string>
    ) => Effect.Effect<SR.ServiceRequest, Errors.NotFoundError>
    /** The next `times` (default 1) requests of `method` meet `failure` instead of an answer. */
    readonly failNext: <M extends Method>(method: M, failure: Failure<M>, times?: number) => Effect.Effect<void>
    /** Every SR, in creation order. */
    readonly serviceRequests: Effect.Effect<ReadonlyArray<SR.ServiceRequest>>
    /** Every photo received, in order. */
    readonly uploads: Effect.Effect<ReadonlyArray<Upload>>
    /** Every request received, in order (the last 10 000). */
    readonly calls: Effect.Effect<ReadonlyArray<Call>>
  }
}

/**
 * The uuids of the simulator's catalog, which the test API serves (`footwear`, `sneakers`, `sides.front`…).
 *
 * @since 0.1.0
 */
export const ids = Seed.ids

/**
 * A photo for unit tests: a valid 600×600 PNG (the smallest the API accepts, about a kilobyte) in a
 * colour picked by `seed`, so that photos of different seeds differ.
 *
 * @since 0.2.0
 */
export const photo = (seed = 0): Effect.Effect<Photo.Photo> =>
  Effect.flatMap(TestPhoto.png(seed), (bytes) => Effect.orDie(Photo.fromBytes(bytes, "png")))

const apiKey = "leo_test_key"
const baseUrl = "https://api.legitmark.test"
const assetUrl = "https://asset.legitmark.test"

const decodeServiceRequest = Schema.decodeUnknown(SR.ServiceRequest)

/**
 * Builds a test API (the simulator's core on the test's `Clock`), the real client over it, and its
 * controls, for the lifetime of the scope. A `RetryPolicy` or `RateLimiter` in context is the client's.
 *
 * @since 0.1.0
 */
export const make = (options: LegitmarkTest.Options = {}): Effect.Effect<LegitmarkTest.Service, never, Scope.Scope> =>
  Effect.gen(function*() {
    const review = options.review ?? "instant"
    const core = yield* Core.make({
      baseUrl,
      assetUrl,
      apiKeys: [apiKey],
      clock: "clock",
      review: review === "manual" ? "manual" : "auto",
      stepMs: review === "instant" || review === "manual" ? 0 : Duration.toMillis(review),
      ...(options.rateLimit === undefined ? {} : {
        rateLimit: { limit: options.rateLimit.limit, windowMs: Duration.toMillis(options.rateLimit.window) }
      })
    })
    const client = yield* LegitmarkClient.make({ apiKey: Redacted.make(apiKey), baseUrl, assetUrl }).pipe(
      Effect.provideService(HttpClient.HttpClient, InProcessHttpClient.make(core.app)),
      Effect.orDie
    )

    const render = (sr: Store.ServiceRequest) => Effect.orDie(decodeServiceRequest(core.render(sr)))
    const notFound = (message: string) => new Errors.NotFoundError({ message, status: 404 })
    const control = (
      sr: string,
      change: Effect.Effect<Store.ServiceRequest, Store.ServiceRequestNotFound | Lifecycle.UnknownSides>
    ) =>
      change.pipe(
        Effect.mapError((error) =>
          notFound(
            error._tag === "UnknownSides" ?
              `SR ${sr} has no side ${error.sides.join(", ")}` :
              `Service request ${sr} not found`
          )
        ),
        Effect.flatMap(render)
      )
    const transition = (sr: string, t: Lifecycle.Transition) => control(sr, core.transition(sr, t))

    return {
      client,
      setState: (sr, primary, supplement = null) => transition(sr, { _tag: "Move", to: { primary, supplement } }),
      advance: (sr) => control(sr, core.step(sr)),
      complete: (sr, verdict) => transition(sr, { _tag: "Move", to: { primary: "COMPLETE", supplement: verdict } }),
      cancel: (sr) => transition(sr, Lifecycle.cancelled),
      rejectMedia: (sr, sides) => transition(sr, { _tag: "Reject", sides }),
      failNext: (method: LegitmarkTest.Method, failure: TestApi.Failure, times = 1) =>
        Effect.asVoid(core.injectFault(TestApi.fault(method, failure, times))),
      serviceRequests: Effect.flatMap(core.serviceRequests, Effect.forEach(render)),
      uploads: Effect.map(core.uploads, (uploads) =>
        uploads.map((upload) => ({
          sr: upload.sr,
          side: upload.side,
          extension: upload.extension,
          contentType: upload.contentType,
          size: upload.bytes.length,
          checksum: TestApi.checksum(upload.bytes),
          version: upload.version,
          uploadedAt: new Date(upload.uploadedAt).toISOString(),
          rejected: upload.deleted
        }))),
      calls: Effect.map(core.exchanges, (exchanges) =>
        exchanges.map((e) => ({
          method: TestApi.methodOf(e.route),
          request: `${e.method} ${e.url}`,
          status: e.status
        })))
    } satisfies LegitmarkTest.Service
  })

/**
 * The client and the control service, without `Legitmark`.
 *
 * @since 0.1.0
 */
export const layerClient = (options: LegitmarkTest.Options = {}): Layer.Layer<LegitmarkTest | LegitmarkClient> =>
  Layer.scopedContext(
    Effect.map(
      make(options),
      (test) => Context.make(LegitmarkTest, test).pipe(Context.add(LegitmarkClient, test.client))
    )
  )

/**
 * `Legitmark` (the real workflows) on the test API, with the client and the control service.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Legitmark, LegitmarkTest } from "effect-legitmark"
 *
 * const test = Effect.gen(function*() {
 *   const legitmark = yield* Legitmark
 *   const photo = yield* LegitmarkTest.photo()
 *   const { sr } = yield* legitmark.authenticate({
 *     referenceId: "SKU-1",
 *     item: { category: LegitmarkTest.ids.footwear, type: LegitmarkTest.ids.sneakers },
 *     photos: { "Interior Size Tag or Stamp": photo, "Outer Sides": photo }
 *   })
 *   // Reviewed at once: the first poll finds the verdict, no clock to move.
 *   const outcome = yield* legitmark.awaitVerdict(sr.uuid)
 *   assert.strictEqual(outcome._tag, "Authentic")
 * })
 *
 * Effect.runPromise(test.pipe(Effect.provide(LegitmarkTest.layer())))
 * ```
 *
 * @since 0.1.0
 */
export const layer = (
  options: LegitmarkTest.Options = {}
): Layer.Layer<Legitmark | LegitmarkTest | LegitmarkClient> => Layer.provideMerge(Legitmark.layer, layerClient(options))

/**
 * The control service of the test Layers: `yield* LegitmarkTest` in a test to drive the API and read
 * back what it received.
 *
 * @since 0.1.0
 */
export class LegitmarkTest extends Context.Tag("effect-legitmark/LegitmarkTest")<
  LegitmarkTest,
  LegitmarkTest.Service
>() {
  /** @since 0.1.0 */
  static readonly make = make
  /** @since 0.1.0 */
  static readonly layer = layer
  /** @since 0.1.0 */
  static readonly layerClient = layerClient
  /** @since 0.1.0 */
  static readonly ids = ids
  /** @since 0.2.0 */
  static readonly photo = photo
}
