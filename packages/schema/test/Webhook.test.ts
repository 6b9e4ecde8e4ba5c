import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import * as State from "../src/State.js"
import * as Webhook from "../src/Webhook.js"

interface Fixture {
  readonly source: string
  readonly kind: string
  readonly body: unknown
}

const webhooks: ReadonlyArray<Fixture> = (JSON.parse(
  readFileSync(fileURLToPath(new URL("../../../test/fixtures/payloads.json", import.meta.url)), "utf8")
) as ReadonlyArray<Fixture>).filter((f) => f.kind === "webhook")

const decode = Schema.decodeUnknownSync(Webhook.KnownEvent)

describe("Webhook", () => {
  it("has webhook fixtures to decode", () => {
    expect(webhooks.length).toBeGreaterThanOrEqual(4)
  })

  it.each(webhooks.map((f, i) => [i, f.source, f] as const))("fixture %i (%s) decodes", (_i, _source, fixture) => {
    const event = decode(fixture.body)
    expect(Webhook.isKnownEventType(event.event_type)).toBe(true)
    expect(Either.isRight(Schema.decodeUnknownEither(Webhook.Envelope)(fixture.body))).toBe(true)
  })

  describe("state_change", () => {
    it("decodes the current generation with milliseconds", () => {
      const event = decode({
        event_type: "state_change",
        sr_uuid: "b16c763b-1723-455d-ba29-164418044886",
        reference_id: "YOUR-INTERNAL-ITEM-ID",
        state: { primary: "COMPLETE", supplement: "APPROVED" },
        timestamp: "2026-02-10T12:00:00.000Z"
      })
      expect(event).toBeInstanceOf(Webhook.StateChange)
      if (event.event_type !== "state_change") throw new Error("not a state change")
      expect(event.state).toBeInstanceOf(State.State)
      expect(event.state.primary).toBe("COMPLETE")
      expect(event.state.supplement).toBe("APPROVED")
      expect(event.timestamp).toBe("2026-02-10T12:00:00.000Z")
    })

    it("decodes the older generation: placeholder sr_uuid, timestamp without milliseconds", () => {
      const event = Schema.decodeUnknownSync(Webhook.StateChange)({
        event_type: "state_change",
        timestamp: "2024-03-20T10:15:30Z",
        sr_uuid: "service-request-uuid",
        state: { primary: "COMPLETE", supplement: "APPROVED" },
        reference_id: "your-internal-item-id"
      })
      expect(event.sr_uuid).toBe("service-request-uuid")
      expect(event.timestamp).toBe("2024-03-20T10:15:30Z")
    })

    it("keeps unknown state values and defaults a missing reference_id and supplement to null", () => {
      const event = Schema.decodeUnknownSync(Webhook.StateChange)({
        event_type: "state_change",
        sr_uuid: "x",
        state: { primary: "ARCHIVED" },
        timestamp: "2026-02-10T12:00:00Z"
      })
      expect(event.state.primary).toBe("ARCHIVED")
      expect(event.state.supplement).toBeNull()
      expect(event.reference_id).toBeNull()
    })
  })

  describe("media_rejected", () => {
    it("decodes the current generation", () => {
      const event = Schema.decodeUnknownSync(Webhook.MediaRejected)({
        event_type: "media_rejected",
        sr_uuid: "b16c763b-1723-455d-ba29-164418044886",
        reference_id: null,
        sides: [{ side: "Front", reason: "Image is Blurry", message: "Please capture a clearer photo." }],
        timestamp: "2026-02-10T12:15:00.000Z"
      })
      expect(event.reference_id).toBeNull()
      expect(event.state).toBeUndefined()
      expect(event.sides[0]).toMatchObject({ side: "Front", reason: "Image is Blurry" })
    })

    it("decodes the older generation: state, side_uuid, reason code and reason_description", () => {
      const event = Schema.decodeUnknownSync(Webhook.MediaRejected)({
        event_type: "media_rejected",
        sr_uuid: "b16c763b-1723-455d-ba29-164418044886",
        reference_id: "ITEM-1",
        state: { primary: "QC", supplement: "REJECTED" },
        sides: [{
          side: "Front",
          side_uuid: "5e1a2b3c-0000-4000-8000-000000000001",
          reason: "BLURRY",
          reason_description: "Image is Blurry"
        }],
        timestamp: "2024-03-20T10:15:30Z"
      })
      expect(event.state?.primary).toBe("QC")
      expect(event.sides[0]).toMatchObject({
        side_uuid: "5e1a2b3c-0000-4000-8000-000000000001",
        reason: "BLURRY",
        reason_description: "Image is Blurry"
      })
    })
  })

  describe("invalidate_sr", () => {
    it("decodes the current generation", () => {
      const event = Schema.decodeUnknownSync(Webhook.InvalidateSr)({
        event_type: "invalidate_sr",
        sr_uuid: "x",
        reference_id: "ITEM-1",
        invalidation_reason: { code: "NOT_SERVICEABLE", message: "We cannot authenticate this item." },
        timestamp: "2026-02-10T12:00:00.000Z"
      })
      expect(event.invalidation_reason.code).toBe("NOT_SERVICEABLE")
      expect(event.invalidation_reason.message).toBe("We cannot authenticate this item.")
    })

    it("decodes the older generation: description and state CANCELLED", () => {
      const event = Schema.decodeUnknownSync(Webhook.InvalidateSr)({
        event_type: "invalidate_sr",
        sr_uuid: "x",
        reference_id: null,
        invalidation_reason: { code: "CANCELLED", description: "Cancelled by the partner" },
        state: { primary: "CANCELLED", supplement: null },
        timestamp: "2024-03-20T10:15:30Z"
      })
      expect(event.invalidation_reason.description).toBe("Cancelled by the partner")
      expect(event.state?.primary).toBe("CANCELLED")
    })

    it("keeps unknown invalidation codes", () => {
      const event = Schema.decodeUnknownSync(Webhook.InvalidateSr)({
        event_type: "invalidate_sr",
        sr_uuid: "x",
        invalidation_reason: { code: "DUPLICATE_ITEM", message: "m" },
        timestamp: "2026-02-10T12:00:00Z"
      })
      expect(event.invalidation_reason.code).toBe("DUPLICATE_ITEM")
    })
  })

  describe("leniency", () => {
    it("ignores unknown fields at every level", () => {
      const event = decode({
        event_type: "media_rejected",
        sr_uuid: "x",
        reference_id: "r",
        delivery_id: 42,
        sides: [{ side: "Front", reason: "Image is Blurry", severity: "high" }],
        timestamp: "2026-02-10T12:00:00Z"
      })
      expect(event).toBeInstanceOf(Webhook.MediaRejected)
      expect(event).not.toHaveProperty("delivery_id")
    })

    it("keeps every field of an unknown event type in the Envelope", () => {
      const body = { event_type: "sr_archived", sr_uuid: "x", extra: { nested: [1, 2] } }
      expect(Schema.decodeUnknownSync(Webhook.Envelope)(body)).toEqual(body)
      expect(Either.isLeft(Schema.decodeUnknownEither(Webhook.KnownEvent)(body))).toBe(true)
      expect(Schema.decodeUnknownSync(Webhook.EventType)("sr_archived")).toBe("sr_archived")
      expect(Webhook.isKnownEventType("sr_archived")).toBe(false)
    })

    it("rejects an Envelope without a string event_type or sr_uuid", () => {
      expect(Either.isLeft(Schema.decodeUnknownEither(Webhook.Envelope)({ sr_uuid: "x" }))).toBe(true)
      expect(Either.isLeft(Schema.decodeUnknownEither(Webhook.Envelope)({ event_type: "state_change", sr_uuid: 1 })))
        .toBe(true)
    })
  })
})
