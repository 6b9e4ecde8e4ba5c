import * as Media from "@effect-legitmark/schema/Media"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { LegitmarkClient } from "../LegitmarkClient.js"
import { InvalidRequestError } from "../LegitmarkError.js"
import * as Photo from "../Photo.js"
import * as Validation from "../Validation.js"
import { concat } from "./bytes.js"
import { parseBaseUrl } from "./config.js"
import { decoder } from "./decoder.js"
import type { Pipeline } from "./pipeline.js"
import { safeUrl } from "./pipeline.js"

const decodeIntent = decoder(Media.IntentResponse)

// A presigned URL may point at any storage host, but must be https (or loopback) like the API hosts.
const validateUploadUrl = (url: string) => {
  const parsed = URL.canParse(url) ? parseBaseUrl(new URL(url).origin) : undefined
  return parsed?._tag === "Right" ?
    Effect.succeed(url) :
    Effect.fail(
      new InvalidRequestError({
        message: `Invalid upload URL ${safeUrl(url)}: it must be an https URL`,
        issues: ["upload URL must be https (or http on a loopback host)"]
      })
    )
}

// A photo's bytes, failing unless there are exactly as many as its size says (the `Content-Length` sent):
// a transport would otherwise wait for bytes that never come, or send more than announced.
const exactly = (photo: Photo.Photo): Stream.Stream<Uint8Array, InvalidRequestError> => {
  const mismatch = (got: string) =>
    new InvalidRequestError({
      message: `Invalid photo ${photo.name}: its bytes are ${got} its size of ${photo.size} bytes`,
      issues: [`the stream does not give the ${photo.size} bytes announced`]
    })
  return Stream.suspend(() => {
    let sent = 0
    return photo.stream.pipe(
      Stream.mapEffect((chunk) => {
        sent += chunk.byteLength
        return sent > photo.size ? Effect.fail(mismatch("more than")) : Effect.succeed(chunk)
      }),
      Stream.concat(Stream.suspend(() => sent < photo.size ? Stream.fail(mismatch("fewer than")) : Stream.empty))
    )
  })
}

export const make = (pipeline: Pipeline): LegitmarkClient.Media => {
  const intent: LegitmarkClient.Media["intent"] = (sr, side, extension) =>
    Effect.flatMap(Validation.intent({ sr, side, extension: extension.toLowerCase() }), (input) =>
      pipeline.execute({
        span: "Legitmark.media.intent",
        request: pipeline.request("GET", "/intent", {
          host: "asset",
          urlParams: { sr: input.sr, side: `${input.side}.${input.extension}` }
        }),
        decode: (u) => Effect.map(decodeIntent(u), (r) => r.url),
        expected: ["ValidationError", "NotFoundError"],
        idempotent: true,
        attributes: { "legitmark.sr_uuid": input.sr, "legitmark.side_uuid": input.side }
      }))

  // A presigned PUT must carry `Content-Length`: S3 refuses a chunked body (411, or 501 for the header).
  // Streamed from disk where the transport sends a stream with its length; read whole (at most 5 MB)
  // where it might not.
  const bodyOf = (photo: Photo.Photo): Effect.Effect<HttpBody.HttpBody, InvalidRequestError> => {
    const bytes = exactly(photo)
    return pipeline.streamsSizedBodies ?
      Effect.succeed(HttpBody.stream(bytes, photo.contentType, photo.size)) :
      Effect.map(Stream.runCollect(bytes), (chunks) => HttpBody.uint8Array(concat(chunks), photo.contentType))
  }

  // The presigned PUT carries the bytes and their content type, and never the API key.
  const putBody = (url: string, photo: Photo.Photo, body: HttpBody.HttpBody) =>
    Effect.flatMap(validateUploadUrl(url), () =>
      pipeline.execute({
        span: "Legitmark.media.put",
        request: HttpClientRequest.setBody(HttpClientRequest.put(url), body),
        decode: () => Effect.void,
        json: false,
        expected: ["InvalidRequestError", "ValidationError"],
        idempotent: true,
        attributes: { "legitmark.bytes": photo.size, "legitmark.extension": photo.extension }
      }))

  const putPhoto = (url: string, photo: Photo.Photo) =>
    Effect.flatMap(bodyOf(photo), (body) => putBody(url, photo, body))

  const put: LegitmarkClient.Media["put"] = (
    url: string,
    body: Photo.Photo | Uint8Array,
    extension?: string
  ) =>
    body instanceof Uint8Array ?
      Effect.flatMap(Photo.fromBytes(body, extension ?? ""), (photo) => putPhoto(url, photo)) :
      putPhoto(url, body)

  const upload: LegitmarkClient.Media["upload"] = (sr, side, photo) =>
    Effect.gen(function*() {
      const body = yield* bodyOf(photo)
      const url = yield* intent(sr, side, photo.extension)
      // A presigned URL lives about 300 s: one that expired in between is replaced once.
      yield* putBody(url, photo, body).pipe(
        Effect.catchIf(
          (error) => error._tag === "AuthenticationError",
          (error) =>
            Effect.logDebug("Legitmark: upload URL refused, asking for a fresh one").pipe(
              Effect.annotateLogs("status", error.status),
              Effect.zipRight(intent(sr, side, photo.extension)),
              Effect.flatMap((fresh) => putBody(fresh, photo, body))
            )
        )
      )
      return { sr, side, extension: photo.extension, size: photo.size }
    }).pipe(pipeline.withSpan("Legitmark.media.upload", { attributes: { "legitmark.sr_uuid": sr } }))

  return { intent, put, upload }
}
