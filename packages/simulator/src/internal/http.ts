import * as Json from "@effect-legitmark/schema/Json"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
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

/** The largest request body the API routes take (JSON; photos go to the upload route, which has its own). */
export const maxBodyBytes = 1_000_000

/** The request's body as text, read by the router (at most {@link maxBodyBytes}) before the route runs. */
export class RequestBody
  extends Context.Tag("@effect-legitmark/simulator/internal/RequestBody")<RequestBody, string>()
{}

/** The 413 of a body over {@link maxBodyBytes}: the rest is not read, so the connection is closed after it. */
export const tooLarge = () =>
  new Errors.ApiError({
    status: 413,
    message: `The request body is larger than ${maxBodyBytes} bytes.`,
    details: "validation/body-too-large",
    headers: { connection: "close" }
  })

/** Whether the request declares a body larger than {@link maxBodyBytes}: refused before a byte is read. */
export const declaresTooLarge = (request: HttpServerRequest.HttpServerRequest) =>
  Number(request.headers["content-length"] ?? 0) > maxBodyBytes

/**
 * How a face reads a request's body: up to {@link maxBodyBytes}, failing with {@link tooLarge} as soon as
 * more arrives, so that an endless body costs at most that much memory. This default reads
 * `request.stream`, whose end (past the limit) may close the connection before the 413 is sent; the
 * server face provides a reader that leaves it open for the answer.
 */
export class BodyReader extends Context.Reference<BodyReader>()("@effect-legitmark/simulator/internal/BodyReader", {
  defaultValue: (): Effect.Effect<string, Errors.ApiError, HttpServerRequest.HttpServerRequest> =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      if (declaresTooLarge(request)) return yield* tooLarge()
      const decoder = new TextDecoder()
      let size = 0
      let text = ""
      yield* request.stream.pipe(
        // A request without a body has no stream on some faces (the in-process one): an empty body.
        Stream.catchAll(() =>
          size === 0
            ? Stream.empty
            : Stream.fail(Errors.invalid("validation/invalid-body", "The request body could not be read."))
        ),
        Stream.runForEach((chunk) => {
          size += chunk.byteLength
          if (size > maxBodyBytes) return tooLarge()
          text += decoder.decode(chunk, { stream: true })
          return Effect.void
        })
      )
      return text + decoder.decode()
    })
}) {}

/** Parses the body as JSON, refusing one nested deeper than `Json.maxDepth`, which no request needs. */
export const jsonBody = Effect.gen(function*() {
  const text = yield* RequestBody
  if (text.trim() === "") {
    return yield* Effect.fail(Errors.invalid("validation/missing-body", "A JSON request body is required."))
  }
  const body = yield* Effect.try({
    try: (): unknown => JSON.parse(text),
    catch: () => Errors.invalid("validation/invalid-json", "The request body is not valid JSON.")
  })
  if (Json.isDeeperThan(body, Json.maxDepth)) {
    return yield* Effect.fail(
      Errors.invalid("validation/too-deep", `The request body nests deeper than ${Json.maxDepth} levels.`)
    )
  }
  return body
})

/**
 * How long after its creation an SR stays invisible to the public lookup (simulated ms): set for a request
 * by the `lagging-lookup` fault, as a real lookup lags behind a create (replicas, caches).
 */
export class LookupLag extends Context.Reference<LookupLag>()("@effect-legitmark/simulator/internal/LookupLag", {
  defaultValue: () => 0
}) {}
