import { describe, expect, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Schema from "effect/Schema"
import * as ErrorBody from "../src/ErrorBody.js"
import * as ServiceRequest from "../src/ServiceRequest.js"
import * as State from "../src/State.js"

const minimal = { uuid: "8e61c991-553a-4a58-9eb6-561b64c11908", state: { primary: "DRAFT", supplement: null } }

describe("lenient in", () => {
  it("keeps unknown state values instead of failing", () => {
    const sr = Schema.decodeUnknownSync(ServiceRequest.ServiceRequest)({
      ...minimal,
      state: { primary: "ARCHIVED", supplement: "ON_HOLD" },
      tab: "ARCHIVED"
    })
    expect(sr.state.primary).toBe("ARCHIVED")
    expect(State.isKnownPrimary(sr.state.primary)).toBe(false)
    expect(sr.state.supplement).toBe("ON_HOLD")
  })

  it("ignores unknown fields at every level", () => {
    const sr = Schema.decodeUnknownSync(ServiceRequest.GetResponse)({
      brand_new_envelope_field: 1,
      sr: {
        ...minimal,
        shiny: { nested: true },
        sides: { required: [{ uuid: "a", name: "Front", extra: [1, 2] }], optional: [], progress: {} }
      }
    }).sr
    expect(sr.sides?.required[0]?.name).toBe("Front")
  })

  it("keeps sides.progress, the official SDK's counts, and drops counts that do not decode", () => {
    const decode = Schema.decodeUnknownSync(ServiceRequest.ServiceRequest)
    const counts = { current_required: 4, total_required: 8, current_optional: 1, total_optional: 5, met: false }
    const sdk = decode({
      ...minimal,
      sides: {
        required: [{ uuid: "a", name: "Front", side_group_name: "Footwear Base", assignment_level: "category" }],
        optional: [],
        progress: counts
      }
    })
    expect(sdk.sides?.progress).toMatchObject(counts)
    expect(sdk.sides?.required[0]?.mediaKnown).toBe(false)
    expect(decode({ ...minimal, sides: { progress: { met: "yes" } } }).sides?.progress).toBeUndefined()
    expect(
      decode({ ...minimal, sides: { required: [{ uuid: "a", name: "F", media_url: [] }] } }).sides?.required[0]
        ?.mediaKnown
    ).toBe(true)
  })

  it("defaults a missing supplement to null and missing side lists to empty", () => {
    const sr = Schema.decodeUnknownSync(ServiceRequest.ServiceRequest)({
      uuid: "x",
      state: { primary: "QC" },
      sides: {}
    })
    expect(sr.state.supplement).toBeNull()
    expect(sr.sides).toEqual({ required: [], optional: [] })
  })

  it("decodes both timestamp precisions and error bodies without details", () => {
    const body = Schema.decodeUnknownSync(ErrorBody.ErrorBody)({
      success: false,
      error: { code: 404, timestamp: "2024-03-20T10:15:30Z", message: "Not found" }
    })
    expect(body.error.message).toBe("Not found")
  })

  it.prop("every SR the schema encodes decodes back", [Arbitrary.make(ServiceRequest.ServiceRequest)], ([sr]) => {
    const encode = Schema.encodeSync(ServiceRequest.ServiceRequest)
    const encoded = encode(sr)
    expect(encode(Schema.decodeUnknownSync(ServiceRequest.ServiceRequest)(encoded))).toEqual(encoded)
  })

  it.prop("junk never throws from decodeEither", [FastCheck.anything()], ([junk]) => {
    const result = Schema.decodeUnknownEither(ServiceRequest.GetResponse)(junk)
    expect(Either.isLeft(result) || Either.isRight(result)).toBe(true)
  })
})

describe("strict out", () => {
  const valid = {
    reference_id: "ITEM-2024-0891",
    item: { category: "cc30b104-7c47-11ef-a623-02595575faeb", type: "95e42d6b-7c4f-11ef-a623-02595575faeb" }
  }
  const decode = Schema.decodeUnknownEither(ServiceRequest.CreateServiceRequest, { onExcessProperty: "error" })

  it("accepts a valid body", () => {
    expect(Either.isRight(decode(valid))).toBe(true)
  })

  it.each([
    ["an empty reference_id", { ...valid, reference_id: "" }],
    ["a blank reference_id", { ...valid, reference_id: "   " }],
    ["a reference_id with a newline", { ...valid, reference_id: "A\r\nB" }],
    ["a non-UUID category", { ...valid, item: { ...valid.item, category: "Footwear" } }],
    ["a non-UUID service", { ...valid, service: "sneakers" }],
    ["an unknown field", { ...valid, external_id: "x" }],
    ["a missing item", { reference_id: "x" }]
  ])("refuses %s", (_, body) => {
    expect(Either.isLeft(decode(body))).toBe(true)
  })
})
