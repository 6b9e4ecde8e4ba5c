/**
 * What the client checks before anything is sent: the input of every call, as schemas and as
 * validators that fail with `InvalidRequestError`. Exported so that test doubles (`LegitmarkTest`)
 * refuse exactly what the real client refuses.
 *
 * @since 0.1.0
 */
import { ReferenceId, Uuid } from "@effect-legitmark/schema/Identifier"
import * as Media from "@effect-legitmark/schema/Media"
import * as SR from "@effect-legitmark/schema/ServiceRequest"
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { InvalidRequestError } from "./LegitmarkError.js"

/**
 * Checks input against a schema; unknown fields are refused (strict out). `what` names the input in
 * the error message, e.g. "sr_uuid".
 *
 * @since 0.1.0
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

/**
 * Free text that goes into a query string: no control characters, and well-formed Unicode (a lone
 * surrogate has no UTF-8 encoding, and would be sent altered).
 *
 * @since 0.1.0
 */
export const Text = Schema.String.pipe(
  Schema.filter((s) => !/[\u0000-\u001f\u007f]/.test(s) || "must not contain control characters"),
  Schema.filter((s) => !/\p{Cs}/u.test(s) || "must not contain a lone surrogate")
)

/**
 * Whether a string can be a header value as the client sends it: printable ASCII (and tabs). Node refuses
 * anything else in a header, and HTTP header values carry no charset.
 *
 * @since 0.1.0
 */
export const isHeaderValue = (s: string): boolean => /^[\t\x20-\x7e]*$/.test(s)

/**
 * Text that goes into a header (`Accept-Language`): printable ASCII.
 *
 * @since 0.1.0
 */
export const HeaderText = Schema.String.pipe(
  Schema.filter((s) => isHeaderValue(s) || "must be printable ASCII (no control characters)")
)

/**
 * The identifier of the public lookup: free text, but not a `.` or `..` path step, which would change
 * which path is asked for even when encoded.
 *
 * @since 0.1.0
 */
export const Identifier = ReferenceId.pipe(
  Schema.filter((id) => !/^(\.|%2e){1,2}$/i.test(id.trim()) || "identifier must not be a dot segment")
)

/**
 * @since 0.1.0
 */
export const callFields = { acceptLanguage: Schema.optional(HeaderText) }

/**
 * @since 0.1.0
 */
export const pageFields = {
  ...callFields,
  pageNumber: Schema.optional(Schema.Int.pipe(Schema.greaterThanOrEqualTo(1))),
  pageSize: Schema.optional(Schema.Int.pipe(Schema.between(1, 100))),
  sortBy: Schema.optional(Text),
  sortDirection: Schema.optional(Schema.Literal("asc", "desc")),
  search: Schema.optional(Text)
}

const activeOnlyField = { activeOnly: Schema.optional(Schema.Boolean) }

const uuidValidators = new Map<string, ReturnType<typeof validate<string, string>>>()

/**
 * A UUID in a path, named `what` in the error message. One validator per name, built once.
 *
 * @since 0.1.0
 */
export const uuid = (what: string) => {
  let validator = uuidValidators.get(what)
  if (validator === undefined) {
    validator = validate(Uuid, what)
    uuidValidators.set(what, validator)
  }
  return validator
}

/**
 * @since 0.1.0
 */
export const srUuid = uuid("sr_uuid")

/**
 * @since 0.1.0
 */
export const createServiceRequest = validate(SR.CreateServiceRequest, "service request")

/**
 * @since 0.1.0
 */
export const identifier = validate(Identifier, "identifier")

/**
 * @since 0.1.0
 */
export const intent = validate(Schema.Struct({ sr: Uuid, side: Uuid, extension: Media.Extension }), "upload intent")

/**
 * @since 0.1.0
 */
export const callOptions = validate(Schema.Struct(callFields), "options")

/**
 * @since 0.1.0
 */
export const treeOptions = validate(Schema.Struct({ ...callFields, ...activeOnlyField }), "options")

/**
 * @since 0.1.0
 */
export const pageOptions = validate(Schema.Struct(pageFields), "page options")

/**
 * @since 0.1.0
 */
export const categoryPageOptions = validate(Schema.Struct({ ...pageFields, ...activeOnlyField }), "page options")

/**
 * @since 0.1.0
 */
export const modelPageOptions = validate(
  Schema.Struct({
    ...pageFields,
    brandUuid: Schema.optional(Uuid),
    typeUuid: Schema.optional(Uuid),
    categoryUuid: Schema.optional(Uuid)
  }),
  "page options"
)

/**
 * @since 0.1.0
 */
export const typeBrandsOptions = validate(
  Schema.Struct({
    ...callFields,
    includeCounts: Schema.optional(Schema.Boolean),
    includeInactive: Schema.optional(Schema.Boolean)
  }),
  "options"
)
