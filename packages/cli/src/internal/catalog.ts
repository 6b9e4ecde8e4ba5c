/**
 * Names on the command line resolved through the taxonomy: a category, type or brand by name
 * (case-insensitive) or uuid; the sides an item of a category and type is photographed from.
 */
import { LegitmarkClient } from "@effect-legitmark/client/LegitmarkClient"
import type * as Taxonomy from "@effect-legitmark/schema/Taxonomy"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { CliError } from "../CliError.js"
import * as Failure from "./failure.js"

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase()

const pick = <A extends { readonly uuid: string; readonly name: string }>(
  what: string,
  query: string,
  candidates: ReadonlyArray<A>,
  where = ""
): Effect.Effect<A, CliError> => {
  const found = candidates.find((c) => same(c.uuid, query)) ?? candidates.find((c) => same(c.name, query))
  if (found !== undefined) return Effect.succeed(found)
  const known = candidates.length === 0 ?
    ` (legitmark taxonomy ${what === "brand" ? "brands" : "tree"} lists them)` :
    `; known: ${candidates.map((c) => c.name).join(", ")}`
  return Effect.fail(Failure.input(`unknown ${what} "${query}"${where}${known}`))
}

/** The category, and the type within it, that an item belongs to. */
export interface ItemKind {
  readonly category: Taxonomy.Category
  readonly type: Taxonomy.Type
}

/** Reads the tree once and finds the category, then the type among the category's types. */
export const itemKind = (category: string, type: string) =>
  Effect.gen(function*() {
    const client = yield* LegitmarkClient
    const tree = yield* client.taxonomy.tree()
    const foundCategory = yield* pick("category", category, tree)
    const foundType = yield* pick("type", type, foundCategory.types ?? [], ` in ${foundCategory.name}`)
    return { category: foundCategory, type: foundType } satisfies ItemKind
  })

/** A type by name or uuid across every category, optionally within one. */
export const type = (query: string, category?: string) =>
  Effect.gen(function*() {
    const client = yield* LegitmarkClient
    const tree = yield* client.taxonomy.tree()
    const categories = category === undefined ? tree : [yield* pick("category", category, tree)]
    const types = categories.flatMap((c) => c.types ?? [])
    const matches = types.filter((t) => same(t.uuid, query) || same(t.name, query))
    if (matches.length > 1) {
      return yield* Failure.input(`type "${query}" is in several categories; add --category`)
    }
    return yield* pick("type", query, types)
  })

/** A category by name or uuid. */
export const category = (query: string) =>
  Effect.gen(function*() {
    const client = yield* LegitmarkClient
    return yield* pick("category", query, yield* client.taxonomy.tree())
  })

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A brand by uuid, or by name through the server's search (whose near misses are offered). */
export const brand = (query: string) =>
  Effect.gen(function*() {
    const client = yield* LegitmarkClient
    const byUuid = uuidPattern.test(query.trim())
    const brands = yield* Stream.runCollect(
      client.taxonomy.streamBrands(byUuid ? { pageSize: 100 } : { search: query.trim(), pageSize: 100 })
    )
    return yield* pick("brand", query, Chunk.toReadonlyArray(brands))
  })

/**
 * The sides an item of this kind is photographed from: the category's and the type's, in that order,
 * as the server lists them (names, and whether each is required).
 */
export const sides = (kind: ItemKind) =>
  Effect.gen(function*() {
    const client = yield* LegitmarkClient
    // The tree may leave out the side lists; the single category and type carry them.
    const categorySides = kind.category.sides ?? (yield* client.taxonomy.category(kind.category.uuid)).sides ?? []
    const typeSides = kind.type.sides ?? (yield* client.taxonomy.type(kind.type.uuid)).sides ?? []
    const wanted = [...new Set([...categorySides, ...typeSides].map((uuid) => uuid.toLowerCase()))]
    if (wanted.length === 0) return []
    const pending = new Set(wanted)
    const found = yield* client.taxonomy.streamSides({ pageSize: 100 }).pipe(
      Stream.filter((side) => pending.has(side.uuid.toLowerCase())),
      Stream.tap((side) => Effect.sync(() => pending.delete(side.uuid.toLowerCase()))),
      // Stop paging once every side is found.
      Stream.takeUntil(() => pending.size === 0),
      Stream.runCollect
    )
    const byUuid = new Map(Chunk.toReadonlyArray(found).map((side) => [side.uuid.toLowerCase(), side] as const))
    return wanted.flatMap((uuid) => {
      const side = byUuid.get(uuid)
      return side === undefined ? [] : [side]
    })
  })
