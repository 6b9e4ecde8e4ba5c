/**
 * The Legitmark Partner API simulator on a port: the simulator's `Core` served by `@effect/platform`'s
 * Node HttpServer (its HTTP face; `InProcessHttpClient` is the other one).
 *
 * @since 0.1.0
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { createServer } from "node:http"
import * as Core from "./Core.js"
import { type ApiError, invalid } from "./internal/errors.js"
import * as Http from "./internal/http.js"

/**
 * @since 0.1.0
 */
export interface Options extends Omit<Core.Options, "baseUrl" | "assetUrl"> {
  /** Port to listen on; 0 (the default) picks a free one. */
  readonly port?: number | undefined
  /** Interface to bind (default 127.0.0.1). Control endpoints answer loopback callers only. */
  readonly host?: string | undefined
}

/**
 * What `GET /__control/stats` answers.
 *
 * @since 0.1.0
 */
export type StatsSnapshot = Core.StatsSnapshot

/**
 * A running simulator and its control helpers.
 *
 * @since 0.1.0
 */
export interface SimulatorInfo extends Core.Controls {
  /** API host, e.g. `http://127.0.0.1:54321` (no trailing slash). */
  readonly baseUrl: string
  /** Asset host (intent, uploads, media): the same server. */
  readonly assetUrl: string
  readonly host: string
  readonly port: number
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
export const routes = Core.routes

const urlHost = (host: string) => (host.includes(":") ? `[${host}]` : host)

/** Destroys the connection without answering; the server fiber is interrupted when the socket closes. */
const dropConnection = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
  NodeHttpServerRequest.toIncomingMessage(request).socket.destroy()
  return Effect.never
})

/**
 * Reads a body on the Node server as the core's reader does, but stops by pausing the request rather than
 * destroying it: the 413 then reaches the client before the connection closes.
 */
const nodeBody = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
  if (Http.declaresTooLarge(request)) return Effect.fail(Http.tooLarge())
  const source = NodeHttpServerRequest.toIncomingMessage(request)
  return Effect.async<string, ApiError>((resume) => {
    const chunks: Array<Buffer> = []
    let size = 0
    const stop = () => {
      source.off("data", onData)
      source.off("end", onEnd)
      source.off("error", onError)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= Http.maxBodyBytes) return void chunks.push(chunk)
      stop()
      source.pause()
      resume(Effect.fail(Http.tooLarge()))
    }
    const onEnd = () => {
      stop()
      resume(Effect.succeed(Buffer.concat(chunks).toString("utf8")))
    }
    const onError = () => {
      stop()
      resume(Effect.fail(invalid("validation/invalid-body", "The request body could not be read.")))
    }
    source.on("data", onData)
    source.on("end", onEnd)
    source.on("error", onError)
    return Effect.sync(stop)
  })
})

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
    const { app, assetUrl, render: _, ...controls } = yield* Core.make({ ...options, baseUrl })
    yield* server.serve(
      Effect.catchTag(app, "ConnectionDropped", () => dropConnection).pipe(
        Effect.provideService(Http.BodyReader, nodeBody)
      )
    )
    yield* Effect.logDebug(`Legitmark simulator listening on ${baseUrl}`)
    return Simulator.of({ ...controls, baseUrl, assetUrl, host, port })
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
