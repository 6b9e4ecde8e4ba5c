/**
 * SHA-256 of a string, as hex (Web Crypto: any runtime).
 */
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"

export const sha256 = (text: string): Effect.Effect<string> =>
  Effect.promise(() => crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))).pipe(
    Effect.map((hash) => Encoding.encodeHex(new Uint8Array(hash)))
  )
