import { describe, expectTypeOf, it } from "@effect/vitest"
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import type { LegitmarkClient } from "../src/LegitmarkClient.js"
import type * as E from "../src/LegitmarkError.js"
import type { TaxonomyCache } from "../src/TaxonomyCache.js"

type Methods = LegitmarkClient.Taxonomy
type EffectKeys = { [K in keyof Methods]: ReturnType<Methods[K]> extends Effect.Effect<unknown, unknown> ? K : never }[
  keyof Methods
]
type StreamKeys = Exclude<keyof Methods, EffectKeys>
type ErrorOf<K extends EffectKeys> = Effect.Effect.Error<ReturnType<Methods[K]>>
type StreamErrorOf<K extends StreamKeys> = Stream.Stream.Error<ReturnType<Methods[K]>>
type EffectOf<T> = T extends (...args: ReadonlyArray<never>) => infer R ? R : T
type CacheErrorOf<K extends keyof TaxonomyCache.Service> = EffectOf<TaxonomyCache.Service[K]> extends
  Effect.Effect<unknown, infer E> ? E
  : never

type Common =
  | E.AuthenticationError
  | E.RateLimitError
  | E.ServerError
  | E.TransportError
  | E.TimeoutError
  | E.UnexpectedResponseError

// These checks run in `pnpm check` (tsc); the runtime assertions are trivially true.
describe("taxonomy: exact error unions", () => {
  it("lists cannot be not-found, a validation error or a conflict", () => {
    expectTypeOf<
      ErrorOf<"tree" | "categories" | "types" | "brands" | "models" | "services" | "sides" | "reasons">
    >().toEqualTypeOf<E.InvalidRequestError | Common>()
  })

  it("lookups by UUID can be not-found", () => {
    expectTypeOf<ErrorOf<"category" | "categoryTypes" | "type" | "typeBrands" | "service" | "side">>()
      .toEqualTypeOf<E.InvalidRequestError | E.NotFoundError | Common>()
  })

  it("streams fail as their lists do", () => {
    expectTypeOf<StreamKeys>().toEqualTypeOf<
      "streamCategories" | "streamTypes" | "streamBrands" | "streamModels" | "streamSides"
    >()
    expectTypeOf<StreamErrorOf<StreamKeys>>().toEqualTypeOf<E.InvalidRequestError | Common>()
  })

  it("never leaks HttpClientError or ParseError", () => {
    expectTypeOf<ErrorOf<EffectKeys> | StreamErrorOf<StreamKeys>>().toExtend<E.LegitmarkError>()
  })
})

describe("TaxonomyCache: exact error unions", () => {
  it("the tree fails as the tree call does", () => {
    expectTypeOf<CacheErrorOf<"tree">>().toEqualTypeOf<E.InvalidRequestError | Common>()
  })

  it("lookups by name or UUID add NotFoundError", () => {
    expectTypeOf<CacheErrorOf<"category" | "type" | "brand" | "categoryByUuid" | "typeByUuid">>()
      .toEqualTypeOf<E.InvalidRequestError | E.NotFoundError | Common>()
  })
})

describe("taxonomy: options", () => {
  it("streams take no pageNumber", () => {
    type Options = NonNullable<Parameters<Methods["streamCategories"]>[0]>
    expectTypeOf({ pageSize: 20, activeOnly: true } as const).toExtend<Options>()
    expectTypeOf<"pageNumber">().not.toExtend<keyof Options>()
  })

  it("sortDirection is asc or desc", () => {
    type Options = NonNullable<Parameters<Methods["brands"]>[0]>
    expectTypeOf({ sortDirection: "asc" } as const).toExtend<Options>()
    expectTypeOf({ sortDirection: "up" } as const).not.toExtend<Options>()
  })
})
