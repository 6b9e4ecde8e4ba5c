/**
 * The taxonomy kept in memory, as the API docs recommend (the tree changes rarely; ~24 h): lookups of
 * categories, types and brands by name or UUID without a request each. After the time to live a caller
 * still gets the cached value at once while a refresh runs in the background; a failed refresh keeps the
 * previous value.
 *
 * @since 0.1.0
 */
import type * as Taxonomy from "@effect-legitmark/schema/Taxonomy"
import * as Cache from "effect/Cache"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import { LegitmarkClient } from "./LegitmarkClient.js"
import { NotFoundError } from "./LegitmarkError.js"

/**
 * The cache's types, merged with its Tag.
 *
 * @since 0.1.0
 */
export declare namespace TaxonomyCache {
  /**
   * @since 0.1.0
   */
  export interface Options {
    /** How long a fetched tree (or a type's brands) is fresh. Default 24 hours. */
    readonly timeToLive?: Duration.DurationInput
    /** `Accept-Language` of the cached answers; names are matched in this language. */
    readonly acceptLanguage?: LegitmarkClient.Language
  }

  /**
   * A lookup fails with `NotFoundError` when nothing has the name or UUID, or with what fetching the
   * tree (or the brands) failed with.
   *
   * @since 0.1.0
   */
  export type LookupError = LegitmarkClient.LookupError

  /**
   * Names are matched case-insensitively, ignoring surrounding spaces.
   *
   * @since 0.1.0
   */
  export interface Service {
    /** Every category with its types. */
    readonly tree: Effect.Effect<ReadonlyArray<Taxonomy.Category>, LegitmarkClient.ListError>
    readonly category: (name: string) => Effect.Effect<Taxonomy.Category, LookupError>
    readonly type: (categoryName: string, typeName: string) => Effect.Effect<Taxonomy.Type, LookupError>
    /**
     * A brand of a type. `type` is the type's UUID or its name (the first type of that name in the tree;
     * pass the UUID when several categories have a type of the same name).
     */
    readonly brand: (type: string, brandName: string) => Effect.Effect<Taxonomy.Brand, LookupError>
    readonly categoryByUuid: (uuid: string) => Effect.Effect<Taxonomy.Category, LookupError>
    readonly typeByUuid: (uuid: string) => Effect.Effect<Taxonomy.Type, LookupError>
  }
}

/**
 * @since 0.1.0
 */
export const defaultTimeToLive: Duration.Duration = Duration.hours(24)

// After a failed refresh the previous value is served, and a new refresh is tried after this long (or
// after the time to live, if shorter) rather than on every call.
const retryAfterFailure = Duration.minutes(1)

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const normalize = (s: string) => s.trim().toLowerCase()

const notFound = (message: string) => new NotFoundError({ status: 404, message })

interface Entry<A> {
  readonly value: A
  readonly staleAt: number
}

/**
 * A `Cache` that serves stale values while it refreshes them: entries never expire inside the `Cache`;
 * a read past `staleAt` forks `Cache.refresh` into `scope`, which keeps answering with the current
 * value until the lookup completes.
 */
const staleWhileRevalidate = <A, E extends { readonly _tag: string }>(options: {
  readonly lookup: (key: string) => Effect.Effect<A, E>
  readonly timeToLive: Duration.Duration
  readonly capacity: number
  readonly what: string
}): Effect.Effect<(key: string) => Effect.Effect<A, E>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const ttl = Duration.toMillis(options.timeToLive)
    const retry = Math.min(ttl, Duration.toMillis(retryAfterFailure))
    // The last value each key was fetched with, for when a refresh fails.
    const lastGood = yield* Ref.make(HashMap.empty<string, A>())
    const cache = yield* Cache.makeWith({
      capacity: options.capacity,
      lookup: (key: string) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          options.lookup(key).pipe(
            Effect.tap((value) => Ref.update(lastGood, HashMap.set(key, value))),
            Effect.map((value): Entry<A> => ({ value, staleAt: now + ttl })),
            Effect.catchAll((error) =>
              Effect.flatMap(Ref.get(lastGood), (values) =>
                Option.match(HashMap.get(values, key), {
                  onNone: () => Effect.fail(error),
                  onSome: (value) =>
                    Effect.logDebug("Legitmark: taxonomy refresh failed; serving the previous value").pipe(
                      Effect.annotateLogs({ cache: options.what, key, error: error._tag }),
                      Effect.as<Entry<A>>({ value, staleAt: now + retry })
                    )
                }))
            )
          )),
      // A failure is not kept (the next caller tries again); a success is replaced only by a refresh.
      timeToLive: Exit.match({ onFailure: () => Duration.zero, onSuccess: () => Duration.infinity })
    })
    return (key: string) =>
      cache.get(key).pipe(
        // `Cache` compares expiry with `>`: drop the failure now so that a retry at the same instant fetches.
        Effect.tapError(() => cache.invalidate(key)),
        Effect.tap((entry) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            now >= entry.staleAt
              // A refresh already running is joined by `Cache.refresh`, not repeated.
              ? Effect.asVoid(Effect.forkIn(Effect.ignore(cache.refresh(key)), scope))
              : Effect.void)
        ),
        Effect.map((entry) => entry.value)
      )
  })

/**
 * Builds the cache on the `LegitmarkClient` in context. Nothing is fetched until the first lookup;
 * background refreshes run in the given scope.
 *
 * @since 0.1.0
 */
export const make = (
  options: TaxonomyCache.Options = {}
): Effect.Effect<TaxonomyCache.Service, never, LegitmarkClient | Scope.Scope> =>
  Effect.gen(function*() {
    const client = yield* LegitmarkClient
    const timeToLive = Duration.decode(options.timeToLive ?? defaultTimeToLive)
    const call = options.acceptLanguage === undefined ? {} : { acceptLanguage: options.acceptLanguage }

    const getTree = yield* staleWhileRevalidate({
      lookup: () => client.taxonomy.tree(call),
      timeToLive,
      capacity: 1,
      what: "tree"
    })
    const getBrands = yield* staleWhileRevalidate({
      lookup: (typeUuid) => client.taxonomy.typeBrands(typeUuid, call),
      timeToLive,
      capacity: 1024,
      what: "typeBrands"
    })

    const tree = getTree("tree")
    const types = Effect.map(tree, (categories) => categories.flatMap((c) => c.types ?? []))

    const find = <A, E>(
      all: Effect.Effect<ReadonlyArray<A>, E>,
      predicate: (a: A) => boolean,
      missing: () => string
    ): Effect.Effect<A, E | NotFoundError> =>
      Effect.flatMap(all, (as) => {
        const found = as.find(predicate)
        return found === undefined ? Effect.fail(notFound(missing())) : Effect.succeed(found)
      })
    const named = (name: string) => (node: { readonly name: string }) => normalize(node.name) === normalize(name)
    const withUuid = (uuid: string) => (node: { readonly uuid: string }) => normalize(node.uuid) === normalize(uuid)

    const category = (name: string) => find(tree, named(name), () => `No category named "${name}"`)

    return {
      tree,
      category,
      type: (categoryName, typeName) =>
        find(
          Effect.map(category(categoryName), (c) => c.types ?? []),
          named(typeName),
          () => `No type named "${typeName}" in category "${categoryName}"`
        ),
      brand: (type, brandName) =>
        Effect.flatMap(
          uuidPattern.test(type.trim())
            ? Effect.succeed(normalize(type))
            : Effect.map(find(types, named(type), () => `No type named "${type}"`), (t) => normalize(t.uuid)),
          (typeUuid) =>
            find(getBrands(typeUuid), named(brandName), () => `No brand named "${brandName}" for type "${type}"`)
        ),
      categoryByUuid: (uuid) => find(tree, withUuid(uuid), () => `No category with UUID ${uuid}`),
      typeByUuid: (uuid) => find(types, withUuid(uuid), () => `No type with UUID ${uuid}`)
    }
  })

/**
 * The cache as a Layer on top of `LegitmarkClient`; background refreshes stop with the Layer.
 *
 * @since 0.1.0
 */
export const layer = (options: TaxonomyCache.Options = {}): Layer.Layer<TaxonomyCache, never, LegitmarkClient> =>
  Layer.scoped(TaxonomyCache, make(options))

/**
 * The cached taxonomy as a service: `yield* TaxonomyCache`, provided by `TaxonomyCache.layer()`.
 *
 * @since 0.1.0
 */
export class TaxonomyCache extends Context.Tag("@effect-legitmark/client/TaxonomyCache")<
  TaxonomyCache,
  TaxonomyCache.Service
>() {
  /** @since 0.1.0 */
  static readonly make = make
  /** @since 0.1.0 */
  static readonly layer = layer
}
