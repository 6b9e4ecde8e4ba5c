/**
 * JSON as it comes from a peer: objects whose keys can never reach a prototype, and a bound on nesting.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * A key of a JSON object that is not `__proto__`. `JSON.parse` makes `"__proto__"` an own property, but
 * copying it into a new object by assignment (as a decoder does) would set that object's prototype; a
 * record keyed by `Key` skips it instead.
 *
 * @since 0.1.0
 */
export const Key = Schema.String.pipe(
  Schema.filter((key) => key !== "__proto__" || "__proto__ is not a key of a decoded object")
).annotations({ identifier: "JsonKey" })

/**
 * Any JSON object, kept as it came except for a `__proto__` key, which is dropped.
 *
 * @since 0.1.0
 */
export const JsonObject = Schema.Record({ key: Key, value: Schema.Unknown }).annotations({ identifier: "JsonObject" })

/**
 * @since 0.1.0
 */
export type JsonObject = typeof JsonObject.Type

/**
 * How deep a JSON value from a peer may nest: far deeper than any Legitmark answer or request (about 8),
 * and shallow enough that code walking it recursively (error formatting, logging) cannot exhaust the stack.
 *
 * @since 0.1.0
 */
export const maxDepth = 64

/**
 * Whether `value` nests arrays and objects more than `max` levels deep. Walks without recursion, so any
 * depth is safe to ask about.
 *
 * @since 0.1.0
 */
export const isDeeperThan = (value: unknown, max: number): boolean => {
  if (typeof value !== "object" || value === null) return false
  const stack: Array<unknown> = [value]
  const depths: Array<number> = [1]
  while (stack.length > 0) {
    const node = stack.pop()
    const depth = depths.pop()!
    if (depth > max) return true
    if (Array.isArray(node)) {
      for (const item of node) {
        if (typeof item === "object" && item !== null) {
          stack.push(item)
          depths.push(depth + 1)
        }
      }
    } else if (typeof node === "object" && node !== null) {
      for (const key in node) {
        const item: unknown = (node as Record<string, unknown>)[key]
        if (typeof item === "object" && item !== null) {
          stack.push(item)
          depths.push(depth + 1)
        }
      }
    }
  }
  return false
}
