/**
 * Standard Webhooks (Svix) signatures, checked with the `standardwebhooks` package: an HMAC-SHA256 of
 * `id.timestamp.body` compared in constant time against each `v1,` signature of the header, with a
 * 5-minute tolerance on the timestamp (past and future).
 */
import * as ConfigError from "effect/ConfigError"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { Webhook, WebhookVerificationError } from "standardwebhooks"

/** Why a delivery's signature was refused; `reason` is safe to send back. */
export class SignatureError extends Data.TaggedError("SignatureError")<{ readonly reason: string }> {}

/** Checks a delivery's headers and raw body; answers its authenticated `webhook-id`. */
export type Verify = (
  headers: Readonly<Record<string, string | undefined>>,
  body: Uint8Array
) => Effect.Effect<string, SignatureError>

const header = (headers: Readonly<Record<string, string | undefined>>, name: string): string | undefined =>
  headers[`webhook-${name}`] ?? headers[`svix-${name}`]

const reasonOf = (error: unknown): string => {
  const message = error instanceof WebhookVerificationError ? error.message : ""
  if (message === "Missing required headers") return "the webhook signature headers are missing"
  if (message.startsWith("Message timestamp")) return "the signature timestamp is outside the 5-minute tolerance"
  if (message === "Invalid Signature Headers") return "the signature timestamp is not a number"
  return "no signature matches the body"
}

// The package decodes base64 leniently; a secret mistyped or pasted whole must fail at start instead.
const isBase64Secret = (secret: string) =>
  /^(whsec_)?(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(secret) &&
  secret.replace(/^whsec_/, "").length > 0

/**
 * A verifier for `secret` (base64, usually after `whsec_`, as Svix and Standard Webhooks issue them). A
 * secret that is not one fails as a `ConfigError` that does not show it.
 */
export const make = (secret: Redacted.Redacted): Effect.Effect<Verify, ConfigError.ConfigError> =>
  Effect.try({
    try: () => {
      if (!isBase64Secret(Redacted.value(secret))) throw new Error("not base64")
      return new Webhook(Redacted.value(secret))
    },
    catch: () =>
      ConfigError.InvalidData(["secret"], "the webhook secret must be base64, after an optional whsec_ prefix")
  }).pipe(
    Effect.map((webhook): Verify => (headers, body) => {
      const id = header(headers, "id")
      const timestamp = header(headers, "timestamp")
      const signature = header(headers, "signature")
      if (id === undefined || timestamp === undefined || signature === undefined) {
        return Effect.fail(new SignatureError({ reason: "the webhook signature headers are missing" }))
      }
      return Effect.try({
        // The raw bytes, before any parsing; `jsonParse: false` leaves that to the decoder.
        try: () => {
          webhook.verify(
            Buffer.from(body.buffer, body.byteOffset, body.byteLength),
            { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature },
            { jsonParse: false }
          )
          return id
        },
        catch: (error) => new SignatureError({ reason: reasonOf(error) })
      })
    })
  )
