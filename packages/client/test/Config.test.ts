import { assert, describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { LegitmarkClient } from "../src/LegitmarkClient.js"
import * as Fixtures from "./support/fixtures.js"
import * as MockHttp from "./support/MockHttp.js"

const srUuid = "8e61c991-553a-4a58-9eb6-561b64c11908"

const fromEnv = (env: Record<string, string>) => {
  const http = MockHttp.layer([MockHttp.json(200, Fixtures.getResponse)])
  return Layer.merge(
    LegitmarkClient.layerConfig().pipe(
      Layer.provide(http),
      Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
    ),
    http
  )
}

const build = (env: Record<string, string>) => Effect.either(Effect.scoped(Layer.build(fromEnv(env))))

describe("layerConfig", () => {
  it.effect("reads the key and the default hosts from the environment", () =>
    Effect.gen(function*() {
      yield* (yield* LegitmarkClient).serviceRequests.get(srUuid)
      const [request] = yield* MockHttp.requests
      expect(request?.url).toBe(`https://api.legitmark.com/api/v2/sr/${srUuid}`)
      expect(request?.headers.authorization).toBe("Bearer leo_from_env")
    }).pipe(Effect.provide(fromEnv({ LEGITMARK_API_KEY: "leo_from_env" }))))

  it.effect("takes LEGITMARK_BASE_URL, and plain http on loopback", () =>
    Effect.gen(function*() {
      yield* (yield* LegitmarkClient).serviceRequests.get(srUuid)
      const [request] = yield* MockHttp.requests
      expect(request?.url).toBe(`http://127.0.0.1:4010/prefix/api/v2/sr/${srUuid}`)
    }).pipe(
      Effect.provide(fromEnv({ LEGITMARK_API_KEY: "leo_k", LEGITMARK_BASE_URL: "http://127.0.0.1:4010/prefix/" }))
    ))

  it.effect("a missing key is a ConfigError naming LEGITMARK_API_KEY", () =>
    Effect.gen(function*() {
      const result = yield* build({})
      assert(Either.isLeft(result))
      expect(String(result.left)).toContain("LEGITMARK_API_KEY")
    }))

  it.effect("an empty key is a ConfigError", () =>
    Effect.gen(function*() {
      const result = yield* build({ LEGITMARK_API_KEY: "  " })
      assert(Either.isLeft(result))
      expect(String(result.left)).toContain("LEGITMARK_API_KEY must not be empty")
    }))

  it.effect.each([
    "http://api.legitmark.com",
    "http://10.0.0.5:8080",
    "ftp://127.0.0.1",
    "https://user:pw@api.legitmark.com",
    "not a url"
  ])("refuses the base URL %s", (url) =>
    Effect.gen(function*() {
      const result = yield* build({ LEGITMARK_API_KEY: "leo_k", LEGITMARK_BASE_URL: url })
      assert(Either.isLeft(result))
      expect(String(result.left)).toContain("LEGITMARK_BASE_URL")
    }))

  it.effect("refuses a non-https asset URL", () =>
    Effect.gen(function*() {
      const result = yield* build({ LEGITMARK_API_KEY: "leo_k", LEGITMARK_ASSET_URL: "http://media.legitmark.com" })
      assert(Either.isLeft(result))
      expect(String(result.left)).toContain("LEGITMARK_ASSET_URL")
    }))
})

describe("make", () => {
  const make = (options: LegitmarkClient.Options) =>
    Effect.either(LegitmarkClient.make(options)).pipe(Effect.provide(MockHttp.layer([])))

  it.effect.each(
    [
      ["an empty key", { apiKey: Redacted.make("") }, "apiKey"],
      ["a key with a line break", { apiKey: Redacted.make("leo_a\r\nX-Evil: 1") }, "apiKey"],
      ["a user agent with a line break", { apiKey: Redacted.make("leo_k"), userAgent: "x\r\ny" }, "userAgent"],
      ["an http base URL", { apiKey: Redacted.make("leo_k"), baseUrl: "http://example.com" }, "baseUrl"],
      ["a key that is not ASCII", { apiKey: Redacted.make("leo_ключ") }, "apiKey"],
      ["a user agent that is not ASCII", { apiKey: Redacted.make("leo_k"), userAgent: "クライアント" }, "userAgent"],
      ["a language that is not ASCII", { apiKey: Redacted.make("leo_k"), acceptLanguage: "中文" }, "acceptLanguage"],
      ["a response cap of 0 bytes", { apiKey: Redacted.make("leo_k"), maxResponseBytes: 0 }, "maxResponseBytes"],
      ["a fractional response cap", { apiKey: Redacted.make("leo_k"), maxResponseBytes: 1.5 }, "maxResponseBytes"],
      ["no room for a create in doubt", { apiKey: Redacted.make("leo_k"), maxInDoubt: 0 }, "maxInDoubt"],
      ["a fractional in-doubt cap", { apiKey: Redacted.make("leo_k"), maxInDoubt: 2.5 }, "maxInDoubt"]
    ] as const
  )("refuses %s with a ConfigError", ([, options, path]) =>
    Effect.gen(function*() {
      const result = yield* make(options)
      assert(Either.isLeft(result))
      assert.strictEqual(result.left._op, "InvalidData")
      expect(String(result.left)).toContain(path)
    }))

  it.effect("accepts IPv6 loopback and localhost over http", () =>
    Effect.gen(function*() {
      for (const baseUrl of ["http://[::1]:8080", "http://localhost:3000"]) {
        expect(Either.isRight(yield* make({ apiKey: Redacted.make("leo_k"), baseUrl }))).toBe(true)
      }
    }))
})
