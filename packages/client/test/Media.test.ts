import { NodeFileSystem } from "@effect/platform-node"
import * as FileSystem from "@effect/platform/FileSystem"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { join } from "node:path"
import { LegitmarkClient } from "../src/LegitmarkClient.js"
import * as Photo from "../src/Photo.js"
import * as RetryPolicy from "../src/RetryPolicy.js"
import { assertTag } from "./support/assertTag.js"
import * as Images from "./support/images.js"
import * as MockHttp from "./support/MockHttp.js"

const apiKey = "leo_media_test_key"
const asset = "https://asset.legitmark.test"
const sr = "8e61c991-553a-4a58-9eb6-561b64c11908"
const side = "ec883c70-f896-47c9-81b6-8d6ff0b5856a"
const presigned = (n = 1) =>
  `https://storage.legitmark.test/sr/${sr}/${side}.png?X-Amz-Signature=sig${n}&X-Amz-Expires=300`
const intentAnswer = (n = 1) =>
  MockHttp.json(200, { message: "Pre-signed URL generated successfully.", url: presigned(n) })
const stored = { status: 200, body: "" } as const
const expired = { status: 403, body: "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>" }

const withMock = (script: Parameters<typeof MockHttp.layer>[0]) => {
  const http = MockHttp.layer(script)
  return Layer.mergeAll(
    LegitmarkClient.layer({ apiKey: Redacted.make(apiKey), baseUrl: "https://api.legitmark.test", assetUrl: asset })
      .pipe(
        Layer.provide(http),
        Layer.provide(RetryPolicy.none)
      ),
    http,
    NodeFileSystem.layer
  )
}

const photo = Images.png(800, 600 + 200)

describe("media.intent", () => {
  it.effect("asks the asset host for a presigned URL for sr, side and extension", () =>
    Effect.gen(function*() {
      const url = yield* (yield* LegitmarkClient).media.intent(sr, side, "JPG")
      expect(url).toBe(presigned())
      const [request] = yield* MockHttp.requests
      expect(request?.method).toBe("GET")
      expect(request?.url).toBe(`${asset}/intent?sr=${sr}&side=${side}.jpg`)
      expect(request?.headers.authorization).toBe(`Bearer ${apiKey}`)
    }).pipe(Effect.provide(withMock([intentAnswer()]))))

  it.effect.each(
    [
      ["a gif", sr, side, "gif"],
      ["no extension", sr, side, ""],
      ["a side that is not a UUID", sr, "front", "jpg"],
      ["a side with a path", sr, `${side}/../x`, "jpg"],
      ["an SR that is not a UUID", "SR-1", side, "png"]
    ] as const
  )("refuses %s before sending anything", ([, srId, sideId, ext]) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* LegitmarkClient).media.intent(srId, sideId, ext))
      assertTag(error, "InvalidRequestError")
      expect(yield* MockHttp.requests).toHaveLength(0)
    }).pipe(Effect.provide(withMock([intentAnswer()]))))
})

describe("media.put", () => {
  it.effect("PUTs the bytes with their content type and without the API key", () =>
    Effect.gen(function*() {
      yield* (yield* LegitmarkClient).media.put(presigned(), photo, "png")
      const [request, ...rest] = yield* MockHttp.requests
      expect(rest).toHaveLength(0)
      expect(request?.method).toBe("PUT")
      expect(request?.url).toBe(presigned())
      expect(request?.headers["content-type"]).toBe("image/png")
      expect(request?.headers["content-length"]).toBe(String(photo.byteLength))
      expect(request?.headers.authorization).toBeUndefined()
      expect(JSON.stringify(request)).not.toContain(apiKey)
      expect(request?.bytes).toEqual(photo)
    }).pipe(Effect.provide(withMock([stored]))))

  it.effect.each(
    [
      ["over 5 MB", new Uint8Array(5 * 1024 * 1024 + 1), "png", "5 MB"],
      ["under 600×600", Images.png(599, 900), "png", "599×900"],
      ["a PNG called jpg", Images.png(800, 800), "jpg", "the file is a png, not a jpg"],
      ["a GIF called png", new TextEncoder().encode("GIF89a\x20\x03\x20\x03"), "png", "the file is a gif, not a png"],
      ["not an image", new TextEncoder().encode("hello"), "png", "not a readable PNG"],
      ["empty", new Uint8Array(), "png", "empty"],
      ["a bmp", Images.png(800, 800), "bmp", "not one of"]
    ] as const
  )("refuses a photo %s before sending anything", ([, bytes, ext, reason]) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* LegitmarkClient).media.put(presigned(), bytes, ext))
      assertTag(error, "InvalidRequestError")
      expect(error.message).toContain(reason)
      expect(yield* MockHttp.requests).toHaveLength(0)
    }).pipe(Effect.provide(withMock([stored]))))

  it.effect("refuses a presigned URL that is not https", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* LegitmarkClient).media.put("http://storage.example.com/x", photo, "png"))
      assertTag(error, "InvalidRequestError")
      expect(yield* MockHttp.requests).toHaveLength(0)
    }).pipe(Effect.provide(withMock([stored]))))

  it.effect("maps a refused (expired) URL to AuthenticationError without its signature", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* LegitmarkClient).media.put(presigned(), photo, "png"))
      assertTag(error, "AuthenticationError")
      expect(error.status).toBe(403)
      expect(error.url).toBe(`https://storage.legitmark.test/sr/${sr}/${side}.png`)
    }).pipe(Effect.provide(withMock([expired]))))

  it.effect("checks the dimensions of a JPEG from its header", () =>
    Effect.gen(function*() {
      const client = yield* LegitmarkClient
      yield* client.media.put(presigned(), Images.jpegHeader(1200, 900, 70_000), "jpeg")
      // No APPn segment before the frame header: image-size, used before, could not read this one.
      const small = yield* Effect.flip(client.media.put(presigned(), Images.jpegHeader(640, 480), "jpg"))
      assertTag(small, "InvalidRequestError")
      expect(small.message).toContain("640×480 px is under the minimum")
      const [request, ...rest] = yield* MockHttp.requests
      expect(rest).toHaveLength(0)
      expect(request?.headers["content-type"]).toBe("image/jpeg")
    }).pipe(Effect.provide(withMock([stored]))))
})

describe("what the storage host says when it refuses an upload", () => {
  const s3 = (status: number, code: string, message: string, requestId = "4442587FB7D0A2F9") => ({
    status,
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>` +
      `<RequestId>${requestId}</RequestId><HostId>host/+id=</HostId></Error>`,
    headers: { "content-type": "application/xml" }
  })

  it.effect("411 MissingContentLength: a ValidationError with S3's code, message, issue and request id", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* LegitmarkClient).media.put(presigned(), photo, "png"))
      assertTag(error, "ValidationError")
      expect(error).toMatchObject({
        status: 411,
        code: "MissingContentLength",
        message: "You must provide the Content-Length HTTP header.",
        requestId: "4442587FB7D0A2F9",
        url: `https://storage.legitmark.test/sr/${sr}/${side}.png`
      })
      expect(error.issues).toEqual([
        { code: "MissingContentLength", message: "You must provide the Content-Length HTTP header." }
      ])
    }).pipe(Effect.provide(withMock([
      s3(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
    ]))))

  it.effect("400 EntityTooLarge: a ValidationError saying so", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* LegitmarkClient).media.put(presigned(), photo, "png"))
      assertTag(error, "ValidationError")
      expect(error.code).toBe("EntityTooLarge")
      expect(error.message).toBe("Your proposed upload exceeds the maximum allowed size")
    }).pipe(
      Effect.provide(withMock([s3(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")]))
    ))

  it.effect("501 NotImplemented (a chunked body): a ServerError, not retried, with S3's code and message", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* LegitmarkClient).media.put(presigned(), photo, "png"))
      assertTag(error, "ServerError")
      expect(error).toMatchObject({
        status: 501,
        code: "NotImplemented",
        message: "A header you provided implies functionality that is not implemented"
      })
      expect(error.isRetryable).toBe(false)
    }).pipe(Effect.provide(withMock([
      s3(501, "NotImplemented", "A header you provided implies functionality that is not implemented")
    ]))))

  it.effect("403 SignatureDoesNotMatch: an AuthenticationError with the code; the request id header wins", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* LegitmarkClient).media.put(presigned(), photo, "png"))
      assertTag(error, "AuthenticationError")
      expect(error.code).toBe("SignatureDoesNotMatch")
      expect(error.message).toBe("The request signature we calculated does not match & differs")
      expect(error.requestId).toBe("FROM-HEADER")
    }).pipe(Effect.provide(withMock([{
      ...s3(403, "SignatureDoesNotMatch", "The request signature we calculated does not match &amp; differs"),
      headers: { "content-type": "application/xml", "x-amz-request-id": "FROM-HEADER" }
    }]))))
})

describe("the body of a presigned PUT", () => {
  it.effect("on a transport not known to send a stream with its length, the photo goes as bytes in hand", () =>
    Effect.gen(function*() {
      const fromStream = yield* Photo.fromStream(Stream.fromIterable([photo.slice(0, 1000), photo.slice(1000)]), {
        extension: "png",
        size: photo.byteLength
      })
      yield* (yield* LegitmarkClient).media.upload(sr, side, fromStream)
      const [, put] = yield* MockHttp.requests
      expect(put?.bodyTag).toBe("Uint8Array")
      expect(put?.headers["content-length"]).toBe(String(photo.byteLength))
      expect(put?.bytes).toEqual(photo)
    }).pipe(Effect.provide(withMock([intentAnswer(), stored]))))

  it.effect.each([["fewer", photo.byteLength + 1], ["more", photo.byteLength - 1]] as const)(
    "a stream with %s bytes than its size is refused before anything is sent",
    ([word, size]) =>
      Effect.gen(function*() {
        const streamed = yield* Photo.fromStream(Stream.make(photo), { extension: "png", size })
        const error = yield* Effect.flip((yield* LegitmarkClient).media.upload(sr, side, streamed))
        assertTag(error, "InvalidRequestError")
        expect(error.message).toContain(`${word} than its size of ${size} bytes`)
        expect(yield* MockHttp.requests).toHaveLength(0)
      }).pipe(Effect.provide(withMock([intentAnswer(), stored])))
  )
})

describe("media.upload", () => {
  it.effect("asks for an intent, then PUTs the photo there", () =>
    Effect.gen(function*() {
      const upload = yield* (yield* LegitmarkClient).media.upload(sr, side, yield* Photo.fromBytes(photo, "png"))
      expect(upload).toEqual({ sr, side, extension: "png", size: photo.byteLength })
      const requests = yield* MockHttp.requests
      expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
        `GET ${asset}/intent?sr=${sr}&side=${side}.png`,
        `PUT ${presigned()}`
      ])
    }).pipe(Effect.provide(withMock([intentAnswer(), stored]))))

  it.effect("asks once for a fresh URL when the first has expired", () =>
    Effect.gen(function*() {
      yield* (yield* LegitmarkClient).media.upload(sr, side, yield* Photo.fromBytes(photo, "png"))
      const requests = yield* MockHttp.requests
      expect(requests.map((r) => r.method)).toEqual(["GET", "PUT", "GET", "PUT"])
      expect(requests[3]?.url).toBe(presigned(2))
      expect(requests[3]?.bytes).toEqual(photo)
    }).pipe(Effect.provide(withMock([intentAnswer(1), expired, intentAnswer(2), stored]))))

  it.effect("only once: a second refusal fails the upload", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        (yield* LegitmarkClient).media.upload(sr, side, yield* Photo.fromBytes(photo, "png"))
      )
      assertTag(error, "AuthenticationError")
      expect(yield* MockHttp.requests).toHaveLength(4)
    }).pipe(Effect.provide(withMock((_, n) => (n % 2 === 0 ? intentAnswer(n) : expired)))))

  it.scoped("streams a file from its path", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "legitmark-photo-" })
      const path = join(dir, "Front.PNG")
      yield* fs.writeFile(path, photo)
      const fromFile = yield* Photo.fromPath(path)
      expect(fromFile).toMatchObject({ extension: "png", size: photo.byteLength, dimensions: { width: 800 } })
      yield* (yield* LegitmarkClient).media.upload(sr, side, fromFile)
      const [, put] = yield* MockHttp.requests
      expect(put?.bytes).toEqual(photo)
      expect(put?.headers["content-type"]).toBe("image/png")
    }).pipe(Effect.provide(withMock([intentAnswer(), stored]))))

  it.scoped("refuses a missing file, a directory and a file with no known extension", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "legitmark-photo-" })
      yield* fs.writeFileString(join(dir, "notes.txt"), "x")
      for (const path of [join(dir, "missing.jpg"), dir, join(dir, "notes.txt")]) {
        const error = yield* Effect.flip(Photo.fromPath(path))
        assertTag(error, "InvalidRequestError")
      }
    }).pipe(Effect.provide(withMock([]))))

  it.effect("takes a re-runnable Stream of known size", () =>
    Effect.gen(function*() {
      const chunks = Stream.fromIterable([photo.slice(0, 1000), photo.slice(1000)])
      const streamed = yield* Photo.fromStream(chunks, { extension: "png", size: photo.byteLength })
      yield* (yield* LegitmarkClient).media.upload(sr, side, streamed)
      const [, put] = yield* MockHttp.requests
      expect(put?.bytes).toEqual(photo)
    }).pipe(Effect.provide(withMock([intentAnswer(), stored]))))

  it.effect("a stream that fails mid-upload is an InvalidRequestError, not a transport error", () =>
    Effect.gen(function*() {
      let runs = 0
      const flaky = Stream.suspend(() => {
        runs++
        return runs === 1
          ? Stream.make(photo)
          : Stream.concat(Stream.make(photo.slice(0, 10)), Stream.fail("disk gone"))
      })
      const streamed = yield* Photo.fromStream(flaky, { extension: "png", size: photo.byteLength })
      const error = yield* Effect.flip((yield* LegitmarkClient).media.upload(sr, side, streamed))
      assertTag(error, "InvalidRequestError")
      expect(error.message).toContain("disk gone")
    }).pipe(Effect.provide(withMock([intentAnswer(), stored]))))
})
