/**
 * What the simulator received, for tests to assert on (`GET /__control/stats`).
 *
 * @since 0.1.0
 */
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"

/**
 * How many requests arrived with and without an `Authorization` header.
 *
 * @since 0.1.0
 */
export interface AuthCount {
  readonly with: number
  readonly without: number
}

/**
 * @since 0.1.0
 */
export interface Counters {
  /** Requests per route label (`POST /api/v2/sr`); `unmatched` for unknown paths. */
  readonly requests: Readonly<Record<string, number>>
  /** Requests per route id (`sr.create`). */
  readonly routes: Readonly<Record<string, number>>
  /** Answers per status code. */
  readonly statuses: Readonly<Record<string, number>>
  /** Authorization header seen, per path prefix (`/api`, `/intent`, `/upload`, …). */
  readonly authorization: Readonly<Record<string, AuthCount>>
  /** Authorization header seen, per `Host` header. */
  readonly hosts: Readonly<Record<string, AuthCount>>
  /** Faults fired, per kind. */
  readonly faults: Readonly<Record<string, number>>
  /** Photos stored. */
  readonly uploads: number
  /** Photo uploads (PUT to a presigned URL) that carried an Authorization header: should stay 0. */
  readonly uploadsWithAuthorization: number
  /** Submits the server acted on (the SR moved out of DRAFT or QC/REJECTED), per SR uuid. */
  readonly submits: Readonly<Record<string, number>>
}

/**
 * @since 0.1.0
 */
export interface Request {
  readonly routeId: string
  readonly label: string
  readonly prefix: string
  readonly host: string
  readonly authorization: boolean
}

/**
 * One request as the simulator handled it, for tests to read back (`Core.exchanges`).
 *
 * @since 0.1.0
 */
export interface Exchange {
  /** The route id (`sr.create`), or `unmatched`. */
  readonly route: string
  readonly method: string
  /** Path and query as received. */
  readonly url: string
  /** The status answered, or null when the connection was dropped (or the request abandoned). */
  readonly status: number | null
}

/**
 * How many exchanges the journal keeps (the oldest are forgotten first).
 *
 * @since 0.1.0
 */
export const journalSize = 10_000

/**
 * @since 0.1.0
 */
export interface StatsService {
  readonly request: (request: Request) => Effect.Effect<void>
  readonly status: (status: number) => Effect.Effect<void>
  readonly fault: (kind: string) => Effect.Effect<void>
  readonly upload: (authorization: boolean) => Effect.Effect<void>
  /** Counts a submit the server acted on. */
  readonly submit: (sr: string) => Effect.Effect<void>
  /** Records a request once it is answered (or dropped). */
  readonly exchange: (exchange: Exchange) => Effect.Effect<void>
  readonly counters: Effect.Effect<Counters>
  /** The last {@link journalSize} exchanges, oldest first. */
  readonly exchanges: Effect.Effect<ReadonlyArray<Exchange>>
  readonly reset: Effect.Effect<void>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Stats extends Context.Tag("@effect-legitmark/simulator/Stats")<Stats, StatsService>() {}

const empty: Counters = {
  requests: {},
  routes: {},
  statuses: {},
  authorization: {},
  hosts: {},
  faults: {},
  uploads: 0,
  uploadsWithAuthorization: 0,
  submits: {}
}

const bump = (record: Readonly<Record<string, number>>, key: string) => ({ ...record, [key]: (record[key] ?? 0) + 1 })

const bumpAuth = (record: Readonly<Record<string, AuthCount>>, key: string, authorization: boolean) => {
  const current = record[key] ?? { with: 0, without: 0 }
  return {
    ...record,
    [key]: authorization ? { ...current, with: current.with + 1 } : { ...current, without: current.without + 1 }
  }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const ref = yield* Ref.make(empty)
  const journal = yield* Ref.make(Chunk.empty<Exchange>())
  return Stats.of({
    request: (r) =>
      Ref.update(ref, (c) => ({
        ...c,
        requests: bump(c.requests, r.label),
        routes: bump(c.routes, r.routeId),
        authorization: bumpAuth(c.authorization, r.prefix, r.authorization),
        hosts: bumpAuth(c.hosts, r.host, r.authorization)
      })),
    status: (status) => Ref.update(ref, (c) => ({ ...c, statuses: bump(c.statuses, String(status)) })),
    fault: (kind) => Ref.update(ref, (c) => ({ ...c, faults: bump(c.faults, kind) })),
    upload: (authorization) =>
      Ref.update(ref, (c) => ({
        ...c,
        uploads: c.uploads + 1,
        uploadsWithAuthorization: c.uploadsWithAuthorization + (authorization ? 1 : 0)
      })),
    submit: (sr) => Ref.update(ref, (c) => ({ ...c, submits: bump(c.submits, sr) })),
    exchange: (e) =>
      Ref.update(
        journal,
        (es) => Chunk.size(es) < journalSize ? Chunk.append(es, e) : Chunk.append(Chunk.drop(es, 1), e)
      ),
    counters: Ref.get(ref),
    exchanges: Effect.map(Ref.get(journal), Chunk.toReadonlyArray),
    reset: Effect.zipRight(Ref.set(ref, empty), Ref.set(journal, Chunk.empty()))
  })
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Stats> = Layer.effect(Stats, make)
