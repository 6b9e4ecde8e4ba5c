/**
 * A valid PNG of a chosen size in bytes: an RGB gradient stored with deflate level 0 (no compression),
 * so the file is as large as its pixels. Same encoder as packages/client/test/support/images.ts.
 */
import { crc32, deflateSync } from "node:zlib"

const chunk = (type: string, data: Uint8Array): Buffer => {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.byteLength)
  const body = Buffer.concat([Buffer.from(type, "ascii"), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

/** A square RGB PNG of `side`×`side` pixels, uncompressed. */
export const png = (side: number): Uint8Array => {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(side, 0)
  header.writeUInt32BE(side, 4)
  header.set([8, 2, 0, 0, 0], 8) // 8-bit RGB, no interlace
  const stride = 1 + side * 3
  const rows = Buffer.alloc(side * stride)
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const at = y * stride + 1 + x * 3
      rows[at] = (x * 255) / side
      rows[at + 1] = (y * 255) / side
      rows[at + 2] = (x ^ y) & 255
    }
  }
  return new Uint8Array(Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows, { level: 0 })),
    chunk("IEND", new Uint8Array())
  ]))
}

/** The largest square uncompressed PNG whose file is at most `bytes` long (at least 600×600). */
export const pngOfSize = (bytes: number): Uint8Array => {
  // Each row is 1 filter byte + 3 bytes a pixel; stored deflate adds 5 bytes a 64 KiB block.
  let side = Math.max(600, Math.floor(Math.sqrt(bytes / 3)))
  let out = png(side)
  while (out.byteLength > bytes && side > 600) out = png(--side)
  return out
}
