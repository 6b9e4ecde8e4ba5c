import { assert } from "@effect/vitest"

/** Asserts an error's tag and narrows its type to that error. */
export function assertTag<E extends { readonly _tag: string }, T extends E["_tag"]>(
  error: E,
  tag: T
): asserts error is Extract<E, { readonly _tag: T }> {
  assert.strictEqual(error._tag, tag)
}
