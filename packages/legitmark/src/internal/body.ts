/**
 * Reading a request body up to a limit, keeping nothing past it.
 */
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Chunk from "effect/Chunk"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

/** The body is larger than the limit (413). */
export class BodyTooLarge extends Data.TaggedError("BodyTooLarge")<{ readonly maxBytes: number }> {
  override get message(): string {
    return `the body exceeds ${this.maxBytes} bytes`
  }
}

/** The body could not be read (the connection failed). */
export class BodyUnreadable extends Data.TaggedError("BodyUnreadable")<{}> {
  override get message(): string {
    return "the body could not be read"
  }
}

/**
 * Reads a body of at most `maxBytes`. A declared larger length is refused before reading; a longer body
 * without one is read to its end and dropped (keeping nothing past the limit), so that the 413 reaches
 * the sender instead of a reset connection. Node's server bounds how long a request may take.
 */
export const read = (
  request: HttpServerRequest.HttpServerRequest,
  maxBytes: number
): Effect.Effect<Uint8Array, BodyTooLarge | BodyUnreadable> => {
  const declared = Number(request.headers["content-length"] ?? 0)
  if (declared > maxBytes) return Effect.fail(new BodyTooLarge({ maxBytes }))
  return request.stream.pipe(
    Stream.mapError(() => new BodyUnreadable()),
    Stream.runFold({ size: 0, chunks: Chunk.empty<Uint8Array>() }, (acc, chunk) => {
      const size = acc.size + chunk.byteLength
      return { size, chunks: size > maxBytes ? Chunk.empty<Uint8Array>() : Chunk.append(acc.chunks, chunk) }
    }),
    Effect.filterOrFail(({ size }) => size <= maxBytes, () => new BodyTooLarge({ maxBytes })),
    Effect.map(({ chunks, size }) => {
      const bytes = new Uint8Array(size)
      let offset = 0
      for (const chunk of chunks) {
        bytes.set(chunk, offset)
        offset += chunk.byteLength
      }
      return bytes
    })
  )
}
