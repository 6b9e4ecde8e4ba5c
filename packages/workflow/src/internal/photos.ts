/**
 * A photo named in a workflow's payload: a file path, or an http(s) URL downloaded (at most 5 MB) when
 * its side is uploaded. The payload holds only the name, so it stays small and serializable.
 */
import * as LegitmarkError from "@effect-legitmark/client/LegitmarkError"
import * as Photo from "@effect-legitmark/client/Photo"
import * as Media from "@effect-legitmark/schema/Media"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Chunk from "effect/Chunk"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

/** A download that may work later (a 5xx, a 429, a broken connection): the step retries it. */
export class PhotoUnavailable extends Data.TaggedError("PhotoUnavailable")<{ readonly message: string }> {
  get isRetryable(): boolean {
    return true
  }
}

const isUrl = (source: string) => /^https?:\/\//i.test(source)

const invalid = (source: string, issue: string) =>
  new LegitmarkError.InvalidRequestError({ message: `Invalid photo ${source}: ${issue}`, issues: [issue] })

const download = (source: string) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const url = yield* Effect.try({ try: () => new URL(source), catch: () => invalid(source, "is not a URL") })
    const safe = `${url.origin}${url.pathname}`
    const extension = Option.getOrUndefined(Photo.extensionOf(url.pathname))
    const response = yield* client.execute(HttpClientRequest.get(url)).pipe(
      Effect.timeoutFail({
        duration: "60 seconds",
        onTimeout: () => new PhotoUnavailable({ message: `${safe} did not answer within 60 s` })
      }),
      Effect.catchTags({
        RequestError: (e) => new PhotoUnavailable({ message: `${safe}: ${e.reason}` }),
        ResponseError: (e) => new PhotoUnavailable({ message: `${safe}: ${e.reason}` })
      })
    )
    if (response.status >= 500 || response.status === 429) {
      return yield* new PhotoUnavailable({ message: `${safe} answered ${response.status}` })
    }
    if (response.status >= 300) return yield* invalid(safe, `the download answered ${response.status}`)
    const type = (response.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase()
    const fromType = Object.entries(Media.contentType).find(([, t]) => t === type)?.[0]
    // Read at most one byte past the limit, so that a larger body is refused without being kept.
    const chunks = yield* response.stream.pipe(
      Stream.mapAccum(0, (size, chunk) => [size + chunk.byteLength, { size: size + chunk.byteLength, chunk }] as const),
      Stream.takeUntil(({ size }) => size > Media.maxBytes),
      Stream.runCollect,
      Effect.timeoutFail({
        duration: "60 seconds",
        onTimeout: () => new PhotoUnavailable({ message: `${safe} did not send its body within 60 s` })
      }),
      Effect.catchTag("ResponseError", (e) => new PhotoUnavailable({ message: `${safe}: ${e.reason}` }))
    )
    const size = Chunk.reduce(chunks, 0, (n, { chunk }) => n + chunk.byteLength)
    if (size > Media.maxBytes) return yield* invalid(safe, `it is over the limit of ${Media.maxBytes} bytes (5 MB)`)
    const bytes = new Uint8Array(size)
    let offset = 0
    for (const { chunk } of chunks) {
      bytes.set(chunk, offset)
      offset += chunk.byteLength
    }
    return yield* Photo.fromBytes(bytes, extension ?? fromType ?? "")
  }).pipe(Effect.scoped)

/** Reads (or downloads) the photo named `source` and checks it as `Photo.fromPath` does. */
export const load = (
  source: string
): Effect.Effect<
  Photo.Photo,
  LegitmarkError.InvalidRequestError | PhotoUnavailable,
  FileSystem.FileSystem | HttpClient.HttpClient
> => isUrl(source) ? download(source) : Photo.fromPath(source)
