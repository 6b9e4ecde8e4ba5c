/**
 * The simulator's core: the Legitmark Partner API's behaviour as one `HttpApp` over its state (service
 * requests and their state machine, the catalog, uploads, rate limits, faults, webhooks, the clock), with
 * the controls tests drive it by. It opens no socket and loads no Node server code: `Simulator` serves it
 * on a port, `InProcessHttpClient` calls it in process (the test Layer of `effect-legitmark`).
 *
 * @since 0.2.0
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Faults from "./Faults.js"
import * as Control from "./internal/control.js"
import { ConnectionDropped } from "./internal/errors.js"
import { ServerInfo } from "./internal/http.js"
import * as Render from "./internal/render.js"
import * as Router from "./internal/router.js"
import * as Lifecycle from "./Lifecycle.js"
import * as RateLimit from "./RateLimit.js"
import * as SimClock from "./SimClock.js"
import * as Stats from "./Stats.js"
import * as Store from "./Store.js"
import * as Uploads from "./Uploads.js"
import * as Webhooks from "./Webhooks.js"

export {
  /**
   * The failure of `app` where a fault drops the connection without an answer: the server face destroys
   * the socket, the in-process face fails the call as a lost connection.
   *
   * @since 0.2.0
   * @category errors
   */
  ConnectionDropped
}

/**
 * @since 0.2.0
 */
export interface Options {
  /** The API host the answers name (presigned upload and media URLs live on `assetUrl`). */
  readonly baseUrl: string
  /** Default: `baseUrl`. */
  readonly assetUrl?: string | undefined
  /** Accepted Bearer keys. Without any, every non-empty Bearer token is accepted. */
  readonly apiKeys?: ReadonlyArray<string> | undefined
  /** Per-key fixed window (default 1000 requests per 60 000 ms of simulated time). */
  readonly rateLimit?: Partial<RateLimit.Options> | undefined
  /** Simulated milliseconds per real millisecond with the real clock (default 1). */
  readonly speed?: number | undefined
  /** Where webhook events are POSTed. */
  readonly webhookUrl?: string | undefined
  /** Signs webhook deliveries (Standard Webhooks / Svix headers) with this secret: `whsec_` and base64. */
  readonly webhookSecret?: string | undefined
  /**
   * `real` (default): time flows, scaled by `speed`; `manual`: time moves only via `advance`; `clock`: time
   * is the Effect `Clock` of the fiber that builds the core (a `TestClock` in tests).
   */
  readonly clock?: SimClock.Mode | undefined
  /** Seed for generated SR uuids (default 0). */
  readonly seed?: number | undefined
  /** Simulated milliseconds between two SR transitions (default 60 000). */
  readonly stepMs?: number | undefined
  /** `auto` (default): submitted SRs walk to their verdict on their own; `manual`: only controls move them. */
  readonly review?: Lifecycle.Review | undefined
  /** Simulated epoch milliseconds at start (default: now). */
  readonly startTime?: number | undefined
  /**
   * How a fetched SR's sides (and side groups) are answered: `"docs"` (the default) as the published
   * get-full-sr example, with each side's `media_url`; `"sdk"` as the official SDK's fixtures, with
   * `side_group_name`, `assignment_level` and `inherited_from`, no per-side media, and the counts in
   * `sides.progress`.
   */
  readonly srPayload?: "docs" | "sdk" | undefined
}

/**
 * What `GET /__control/stats` answers.
 *
 * @since 0.2.0
 */
export interface StatsSnapshot extends Stats.Counters {
  readonly srCount: number
  readonly webhooks: {
    readonly events: number
    readonly attempts: number
    readonly delivered: number
    readonly failed: number
    readonly pending: number
  }
}

/**
 * One photo version the storage holds.
 *
 * @since 0.2.0
 */
export interface Upload extends Store.Media {
  readonly sr: string
  readonly side: string
}

/**
 * The controls of a simulator, whichever face it has.
 *
 * @since 0.2.0
 */
export interface Controls {
  /** Simulated epoch milliseconds. */
  readonly now: Effect.Effect<number>
  /** Scheduled events waiting on the simulated clock (SR transitions, webhook retries). */
  readonly pendingTimers: Effect.Effect<number>
  /** Moves simulated time by `ms`, or through the next `steps` scheduled events; answers how many ran. */
  readonly advance: (by: { readonly ms: number } | { readonly steps: number }) => Effect.Effect<number>
  /** Injects a fault; answers its id. */
  readonly injectFault: (spec: Faults.Spec) => Effect.Effect<string>
  readonly clearFaults: Effect.Effect<void>
  readonly stats: Effect.Effect<StatsSnapshot>
  /** Every SR the simulator holds, oldest first, with its state and every uploaded photo version. */
  readonly serviceRequests: Effect.Effect<ReadonlyArray<Store.ServiceRequest>>
  /** Every photo stored (rejected ones too), oldest first; those of one instant by SR, side and version. */
  readonly uploads: Effect.Effect<ReadonlyArray<Upload>>
  /** The last requests handled, oldest first (see `Stats.journalSize`). */
  readonly exchanges: Effect.Effect<ReadonlyArray<Stats.Exchange>>
  /** Takes an SR's next scripted step now (a DRAFT is submitted without its photos being checked). */
  readonly step: (sr: string) => Effect.Effect<Store.ServiceRequest, Store.ServiceRequestNotFound>
  /** Changes an SR now, as Legitmark's staff would: a new state, rejected photos, a cancellation. */
  readonly transition: (
    sr: string,
    transition: Lifecycle.Transition
  ) => Effect.Effect<Store.ServiceRequest, Store.ServiceRequestNotFound | Lifecycle.UnknownSides>
  /** Forgets SRs, uploads, faults, counters, rate-limit windows, webhook logs and pending timers. */
  readonly reset: Effect.Effect<void>
  readonly setWebhookUrl: (url: string | null) => Effect.Effect<void>
  /** Every webhook event emitted so far (delivered or not). */
  readonly webhookEvents: Effect.Effect<ReadonlyArray<Webhooks.Event>>
  readonly webhookDeliveries: Effect.Effect<ReadonlyArray<Webhooks.Delivery>>
}

/**
 * A simulator without a face: its `app` and its controls.
 *
 * @since 0.2.0
 */
export interface Service extends Controls {
  /**
   * The whole API (both hosts and the `/__control` routes) as one `HttpApp`, its state provided. It fails
   * only with `ConnectionDropped`.
   */
  readonly app: HttpApp.Default<ConnectionDropped>
  readonly baseUrl: string
  readonly assetUrl: string
  /** An SR as `GET /api/v2/sr/{uuid}` answers it with every part, in English (wire JSON). */
  readonly render: (sr: Store.ServiceRequest) => unknown
}

/**
 * @since 0.2.0
 * @category tags
 */
export class Core extends Context.Tag("@effect-legitmark/simulator/Core")<Core, Service>() {}

/**
 * Every route: its id (usable as a fault's `route`, and counted in stats), method and path template.
 *
 * @since 0.2.0
 */
export const routes: ReadonlyArray<{ readonly id: string; readonly method: string; readonly path: string }> = Router
  .routes.map(({ id, method, path }) => ({ id, method, path }))

/**
 * Builds a core for the lifetime of the scope (in `real` clock mode a fiber fires timers meanwhile).
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Service, never, Scope.Scope> =>
  Effect.gen(function*() {
    const assetUrl = options.assetUrl ?? options.baseUrl
    const state = Layer.mergeAll(
      Store.layer({ seed: options.seed }),
      RateLimit.layer(options.rateLimit ?? {}),
      Faults.layer,
      Stats.layer,
      Webhooks.layer({ url: options.webhookUrl, secret: options.webhookSecret }).pipe(
        Layer.provide(FetchHttpClient.layer)
      )
    )
    const services = Layer.mergeAll(
      Uploads.layer,
      Lifecycle.layer({ stepMs: options.stepMs, review: options.review })
    ).pipe(
      Layer.provideMerge(state),
      Layer.provideMerge(
        SimClock.layer({ mode: options.clock, speed: options.speed, start: options.startTime })
      ),
      Layer.provideMerge(
        Layer.succeed(ServerInfo, {
          baseUrl: options.baseUrl,
          assetUrl,
          apiKeys: options.apiKeys ?? [],
          srPayload: options.srPayload ?? "docs"
        })
      )
    )
    const context = yield* Layer.build(services)
    const clock = Context.get(context, SimClock.SimClock)
    const faults = Context.get(context, Faults.Faults)
    const lifecycle = Context.get(context, Lifecycle.Lifecycle)
    const stats = Context.get(context, Stats.Stats)
    const webhooks = Context.get(context, Webhooks.Webhooks)
    const store = Context.get(context, Store.Store)
    // Reads show the present: timers that fell due (on a TestClock moved meanwhile) run first.
    const current = <A>(read: Effect.Effect<A>) => Effect.zipRight(clock.runDue, read)
    return Core.of({
      app: Effect.provide(Router.app, context),
      baseUrl: options.baseUrl,
      assetUrl,
      render: (sr) => Render.fetched(sr, Render.everything, "en", assetUrl),
      now: current(clock.now),
      pendingTimers: clock.pending,
      advance: (by) => ("ms" in by ? clock.advance(by.ms) : clock.step(by.steps)),
      injectFault: faults.add,
      clearFaults: faults.clear,
      stats: current(Effect.provide(Control.snapshot, context)),
      serviceRequests: current(store.list),
      uploads: Effect.map(store.list, (srs) =>
        srs.flatMap((sr, order) =>
          HashMap.toEntries(sr.media).flatMap(([side, versions]) =>
            versions.map((media) => ({ upload: { ...media, sr: sr.uuid, side }, order }))
          )
        ).sort((a, b) =>
          a.upload.uploadedAt - b.upload.uploadedAt || a.order - b.order ||
          a.upload.side.localeCompare(b.upload.side) || a.upload.id - b.upload.id
        ).map(({ upload }): Upload =>
          upload
        )),
      exchanges: current(stats.exchanges),
      step: (sr) => Effect.zipRight(clock.runDue, lifecycle.step(sr)),
      transition: (sr, transition) => Effect.zipRight(clock.runDue, lifecycle.transition(sr, transition)),
      reset: Effect.provide(Control.resetAll, context),
      setWebhookUrl: (url) => webhooks.setUrl(Option.fromNullable(url)),
      webhookEvents: current(webhooks.events),
      webhookDeliveries: webhooks.deliveries
    })
  })

/**
 * The core as a Layer providing `Core`.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<Core> => Layer.scoped(Core, make(options))
