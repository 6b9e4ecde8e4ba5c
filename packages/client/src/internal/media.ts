import * as Media from "@effect-legitmark/schema/Media"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Effect from "effect/Effect"
import type { LegitmarkClient } from "../LegitmarkClient.js"
import { parseBaseUrl } from "../LegitmarkClient.js"
import { InvalidRequestError } from "../LegitmarkError.js"
import * as Photo from "../Photo.js"
import * as Validation from "../Validation.js"
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

  // The presigned PUT carries the bytes and their content type, and never the API key.
  const putPhoto = (url: string, photo: Photo.Photo) =>
    Effect.flatMap(validateUploadUrl(url), () =>
      pipeline.execute({
        span: "Legitmark.media.put",
        request: HttpClientRequest.put(url).pipe(
          HttpClientRequest.bodyStream(photo.stream, { contentType: photo.contentType, contentLength: photo.size })
        ),
        decode: () => Effect.void,
        json: false,
        expected: ["InvalidRequestError", "ValidationError"],
        idempotent: true,
        attributes: { "legitmark.bytes": photo.size, "legitmark.extension": photo.extension }
      }))

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
      const url = yield* intent(sr, side, photo.extension)
      // A presigned URL lives about 300 s: one that expired in between is replaced once.
      yield* putPhoto(url, photo).pipe(
        Effect.catchIf(
          (error) => error._tag === "AuthenticationError",
          (error) =>
            Effect.logDebug("Legitmark: upload URL refused, asking for a fresh one").pipe(
              Effect.annotateLogs("status", error.status),
              Effect.zipRight(intent(sr, side, photo.extension)),
              Effect.flatMap((fresh) => putPhoto(fresh, photo))
            )
        )
      )
      return { sr, side, extension: photo.extension, size: photo.size }
    }).pipe(pipeline.withSpan("Legitmark.media.upload", { attributes: { "legitmark.sr_uuid": sr } }))

  return { intent, put, upload }
}
