import * as Chunk from "effect/Chunk"

/** Chunks of bytes as one array; a single chunk is answered as it is, without a copy. */
export const concat = (chunks: Chunk.Chunk<Uint8Array>): Uint8Array => {
  const all = Chunk.toReadonlyArray(chunks)
  if (all.length === 1) return all[0]!
  const out = new Uint8Array(all.reduce((n, c) => n + c.byteLength, 0))
  let offset = 0
  for (const c of all) {
    out.set(c, offset)
    offset += c.byteLength
  }
  return out
}
