/**
 * The client's PNG and JPEG header reader, against `image-size` (the library it replaced, a dev
 * dependency here) on generated files, and on what `image-size` reads wrongly or not at all.
 */
import { describe, expect, it } from "@effect/vitest"
import * as FastCheck from "effect/FastCheck"
import { imageSize } from "image-size"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as ImageHeader from "../src/internal/imageHeader.js"
import * as Images from "./support/images.js"

const examplePhotos = fileURLToPath(new URL("../../../examples/photos", import.meta.url))

const bytes = (...parts: ReadonlyArray<ReadonlyArray<number> | Uint8Array | string>): Uint8Array =>
  new Uint8Array(
    parts.flatMap((part) => typeof part === "string" ? Array.from(part, (c) => c.charCodeAt(0)) : Array.from(part))
  )
const u16 = (n: number) => [n >> 8, n & 0xff]
const u32 = (n: number) => [...u16(Math.floor(n / 0x10000)), ...u16(n & 0xffff)]

const pngSignature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const pngHead = (width: number, height: number, options: { readonly cgbi?: boolean } = {}) =>
  bytes(
    pngSignature,
    options.cgbi ? bytes(u32(4), "CgBI", [0x50, 0x00, 0x20, 0x06], u32(0)) : [],
    u32(13),
    "IHDR",
    u32(width),
    u32(height),
    [8, 2, 0, 0, 0],
    u32(0)
  )

/** A segment with a length: marker, length (itself included), payload. */
const segment = (marker: number, payload: Uint8Array) => bytes([0xff, marker], u16(payload.length + 2), payload)
const frameHeader = (marker: number, width: number, height: number) =>
  segment(marker, bytes([8], u16(height), u16(width), [3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]))

const pngArbitrary = FastCheck.record({
  width: FastCheck.nat({ max: 0xffffffff }),
  height: FastCheck.nat({ max: 0xffffffff }),
  cgbi: FastCheck.boolean(),
  tail: FastCheck.uint8Array({ maxLength: 64 })
})

// What real JPEGs hold before their frame header: APPn (JFIF, EXIF, ICC), comments, quantisation and
// Huffman tables. The first is always an APPn, as in every camera's and encoder's output.
const segmentArbitrary = FastCheck.record({
  marker: FastCheck.oneof(
    FastCheck.integer({ min: 0xe0, max: 0xef }),
    FastCheck.constantFrom(0xfe, 0xdb, 0xc4, 0xdd)
  ),
  payload: FastCheck.uint8Array({ maxLength: 600 })
})
const jpegArbitrary = FastCheck.record({
  app: FastCheck.record({ marker: FastCheck.integer({ min: 0xe0, max: 0xef }), payload: FastCheck.uint8Array() }),
  segments: FastCheck.array(segmentArbitrary, { maxLength: 6 }),
  frame: FastCheck.constantFrom(0xc0, 0xc1, 0xc2),
  width: FastCheck.nat({ max: 0xffff }),
  height: FastCheck.nat({ max: 0xffff }),
  tail: FastCheck.uint8Array({ maxLength: 64 })
})

describe("ImageHeader", () => {
  describe("agrees with image-size", () => {
    it.prop("on PNG headers", [pngArbitrary], ([{ cgbi, height, tail, width }]) => {
      const file = bytes(pngHead(width, height, { cgbi }), tail)
      const theirs = imageSize(file)
      expect(ImageHeader.kindOf(file)).toBe(theirs.type)
      expect(ImageHeader.pngDimensions(file)).toEqual({ width: theirs.width, height: theirs.height })
    })

    it.prop("on JPEGs with segments before their frame header", [jpegArbitrary], ([jpeg]) => {
      const file = bytes(
        [0xff, 0xd8],
        segment(jpeg.app.marker, jpeg.app.payload),
        ...jpeg.segments.map((s) => segment(s.marker, s.payload)),
        frameHeader(jpeg.frame, jpeg.width, jpeg.height),
        jpeg.tail
      )
      const theirs = imageSize(file)
      expect(ImageHeader.kindOf(file)).toBe(theirs.type)
      expect(ImageHeader.jpegDimensions(file)).toEqual({ width: theirs.width, height: theirs.height })
    })

    it("on the test suite's images and the examples' photos", () => {
      const photos = readdirSync(examplePhotos).map((name) => new Uint8Array(readFileSync(join(examplePhotos, name))))
      expect(photos.length).toBeGreaterThan(0)
      for (const file of [...photos, Images.png(600, 601), Images.png(1, 1), Images.jpegHeader(1200, 900, 70_000)]) {
        const theirs = imageSize(file)
        const read = theirs.type === "png" ? ImageHeader.pngDimensions(file) : ImageHeader.jpegDimensions(file)
        expect(ImageHeader.kindOf(file)).toBe(theirs.type)
        expect(read).toEqual({ width: theirs.width, height: theirs.height })
      }
    })
  })

  describe("JPEG", () => {
    it("reads a frame header right after the start of the image (image-size misses it)", () => {
      expect(ImageHeader.jpegDimensions(bytes([0xff, 0xd8], frameHeader(0xc0, 800, 600)))).toEqual({
        width: 800,
        height: 600
      })
    })

    it("skips fill bytes and markers without a length", () => {
      const file = bytes(
        [0xff, 0xd8, 0xff, 0xff],
        segment(0xe0, bytes("JFIF")),
        [0xff, 0xd0],
        frameHeader(0xc2, 640, 700)
      )
      expect(ImageHeader.jpegDimensions(file)).toEqual({ width: 640, height: 700 })
    })

    it.each([
      ["ends before its frame header", bytes([0xff, 0xd8], segment(0xe1, new Uint8Array(100))).slice(0, 60)],
      ["ends inside its frame header", bytes([0xff, 0xd8], frameHeader(0xc0, 800, 600)).slice(0, 8)],
      ["starts its scan first", bytes([0xff, 0xd8], segment(0xda, new Uint8Array(10)), frameHeader(0xc0, 800, 600))],
      ["ends first", bytes([0xff, 0xd8, 0xff, 0xd9], frameHeader(0xc0, 800, 600))],
      ["is lossless (SOF3)", bytes([0xff, 0xd8], frameHeader(0xc3, 800, 600), [0xff, 0xda, 0, 2])],
      [
        "has a segment shorter than its length field",
        bytes([0xff, 0xd8, 0xff, 0xe0, 0, 1], frameHeader(0xc0, 800, 600))
      ],
      ["loses its markers", bytes([0xff, 0xd8, 0x00, 0x00], frameHeader(0xc0, 800, 600))],
      ["is not a JPEG", pngHead(800, 600)]
    ])("reads nothing from one that %s", (_, file) => {
      expect(ImageHeader.jpegDimensions(file)).toBeUndefined()
    })
  })

  describe("PNG", () => {
    it.each([
      ["ends inside its header chunk", pngHead(800, 600).slice(0, 22)],
      ["has another chunk first", bytes(pngSignature, u32(4), "gAMA", u32(0), u32(0), pngHead(800, 600).slice(8))],
      ["is not a PNG", Images.jpegHeader(800, 600)]
    ])("reads nothing from one that %s", (_, file) => {
      expect(ImageHeader.pngDimensions(file)).toBeUndefined()
    })
  })

  describe("kinds", () => {
    it.each(
      [
        ["gif", bytes("GIF89a", u16(1), u16(1))],
        ["gif", bytes("GIF87a")],
        ["webp", bytes("RIFF", u32(100), "WEBPVP8 ")],
        ["bmp", bytes("BM", u32(100))],
        ["tiff", bytes([0x49, 0x49, 0x2a, 0x00])],
        ["tiff", bytes([0x4d, 0x4d, 0x00, 0x2a])],
        ["heif", bytes(u32(24), "ftypheic", u32(0), "mif1heic")],
        ["heif", bytes(u32(24), "ftypavif", u32(0), "mif1avif")],
        ["png", pngHead(1, 1)],
        ["jpg", Images.jpegHeader(1, 1)]
      ] as const
    )("recognises a %s", (kind, file) => {
      expect(ImageHeader.kindOf(file)).toBe(kind)
    })

    it.each([
      ["an MP4 video", bytes(u32(24), "ftypisom", u32(0), "isomiso2")],
      ["a RIFF that is not WebP", bytes("RIFF", u32(100), "WAVEfmt ")],
      ["text", bytes("hello")],
      ["nothing", new Uint8Array()]
    ])("recognises nothing in %s", (_, file) => {
      expect(ImageHeader.kindOf(file)).toBeUndefined()
    })

    it.prop("never throws on junk", [FastCheck.uint8Array({ maxLength: 512 })], ([junk]) => {
      expect(ImageHeader.kindOf(junk)).not.toBe("png")
      expect(ImageHeader.pngDimensions(junk)).toBeUndefined()
      if (ImageHeader.kindOf(junk) !== "jpg") expect(ImageHeader.jpegDimensions(junk)).toBeUndefined()
    })

    it.prop(
      "never throws on junk after a signature, and reads only 16 or 32-bit sizes",
      [FastCheck.constantFrom(pngSignature, [0xff, 0xd8]), FastCheck.uint8Array({ maxLength: 512 })],
      ([signature, junk]) => {
        const file = bytes(signature, junk)
        const read = ImageHeader.pngDimensions(file) ?? ImageHeader.jpegDimensions(file)
        if (read !== undefined) {
          const max = signature.length === 2 ? 0xffff : 0xffffffff
          expect(read.width).toBeGreaterThanOrEqual(0)
          expect(read.width).toBeLessThanOrEqual(max)
          expect(read.height).toBeGreaterThanOrEqual(0)
          expect(read.height).toBeLessThanOrEqual(max)
        }
      }
    )
  })
})
