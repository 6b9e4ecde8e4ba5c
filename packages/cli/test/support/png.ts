/**
 * Real PNG files for the tests: an RGB image of the given size, its pixels drawn from a seed so that
 * files differ and do not compress to nothing.
 */
import { writeFileSync } from "node:fs"
import { crc32, deflateSync } from "node:zlib"

const chunk = (type: string, data: Uint8Array): Buffer => {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.byteLength, 0)
  head.write(type, 4, "ascii")
  const body = Buffer.concat([head.subarray(4), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body) >>> 0, 0)
  return Buffer.concat([head.subarray(0, 4), body, crc])
}

export const png = (width: number, height: number, seed = 1): Buffer => {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 2, 0, 0, 0], 8) // 8-bit RGB, no interlace
  const rows = Buffer.alloc((width * 3 + 1) * height)
  let x = seed >>> 0 || 1
  for (let i = 0; i < rows.length; i++) {
    // xorshift: noise, so that the file has some size.
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    rows[i] = i % (width * 3 + 1) === 0 ? 0 : x & 0xff
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows, { level: 1 })),
    chunk("IEND", new Uint8Array(0))
  ])
}

export const writePng = (path: string, width: number, height: number, seed = 1): string => {
  writeFileSync(path, png(width, height, seed))
  return path
}
