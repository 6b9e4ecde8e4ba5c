/**
 * Uploads over every `HttpClient` the README names, against the simulator, which refuses what S3
 * refuses: a PUT without `Content-Length` (411), a chunked one (501 for the `Transfer-Encoding` header).
 * Node's `fetch` sends a streamed body chunked even with the length set, so a transport not known to
 * send a stream with its length gets the photo as bytes in hand; the client's own stream it from disk.
 */
import { LegitmarkClient, Photo, RetryPolicy } from "@effect-legitmark/client"
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import * as UndiciHttpClient from "@effect-legitmark/client/UndiciHttpClient"
import { Seed, Simulator } from "@effect-legitmark/simulator"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const apiKey = "leo_e2e_uploads_7d1e"
const FOOTWEAR = "25ed7133-f230-4d64-850d-0cfc698e2931"
const SNEAKERS = "95e428c2-7c4f-11ef-a623-02595575faeb"
const sides = Seed.requirements(FOOTWEAR, SNEAKERS)

const photoPath = (name: string) => fileURLToPath(new URL(`../examples/photos/${name}.png`, import.meta.url))
const photoBytes = (name: string) => new Uint8Array(readFileSync(photoPath(name)))

const transports: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["AgentHttpClient.layer", AgentHttpClient.layer],
  ["UndiciHttpClient.layer", UndiciHttpClient.layer],
  ["NodeHttpClient.layer", NodeHttpClient.layer],
  ["NodeHttpClient.layerUndici", NodeHttpClient.layerUndici],
  ["FetchHttpClient.layer", FetchHttpClient.layer]
]

const setup = (transport: Layer.Layer<HttpClient.HttpClient>) =>
  Effect.gen(function*() {
    const simulator = yield* Simulator.start({ apiKeys: [apiKey], clock: "manual" })
    const context = yield* Layer.build(
      LegitmarkClient.layer({ apiKey: Redacted.make(apiKey), baseUrl: simulator.baseUrl, assetUrl: simulator.assetUrl })
        .pipe(Layer.provide(Layer.merge(transport, RetryPolicy.none)))
    )
    return { simulator, client: Context.get(context, LegitmarkClient) }
  })

/** The bytes the simulator stored as the side's latest photo. */
const storedBytes = (simulator: Simulator.SimulatorInfo, sr: string, side: string) =>
  Effect.map(simulator.serviceRequests, (all) => {
    const found = all.find((s) => s.uuid === sr)
    const versions = found === undefined ? [] : Option.getOrElse(HashMap.get(found.media, side), () => [])
    const bytes = versions.at(-1)?.bytes
    return bytes === undefined ? undefined : new Uint8Array(bytes)
  })

for (const [name, transport] of transports) {
  describe(`uploads over ${name}`, () => {
    it.scopedLive("from a file, from bytes and from a stream: each PUT carries Content-Length and is stored", () =>
      Effect.gen(function*() {
        const { client, simulator } = yield* setup(transport)
        const sr = yield* client.serviceRequests.create({
          reference_id: `UPLOADS ${name}`,
          item: { category: FOOTWEAR, type: SNEAKERS }
        })
        const [tag, outer] = sides.required
        const [label] = sides.optional
        assert(tag !== undefined && outer !== undefined && label !== undefined, "Sneakers have these sides")

        const fromFile = yield* Photo.fromPath(photoPath("size-tag")).pipe(Effect.provide(NodeFileSystem.layer))
        yield* client.media.upload(sr.uuid, tag.uuid, fromFile)

        const url = yield* client.media.intent(sr.uuid, outer.uuid, "png")
        yield* client.media.put(url, photoBytes("outer-sides"), "png")

        const label64k = photoBytes("box-label")
        const chunks = Stream.fromIterable([label64k.slice(0, 4096), label64k.slice(4096)])
        const fromStream = yield* Photo.fromStream(chunks, { extension: "png", size: label64k.byteLength })
        yield* client.media.upload(sr.uuid, label.uuid, fromStream)

        const stats = yield* simulator.stats
        expect(stats.uploads).toBe(3)
        expect(stats.statuses["411"] ?? 0).toBe(0)
        expect(stats.statuses["501"] ?? 0).toBe(0)
        expect(yield* storedBytes(simulator, sr.uuid, tag.uuid)).toEqual(photoBytes("size-tag"))
        expect(yield* storedBytes(simulator, sr.uuid, outer.uuid)).toEqual(photoBytes("outer-sides"))
        expect(yield* storedBytes(simulator, sr.uuid, label.uuid)).toEqual(label64k)
        const { progress } = yield* client.serviceRequests.progress(sr.uuid)
        expect(progress).toMatchObject({ current_required: 2, met: true, current_optional: 1 })
      }))

    it.scopedLive("a stream that gives fewer bytes than its size: InvalidRequestError, nothing stored", () =>
      Effect.gen(function*() {
        const { client, simulator } = yield* setup(transport)
        const sr = yield* client.serviceRequests.create({
          reference_id: `SHORT ${name}`,
          item: { category: FOOTWEAR, type: SNEAKERS }
        })
        const bytes = photoBytes("size-tag")
        const short = yield* Photo.fromStream(Stream.make(bytes), { extension: "png", size: bytes.byteLength + 10 })
        const error = yield* Effect.flip(client.media.upload(sr.uuid, sides.required[0]!.uuid, short))
        assert.strictEqual(error._tag, "InvalidRequestError")
        expect(error.message).toContain("fewer than its size")
        expect((yield* simulator.stats).uploads).toBe(0)
      }))

    it.scopedLive("a refused upload says what the storage host said: its code, message and request id", () =>
      Effect.gen(function*() {
        const { client } = yield* setup(transport)
        const sr = yield* client.serviceRequests.create({
          reference_id: `REFUSED ${name}`,
          item: { category: FOOTWEAR, type: SNEAKERS }
        })
        const url = yield* client.media.intent(sr.uuid, sides.required[0]!.uuid, "png")
        const error = yield* Effect.flip(
          client.media.put(url.replace(/signature=./, "signature=x"), photoBytes("size-tag"), "png")
        )
        assert.strictEqual(error._tag, "AuthenticationError")
        if (error._tag !== "AuthenticationError") return
        expect({ status: error.status, code: error.code, message: error.message }).toEqual({
          status: 403,
          code: "SignatureDoesNotMatch",
          message: "The request signature we calculated does not match the signature you provided"
        })
        expect(error.requestId).toMatch(/^[0-9A-F]{16}$/)
      }))
  })
}
