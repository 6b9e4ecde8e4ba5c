/**
 * The state of a service request: a primary stage and an optional supplement.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { openEnum } from "./internal/openEnum.js"

/**
 * @since 0.1.0
 */
export const knownPrimaries = ["DRAFT", "QC", "UNDERWAY", "COMPLETE", "CANCELLED", "QUEUE"] as const

/**
 * @since 0.1.0
 */
export const knownSupplements = ["PENDING", "REJECTED", "ASSIGNED", "APPROVED", "COMPLETE"] as const

/**
 * The primary stage. Values the client does not know yet decode as an `UnknownPrimary` string.
 *
 * @since 0.1.0
 */
export const Primary = openEnum("Primary", ...knownPrimaries)

/**
 * @since 0.1.0
 */
export type Primary = typeof Primary.Type

/**
 * The supplement to the primary stage. Values the client does not know yet decode as an
 * `UnknownSupplement` string.
 *
 * @since 0.1.0
 */
export const Supplement = openEnum("Supplement", ...knownSupplements)

/**
 * @since 0.1.0
 */
export type Supplement = typeof Supplement.Type

/**
 * `{ primary, supplement }` as on the wire; a missing supplement decodes as `null`.
 *
 * @since 0.1.0
 */
export class State extends Schema.Class<State>("State")({
  primary: Primary,
  supplement: Schema.optionalWith(Schema.NullOr(Supplement), { default: () => null })
}) {
  /**
   * Whether no further change is expected (COMPLETE or CANCELLED).
   *
   * @since 0.1.0
   */
  get isFinal(): boolean {
    return this.primary === "COMPLETE" || this.primary === "CANCELLED"
  }
}

/**
 * Whether a primary value is one the client knows.
 *
 * @since 0.1.0
 */
export const isKnownPrimary = (value: string): value is (typeof knownPrimaries)[number] =>
  (knownPrimaries as ReadonlyArray<string>).includes(value)
