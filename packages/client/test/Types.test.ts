import { describe, expectTypeOf, it } from "@effect/vitest"
import type * as Effect from "effect/Effect"
import type { LegitmarkClient } from "../src/LegitmarkClient.js"
import type * as E from "../src/LegitmarkError.js"

type Methods = LegitmarkClient.Service["serviceRequests"]
type ErrorOf<K extends keyof Methods> = Effect.Effect.Error<ReturnType<Methods[K]>>

type Common =
  | E.AuthenticationError
  | E.RateLimitError
  | E.ServerError
  | E.TransportError
  | E.TimeoutError
  | E.UnexpectedResponseError

// These checks run in `pnpm check` (tsc); the runtime assertions are trivially true.
describe("exact error unions", () => {
  it("create cannot be not-found, and may be in doubt", () => {
    expectTypeOf<ErrorOf<"create">>().toEqualTypeOf<
      E.InvalidRequestError | E.ValidationError | E.ConflictError | E.InDoubtError | Common
    >()
  })

  it("get cannot be a validation error or a conflict", () => {
    expectTypeOf<ErrorOf<"get">>().toEqualTypeOf<E.InvalidRequestError | E.NotFoundError | Common>()
  })

  it("submit can be all of them", () => {
    expectTypeOf<ErrorOf<"submit">>().toEqualTypeOf<
      E.InvalidRequestError | E.ValidationError | E.NotFoundError | E.ConflictError | Common
    >()
  })

  it("the reads of an SR can be not-found, and nothing else of their own", () => {
    expectTypeOf<ErrorOf<"sideGroups">>().toEqualTypeOf<E.InvalidRequestError | E.NotFoundError | Common>()
    expectTypeOf<ErrorOf<"progress">>().toEqualTypeOf<E.InvalidRequestError | E.NotFoundError | Common>()
    expectTypeOf<ErrorOf<"find">>().toEqualTypeOf<E.InvalidRequestError | E.NotFoundError | Common>()
  })

  it("media: the intent can be refused or not found; a PUT only refused", () => {
    type Media = LegitmarkClient.Service["media"]
    expectTypeOf<Effect.Effect.Error<ReturnType<Media["intent"]>>>().toEqualTypeOf<
      E.InvalidRequestError | E.ValidationError | E.NotFoundError | Common
    >()
    expectTypeOf<Effect.Effect.Error<ReturnType<Media["upload"]>>>().toEqualTypeOf<
      E.InvalidRequestError | E.ValidationError | E.NotFoundError | Common
    >()
    expectTypeOf<Effect.Effect.Error<ReturnType<Media["put"]>>>().toEqualTypeOf<
      E.InvalidRequestError | E.ValidationError | Common
    >()
  })

  it("never leaks HttpClientError or ParseError", () => {
    expectTypeOf<ErrorOf<keyof Methods>>().toExtend<E.LegitmarkError>()
  })
})

describe("get's include flags", () => {
  type Include = NonNullable<Parameters<Methods["get"]>[1]>

  it("allows the dependent flags only with what they depend on", () => {
    expectTypeOf({ summary: true } as const).toExtend<Include>()
    expectTypeOf({ item: true, sides: true, requirements: true } as const).toExtend<Include>()
    expectTypeOf({ item: true } as const).toExtend<Include>()
    expectTypeOf({ sides: true } as const).not.toExtend<Include>()
    expectTypeOf({ item: true, requirements: true } as const).not.toExtend<Include>()
    expectTypeOf({ item: false, sides: true } as const).not.toExtend<Include>()
  })
})
