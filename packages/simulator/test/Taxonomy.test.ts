import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { api, at, BAG, CROSSBODY, FOOTWEAR, layer, LUXURY, SIZE_TAG, SNEAKERS } from "./utils.js"

const CHANEL = "a472b4d9-7f44-11ef-9ad3-0288afec8b95"
const names = (json: unknown, key = "data") => (at(json, key) as ReadonlyArray<{ name: string }>).map((x) => x.name)

describe("taxonomy", () => {
  it.layer(layer())((it) => {
    it.effect("the tree nests types under categories and counts them", () =>
      Effect.gen(function*() {
        const answer = yield* api("GET", "/api/v2/categories/tree?activeOnly=true")
        assert.strictEqual(answer.status, 200)
        assert.strictEqual(at(answer.json, "category"), "SUCCESS")
        assert.isUndefined(at(answer.json, "success"))
        const footwear =
          (at(answer.json, "data") as ReadonlyArray<{ uuid: string; types: ReadonlyArray<{ name: string }> }>)
            .find((c) => c.uuid === FOOTWEAR)
        assert.deepStrictEqual(footwear?.types.map((t) => t.name), ["Sneakers", "Boots"])
        assert.strictEqual(at(answer.json, "metadata", "total_categories"), 3)
      }))

    it.effect("lists page, sort and search; activeOnly and active_only both filter", () =>
      Effect.gen(function*() {
        const page = yield* api("GET", "/api/v2/categories?page_number=2&page_size=1")
        assert.deepStrictEqual(names(page.json), ["Bag"])
        assert.deepStrictEqual(at(page.json, "metadata"), {
          total_count: 4,
          page_number: 2,
          total_pages: 4,
          page_size: 1
        })
        const sorted = yield* api("GET", "/api/v2/categories?sort_by=name&sort_direction=desc&activeOnly=true")
        assert.deepStrictEqual(names(sorted.json), ["Footwear", "Bag", "Accessories"])
        const snake = yield* api("GET", "/api/v2/categories?active_only=true")
        assert.strictEqual(at(snake.json, "metadata", "total_count"), 3)
        const search = yield* api("GET", "/api/v2/brands?search_query=jor")
        assert.deepStrictEqual(names(search.json), ["Air Jordan"])
        const sdkSearch = yield* api("GET", "/api/v2/brands?search=chan")
        assert.deepStrictEqual(names(sdkSearch.json), ["Chanel"])
      }))

    it.effect("bad paging parameters are 400s", () =>
      Effect.gen(function*() {
        for (
          const q of [
            "page_size=0",
            "page_size=101",
            "page_number=0",
            "page_number=x",
            "sort_direction=up",
            "sort_by=colour"
          ]
        ) {
          const answer = yield* api("GET", `/api/v2/categories?${q}`)
          assert.strictEqual(answer.status, 400, q)
          assert.isString(at(answer.json, "error", "errors", 0, "code"))
        }
      }))

    it.effect("Accept-Language localizes names and sets Content-Language", () =>
      Effect.gen(function*() {
        const zh = yield* api("GET", `/api/v2/categories/${FOOTWEAR}`, {
          headers: { "accept-language": "zh-CN,zh;q=0.9" }
        })
        assert.strictEqual(at(zh.json, "data", "name"), "鞋类")
        assert.strictEqual(zh.headers["content-language"], "zh")
        const ja = yield* api("GET", `/api/v2/sides/${SIZE_TAG}`, { headers: { "accept-language": "fr, ja;q=0.5" } })
        assert.strictEqual(at(ja.json, "data", "name"), "内側のサイズタグまたは刻印")
        const en = yield* api("GET", "/api/v2/reasons", { headers: { "accept-language": "de" } })
        assert.include(names(en.json), "Image is Blurry")
        assert.strictEqual(en.headers["content-language"], "en")
      }))

    it.effect("category types, types, a type with side details and brands", () =>
      Effect.gen(function*() {
        const ofBag = yield* api("GET", `/api/v2/categories/${BAG}/types?activeOnly=true`)
        assert.deepStrictEqual(names(ofBag.json), ["Crossbody", "Tote"])
        const all = yield* api("GET", "/api/v2/types?page_size=100")
        assert.strictEqual(at(all.json, "metadata", "total_count"), 6)
        const type = yield* api("GET", `/api/v2/types/${SNEAKERS}`)
        assert.strictEqual(at(type.json, "data", "name"), "Sneakers")
        assert.lengthOf(at(type.json, "data", "side_details") as ReadonlyArray<unknown>, 3)
        assert.include(names(at(type.json, "data"), "brands"), "Nike")
        const missing = yield* api("GET", "/api/v2/types/00000000-0000-4000-8000-000000000000")
        assert.strictEqual(missing.status, 404)
      }))

    it.effect("type brands honour include_inactive and include_counts", () =>
      Effect.gen(function*() {
        const active = yield* api("GET", `/api/v2/types/${SNEAKERS}/brands`)
        assert.deepStrictEqual(names(active.json), ["Nike", "Air Jordan", "Adidas"])
        const all = yield* api("GET", `/api/v2/types/${SNEAKERS}/brands?include_inactive=true&include_counts=true`)
        assert.include(names(all.json), "Yeezy")
        assert.strictEqual(at(all.json, "data", 0, "model_count"), 2)
      }))

    it.effect("models answer under `models` and filter by brand, type and category", () =>
      Effect.gen(function*() {
        const chanel = yield* api("GET", `/api/v2/models?brand_uuid=${CHANEL}&type_uuid=${CROSSBODY}`)
        assert.strictEqual(at(chanel.json, "success"), true)
        assert.isUndefined(at(chanel.json, "data"))
        assert.deepStrictEqual(names(chanel.json, "models"), ["Boy Bag", "Classic Flap Bag"])
        assert.strictEqual(at(chanel.json, "models", 0, "brand", "name"), "Chanel")
        const footwear = yield* api("GET", `/api/v2/models?category_uuid=${FOOTWEAR}&page_size=2`)
        assert.strictEqual(at(footwear.json, "metadata", "total_count"), 5)
        assert.lengthOf(at(footwear.json, "models") as ReadonlyArray<unknown>, 2)
      }))

    it.effect("services list and get; sides list", () =>
      Effect.gen(function*() {
        const list = yield* api("GET", "/api/services")
        assert.include(names(list.json), "Luxury Authentication")
        const one = yield* api("GET", `/api/services/${LUXURY}`)
        assert.strictEqual(at(one.json, "service", "uuid"), LUXURY)
        const sides = yield* api("GET", "/api/v2/sides?search_query=box")
        assert.deepStrictEqual(names(sides.json), ["Box Label"])
      }))
  })
})
