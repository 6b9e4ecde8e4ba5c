import { describe, expect, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Schema from "effect/Schema"
import * as ErrorBody from "../src/ErrorBody.js"
import * as Json from "../src/Json.js"
import * as ServiceRequest from "../src/ServiceRequest.js"
import * as State from "../src/State.js"
import * as Webhook from "../src/Webhook.js"

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
    ["a reference_id with a lone surrogate", { ...valid, reference_id: "SKU-\ud800" }],
    ["a reference_id longer than 255", { ...valid, reference_id: "x".repeat(256) }],
    ["a non-UUID category", { ...valid, item: { ...valid.item, category: "Footwear" } }],
    ["a non-UUID service", { ...valid, service: "sneakers" }],
    ["an unknown field", { ...valid, external_id: "x" }],
    ["a missing item", { reference_id: "x" }]
  ])("refuses %s", (_, body) => {
    expect(Either.isLeft(decode(body))).toBe(true)
  })
})

describe("a __proto__ key never becomes a prototype (Effect's parser)", () => {
  const evil = JSON.parse("{\"__proto__\":{\"isAdmin\":true},\"kept\":1}")
  it("in every record-typed field of an SR, and in a webhook's extra fields", () => {
    const sr = Schema.decodeUnknownSync(ServiceRequest.ServiceRequest)({
      ...minimal,
      metadata: evil,
      user: evil,
      service: evil,
      summary: evil
    })
    for (const value of [sr.metadata, sr.user, sr.service, sr.summary]) {
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
      expect(value).toEqual({ kept: 1 })
    }
    const envelope = Schema.decodeUnknownSync(Webhook.Envelope)(
      JSON.parse("{\"event_type\":\"state_change\",\"sr_uuid\":\"x\",\"__proto__\":{\"isAdmin\":true}}")
    )
    expect(Object.getPrototypeOf(envelope)).toBe(Object.prototype)
    expect("isAdmin" in envelope).toBe(false)
  })
})

describe("Json", () => {
  it("isDeeperThan walks any depth without recursion", () => {
    const deep = JSON.parse("[".repeat(100_000) + "]".repeat(100_000))
    expect(Json.isDeeperThan(deep, Json.maxDepth)).toBe(true)
    expect(Json.isDeeperThan(JSON.parse("[".repeat(64) + "]".repeat(64)), 64)).toBe(false)
    expect(Json.isDeeperThan(JSON.parse("[".repeat(65) + "]".repeat(65)), 64)).toBe(true)
    expect(Json.isDeeperThan({ a: { b: [1, "x", null] } }, 3)).toBe(false)
    expect(Json.isDeeperThan({ a: { b: [1, { c: null }] } }, 3)).toBe(true)
  })
})
