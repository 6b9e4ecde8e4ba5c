/**
 * The Legitmark Partner API simulator: a stateful in-memory server on `@effect/platform`'s HttpServer.
 *
 * @since 0.1.0
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { createServer } from "node:http"
import * as Faults from "./Faults.js"
import * as Control from "./internal/control.js"
import { ServerInfo } from "./internal/http.js"
import * as Router from "./internal/router.js"
import * as Lifecycle from "./Lifecycle.js"
import * as RateLimit from "./RateLimit.js"
import * as SimClock from "./SimClock.js"
import * as Stats from "./Stats.js"
import * as Store from "./Store.js"
import * as Uploads from "./Uploads.js"
import * as Webhooks from "./Webhooks.js"

/**
 * @since 0.1.0
 */
export interface Options {
  /** Port to listen on; 0 (the default) picks a free one. */
  readonly port?: number | undefined
  /** Interface to bind (default 127.0.0.1). Control endpoints answer loopback callers only. */
  readonly host?: string | undefined
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
  /** `real` (default): time flows, scaled by `speed`; `manual`: time moves only via `advance`. */
  readonly clock?: SimClock.Mode | undefined
  /** Seed for generated SR uuids (default 0). */
  readonly seed?: number | undefined
  /** Simulated milliseconds between two SR transitions (default 60 000). */
  readonly stepMs?: number | undefined
  /** Simulated epoch milliseconds at start (default: now). */
  readonly startTime?: number | undefined
}

/**
 * What `GET /__control/stats` answers.
 *
 * @since 0.1.0
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
 * A running simulator and its control helpers.
 *
 * @since 0.1.0
 */
export interface SimulatorInfo {
  /** API host, e.g. `http://127.0.0.1:54321` (no trailing slash). */
  readonly baseUrl: string
  /** Asset host (intent, uploads, media): the same server. */
  readonly assetUrl: string
  readonly host: string
  readonly port: number
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
  /** Forgets SRs, uploads, faults, counters, rate-limit windows, webhook logs and pending timers. */
  readonly reset: Effect.Effect<void>
  readonly setWebhookUrl: (url: string | null) => Effect.Effect<void>
  /** Every webhook event emitted so far (delivered or not). */
  readonly webhookEvents: Effect.Effect<ReadonlyArray<Webhooks.Event>>
  readonly webhookDeliveries: Effect.Effect<ReadonlyArray<Webhooks.Delivery>>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Simulator extends Context.Tag("@effect-legitmark/simulator/Simulator")<Simulator, SimulatorInfo>() {}

/**
 * Every route: its id (usable as a fault's `route`, and counted in stats), method and path template.
 *
 * @since 0.1.0
 */
export const routes: ReadonlyArray<{ readonly id: string; readonly method: string; readonly path: string }> = Router
  .routes.map(({ id, method, path }) => ({ id, method, path }))

const urlHost = (host: string) => (host.includes(":") ? `[${host}]` : host)

/**
 * Starts a simulator for the lifetime of the scope.
 *
 * @example
 * ```ts
 * import { Simulator } from "@effect-legitmark/simulator"
 * import { Effect } from "effect"
 *
 * // The server lives as long as the scope; point LegitmarkClient at `baseUrl` and `assetUrl`.
 * export const program = Effect.scoped(Effect.gen(function*() {
 *   const sim = yield* Simulator.start({ clock: "manual", apiKeys: ["leo_test"] })
 *   yield* Effect.log(`simulator at ${sim.baseUrl}`)
 *   yield* sim.advance({ steps: 1 })
 * }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const start = (
  options: Options = {}
): Effect.Effect<SimulatorInfo, HttpServerError.ServeError, Scope.Scope> =>
  Effect.gen(function*() {
    const host = options.host ?? "127.0.0.1"
    const server = yield* NodeHttpServer.make(() => createServer(), { port: options.port ?? 0, host })
    const port = server.address._tag === "TcpAddress" ? server.address.port : 0
    const baseUrl = `http://${urlHost(host)}:${port}`

    const state = Layer.mergeAll(
      Store.layer({ seed: options.seed }),
      RateLimit.layer(options.rateLimit ?? {}),
      Faults.layer,
      Stats.layer,
      Webhooks.layer({ url: options.webhookUrl, secret: options.webhookSecret }).pipe(
        Layer.provide(FetchHttpClient.layer)
      )
    )
    const services = Layer.mergeAll(Uploads.layer, Lifecycle.layer({ stepMs: options.stepMs })).pipe(
      Layer.provideMerge(state),
      Layer.provideMerge(
        SimClock.layer({ mode: options.clock, speed: options.speed, start: options.startTime })
      ),
      Layer.provideMerge(Layer.succeed(ServerInfo, { baseUrl, assetUrl: baseUrl, apiKeys: options.apiKeys ?? [] }))
    )
    const context = yield* Layer.build(services)
    yield* server.serve(Effect.provide(Router.app, context))
    yield* Effect.logDebug(`Legitmark simulator listening on ${baseUrl}`)

    const clock = Context.get(context, SimClock.SimClock)
    const faults = Context.get(context, Faults.Faults)
    const webhooks = Context.get(context, Webhooks.Webhooks)
    return Simulator.of({
      baseUrl,
      assetUrl: baseUrl,
      host,
      port,
      now: clock.now,
      pendingTimers: clock.pending,
      advance: (by) => ("ms" in by ? clock.advance(by.ms) : clock.step(by.steps)),
      injectFault: faults.add,
      clearFaults: faults.clear,
      stats: Effect.provide(Control.snapshot, context),
      serviceRequests: Context.get(context, Store.Store).list,
      reset: Effect.provide(Control.resetAll, context),
      setWebhookUrl: (url) => webhooks.setUrl(Option.fromNullable(url)),
      webhookEvents: webhooks.events,
      webhookDeliveries: webhooks.deliveries
    })
  }).pipe(
    // The server and its background fibers run on the wall clock even when started under a test clock
    // (simulated time is only ever read from SimClock); `withClock` keeps the caller's clock untouched.
    Effect.withClock(Clock.make())
  )

/**
 * The simulator as a Layer providing `Simulator`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Simulator, HttpServerError.ServeError> =>
  Layer.scoped(Simulator, start(options))
