/**
 * Fault injection: make chosen routes fail in the ways real networks and gateways do.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"

/**
 * What goes wrong:
 * - `500`, `502` (HTML body), `503` (with `Retry-After`), `429` (documented body and headers),
 *   `429-no-headers` (bare 429): answered before the route runs (the server did not act); with `after`,
 *   `500`, `502` and `503` replace the answer of a route that ran (the server acted);
 * - `drop-before`: the connection is destroyed before the route runs;
 * - `drop-after`: the route runs (an SR is created, …), then the connection is destroyed unanswered;
 * - `delay`: waits `ms` real milliseconds, then answers normally;
 * - `hold`: the route runs `ms` simulated milliseconds later (default 1000), whether or not the client
 *   is still waiting: a create held past the client's timeout still lands;
 * - `lagging-lookup`: on `sr.find`, SRs created less than `ms` simulated milliseconds ago (default
 *   30 000) are not found yet, as a lookup behind replicas or caches; no effect on other routes;
 * - `malformed-json`, `truncated-json`: the route runs, then the 200 body is broken JSON;
 * - `answer`: answers `status` with `headers`, and `body` (JSON, or a string sent as is) or `error` (in
 *   the documented error envelope), before the route runs: any error the API could give, written out.
 *
 * @since 0.1.0
 */
export const Kind = Schema.Literal(
  "500",
  "502",
  "503",
  "429",
  "429-no-headers",
  "drop-before",
  "drop-after",
  "delay",
  "hold",
  "lagging-lookup",
  "malformed-json",
  "truncated-json",
  "answer"
)

/**
 * @since 0.1.0
 */
export type Kind = typeof Kind.Type

/**
 * A fault to inject. `route` is a route id (`sr.create`), a method and path template
 * (`POST /api/v2/sr`, `GET /api/v2/sr/:uuid`) or `*`. Without `times` or `probability` it fires on
 * every matching request until cleared. `after` makes a `500`, `502` or `503` answer once the route ran.
 *
 * @since 0.1.0
 */
export const Spec = Schema.Struct({
  route: Schema.String,
  fault: Kind,
  times: Schema.optional(Schema.Int.pipe(Schema.positive())),
  probability: Schema.optional(Schema.Number.pipe(Schema.between(0, 1))),
  seed: Schema.optional(Schema.Int),
  ms: Schema.optional(Schema.Int.pipe(Schema.between(0, 60_000))),
  retryAfter: Schema.optional(Schema.Int.pipe(Schema.nonNegative())),
  status: Schema.optional(Schema.Int.pipe(Schema.between(100, 599))),
  headers: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  body: Schema.optional(Schema.Unknown),
  error: Schema.optional(Schema.Struct({
    message: Schema.String,
    details: Schema.optionalWith(
      Schema.Union(Schema.String, Schema.Record({ key: Schema.String, value: Schema.Unknown })),
      { exact: true }
    ),
    errors: Schema.optionalWith(Schema.Array(Schema.Struct({ code: Schema.String, message: Schema.String })), {
      exact: true
    })
  })),
  after: Schema.optional(Schema.Boolean)
})

/**
 * @since 0.1.0
 */
export type Spec = typeof Spec.Type

/**
 * A route as faults and stats see it.
 *
 * @since 0.1.0
 */
export interface RouteKey {
  readonly id: string
  /** `METHOD /template` */
  readonly label: string
}

interface Active {
  readonly id: string
  readonly spec: Spec
  readonly remaining: number | undefined
  readonly random: Random.Random
}

/**
 * @since 0.1.0
 */
export interface FaultsService {
  readonly add: (spec: Spec) => Effect.Effect<string>
  readonly remove: (id: string) => Effect.Effect<boolean>
  readonly clear: Effect.Effect<void>
  readonly list: Effect.Effect<ReadonlyArray<Spec & { readonly id: string; readonly remaining?: number }>>
  /** Decides whether a fault fires for this request (consuming one of its `times`). */
  readonly take: (route: RouteKey) => Effect.Effect<Option.Option<Spec>>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Faults extends Context.Tag("@effect-legitmark/simulator/Faults")<Faults, FaultsService>() {}

const matches = (spec: Spec, route: RouteKey) => {
  const wanted = spec.route.trim()
  if (wanted === "*" || wanted === route.id) return true
  const [method = "", path = ""] = wanted.split(/\s+/, 2)
  return `${method.toUpperCase()} ${path}` === route.label
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const active = yield* Ref.make<ReadonlyArray<Active>>([])
  const counter = yield* Ref.make(0)

  const add = (spec: Spec) =>
    Effect.gen(function*() {
      const id = `fault-${yield* Ref.getAndUpdate(counter, (n) => n + 1)}`
      yield* Ref.update(active, (as) => [
        ...as,
        { id, spec, remaining: spec.times, random: Random.make(spec.seed ?? 0) }
      ])
      return id
    })

  const take = (route: RouteKey) =>
    Effect.gen(function*() {
      for (const fault of yield* Ref.get(active)) {
        if (!matches(fault.spec, route)) continue
        if (fault.spec.probability !== undefined) {
          const draw = yield* fault.random.next
          if (draw >= fault.spec.probability) continue
        }
        if (fault.remaining !== undefined) {
          const left = fault.remaining - 1
          yield* Ref.update(active, (as) =>
            left <= 0
              ? as.filter((a) => a.id !== fault.id)
              : as.map((a) => (a.id === fault.id ? { ...a, remaining: left } : a)))
        }
        return Option.some(fault.spec)
      }
      return Option.none()
    })

  return Faults.of({
    add,
    remove: (id) => Ref.modify(active, (as) => [as.some((a) => a.id === id), as.filter((a) => a.id !== id)] as const),
    clear: Ref.set(active, []),
    list: Effect.map(
      Ref.get(active),
      (as) => as.map((a) => ({ ...a.spec, id: a.id, ...(a.remaining === undefined ? {} : { remaining: a.remaining }) }))
    ),
    take
  })
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Faults> = Layer.effect(Faults, make)
