/**
 * A photo to upload: its kind, its size, its first bytes (to check dimensions before sending) and a
 * stream of its bytes. Build one from bytes, a file path or a `Stream`; the checks run when it is built,
 * so a photo that exists has passed them.
 *
 * @since 0.1.0
 */
import * as Media from "@effect-legitmark/schema/Media"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { concat } from "./internal/bytes.js"
import * as ImageHeader from "./internal/imageHeader.js"
import { InvalidRequestError } from "./LegitmarkError.js"

/**
 * @since 0.1.0
 */
export interface Photo {
  /** What the photo is called in messages: its path, or "bytes". */
  readonly name: string
  readonly extension: Media.Extension
  /** The exact size in bytes, sent as `Content-Length`. */
  readonly size: number
  readonly contentType: string
  /** The bytes. Run once per upload attempt, so it must be re-runnable. */
  readonly stream: Stream.Stream<Uint8Array, InvalidRequestError>
  /** Width and height, where they could be read (JPEG, PNG). */
  readonly dimensions: { readonly width: number; readonly height: number } | undefined
}

// Enough of the file to find the dimensions of a JPEG with a large EXIF block before its frame header.
const headBytes = 256 * 1024

const invalid = (name: string, ...issues: ReadonlyArray<string>) =>
  new InvalidRequestError({ message: `Invalid photo ${name}: ${issues.join("; ")}`, issues })

/**
 * The extension of a file name, if it is one the API takes (case-insensitive).
 *
 * @since 0.1.0
 */
export const extensionOf = (fileName: string): Option.Option<Media.Extension> => {
  const ext = fileName.slice(fileName.lastIndexOf(".") + 1).toLowerCase()
  return fileName.includes(".") && (Media.Extension.literals as ReadonlyArray<string>).includes(ext) ?
    Option.some(ext as Media.Extension) :
    Option.none()
}

const checkExtension = (name: string, extension: string) =>
  (Media.Extension.literals as ReadonlyArray<string>).includes(extension) ?
    Effect.succeed(extension as Media.Extension) :
    Effect.fail(
      invalid(name, `extension ${JSON.stringify(extension)} is not one of ${Media.Extension.literals.join(", ")}`)
    )

const checkSize = (name: string, size: number) =>
  size > Media.maxBytes ?
    Effect.fail(invalid(name, `${size} bytes is over the limit of ${Media.maxBytes} bytes (5 MB)`)) :
    size === 0 ?
    Effect.fail(invalid(name, "the file is empty")) :
    Effect.void

// JPEG and PNG are checked for their real kind and dimensions; HEIC and DNG are left to the server.
const checkImage = (
  name: string,
  extension: Media.Extension,
  head: Uint8Array
): Effect.Effect<ImageHeader.Dimensions | undefined, InvalidRequestError> => {
  if (extension === "heic" || extension === "dng") return Effect.succeed(undefined)
  const expected = extension === "png" ? "png" : "jpg"
  const kind = ImageHeader.kindOf(head)
  if (kind !== undefined && kind !== expected) {
    return Effect.fail(invalid(name, `the file is a ${kind}, not a ${expected}`))
  }
  const dimensions = expected === "png" ? ImageHeader.pngDimensions(head) : ImageHeader.jpegDimensions(head)
  if (dimensions === undefined) return Effect.fail(invalid(name, `not a readable ${expected.toUpperCase()} image`))
  const { height, width } = dimensions
  if (width < Media.minDimension || height < Media.minDimension) {
    return Effect.fail(
      invalid(name, `${width}×${height} px is under the minimum of ${Media.minDimension}×${Media.minDimension}`)
    )
  }
  return Effect.succeed(dimensions)
}

const make = (
  name: string,
  extension: string,
  size: number,
  head: Uint8Array,
  stream: Stream.Stream<Uint8Array, InvalidRequestError>
): Effect.Effect<Photo, InvalidRequestError> =>
  Effect.gen(function*() {
    const ext = yield* checkExtension(name, extension)
    yield* checkSize(name, size)
    const dimensions = yield* checkImage(name, ext, head)
    return { name, extension: ext, size, contentType: Media.contentType[ext], stream, dimensions }
  })

/**
 * A photo from bytes in memory.
 *
 * @since 0.1.0
 */
export const fromBytes = (bytes: Uint8Array, extension: string): Effect.Effect<Photo, InvalidRequestError> =>
  make("bytes", extension.toLowerCase(), bytes.byteLength, bytes, Stream.succeed(bytes))

/**
 * A photo from a file, read when uploaded, not when built: streamed from disk over the client's own
 * transports, read whole (at most 5 MB) over any other, so that the PUT carries its `Content-Length`.
 * The extension comes from the file name unless given.
 *
 * @example
 * ```ts
 * import { LegitmarkClient, Photo } from "@effect-legitmark/client"
 * import { NodeFileSystem } from "@effect/platform-node"
 * import { Effect } from "effect"
 *
 * // Checked (extension, size, dimensions) before anything is sent, then read when uploaded.
 * export const upload = (sr: string, side: string) =>
 *   Effect.gen(function*() {
 *     const client = yield* LegitmarkClient
 *     const photo = yield* Photo.fromPath("./front.jpg")
 *     return yield* client.media.upload(sr, side, photo)
 *   }).pipe(Effect.provide(NodeFileSystem.layer))
 * ```
 *
 * @since 0.1.0
 */
export const fromPath = (
  path: string,
  options: { readonly extension?: string } = {}
): Effect.Effect<Photo, InvalidRequestError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const cannotRead = (e: { readonly message: string }) => invalid(path, `cannot be read (${e.message})`)
    const extension = options.extension ?? Option.getOrUndefined(extensionOf(path)) ??
      path.slice(path.lastIndexOf(".") + 1)
    const info = yield* Effect.mapError(fs.stat(path), cannotRead)
    if (info.type !== "File") return yield* invalid(path, "is not a file")
    const size = Number(info.size)
    // Only the first bytes are read here; the upload streams the rest.
    const head = yield* Stream.runCollect(
      fs.stream(path, { bytesToRead: FileSystem.Size(Math.min(size, headBytes)) })
    ).pipe(Effect.map(concat), Effect.mapError(cannotRead))
    const stream = fs.stream(path, { bytesToRead: FileSystem.Size(size) }).pipe(Stream.mapError(cannotRead))
    return yield* make(path, extension.toLowerCase(), size, head, stream)
  })

/**
 * A photo from a `Stream` of bytes of a known size. The stream is run once to read its first bytes and
 * again for each upload attempt, so it must be re-runnable (as a `Stream` built from a file or a
 * request is).
 *
 * @since 0.1.0
 */
export const fromStream = <E>(
  stream: Stream.Stream<Uint8Array, E>,
  options: { readonly extension: string; readonly size: number; readonly name?: string }
): Effect.Effect<Photo, InvalidRequestError> => {
  const name = options.name ?? "stream"
  const failed = (e: E) => invalid(name, `its stream failed (${String(e)})`)
  const bytes = stream.pipe(Stream.mapError(failed))
  return takeHead(bytes).pipe(
    Effect.flatMap((head) => make(name, options.extension.toLowerCase(), options.size, head, bytes))
  )
}

// Pulls chunks until `headBytes` are in hand, then stops reading.
const takeHead = <E>(stream: Stream.Stream<Uint8Array, E>) =>
  stream.pipe(
    Stream.mapAccum(0, (before, chunk) => [before + chunk.byteLength, [before, chunk] as const]),
    Stream.takeWhile(([before]) => before < headBytes),
    Stream.map(([, chunk]) => chunk),
    Stream.runCollect,
    Effect.map(concat)
  )
