/**
 * The route table and the one request pipeline every route runs through:
 * due timers → stats → body (at most 1 MB) → faults (before) → auth → rate limit → handler → faults (after)
 * → headers → journal.
 */
import * as Route from "@effect-legitmark/schema/Route"
import type * as HttpMethod from "@effect/platform/HttpMethod"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type * as Faults from "../Faults.js"
import { Faults as FaultsTag } from "../Faults.js"
import type { Lifecycle } from "../Lifecycle.js"
import * as RateLimit from "../RateLimit.js"
import { SimClock } from "../SimClock.js"
import { Stats } from "../Stats.js"
import type { Store } from "../Store.js"
import type { Uploads } from "../Uploads.js"
import type { Webhooks } from "../Webhooks.js"
import * as Api from "./api.js"
import * as Control from "./control.js"
import * as Errors from "./errors.js"
import { BodyReader, json, language, LookupLag, RequestBody, ServerInfo } from "./http.js"
import * as Taxonomy from "./taxonomy.js"

/**
 * Who may call a route: the Partner API's access (`bearer` needs a valid key; `optional` checks a key only
 * when one is sent; `public` ignores keys), or `control`: no key, but a loopback caller.
 */
type Access = Route.Access | "control"

type Env =
  | Store
  | Lifecycle
  | Uploads
  | Webhooks
  | SimClock
  | Stats
  | FaultsTag
  | RateLimit.RateLimit
  | ServerInfo
  | RequestBody
  | HttpServerRequest.HttpServerRequest
  | HttpRouter.RouteContext

interface RouteDef {
  readonly id: string
  readonly method: HttpMethod.HttpMethod
  readonly path: `/${string}`
  readonly access: Access
  readonly handler: Effect.Effect<HttpServerResponse.HttpServerResponse, Errors.ApiError, Env>
}

const route = (
  id: string,
  method: HttpMethod.HttpMethod,
  path: `/${string}`,
  access: Access,
  handler: Handler
): RouteDef => ({ id, method, path, access, handler })

type Handler = Effect.Effect<HttpServerResponse.HttpServerResponse, Errors.ApiError, Env>

// The handler of every route of the Partner API: one missing is a compile error.
const apiHandlers: { readonly [Id in Route.Id]: Handler } = { ...Api.handlers, ...Taxonomy.handlers }

/**
 * Every route, with its id (usable in fault specs and stats): the Partner API's, as the shared route table
 * names them (the client's endpoints name the same), then the simulator's own.
 */
export const routes: ReadonlyArray<RouteDef> = [
  ...Object.values(Route.routes).map((api) => route(api.id, api.method, api.path, api.access, apiHandlers[api.id])),
  route("media.get", "GET", "/media/sr/:sr/:file", "public", Api.media),
  route("control.clock", "GET", "/__control/clock", "control", Control.clock),
  route("control.advance", "POST", "/__control/advance", "control", Control.advance),
  route("control.faults", "GET", "/__control/faults", "control", Control.listFaults),
  route("control.addFault", "POST", "/__control/faults", "control", Control.addFault),
  route("control.clearFaults", "DELETE", "/__control/faults", "control", Control.clearFaults),
  route("control.removeFault", "DELETE", "/__control/faults/:id", "control", Control.removeFault),
  route("control.stats", "GET", "/__control/stats", "control", Control.stats),
  route("control.reset", "POST", "/__control/reset", "control", Control.reset),
  route("control.webhooks", "GET", "/__control/webhooks", "control", Control.webhookLog),
  route("control.setWebhook", "PUT", "/__control/webhook", "control", Control.setWebhook)
]

const errorResponse = (error: Errors.ApiError) =>
  Effect.map(Effect.flatMap(SimClock, (clock) => clock.now), (now) =>
    json(Errors.body(error, now), error.status).pipe(
      HttpServerResponse.setHeaders(error.headers ?? {})
    ))

const isLoopback = (address: Option.Option<string>) =>
  Option.match(address, {
    onNone: () => false,
    onSome: (a) => a === "::1" || a.startsWith("127.") || a.startsWith("::ffff:127.")
  })

const pathPrefix = (url: string) => {
  const segment = url.split("?")[0]?.split("/")[1] ?? ""
  return `/${segment}`
}

/** Checks the Bearer key as the route's access asks; answers the key to rate-limit on, if any. */
const authenticate = (access: Access, header: string | undefined) =>
  Effect.gen(function*() {
    if (access === "public" || access === "control") return Option.none<string>()
    if (header === undefined) {
      return access === "optional" ? Option.none<string>() : yield* Errors.missingToken()
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (match === null || match[1] === undefined) {
      return yield* new Errors.ApiError({
        status: 401,
        message: "Authentication required",
        details: "authorization/malformed_token"
      })
    }
    const { apiKeys } = yield* ServerInfo
    const key = match[1]
    if (apiKeys.length > 0 && !apiKeys.includes(key)) return yield* Errors.invalidToken()
    return Option.some(key)
  })

const rateLimited = (decision: RateLimit.Decision) =>
  new Errors.ApiError({
    status: 429,
    message: "Rate limit exceeded",
    details: {
      limit_type: "partner_level",
      current_usage: decision.current,
      limit: decision.limit,
      reset_time: new Date(decision.resetAt).toISOString(),
      retry_after_seconds: decision.retryAfterSeconds
    },
    headers: { ...RateLimit.headers(decision), "Retry-After": String(decision.retryAfterSeconds) }
  })

/** No answer at all: each face drops the connection its own way (the socket, or a transport error). */
const dropConnection = Effect.fail(new Errors.ConnectionDropped())

const badGateway = HttpServerResponse.html(
  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
).pipe(HttpServerResponse.setStatus(502))

/** Faults that fire before the route runs (the server does not act), or with `after`, once it ran. */
const faultBefore = (spec: Faults.Spec) =>
  spec.after === true && isStatusFault(spec) ? Effect.succeed(Option.none()) : earlyAnswer(spec)

const isStatusFault = (spec: Faults.Spec) => spec.fault === "500" || spec.fault === "502" || spec.fault === "503"

/** What a fault answers in place of the route, if it does. */
const earlyAnswer = (spec: Faults.Spec) =>
  Effect.gen(function*() {
    const rateLimit = yield* RateLimit.RateLimit
    const now = yield* Effect.flatMap(SimClock, (clock) => clock.now)
    const retryAfter = spec.retryAfter ?? 1
    switch (spec.fault) {
      case "500":
        return Option.some(
          yield* errorResponse(new Errors.ApiError({ status: 500, message: "Internal server error" }))
        )
      case "502":
        return Option.some(badGateway)
      case "503":
        return Option.some(
          yield* errorResponse(
            new Errors.ApiError({
              status: 503,
              message: "Service temporarily unavailable",
              headers: { "Retry-After": String(retryAfter) }
            })
          )
        )
      case "429":
        return Option.some(
          yield* errorResponse(
            rateLimited({
              allowed: false,
              limit: rateLimit.options.limit,
              current: rateLimit.options.limit + 1,
              remaining: 0,
              resetAt: now + retryAfter * 1000,
              retryAfterSeconds: retryAfter
            })
          )
        )
      case "429-no-headers":
        return Option.some(
          yield* errorResponse(
            new Errors.ApiError({ status: 429, message: "Rate limit exceeded", details: "error/rate_limit_exceeded" })
          )
        )
      case "drop-before":
        return yield* dropConnection
      case "delay":
        yield* Effect.sleep(spec.ms ?? 1000)
        return Option.none()
      case "answer":
        return Option.some(yield* answer(spec))
      default:
        return Option.none()
    }
  })

/** A written-out answer: an error in the documented envelope, JSON, or a string sent as is. */
const answer = (spec: Faults.Spec) => {
  const status = spec.status ?? 500
  const headers = spec.headers ?? {}
  if (spec.error !== undefined) {
    return errorResponse(new Errors.ApiError({ ...spec.error, status, headers }))
  }
  return Effect.succeed(
    typeof spec.body === "string"
      ? HttpServerResponse.text(spec.body, { status, headers })
      : spec.body === undefined
      ? HttpServerResponse.empty({ status, headers })
      : HttpServerResponse.unsafeJson(spec.body, { status, headers })
  )
}

const corrupt = (response: HttpServerResponse.HttpServerResponse, mangle: (text: string) => string) => {
  const body = response.body
  const text = body._tag === "Uint8Array" ? new TextDecoder().decode(body.body) : "{}"
  return HttpServerResponse.text(mangle(text), {
    status: response.status,
    headers: response.headers,
    contentType: "application/json"
  })
}

/** Faults that fire after the route ran: the server acted, the client cannot tell. */
const faultAfter = (spec: Faults.Spec, response: HttpServerResponse.HttpServerResponse) => {
  if (spec.after === true && isStatusFault(spec)) {
    return Effect.map(earlyAnswer(spec), Option.getOrElse(() => response))
  }
  switch (spec.fault) {
    case "drop-after":
      return dropConnection
    case "malformed-json":
      return Effect.succeed(corrupt(response, (text) => `{'success': true, ${text.slice(1)}`))
    case "truncated-json":
      return Effect.succeed(corrupt(response, (text) => text.slice(0, Math.max(1, Math.floor(text.length / 2)))))
    default:
      return Effect.succeed(response)
  }
}

/** Records the exchange once the request is answered, dropped or abandoned. */
const journaled = (route: string) =>
<E, R>(
  self: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
) =>
  Effect.flatMap(
    HttpServerRequest.HttpServerRequest,
    (request) =>
      Effect.onExit(self, (exit) =>
        Effect.flatMap(Stats, (stats) =>
          stats.exchange({
            route,
            method: request.method,
            url: request.url,
            status: Exit.isSuccess(exit) ? exit.value.status : null
          })))
  )

/**
 * Runs `route` `ms` simulated milliseconds from now, in a timer of the simulator's clock rather than in
 * the request's fiber: a client that hangs up meanwhile does not stop it (the request's body was read
 * before). The answer goes to the request if it is still there.
 */
const held = <A, E, R>(route: Effect.Effect<A, E, R>, ms: number) =>
  Effect.gen(function*() {
    const clock = yield* SimClock
    const context = yield* Effect.context<R>()
    const done = yield* Deferred.make<A, E>()
    yield* clock.schedule(
      ms,
      Effect.flatMap(Effect.exit(Effect.provide(route, context)), (exit) => Deferred.done(done, exit))
    )
    return yield* Deferred.await(done)
  })

/** The body, read before the route runs; the upload route streams its own. */
const bodyOf = (def: RouteDef) => def.id === "media.upload" ? Effect.succeed("") : Effect.flatten(BodyReader)

const pipeline = (def: RouteDef) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const stats = yield* Stats
    const header = request.headers["authorization"]
    yield* stats.request({
      routeId: def.id,
      label: `${def.method} ${def.path}`,
      prefix: pathPrefix(request.url),
      host: request.headers["host"] ?? "",
      authorization: header !== undefined
    })
    const body = yield* Effect.either(bodyOf(def))
    if (Either.isLeft(body)) return yield* errorResponse(body.left)
    const handler = Effect.provideService(def.handler, RequestBody, body.right)

    if (def.access === "control") {
      if (!isLoopback(request.remoteAddress)) {
        return yield* errorResponse(
          new Errors.ApiError({ status: 403, message: "Control endpoints answer loopback callers only" })
        )
      }
      return yield* handler.pipe(Effect.catchTag("ApiError", errorResponse))
    }

    const fault = yield* Effect.flatMap(FaultsTag, (faults) =>
      faults.take({ id: def.id, label: `${def.method} ${def.path}` }))
    if (Option.isSome(fault)) {
      yield* stats.fault(fault.value.fault)
      const early = yield* faultBefore(fault.value)
      if (Option.isSome(early)) {
        return early.value
      }
    }

    const rateLimit = yield* RateLimit.RateLimit
    const lang = yield* language
    const routeRuns = Effect.gen(function*() {
      const key = yield* authenticate(def.access, header)
      if (Option.isNone(key)) {
        return { response: yield* handler, limits: {} }
      }
      const decision = yield* rateLimit.consume(key.value)
      const limits = RateLimit.headers(decision)
      if (!decision.allowed) {
        return yield* rateLimited(decision)
      }
      const response = yield* handler.pipe(
        Effect.catchTag("ApiError", (error) =>
          Effect.fail(Errors.withHeaders(error, limits)))
      )
      return { response, limits }
    }).pipe(
      Effect.catchTag("ApiError", (error) => Effect.map(errorResponse(error), (response) => ({ response, limits: {} })))
    )
    const answer = Option.isNone(fault) ?
      routeRuns :
      fault.value.fault === "hold" ?
      held(routeRuns, fault.value.ms ?? 1000) :
      fault.value.fault === "lagging-lookup" ?
      Effect.provideService(routeRuns, LookupLag, fault.value.ms ?? 30_000) :
      routeRuns
    const { limits, response } = yield* answer
    const final = yield* Option.match(fault, {
      onNone: () => Effect.succeed(response),
      onSome: (spec) => faultAfter(spec, response)
    })
    return final.pipe(
      HttpServerResponse.setHeaders(limits),
      HttpServerResponse.setHeader("Content-Language", lang)
    )
  }).pipe(
    // Whatever slips through (a defect in a handler) is a 500 in the documented shape, never a crash.
    Effect.catchAllDefect((defect) =>
      Effect.zipRight(
        Effect.logError("simulator route failed", defect),
        errorResponse(new Errors.ApiError({ status: 500, message: "Internal server error" }))
      )
    ),
    Effect.tap((response) => Effect.flatMap(Stats, (stats) => stats.status(response.status))),
    journaled(def.id)
  )

const notFound = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  const stats = yield* Stats
  yield* stats.request({
    routeId: "unmatched",
    label: "unmatched",
    prefix: pathPrefix(request.url),
    host: request.headers["host"] ?? "",
    authorization: request.headers["authorization"] !== undefined
  })
  yield* stats.status(404)
  return yield* errorResponse(
    new Errors.ApiError({
      status: 404,
      message: `No route for ${request.method} ${request.url.split("?")[0]}`,
      details: "route/not_found"
    })
  )
}).pipe(journaled("unmatched"))

/** The simulator as one HttpApp: timers that fell due run first, so every answer sees the present. */
export const app = Effect.zipRight(
  Effect.flatMap(SimClock, (clock) => clock.runDue),
  HttpRouter.fromIterable(
    routes.map((def) => HttpRouter.makeRoute(def.method, def.path, pipeline(def)))
  ).pipe(Effect.catchTag("RouteNotFound", () => notFound))
)
