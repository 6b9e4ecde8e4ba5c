import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { request } from "node:http"
import { connect } from "node:net"
import * as Simulator from "../src/Simulator.js"
import * as Uploads from "../src/Uploads.js"
import { api, at, call, createSr, jpeg, layer, SIZE_TAG, uploadSide } from "./utils.js"

/** The parts of S3's `<Error>` body. */
const s3Error = (xml: string) => {
  const part = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1] ?? ""
  assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<Error>/)
  return { code: part("Code"), message: part("Message"), requestId: part("RequestId") }
}

const presign = (sr: string, file: string) =>
  Effect.map(api("GET", `/intent?sr=${sr}&side=${file}`), (answer) => String(at(answer.json, "url")))

describe("uploads", () => {
  it.layer(layer())((it) => {
    it.effect("the intent answers only message and a presigned URL on the simulator", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        const sr = yield* createSr("intent")
        const answer = yield* api("GET", `/intent?sr=${sr}&side=${SIZE_TAG}.jpg`)
        assert.strictEqual(answer.status, 200)
        assert.deepStrictEqual(Object.keys(answer.json as object).sort(), ["message", "url"])
        const url = new URL(String(at(answer.json, "url")))
        assert.strictEqual(url.origin, sim.assetUrl)
        assert.strictEqual(url.pathname, `/upload/${sr}/${SIZE_TAG}.jpg`)
        assert.isNotNull(url.searchParams.get("signature"))
        assert.isNotNull(url.searchParams.get("expires"))
      }))

    it.effect("the intent refuses a missing or unknown extension, a foreign side and an unknown SR", () =>
      Effect.gen(function*() {
        const sr = yield* createSr("intent-bad")
        const noExt = yield* api("GET", `/intent?sr=${sr}&side=${SIZE_TAG}`)
        assert.strictEqual(noExt.status, 400)
        assert.strictEqual(at(noExt.json, "error", "errors", 0, "code"), "validation/missing-extension")
        const gif = yield* api("GET", `/intent?sr=${sr}&side=${SIZE_TAG}.gif`)
        assert.strictEqual(gif.status, 400)
        const foreign = yield* api("GET", `/intent?sr=${sr}&side=3c14c21f-8134-11ef-9e85-02d0d7ecc26b.jpg`)
        assert.strictEqual(foreign.status, 400)
        const unknown = yield* api("GET", `/intent?sr=00000000-0000-4000-8000-000000000000&side=${SIZE_TAG}.jpg`)
        assert.strictEqual(unknown.status, 404)
      }))

    it.effect("a PUT stores the photo: media_url lists it and serves the bytes back", () =>
      Effect.gen(function*() {
        const sr = yield* createSr("put")
        const put = yield* uploadSide(sr, SIZE_TAG)
        assert.strictEqual(put.status, 200)
        const got = yield* api("GET", `/api/v2/sr/${sr}?item=true&sides=true`)
        const side = (at(got.json, "sr", "sides", "required") as ReadonlyArray<
          { uuid: string; media_url: ReadonlyArray<{ url: string; latest: boolean; deleted: boolean }> }
        >).find((s) => s.uuid === SIZE_TAG)
        assert.strictEqual(side?.media_url.length, 1)
        assert.isTrue(side?.media_url[0]?.latest)
        const served = yield* call("GET", side?.media_url[0]?.url ?? "")
        assert.strictEqual(served.status, 200)
        assert.strictEqual(served.headers["content-type"], "image/jpeg")
      }))

    it.effect("a tampered or expired URL is refused with 403", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        const sr = yield* createSr("tamper")
        const url = yield* presign(sr, `${SIZE_TAG}.jpg`)
        const headers = { "content-type": "image/jpeg" }
        // Another first character (a signature that already started with "0" was not tampered with at all).
        const tamper = (signature: string) => `signature=${signature.endsWith("0") ? "1" : "0"}`
        const tampered = yield* call("PUT", url.replace(/signature=./, tamper), { body: jpeg, headers })
        assert.strictEqual(tampered.status, 403)
        assert.include(tampered.text, "SignatureDoesNotMatch")
        const otherSide = yield* call("PUT", url.replace(`${SIZE_TAG}.jpg`, `${SIZE_TAG}.png`), { body: jpeg, headers })
        assert.strictEqual(otherSide.status, 403)
        yield* sim.advance({ ms: Uploads.ttlMs + 1_000 })
        const expired = yield* call("PUT", url, { body: jpeg, headers })
        assert.strictEqual(expired.status, 403)
        assert.include(expired.text, "expired")
      }))

    it.effect("a Content-Type that does not match the extension is refused with 400", () =>
      Effect.gen(function*() {
        const sr = yield* createSr("content-type")
        const wrong = yield* uploadSide(sr, SIZE_TAG, "png", "image/jpeg")
        assert.strictEqual(wrong.status, 400)
        const dng = yield* uploadSide(sr, SIZE_TAG, "dng", "image/x-adobe-dng")
        assert.strictEqual(dng.status, 200)
        const heic = yield* uploadSide(sr, SIZE_TAG, "heic", "image/heic")
        assert.strictEqual(heic.status, 200)
      }))

    it.effect("a body over 5 MB is refused like S3: 400 EntityTooLarge, and nothing is stored", () =>
      Effect.gen(function*() {
        const sr = yield* createSr("too-big")
        const url = yield* presign(sr, `${SIZE_TAG}.jpg`)
        const big = new Uint8Array(Uploads.maxBytes + 1)
        const answer = yield* call("PUT", url, { body: big, headers: { "content-type": "image/jpeg" } })
        assert.strictEqual(answer.status, 400)
        assert.strictEqual(s3Error(answer.text).code, "EntityTooLarge")
        const progress = yield* api("GET", `/api/side-groups/progress?sr_id=${sr}`)
        assert.strictEqual(at(progress.json, "progress", "current_required"), 0)
      }))

    it.effect("a chunked body is refused like S3: 501 NotImplemented, and nothing is stored", () =>
      Effect.gen(function*() {
        const sr = yield* createSr("chunked")
        const url = new URL(yield* presign(sr, `${SIZE_TAG}.jpg`))
        const answer = yield* Effect.async<{ status: number; text: string }, Error>((resume) => {
          const req = request(url, { method: "PUT", headers: { "content-type": "image/jpeg" } }, (res) => {
            let text = ""
            res.on("data", (chunk: Buffer) => text += chunk.toString("utf8"))
            res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, text })))
          })
          req.on("error", (error) => resume(Effect.fail(error)))
          const chunk = new Uint8Array(1024 * 1024)
          // Six 1 MB chunks, written without a Content-Length: Node sends them chunked.
          const write = (left: number): void => {
            if (left === 0) {
              req.end()
              return
            }
            req.write(chunk, () => write(left - 1))
          }
          write(6)
        })
        assert.strictEqual(answer.status, 501)
        assert.strictEqual(s3Error(answer.text).code, "NotImplemented")
        const progress = yield* api("GET", `/api/side-groups/progress?sr_id=${sr}`)
        assert.strictEqual(at(progress.json, "progress", "current_required"), 0)
      }))

    it.effect("a PUT without Content-Length is refused like S3: 411 MissingContentLength, in S3's XML", () =>
      Effect.gen(function*() {
        const sr = yield* createSr("no-length")
        const url = new URL(yield* presign(sr, `${SIZE_TAG}.jpg`))
        // Neither Content-Length nor Transfer-Encoding: written by hand, as no HTTP client would send it.
        const raw = yield* Effect.async<string, Error>((resume) => {
          const socket = connect(Number(url.port), url.hostname, () => {
            socket.write(
              `PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: image/jpeg\r\n` +
                "Connection: close\r\n\r\n"
            )
          })
          let text = ""
          socket.on("data", (chunk: Buffer) => text += chunk.toString("utf8"))
          socket.on("end", () => resume(Effect.succeed(text)))
          socket.on("error", (error) => resume(Effect.fail(error)))
        })
        assert.match(raw, /^HTTP\/1\.1 411 /)
        const body = raw.slice(raw.indexOf("\r\n\r\n") + 4)
        const error = s3Error(body)
        assert.strictEqual(error.code, "MissingContentLength")
        assert.strictEqual(error.message, "You must provide the Content-Length HTTP header.")
        assert.match(error.requestId, /^[0-9A-F]{16}$/)
        assert.match(raw, new RegExp(`x-amz-request-id: ${error.requestId}`, "i"))
      }))

    it.effect("every refusal is S3's XML: Code, Message, RequestId", () =>
      Effect.gen(function*() {
        const sr = yield* createSr("xml")
        const url = yield* presign(sr, `${SIZE_TAG}.jpg`)
        const answer = yield* call("PUT", url.replace(/signature=./, "signature=x"), {
          body: jpeg,
          headers: { "content-type": "image/jpeg" }
        })
        assert.strictEqual(answer.status, 403)
        assert.strictEqual(answer.headers["content-type"], "application/xml")
        const error = s3Error(answer.text)
        assert.strictEqual(error.code, "SignatureDoesNotMatch")
        assert.strictEqual(answer.headers["x-amz-request-id"], error.requestId)
      }))

    it.effect("the simulator records whether uploads carried an Authorization header", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        const sr = yield* createSr("auth-seen")
        const before = yield* sim.stats
        yield* uploadSide(sr, SIZE_TAG)
        const url = yield* presign(sr, `${SIZE_TAG}.jpg`)
        yield* call("PUT", url, {
          body: jpeg,
          headers: { "content-type": "image/jpeg", authorization: "Bearer leaked" }
        })
        const after = yield* sim.stats
        assert.strictEqual(after.uploads - before.uploads, 2)
        assert.strictEqual(after.uploadsWithAuthorization - before.uploadsWithAuthorization, 1)
        assert.isAbove(after.authorization["/upload"]?.with ?? 0, 0)
      }))
  })
})
