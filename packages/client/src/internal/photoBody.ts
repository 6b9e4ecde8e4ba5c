/**
 * A photo's bytes as a request body: exactly as many as its size says, streamed or in hand.
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { InvalidRequestError } from "../LegitmarkError.js"
import type * as Photo from "../Photo.js"
import { concat } from "./bytes.js"

/**
 * A photo's bytes, failing unless there are exactly as many as its size says (the `Content-Length` sent):
 * a transport would otherwise wait for bytes that never come, or send more than announced.
 */
export const exactly = (photo: Photo.Photo): Stream.Stream<Uint8Array, InvalidRequestError> => {
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

/** The photo with its bytes read whole (at most 5 MB), checked against its size. */
export const inHand = (photo: Photo.Photo): Effect.Effect<Photo.Photo, InvalidRequestError> =>
  Effect.map(Stream.runCollect(exactly(photo)), (chunks) => ({ ...photo, stream: Stream.succeed(concat(chunks)) }))
