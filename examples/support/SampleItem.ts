/**
 * The item every example authenticates, taken from the server's own taxonomy so the examples run
 * against any Legitmark server: Footwear → Sneakers when it has them, else the first category that has
 * a type.
 */
import { LegitmarkClient } from "@effect-legitmark/client"
import * as Effect from "effect/Effect"

const named = (name: string) => (node: { readonly name: string }) => node.name.toLowerCase() === name

export const chooseItem = Effect.gen(function*() {
  const tree = yield* (yield* LegitmarkClient).taxonomy.tree()
  const category = tree.find(named("footwear")) ?? tree.find((c) => (c.types?.length ?? 0) > 0)
  const type = category?.types?.find(named("sneakers")) ?? category?.types?.[0]
  if (category === undefined || type === undefined) {
    return yield* Effect.dieMessage("The server's taxonomy has no category with a type")
  }
  return { category, type }
})
