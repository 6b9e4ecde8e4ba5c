import { ServiceRequest } from "@effect-legitmark/schema/ServiceRequest"
import { describe, expect, it } from "@effect/vitest"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Verdict from "../src/Verdict.js"

const sr = (primary: string, supplement: string | null) =>
  Schema.decodeUnknownSync(ServiceRequest)({
    uuid: "8e61c991-553a-4a58-9eb6-561b64c11908",
    state: { primary, supplement }
  })

const tagOf = (primary: string, supplement: string | null) =>
  Option.map(Verdict.fromServiceRequest(sr(primary, supplement)), (v) => v._tag)

describe("Verdict.fromServiceRequest", () => {
  it.each(
    [
      ["COMPLETE", "APPROVED", "Authentic"],
      ["COMPLETE", "REJECTED", "NotAuthentic"],
      ["COMPLETE", "COMPLETE", "Inconclusive"],
      ["COMPLETE", null, "Inconclusive"],
      ["CANCELLED", null, "Cancelled"]
    ] as const
  )("%s/%s is %s", (primary, supplement, tag) => {
    expect(tagOf(primary, supplement)).toEqual(Option.some(tag))
  })

  it.each(
    [
      ["DRAFT", null],
      ["QC", "PENDING"],
      ["QC", "REJECTED"],
      ["UNDERWAY", "ASSIGNED"],
      ["SOMETHING_NEW", null]
    ] as const
  )("%s/%s has no verdict yet", (primary, supplement) => {
    expect(tagOf(primary, supplement)).toEqual(Option.none())
  })

  it("matches exhaustively", () => {
    const verdict = Option.getOrThrow(Verdict.fromServiceRequest(sr("COMPLETE", "APPROVED")))
    const text = Verdict.$match(verdict, {
      Authentic: () => "authentic",
      NotAuthentic: () => "not authentic",
      Inconclusive: () => "inconclusive",
      Cancelled: () => "cancelled"
    })
    expect(text).toBe("authentic")
  })
})
