import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Seed from "../Seed.js"
import * as Errors from "./errors.js"
import { isUuid } from "./ids.js"
import type { SrPayload } from "./render.js"

/** Facts about the running server that handlers need. */
export class ServerInfo extends Context.Tag("@effect-legitmark/simulator/internal/ServerInfo")<ServerInfo, {
  readonly baseUrl: string
  readonly assetUrl: string
  readonly apiKeys: ReadonlyArray<string>
  readonly srPayload: SrPayload
}>() {}

export const json = (body: unknown, status = 200) => HttpServerResponse.unsafeJson(body, { status })

/** The language asked for in `Accept-Language` (first supported tag by preference), English by default. */
export const language = Effect.map(HttpServerRequest.HttpServerRequest, (request): Seed.Language => {
  const header = request.headers["accept-language"] ?? ""
  const tags = header.split(",").map((part, index) => {
    const [tag = "", ...params] = part.trim().split(";")
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="))
    const quality = q === undefined ? 1 : Number(q.slice(2))
    return {
      primary: tag.trim().toLowerCase().split("-")[0] ?? "",
      quality: Number.isNaN(quality) ? 0 : quality,
      index
    }
  }).filter((t) => t.quality > 0).sort((a, b) => b.quality - a.quality || a.index - b.index)
  for (const t of tags) {
    if (t.primary === "en" || t.primary === "zh" || t.primary === "ja") return t.primary
  }
  return "en"
})

/** The query string of the current request. */
export const query = Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
  const index = request.url.indexOf("?")
  return new URLSearchParams(index === -1 ? "" : request.url.slice(index + 1))
})

/** A path or query id that must be a UUID. */
export const uuidParam = (name: string, value: string | undefined) =>
  value === undefined || value === ""
    ? Effect.fail(Errors.invalid("validation/missing-field", `${name} is required.`))
    : isUuid(value)
    ? Effect.succeed(value.toLowerCase())
    : Effect.fail(Errors.invalid("validation/invalid-uuid", `${name} must be a UUID.`))

/** A boolean query flag: absent is false; `true`/`1` and `false`/`0` are accepted. */
export const flag = (params: URLSearchParams, name: string) => {
  const value = params.get(name)
  if (value === null || value === "" || value === "false" || value === "0") return Effect.succeed(false)
  if (value === "true" || value === "1") return Effect.succeed(true)
  return Effect.fail(Errors.invalid("validation/invalid-type", `${name} must be a boolean.`))
}

/** The first of several accepted spellings of a query flag. */
export const flagAny = (params: URLSearchParams, names: ReadonlyArray<string>) => {
  const name = names.find((n) => params.has(n))
  return name === undefined ? Effect.succeed(false) : flag(params, name)
}

/** Reads a JSON body (at most 1 MB). */
export const jsonBody = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  const text = yield* request.text.pipe(
    Effect.mapError(() => Errors.invalid("validation/invalid-body", "The request body could not be read."))
  )
  if (text.length > 1_000_000) {
    return yield* Effect.fail(Errors.invalid("validation/body-too-large", "The request body is too large."))
  }
  if (text.trim() === "") {
    return yield* Effect.fail(Errors.invalid("validation/missing-body", "A JSON request body is required."))
  }
  return yield* Effect.try({
    try: (): unknown => JSON.parse(text),
    catch: () => Errors.invalid("validation/invalid-json", "The request body is not valid JSON.")
  })
})
