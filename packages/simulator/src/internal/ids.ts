import * as Effect from "effect/Effect"
import type * as Random from "effect/Random"

const hex = (n: number) => n.toString(16).padStart(2, "0")

/** A version-4 UUID drawn from the given (seedable) random source. */
export const uuid = (random: Random.Random) =>
  Effect.gen(function*() {
    const bytes: Array<number> = []
    for (let i = 0; i < 16; i++) bytes.push(yield* random.nextIntBetween(0, 256))
    bytes[6] = (bytes[6]! & 0x0f) | 0x40
    bytes[8] = (bytes[8]! & 0x3f) | 0x80
    const h = bytes.map(hex).join("")
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
  })

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export const isUuid = (s: string): boolean => UUID.test(s)
