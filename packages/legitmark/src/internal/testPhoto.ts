/**
 * The photo of the test Layer: a real PNG, 600×600 (the smallest the API accepts) in one colour picked
 * by a seed, deflated by the platform's `CompressionStream` to about a kilobyte.
 */
import * as Effect from "effect/Effect"

export const size = 600

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

const crc32 = (bytes: Uint8Array) => {
  let c = 0xffffffff
  for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

const u32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]

const chunk = (type: string, data: Uint8Array) => {
  const body = new Uint8Array([...new TextEncoder().encode(type), ...data])
  return [...u32(data.length), ...body, ...u32(crc32(body))]
}

// Every row repeats the one above (filter Up), so the image deflates to almost nothing.
const rows = (rgb: readonly [number, number, number]) => {
  const stride = 1 + size * 3
  const raw = new Uint8Array(size * stride)
  raw[0] = 1 // Sub: the first pixel, then differences of zero
  raw.set(rgb, 1)
  for (let y = 1; y < size; y++) raw[y * stride] = 2
  return raw
}

const deflate = (raw: Uint8Array) =>
  Effect.promise(() =>
    new Response(new Blob([raw]).stream().pipeThrough(new CompressionStream("deflate"))).arrayBuffer()
  )

/** The PNG for `seed`: different seeds give different colours, hence different bytes. */
export const png = (seed: number): Effect.Effect<Uint8Array> =>
  Effect.map(
    deflate(rows([(seed * 67 + 90) & 0xff, (seed * 151 + 60) & 0xff, (seed * 29 + 150) & 0xff])),
    (idat) =>
      new Uint8Array([
        0x89,
        0x50,
        0x4e,
        0x47,
        0x0d,
        0x0a,
        0x1a,
        0x0a,
        ...chunk("IHDR", new Uint8Array([...u32(size), ...u32(size), 8, 2, 0, 0, 0])),
        ...chunk("IDAT", new Uint8Array(idat)),
        ...chunk("IEND", new Uint8Array())
      ])
  )
