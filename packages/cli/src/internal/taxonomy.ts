/**
 * `legitmark taxonomy tree | brands | models`: the catalog as tables, or as the API's JSON.
 */
import { LegitmarkClient } from "@effect-legitmark/client/LegitmarkClient"
import * as Taxonomy from "@effect-legitmark/schema/Taxonomy"
import * as Chunk from "effect/Chunk"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Catalog from "./catalog.js"
import * as Render from "./render.js"

const yesNo = (active: boolean | undefined) => active === false ? "no" : "yes"

const encodeCategories = Schema.encodeSync(Schema.Array(Taxonomy.Category))
const encodeBrands = Schema.encodeSync(Schema.Array(Taxonomy.Brand))
const encodeModels = Schema.encodeSync(Schema.Array(Taxonomy.Model))

export const tree = (input: { readonly activeOnly: boolean; readonly json: boolean }) =>
  Effect.gen(function*() {
    const client = yield* LegitmarkClient
    const categories = yield* client.taxonomy.tree(input.activeOnly ? { activeOnly: true } : {})
    if (input.json) return yield* Console.log(Render.json(encodeCategories(categories)))
    const rows = categories.flatMap((category) => [
      [category.name, "", yesNo(category.active), category.uuid],
      ...(category.types ?? []).map((type) => ["", type.name, yesNo(type.active), type.uuid])
    ])
    yield* Console.log(Render.table(["CATEGORY", "TYPE", "ACTIVE", "UUID"], rows))
  })

export interface BrandsInput {
  readonly type: Option.Option<string>
  readonly category: Option.Option<string>
  readonly search: Option.Option<string>
  readonly json: boolean
}

export const brands = (input: BrandsInput) =>
  Effect.gen(function*() {
    const client = yield* LegitmarkClient
    const brands = yield* Option.match(input.type, {
      // A type's brands, with how many models each has.
      onSome: (query) =>
        Effect.flatMap(
          Catalog.type(query, Option.getOrUndefined(input.category)),
          (type) => client.taxonomy.typeBrands(type.uuid, { includeCounts: true })
        ),
      onNone: () =>
        Effect.map(
          Stream.runCollect(client.taxonomy.streamBrands({
            pageSize: 100,
            ...Option.match(input.search, { onNone: () => ({}), onSome: (search) => ({ search }) })
          })),
          Chunk.toReadonlyArray
        )
    })
    if (input.json) return yield* Console.log(Render.json(encodeBrands(brands)))
    const counts = brands.some((brand) => brand.model_count !== undefined)
    const rows = brands.map((brand) => [
      brand.name,
      ...(counts ? [String(brand.model_count ?? "")] : []),
      yesNo(brand.active),
      brand.uuid
    ])
    yield* Console.log(Render.table(["BRAND", ...(counts ? ["MODELS"] : []), "ACTIVE", "UUID"], rows))
  })

export interface ModelsInput {
  readonly brand: Option.Option<string>
  readonly type: Option.Option<string>
  readonly category: Option.Option<string>
  readonly search: Option.Option<string>
  readonly json: boolean
}

export const models = (input: ModelsInput) =>
  Effect.gen(function*() {
    const client = yield* LegitmarkClient
    const brand = yield* Effect.transposeMapOption(input.brand, Catalog.brand)
    const type = yield* Effect.transposeMapOption(input.type, (t) =>
      Catalog.type(t, Option.getOrUndefined(input.category)))
    const category = Option.isSome(type)
      ? Option.none()
      : yield* Effect.transposeMapOption(input.category, Catalog.category)
    const models = yield* Stream.runCollect(client.taxonomy.streamModels({
      pageSize: 100,
      ...Option.match(brand, { onNone: () => ({}), onSome: (b) => ({ brandUuid: b.uuid }) }),
      ...Option.match(type, { onNone: () => ({}), onSome: (t) => ({ typeUuid: t.uuid }) }),
      ...Option.match(category, { onNone: () => ({}), onSome: (c) => ({ categoryUuid: c.uuid }) }),
      ...Option.match(input.search, { onNone: () => ({}), onSome: (search) => ({ search }) })
    })).pipe(Effect.map(Chunk.toReadonlyArray))
    if (input.json) {
      return yield* Console.log(Render.json(encodeModels(models)))
    }
    const rows = models.map((model) => [
      model.name,
      model.brand?.name ?? "",
      model.type?.name ?? "",
      model.category?.name ?? "",
      model.uuid
    ])
    yield* Console.log(Render.table(["MODEL", "BRAND", "TYPE", "CATEGORY", "UUID"], rows))
  })
