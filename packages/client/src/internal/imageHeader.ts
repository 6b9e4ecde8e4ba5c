/**
 * What kind of image a file's first bytes hold, and the width and height of a PNG or a JPEG.
 *
 * The client only checks PNG and JPEG photos (HEIC and DNG are left to the server), so it reads those two
 * headers itself rather than load a general image library: `image-size` is 26 ES modules, about 13 ms of
 * every process's start. Other kinds are only recognised, to name them in an error. The test suite checks
 * this reader against `image-size` on generated files.
 */

/** The kinds recognised by their first bytes. */
export type Kind = "png" | "jpg" | "gif" | "webp" | "bmp" | "tiff" | "heif"

export interface Dimensions {
  readonly width: number
  readonly height: number
}

const matches = (bytes: Uint8Array, offset: number, magic: ReadonlyArray<number>): boolean => {
  if (bytes.length < offset + magic.length) return false
  for (let i = 0; i < magic.length; i++) {
    if (bytes[offset + i] !== magic[i]) return false
  }
  return true
}

const codes = (text: string): ReadonlyArray<number> => Array.from(text, (c) => c.charCodeAt(0))

const pngSignature = [0x89, ...codes("PNG\r\n"), 0x1a, 0x0a]
const ihdr = codes("IHDR")
// Apple's "optimised" PNGs put a CgBI chunk before the header chunk.
const cgbi = codes("CgBI")

// HEIF (HEIC, AVIF) is an ISO media file whose major brand names an image, not a video.
const heifBrands = ["heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1", "avif"]

const signatures: ReadonlyArray<readonly [Kind, (bytes: Uint8Array) => boolean]> = [
  ["png", (b) => matches(b, 0, pngSignature)],
  ["jpg", (b) => matches(b, 0, [0xff, 0xd8])],
  ["gif", (b) => matches(b, 0, codes("GIF87a")) || matches(b, 0, codes("GIF89a"))],
  ["webp", (b) => matches(b, 0, codes("RIFF")) && matches(b, 8, codes("WEBP"))],
  ["bmp", (b) => matches(b, 0, codes("BM"))],
  ["tiff", (b) => matches(b, 0, [0x49, 0x49, 0x2a, 0x00]) || matches(b, 0, [0x4d, 0x4d, 0x00, 0x2a])],
  ["heif", (b) => matches(b, 4, codes("ftyp")) && heifBrands.some((brand) => matches(b, 8, codes(brand)))]
]

/** The kind of image the bytes start with, if one of {@link Kind}. */
export const kindOf = (bytes: Uint8Array): Kind | undefined => signatures.find(([, test]) => test(bytes))?.[0]

const uint16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!
const uint32 = (b: Uint8Array, at: number) => uint16(b, at) * 0x10000 + uint16(b, at + 2)

/** A PNG's dimensions, from its header chunk (the first chunk, or the second after CgBI). */
export const pngDimensions = (b: Uint8Array): Dimensions | undefined => {
  if (!matches(b, 0, pngSignature)) return undefined
  const header = matches(b, 12, cgbi) ? 28 : 12
  if (!matches(b, header, ihdr) || b.length < header + 12) return undefined
  return { width: uint32(b, header + 4), height: uint32(b, header + 8) }
}

// Frame headers of baseline, extended and progressive JPEGs, the kinds browsers (and the authenticators'
// tools) decode; lossless and arithmetic-coded frames are not read.
const frameMarkers = new Set([0xc0, 0xc1, 0xc2])

/**
 * A JPEG's dimensions, from its frame header, found by walking the segments before it (APPn blocks such as
 * EXIF can be tens of kB). `undefined` when the bytes end first, a segment is malformed, or the scan starts
 * before any frame header.
 */
export const jpegDimensions = (b: Uint8Array): Dimensions | undefined => {
  if (!matches(b, 0, [0xff, 0xd8])) return undefined
  let at = 2
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) return undefined
    const marker = b[at + 1]!
    // Fill bytes before a marker.
    if (marker === 0xff) {
      at += 1
      continue
    }
    // Markers without a length: TEM, RSTn, SOI.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      at += 2
      continue
    }
    // The image ends, or its data starts, with no frame header seen.
    if (marker === 0xd9 || marker === 0xda) return undefined
    const length = uint16(b, at + 2)
    if (length < 2) return undefined
    if (frameMarkers.has(marker)) {
      // FF Cn, length (2), precision (1), height (2), width (2).
      if (length < 7 || at + 9 > b.length) return undefined
      return { height: uint16(b, at + 5), width: uint16(b, at + 7) }
    }
    at += 2 + length
  }
  return undefined
}
