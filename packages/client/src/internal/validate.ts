import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { InvalidRequestError } from "../LegitmarkError.js"

/**
 * Checks input against a schema before anything is sent; unknown fields are refused (strict out).
 * `what` names the input in the error message, e.g. "sr_uuid".
 */
export const validate = <A, I>(schema: Schema.Schema<A, I>, what: string) => {
  const decode = Schema.decodeUnknown(schema, { onExcessProperty: "error", errors: "all" })
  return (input: unknown): Effect.Effect<A, InvalidRequestError> =>
    Effect.mapError(decode(input), (error) => {
      const issues = ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) =>
        issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message
      )
      return new InvalidRequestError({ message: `Invalid ${what}: ${issues.join("; ")}`, issues })
    })
}
