/**
 * Signed deliveries (Standard Webhooks / Svix): with a secret, `httpApp` hands on only what carries a
 * valid signature over the exact bytes, within the 5-minute tolerance; every refusal is a 401 (413 for
 * an oversized body) and the handler is never called for it.
 */
import * as HttpBody from "@effect/platform/HttpBody"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as WebhookInbox from "../src/WebhookInbox.js"
import * as Webhooks from "../src/Webhooks.js"
import * as SrApi from "./support/SrApi.js"
import { errorOf, inboxUntil, recorder, serve, signed, sr, stateChange, TestLayer } from "./support/WebhookServer.js"

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
const otherSecret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"

const minutes = (n: number) => new Date(Date.now() + n * 60_000)

describe("Webhooks.httpApp with a signing secret", () => {
  it.scopedLive("hands on signed deliveries and refuses forged, replayed, stale, altered and unsigned ones", () =>
    Effect.gen(function*() {
      const api = yield* SrApi.SrApi
      for (let n = 1; n <= 4; n++) yield* api.set(sr(n), { primary: "QC", supplement: "APPROVED" })
      const { handler, received } = yield* recorder
      const { post, postBody } = yield* serve(handler, { secret: Redacted.make(secret) })
      const body = (n: number) => JSON.stringify(stateChange("QC", "APPROVED", sr(n)))

      const accepted = [
        // Standard Webhooks headers.
        yield* post(body(1), signed(secret, "msg_1", body(1))),
        // Svix's names for them.
        yield* post(body(2), {
          "svix-id": "msg_2",
          "svix-timestamp": signed(secret, "msg_2", body(2))["webhook-timestamp"],
          "svix-signature": signed(secret, "msg_2", body(2))["webhook-signature"]
        }),
        // Several signatures in one header (a secret being rotated): one match is enough.
        yield* post(body(3), {
          ...signed(secret, "msg_3", body(3)),
          "webhook-signature": `${signed(otherSecret, "msg_3", body(3))["webhook-signature"]} ${
            signed(secret, "msg_3", body(3))["webhook-signature"]
          }`
        }),
        // A replay of a delivery within the tolerance is a redelivery: acknowledged, not handed on again.
        yield* post(body(1), signed(secret, "msg_1", body(1)))
      ]
      expect(accepted.map((a) => a.status)).toEqual([200, 200, 200, 200])

      const fresh = signed(secret, "msg_4", body(4))
      const refused = [
        ["unsigned", yield* post(body(4))],
        [
          "without a signature",
          yield* post(body(4), { "webhook-id": "msg_4", "webhook-timestamp": fresh["webhook-timestamp"] })
        ],
        ["forged (another secret)", yield* post(body(4), signed(otherSecret, "msg_4", body(4)))],
        ["altered body", yield* post(body(4).replace("APPROVED", "REJECTED"), fresh)],
        ["altered by one byte of whitespace", yield* post(`${body(4)} `, fresh)],
        ["another webhook-id", yield* post(body(4), { ...fresh, "webhook-id": "msg_5" })],
        ["stale (6 minutes old)", yield* post(body(4), signed(secret, "msg_4", body(4), minutes(-6)))],
        ["from the future (6 minutes ahead)", yield* post(body(4), signed(secret, "msg_4", body(4), minutes(6)))],
        ["a replay captured 10 minutes ago", yield* post(body(1), signed(secret, "msg_1", body(1), minutes(-10)))],
        ["a timestamp that is not a number", yield* post(body(4), { ...fresh, "webhook-timestamp": "soon" })],
        ["a signature of another scheme", yield* post(body(4), { ...fresh, "webhook-signature": "v1a,abc" })]
      ] as const
      expect(refused.map(([name, answer]) => [name, answer.status])).toEqual(refused.map(([name]) => [name, 401]))
      expect(Object.fromEntries(refused.map(([name, answer]) => [name, errorOf(answer)]))).toEqual({
        "unsigned": "the webhook signature headers are missing",
        "without a signature": "the webhook signature headers are missing",
        "forged (another secret)": "no signature matches the body",
        "altered body": "no signature matches the body",
        "altered by one byte of whitespace": "no signature matches the body",
        "another webhook-id": "no signature matches the body",
        "stale (6 minutes old)": "the signature timestamp is outside the 5-minute tolerance",
        "from the future (6 minutes ahead)": "the signature timestamp is outside the 5-minute tolerance",
        "a replay captured 10 minutes ago": "the signature timestamp is outside the 5-minute tolerance",
        "a timestamp that is not a number": "the signature timestamp is not a number",
        "a signature of another scheme": "no signature matches the body"
      })

      // Oversized: refused while reading, before the signature is looked at.
      const big = JSON.stringify({ ...stateChange("QC", "APPROVED", sr(4)), padding: "x".repeat(1024 * 1024) })
      const oversized = yield* post(big, signed(secret, "msg_big", big))
      expect([oversized.status, errorOf(oversized)]).toEqual([413, "the body exceeds 1048576 bytes"])
      const streamed = yield* postBody(
        HttpBody.stream(Stream.make(big).pipe(Stream.encodeText), "application/json"),
        signed(secret, "msg_big", big)
      )
      expect(streamed.status).toBe(413)

      // Three deliveries were recorded and handed on; nothing refused reached the inbox or the handler.
      yield* inboxUntil((c) => c.handled === 3 && c.pending === 0)
      const handed = yield* Queue.takeAll(received)
      expect(Array.from(handed, (r) => `${r._tag} ${r.key}`).sort()).toEqual(
        [1, 2, 3].map((n) => `Confirmed ${sr(n)}:QC:APPROVED`).sort()
      )
      const inbox = yield* WebhookInbox.WebhookInbox
      expect(yield* inbox.counts).toEqual({ pending: 0, handled: 3, duplicate: 0, unconfirmed: 0, failed: 0 })
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("refuses to start with a secret that is not whsec_ and base64, without showing it", () =>
    Effect.gen(function*() {
      for (
        const [bad, secretPart] of [["whsec_", ""], ["whsec_!!hunter2!!", "hunter2"], ["hunter2 secret", "hunter2"]]
      ) {
        const exit = yield* Effect.exit(Webhooks.httpApp(() => Effect.void, { secret: Redacted.make(bad!) }))
        expect(Exit.isFailure(exit)).toBe(true)
        const shown = String(Exit.isFailure(exit) ? exit.cause : "")
        expect(shown).toContain("the webhook secret must be base64, after an optional whsec_ prefix")
        if (secretPart !== "") expect(shown).not.toContain(secretPart)
      }
    }).pipe(Effect.provide(TestLayer)))
})
