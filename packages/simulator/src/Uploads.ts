/**
 * Presigned upload URLs, served by the simulator itself in the role of S3: HMAC-signed, expiring on
 * the simulated clock, strict about `Content-Type` and size.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto"
import { SimClock } from "./SimClock.js"
import type { Media } from "./Store.js"
import { Store } from "./Store.js"

/**
 * Allowed extensions and the `Content-Type` each must be uploaded with.
 *
 * @since 0.1.0
 */
export const contentTypes = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  heic: "image/heic",
  dng: "image/x-adobe-dng"
} as const

/**
 * @since 0.1.0
 */
export type Extension = keyof typeof contentTypes

/**
 * @since 0.1.0
 */
export const isExtension = (s: string): s is Extension => Object.hasOwn(contentTypes, s)

/**
 * Largest accepted photo.
 *
 * @since 0.1.0
 */
export const maxBytes = 5 * 1024 * 1024

/**
 * How long a presigned URL stays valid (simulated time).
 *
 * @since 0.1.0
 */
export const ttlMs = 300_000

/**
 * An S3-style refusal, answered as XML like S3 does.
 *
 * @since 0.1.0
 */
export class UploadError extends Data.TaggedError("UploadError")<{
  readonly status: number
  readonly code: string
  readonly message: string
}> {}

/**
 * A body over {@link maxBytes}: S3 answers 400 `EntityTooLarge`.
 *
 * @since 0.1.0
 */
export const entityTooLarge = new UploadError({
  status: 400,
  code: "EntityTooLarge",
  message: `Your proposed upload exceeds the maximum allowed size of ${maxBytes} bytes`
})

/**
 * @since 0.1.0
 */
export interface Target {
  readonly sr: string
  readonly side: string
  readonly extension: Extension
}

/**
 * @since 0.1.0
 */
export interface UploadsService {
  /** A presigned PUT URL for the target on `assetUrl`. */
  readonly presign: (target: Target, assetUrl: string) => Effect.Effect<string>
  /** Checks the signature and expiry of a PUT. */
  readonly verify: (
    target: Target,
    query: { readonly expires: string | undefined; readonly signature: string | undefined }
  ) => Effect.Effect<void, UploadError>
  /** Reads a body of at most `maxBytes` and stores it as the side's newest photo. */
  readonly store: <E>(
    target: Target,
    contentType: string | undefined,
    body: Stream.Stream<Uint8Array, E>
  ) => Effect.Effect<Media, UploadError | E>
  /** The bytes of a stored photo version. */
  readonly read: (target: Target, version: string | undefined) => Effect.Effect<Option.Option<Media>>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Uploads extends Context.Tag("@effect-legitmark/simulator/Uploads")<Uploads, UploadsService>() {}

/**
 * The path a target is uploaded to.
 *
 * @since 0.1.0
 */
export const path = (target: Target) => `/upload/${target.sr}/${target.side}.${target.extension}`

/**
 * Public URL of a stored photo version (served back by the simulator).
 *
 * @since 0.1.0
 */
export const mediaUrl = (assetUrl: string, target: Target, version: string) =>
  `${assetUrl}/media/sr/${target.sr}/${target.side}.${target.extension}?version=${version}`

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const clock = yield* SimClock
  const store = yield* Store
  // A fresh secret per simulator: URLs from another instance never verify.
  const secret = randomBytes(32)
  const sign = (target: Target, expires: string) =>
    createHmac("sha256", secret).update(`PUT\n${path(target)}\n${expires}`).digest("hex")

  const presign = (target: Target, assetUrl: string) =>
    Effect.map(clock.now, (now) => {
      const expires = String(Math.floor((now + ttlMs) / 1000))
      return `${assetUrl}${path(target)}?expires=${expires}&signature=${sign(target, expires)}`
    })

  const verify = (
    target: Target,
    query: { readonly expires: string | undefined; readonly signature: string | undefined }
  ) =>
    Effect.gen(function*() {
      const { expires, signature } = query
      if (expires === undefined || signature === undefined || !/^\d+$/.test(expires)) {
        return yield* new UploadError({ status: 403, code: "AccessDenied", message: "Request is not signed" })
      }
      const expected = Buffer.from(sign(target, expires), "utf8")
      const given = Buffer.from(signature, "utf8")
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
        return yield* new UploadError({
          status: 403,
          code: "SignatureDoesNotMatch",
          message: "The request signature we calculated does not match the signature you provided"
        })
      }
      const now = yield* clock.now
      if (now > Number(expires) * 1000) {
        return yield* new UploadError({ status: 403, code: "AccessDenied", message: "Request has expired" })
      }
    })

  // Past the cap the rest is read and dropped rather than refused mid-stream: the client gets to read the
  // refusal instead of a connection reset, and memory stays bounded by the cap.
  const readBody = <E>(body: Stream.Stream<Uint8Array, E>) =>
    body.pipe(
      Stream.runFold({ chunks: [] as Array<Uint8Array>, size: 0 }, (acc, chunk) => {
        const size = acc.size + chunk.length
        if (size <= maxBytes) acc.chunks.push(chunk)
        return { chunks: size <= maxBytes ? acc.chunks : [], size }
      }),
      Effect.filterOrFail(({ size }) => size <= maxBytes, () => entityTooLarge),
      Effect.map(({ chunks }) => Buffer.concat(chunks))
    )

  const save = <E>(
    target: Target,
    contentType: string | undefined,
    body: Stream.Stream<Uint8Array, E>
  ) =>
    Effect.gen(function*() {
      const expected = contentTypes[target.extension]
      const given = contentType?.split(";")[0]?.trim().toLowerCase()
      if (given !== expected) {
        return yield* new UploadError({
          status: 400,
          code: "InvalidContentType",
          message: `Content-Type must be ${expected} for .${target.extension}, got ${contentType ?? "none"}`
        })
      }
      const bytes = yield* readBody(body)
      if (bytes.length === 0) {
        return yield* new UploadError({ status: 400, code: "EmptyBody", message: "The request body is empty" })
      }
      const now = yield* clock.now
      return yield* store.modify(target.sr, (sr) => {
        const versions = Option.getOrElse(HashMap.get(sr.media, target.side), (): ReadonlyArray<Media> => [])
        const id = versions.length + 1
        const version = createHmac("sha256", secret).update(`${sr.uuid}/${target.side}/${id}`).digest("base64url")
          .slice(0, 32)
        const media: Media = {
          id,
          version,
          extension: target.extension,
          contentType: expected,
          bytes,
          uploadedAt: now,
          deleted: false
        }
        return Effect.succeed(
          [media, { ...sr, updatedAt: now, media: HashMap.set(sr.media, target.side, [...versions, media]) }] as const
        )
      }).pipe(
        Effect.catchTag(
          "ServiceRequestNotFound",
          () => new UploadError({ status: 404, code: "NoSuchKey", message: "The service request does not exist" })
        )
      )
    })

  const read = (target: Target, version: string | undefined) =>
    Effect.map(
      store.get(target.sr),
      (sr) =>
        Option.flatMap(sr, (sr) =>
          Option.flatMap(HashMap.get(sr.media, target.side), (versions) =>
            Option.fromNullable(
              version === undefined ? versions[versions.length - 1] : versions.find((v) => v.version === version)
            )))
    )

  return Uploads.of({ presign, verify, store: save, read })
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Uploads, never, SimClock | Store> = Layer.effect(Uploads, make)
