import * as Schema from "effect/Schema"

/**
 * A string enum that also accepts values the client does not know yet: known values decode to their
 * literal type, anything else to a branded `Unknown` string, so a new server value never fails a decode.
 */
export const openEnum = <const Literals extends ReadonlyArray<string>>(name: string, ...literals: Literals) => {
  const Known = Schema.Literal(...literals)
  const Unknown = Schema.String.pipe(Schema.brand(`Unknown${name}`))
  return Schema.Union(Known, Unknown).annotations({ identifier: name })
}
