/**
 * The Legitmark Partner API client: one method per endpoint, each returning the exact union of errors
 * that call can produce.
 *
 * @since 0.1.0
 */
import type * as SR from "@effect-legitmark/schema/ServiceRequest"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Pipeline from "./internal/pipeline.js"
import * as ServiceRequests from "./internal/serviceRequests.js"
import type * as Errors from "./LegitmarkError.js"
import * as RetryPolicy from "./RetryPolicy.js"

/**
 * The client's types, merged with its Tag: `LegitmarkClient.Options`, `LegitmarkClient.Service`…
 *
 * @since 0.1.0
 */
export declare namespace LegitmarkClient {
  /**
   * Which parts of an SR `get` returns. `sides` needs `item`, and `requirements` needs both; the type
   * makes any other combination a compile error.
   *
   * @since 0.1.0
   */
  export type GetOptions =
    & {
      readonly summary?: boolean
      readonly user?: boolean
      readonly service?: boolean
      readonly outcome?: boolean
    }
    & (
      | { readonly item?: false; readonly sides?: never; readonly requirements?: never }
      | { readonly item: true; readonly sides?: false; readonly requirements?: never }
      | { readonly item: true; readonly sides: true; readonly requirements?: boolean }
    )

  /**
   * The body of `serviceRequests.create`, in the API's own field names.
   *
   * @since 0.1.0
   */
  export type CreateInput = typeof SR.CreateServiceRequest.Encoded

  /**
   * @since 0.1.0
   */
  export interface ServiceRequests {
    /** Opens a DRAFT SR for an item (`POST /api/v2/sr`). */
    readonly create: (
      input: CreateInput
    ) => Effect.Effect<
      SR.ServiceRequest,
      Errors.InvalidRequestError | Errors.ValidationError | Errors.ConflictError | Errors.CommonError
    >
    /** Reads an SR with the parts `include` asks for (`GET /api/v2/sr/{uuid}`). */
    readonly get: (
      uuid: string,
      include?: GetOptions
    ) => Effect.Effect<SR.ServiceRequest, Errors.InvalidRequestError | Errors.NotFoundError | Errors.CommonError>
    /** Submits a DRAFT for QC and authentication (`POST /api/v2/sr/{uuid}/submit`). */
    readonly submit: (
      uuid: string
    ) => Effect.Effect<
      SR.SubmittedServiceRequest,
      | Errors.InvalidRequestError
      | Errors.ValidationError
      | Errors.NotFoundError
      | Errors.ConflictError
      | Errors.CommonError
    >
  }

  /**
   * @since 0.1.0
   */
  export interface Service {
    readonly serviceRequests: ServiceRequests
  }

  /**
   * @since 0.1.0
   */
  export interface Options {
    /** The partner API key (`leo_…`). */
    readonly apiKey: Redacted.Redacted<string>
    /** Default `https://api.legitmark.com`. Must be https unless the host is loopback. */
    readonly baseUrl?: string | URL
    /** The upload-intent host. Default `https://asset.legitmark.com`. */
    readonly assetUrl?: string | URL
    /** The longest one attempt may take, answer body included. Default 30 s. */
    readonly timeout?: Duration.DurationInput
    /** Sent as `User-Agent`. */
    readonly userAgent?: string
    /** `Accept-Language` for localized answers (en, zh, ja). */
    readonly acceptLanguage?: string
  }
}

/**
 * Every part of an SR.
 *
 * @since 0.1.0
 */
export const fullServiceRequest: LegitmarkClient.GetOptions = {
  summary: true,
  item: true,
  sides: true,
  requirements: true,
  user: true,
  service: true,
  outcome: true
}

/**
 * @since 0.1.0
 */
export const defaultBaseUrl = "https://api.legitmark.com"

/**
 * @since 0.1.0
 */
export const defaultAssetUrl = "https://asset.legitmark.com"

/**
 * @since 0.1.0
 */
export const version = "0.1.0"

const loopbackHost = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i

/**
 * Parses a base URL: https, or http on a loopback host; no credentials, query or fragment.
 *
 * @since 0.1.0
 */
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

const headerSafe = (value: string) => !/[\r\n\0]/.test(value)

interface Resolved {
  readonly apiKey: Redacted.Redacted<string>
  readonly baseUrl: string
  readonly assetUrl: string
  readonly timeout: Duration.Duration
  readonly userAgent: string
  readonly acceptLanguage: string | undefined
}

const resolve = (options: LegitmarkClient.Options): Either.Either<Resolved, ConfigError.ConfigError> => {
  const invalid = (path: string, message: string) => Either.left(ConfigError.InvalidData([path], message))
  const key = Redacted.value(options.apiKey)
  if (key.trim() === "") return invalid("apiKey", "the API key must not be empty")
  if (!headerSafe(key) || /\s/.test(key)) return invalid("apiKey", "the API key must not contain whitespace")
  const baseUrl = parseBaseUrl(options.baseUrl ?? defaultBaseUrl)
  if (Either.isLeft(baseUrl)) return invalid("baseUrl", baseUrl.left)
  const assetUrl = parseBaseUrl(options.assetUrl ?? defaultAssetUrl)
  if (Either.isLeft(assetUrl)) return invalid("assetUrl", assetUrl.left)
  const userAgent = options.userAgent ?? `effect-legitmark/${version}`
  if (!headerSafe(userAgent)) return invalid("userAgent", "must not contain CR, LF or NUL")
  if (options.acceptLanguage !== undefined && !headerSafe(options.acceptLanguage)) {
    return invalid("acceptLanguage", "must not contain CR, LF or NUL")
  }
  const timeout = Duration.decode(options.timeout ?? Duration.seconds(30))
  return Either.right({
    apiKey: options.apiKey,
    baseUrl: baseUrl.right,
    assetUrl: assetUrl.right,
    timeout,
    userAgent,
    acceptLanguage: options.acceptLanguage
  })
}

/**
 * Builds the client. Fails with a `ConfigError` for an empty key or a base URL that is neither https
 * nor loopback.
 *
 * @since 0.1.0
 */
export const make = (
  options: LegitmarkClient.Options
): Effect.Effect<LegitmarkClient.Service, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const config = yield* resolve(options)
    if (!Redacted.value(config.apiKey).startsWith("leo_")) {
      yield* Effect.logWarning("Legitmark: the API key does not start with leo_; partner keys usually do")
    }
    const retryPolicy = Option.getOrElse(yield* Effect.serviceOption(RetryPolicy.RetryPolicy), () =>
      RetryPolicy.defaultPolicy)
    const httpClient = yield* HttpClient.HttpClient
    const pipeline = Pipeline.make({ ...config, httpClient, retryPolicy })
    return { serviceRequests: ServiceRequests.make(pipeline) }
  })

/**
 * @since 0.1.0
 */
export const layer = (
  options: LegitmarkClient.Options
): Layer.Layer<LegitmarkClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(LegitmarkClient, make(options))

const httpUrl = (name: string, fallback: string) =>
  Config.string(name).pipe(
    Config.withDefault(fallback),
    Config.mapOrFail((value) =>
      Either.mapLeft(parseBaseUrl(value), (message) => ConfigError.InvalidData([name], message))
    )
  )

/**
 * The configuration read by {@link layerConfig} when given none: `LEGITMARK_API_KEY` (required),
 * `LEGITMARK_BASE_URL`, `LEGITMARK_ASSET_URL`.
 *
 * @since 0.1.0
 */
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

/**
 * The client configured from `Config` (by default the environment, see {@link config}).
 *
 * @since 0.1.0
 */
export const layerConfig = (
  options: Config.Config<LegitmarkClient.Options> = config
): Layer.Layer<LegitmarkClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(LegitmarkClient, Effect.flatMap(options, make))

/**
 * The client as a service: `yield* LegitmarkClient` in a program, `LegitmarkClient.layerConfig()` to
 * provide it.
 *
 * @since 0.1.0
 */
export class LegitmarkClient extends Context.Tag("@effect-legitmark/client/LegitmarkClient")<
  LegitmarkClient,
  LegitmarkClient.Service
>() {
  /** @since 0.1.0 */
  static readonly make = make
  /** @since 0.1.0 */
  static readonly layer = layer
  /** @since 0.1.0 */
  static readonly layerConfig = layerConfig
  /** @since 0.1.0 */
  static readonly config = config
}
