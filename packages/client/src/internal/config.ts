/**
 * The client's configuration: its defaults, the checks on its options and URLs, and what it reads from
 * `Config`.
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import type { LegitmarkClient } from "../LegitmarkClient.js"
import * as Validation from "../Validation.js"

export const defaultBaseUrl = "https://api.legitmark.com"

export const defaultAssetUrl = "https://asset.legitmark.com"

export const version = "0.1.0"

export const defaultMaxResponseBytes = 8 * 1024 * 1024

export const defaultMaxInDoubt = 10_000

export const defaultLookupLag: Duration.Duration = Duration.seconds(30)

const loopbackHost = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i

export const parseBaseUrl = (input: string | URL): Either.Either<string, string> => {
  let url: URL
  try {
    url = new URL(input)
  } catch {
    return Either.left(`${String(input)} is not a URL`)
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopbackHost.test(url.hostname))) {
    return Either.left(`${url.origin} must use https (plain http is allowed only on a loopback host)`)
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    return Either.left("a base URL must not carry credentials, a query or a fragment")
  }
  return Either.right(url.href.replace(/\/+$/, ""))
}

/** The options, checked and with their defaults. */
export interface Resolved {
  readonly apiKey: Redacted.Redacted<string>
  readonly baseUrl: string
  readonly assetUrl: string
  readonly timeout: Duration.Duration
  readonly userAgent: string
  readonly acceptLanguage: string | undefined
  readonly maxResponseBytes: number
  readonly inDoubtWindow: Duration.Duration
  readonly maxInDoubt: number
}

export const resolve = (options: LegitmarkClient.Options): Either.Either<Resolved, ConfigError.ConfigError> => {
  const invalid = (path: string, message: string) => Either.left(ConfigError.InvalidData([path], message))
  const key = Redacted.value(options.apiKey)
  if (key.trim() === "") return invalid("apiKey", "the API key must not be empty")
  if (!Validation.isHeaderValue(key) || /\s/.test(key)) {
    return invalid("apiKey", "the API key must be printable ASCII without whitespace")
  }
  const baseUrl = parseBaseUrl(options.baseUrl ?? defaultBaseUrl)
  if (Either.isLeft(baseUrl)) return invalid("baseUrl", baseUrl.left)
  const assetUrl = parseBaseUrl(options.assetUrl ?? defaultAssetUrl)
  if (Either.isLeft(assetUrl)) return invalid("assetUrl", assetUrl.left)
  const userAgent = options.userAgent ?? `effect-legitmark/${version}`
  if (!Validation.isHeaderValue(userAgent)) return invalid("userAgent", "must be printable ASCII")
  if (options.acceptLanguage !== undefined && !Validation.isHeaderValue(options.acceptLanguage)) {
    return invalid("acceptLanguage", "must be printable ASCII")
  }
  const timeout = Duration.decode(options.timeout ?? Duration.seconds(30))
  const maxResponseBytes = options.maxResponseBytes ?? defaultMaxResponseBytes
  if (!Number.isSafeInteger(maxResponseBytes) || maxResponseBytes < 1) {
    return invalid("maxResponseBytes", "must be a positive integer")
  }
  const inDoubtWindow = options.inDoubtWindow === undefined
    ? Duration.sum(timeout, defaultLookupLag)
    : Duration.decode(options.inDoubtWindow)
  const maxInDoubt = options.maxInDoubt ?? defaultMaxInDoubt
  if (!Number.isSafeInteger(maxInDoubt) || maxInDoubt < 1) return invalid("maxInDoubt", "must be a positive integer")
  return Either.right({
    apiKey: options.apiKey,
    baseUrl: baseUrl.right,
    assetUrl: assetUrl.right,
    timeout,
    userAgent,
    acceptLanguage: options.acceptLanguage,
    maxResponseBytes,
    inDoubtWindow,
    maxInDoubt
  })
}

const httpUrl = (name: string, fallback: string) =>
  Config.string(name).pipe(
    Config.withDefault(fallback),
    Config.mapOrFail((value) =>
      Either.mapLeft(parseBaseUrl(value), (message) => ConfigError.InvalidData([name], message))
    )
  )

export const config: Config.Config<LegitmarkClient.Options> = Config.all({
  apiKey: Config.redacted("LEGITMARK_API_KEY").pipe(
    Config.validate({
      message: "LEGITMARK_API_KEY must not be empty",
      validation: (key) => Redacted.value(key).trim() !== ""
    })
  ),
  baseUrl: httpUrl("LEGITMARK_BASE_URL", defaultBaseUrl),
  assetUrl: httpUrl("LEGITMARK_ASSET_URL", defaultAssetUrl)
})
