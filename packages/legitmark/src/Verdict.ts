/**
 * The outcome of an authentication, read from a final SR state.
 *
 * @since 0.1.0
 */
import type { ServiceRequest } from "@effect-legitmark/schema/ServiceRequest"
import * as Data from "effect/Data"
import * as Option from "effect/Option"

/**
 * `Authentic` (COMPLETE/APPROVED), `NotAuthentic` (COMPLETE/REJECTED), `Inconclusive` (COMPLETE with no
 * stated result) or `Cancelled`; each carries the final SR.
 *
 * @since 0.1.0
 */
export type Verdict = Data.TaggedEnum<{
  Authentic: { readonly sr: ServiceRequest }
  NotAuthentic: { readonly sr: ServiceRequest }
  Inconclusive: { readonly sr: ServiceRequest }
  Cancelled: { readonly sr: ServiceRequest }
}>

/**
 * Constructors and matchers: `Verdict.Authentic({ sr })`, `Verdict.$match(verdict, { … })`, `Verdict.$is("Authentic")`.
 *
 * @since 0.1.0
 */
export const { $is, $match, Authentic, Cancelled, Inconclusive, NotAuthentic } = Data.taggedEnum<Verdict>()

/**
 * The verdict of an SR, or `None` while it is still in progress.
 *
 * @since 0.1.0
 */
export const fromServiceRequest = (sr: ServiceRequest): Option.Option<Verdict> => {
  switch (sr.state.primary) {
    case "CANCELLED":
      return Option.some(Cancelled({ sr }))
    case "COMPLETE":
      return Option.some(
        sr.state.supplement === "APPROVED" ?
          Authentic({ sr }) :
          sr.state.supplement === "REJECTED" ?
          NotAuthentic({ sr }) :
          Inconclusive({ sr })
      )
    default:
      return Option.none()
  }
}
