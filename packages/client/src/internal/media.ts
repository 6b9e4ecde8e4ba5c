/**
 * The calls of the media group written on top of its declared endpoints: `put` of raw bytes, and
 * `upload` (intent, then PUT, with one fresh URL when the first has expired).
 */
import * as Effect from "effect/Effect"
import type * as Endpoints from "../Endpoints.js"
import * as Photo from "../Photo.js"
import { inHand } from "./photoBody.js"
import type { Pipeline } from "./pipeline.js"

export const make = (pipeline: Pipeline, methods: Endpoints.Methods<typeof Endpoints.media>) => {
  const put = (url: string, body: Photo.Photo | Uint8Array, extension?: string) =>
    body instanceof Uint8Array ?
      Effect.flatMap(Photo.fromBytes(body, extension ?? ""), (photo) => methods.put(url, photo)) :
      methods.put(url, body)

  const upload = (sr: string, side: string, photo: Photo.Photo) =>
    Effect.gen(function*() {
      // Where the transport might send a stream chunked, the photo is read whole first: once for every PUT,
      // and before any request is sent.
      const body = pipeline.streamsSizedBodies ? photo : yield* inHand(photo)
      const url = yield* methods.intent(sr, side, photo.extension)
      // A presigned URL lives about 300 s: one that expired in between is replaced once.
      yield* methods.put(url, body).pipe(
        Effect.catchIf(
          (error) => error._tag === "AuthenticationError",
          (error) =>
            Effect.logDebug("Legitmark: upload URL refused, asking for a fresh one").pipe(
              Effect.annotateLogs("status", error.status),
              Effect.zipRight(methods.intent(sr, side, photo.extension)),
              Effect.flatMap((fresh) => methods.put(fresh, body))
            )
        )
      )
      return { sr, side, extension: photo.extension, size: photo.size }
    }).pipe(pipeline.withSpan("Legitmark.media.upload", { attributes: { "legitmark.sr_uuid": sr } }))

  return { ...methods, put, upload }
}
