/**
 * The Legitmark Partner API client: one method per endpoint, each returning the exact union of errors
 * that call can produce.
 *
 * @since 0.1.0
 */
import type * as Media_ from "@effect-legitmark/schema/Media"
import type * as Side from "@effect-legitmark/schema/Side"
import type * as Taxonomy_ from "@effect-legitmark/schema/Taxonomy"
import type * as Headers from "@effect/platform/Headers"
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
import type * as Stream from "effect/Stream"
import * as Endpoints from "./Endpoints.js"
import * as Call from "./internal/call.js"
import * as ClientConfig from "./internal/config.js"
import * as HttpClientTransport from "./internal/httpClientTransport.js"
import * as Media from "./internal/media.js"
import * as Pagination from "./internal/pagination.js"
import * as Pipeline from "./internal/pipeline.js"
import type * as Errors from "./LegitmarkError.js"
import type * as Photo from "./Photo.js"
import * as RateLimiter from "./RateLimiter.js"
import * as RetryPolicy from "./RetryPolicy.js"
import * as Transport from "./Transport.js"

/**
 * The client's types, merged with its Tag: `LegitmarkClient.Options`, `LegitmarkClient.Service`…
 *
 * @since 0.1.0
 */
export declare namespace LegitmarkClient {
  /**
   * Which parts of an SR `get` returns (`Endpoints.GetOptions`).
   *
   * @since 0.1.0
   */
  export type GetOptions = Endpoints.GetOptions

  /**
   * The body of `serviceRequests.create`, in the API's own field names.
   *
   * @since 0.1.0
   */
  export type CreateInput = Endpoints.CreateInput

  /**
   * The service requests: one method per endpoint of `Endpoints.serviceRequests`, documented there.
   *
   * @since 0.1.0
   */
  export interface ServiceRequests extends Endpoints.Methods<typeof Endpoints.serviceRequests> {}

  /**
   * A language for localized answers (`Accept-Language`): en, zh, ja.
   *
   * @since 0.1.0
   */
  export type Language = Endpoints.Language

  /**
   * @since 0.1.0
   */
  export type CallOptions = Endpoints.CallOptions

  /**
   * Pagination of taxonomy lists: `pageNumber` ≥ 1, `pageSize` 1–100.
   *
   * @since 0.1.0
   */
  export type PageOptions = Endpoints.PageOptions

  /**
   * One page of a list, with the position the server reported.
   *
   * @since 0.1.0
   */
  export type Page<A> = Endpoints.Page<A>

  /**
   * The failures of a lookup by id.
   *
   * @since 0.1.0
   */
  export type LookupError = Errors.InvalidRequestError | Errors.NotFoundError | Errors.CommonError

  /**
   * The failures of a list.
   *
   * @since 0.1.0
   */
  export type ListError = Errors.InvalidRequestError | Errors.CommonError

  /**
   * The catalog: one method per endpoint of `Endpoints.taxonomy`, documented there; paginated lists also
   * come as a lazy `Stream` of every item (`stream*`), which fetches a page only when its items are pulled.
   *
   * @since 0.1.0
   */
  export interface Taxonomy extends Endpoints.Methods<typeof Endpoints.taxonomy> {
    /** Every category, page after page. */
    readonly streamCategories: (
      options?: Omit<PageOptions, "pageNumber"> & { readonly activeOnly?: boolean }
    ) => Stream.Stream<Taxonomy_.Category, ListError>
    /** Every type, page after page. */
    readonly streamTypes: (options?: Omit<PageOptions, "pageNumber">) => Stream.Stream<Taxonomy_.Type, ListError>
    /** Every brand, page after page. */
    readonly streamBrands: (options?: Omit<PageOptions, "pageNumber">) => Stream.Stream<Taxonomy_.Brand, ListError>
    /** Every model the filter selects, page after page. */
    readonly streamModels: (
      options?: Omit<PageOptions, "pageNumber"> & ModelFilter
    ) => Stream.Stream<Taxonomy_.Model, ListError>
    /** Every side, page after page. */
    readonly streamSides: (options?: Omit<PageOptions, "pageNumber">) => Stream.Stream<Side.Side, ListError>
  }

  /**
   * Filters of `models`, by UUID.
   *
   * @since 0.1.0
   */
  export type ModelFilter = Endpoints.ModelFilter

  /**
   * What an upload sent.
   *
   * @since 0.1.0
   */
  export interface Upload {
    readonly sr: string
    readonly side: string
    readonly extension: Media_.Extension
    readonly size: number
  }

  /**
   * Photo uploads: one method per endpoint of `Endpoints.media`, documented there; `put` also takes raw
   * bytes, and `upload` does the intent and the PUT.
   *
   * @since 0.1.0
   */
  export interface Media extends Endpoints.Methods<typeof Endpoints.media> {
    /**
     * PUTs a photo to a presigned URL, always with its `Content-Length` (S3 refuses a chunked body). Bytes
     * are checked as `Photo.fromBytes` checks them. A refusal carries the storage host's XML `Code`,
     * `Message` and `RequestId`.
     */
    readonly put: {
      (
        url: string,
        photo: Photo.Photo
      ): Effect.Effect<void, Errors.InvalidRequestError | Errors.ValidationError | Errors.CommonError>
      (
        url: string,
        bytes: Uint8Array,
        extension: string
      ): Effect.Effect<void, Errors.InvalidRequestError | Errors.ValidationError | Errors.CommonError>
    }
    /**
     * Intent then PUT, asking once for a fresh URL when the first one was refused (expired). Build the
     * photo with `Photo.fromPath`, `Photo.fromBytes` or `Photo.fromStream`, which check it first.
     */
    readonly upload: (
      sr: string,
      side: string,
      photo: Photo.Photo
    ) => Effect.Effect<
      Upload,
      Errors.InvalidRequestError | Errors.ValidationError | Errors.NotFoundError | Errors.CommonError
    >
  }

  /**
   * @since 0.1.0
   */
  export interface Service {
    readonly serviceRequests: ServiceRequests
    readonly media: Media
    readonly taxonomy: Taxonomy
  }

  /**
   * The head of the answer a call got: its status and headers as the server sent them (an API key a
   * server echoes is `<redacted>`), the id the server gave it, and which call it answered (`url` without
   * the signature of a presigned upload).
   *
   * @since 0.2.0
   */
  export interface Response {
    readonly status: number
    readonly headers: Headers.Headers
    /** From `x-request-id`, `x-amzn-requestid`, `x-amz-request-id` or `cf-ray`, as failures carry it. */
    readonly requestId?: string
    readonly method: string
    readonly url: string
  }

  /**
   * What {@link withResponse} gives: the effect's value, and the answer of its latest call to succeed.
   *
   * @since 0.2.0
   */
  export interface WithResponse<A> {
    readonly value: A
    readonly response: Option.Option<Response>
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
    /**
     * The longest one attempt may take, answer body included. Default 30 s. {@link withTimeout} sets
     * another for some calls.
     */
    readonly timeout?: Duration.DurationInput
    /** Sent as `User-Agent`. */
    readonly userAgent?: string
    /** `Accept-Language` for localized answers (en, zh, ja). */
    readonly acceptLanguage?: string
    /**
     * The most an answer's body may hold, in bytes after decompression; reading stops past it, with an
     * `UnexpectedResponseError`. Default {@link defaultMaxResponseBytes} (8 MiB), far above any real answer.
     */
    readonly maxResponseBytes?: number
    /**
     * How long after it was sent a create that failed without proof (a 5xx, a timeout, a lost connection)
     * may still land and show in the lookup by reference id: until then a 404 from the lookup proves
     * nothing and the create is not sent again. Default: `timeout` plus {@link defaultLookupLag} (30 s). A
     * create given a longer timeout of its own ({@link withTimeout}) is in doubt for that timeout plus
     * {@link defaultLookupLag}, if that is longer.
     */
    readonly inDoubtWindow?: Duration.DurationInput
    /**
     * The most creates in doubt the client remembers (by reference id); past it, the least recently sent
     * is forgotten, as a restart would. Default {@link defaultMaxInDoubt} (10,000).
     */
    readonly maxInDoubt?: number
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
export const defaultBaseUrl = ClientConfig.defaultBaseUrl

/**
 * @since 0.1.0
 */
export const defaultAssetUrl = ClientConfig.defaultAssetUrl

/**
 * @since 0.1.0
 */
export const version = ClientConfig.version

/**
 * The default `maxResponseBytes`: 8 MiB. The largest answers (a catalog page of 100, a full SR) are a few
 * tens of kilobytes.
 *
 * @since 0.1.0
 */
export const defaultMaxResponseBytes = ClientConfig.defaultMaxResponseBytes

/**
 * The default `maxInDoubt`: 10,000 creates in doubt, about 12.6 KB each with their last failure (120 MB
 * at most; `docs/in-doubt-memory.md`).
 *
 * @since 0.1.0
 */
export const defaultMaxInDoubt = ClientConfig.defaultMaxInDoubt

/**
 * How long the lookup by reference id is allowed to lag behind a create (and a request to be held past the
 * client's timeout) in the default `inDoubtWindow`: 30 s.
 *
 * @since 0.1.0
 */
export const defaultLookupLag: Duration.Duration = ClientConfig.defaultLookupLag

/**
 * Parses a base URL: https, or http on a loopback host; no credentials, query or fragment.
 *
 * @since 0.1.0
 */
export const parseBaseUrl: (input: string | URL) => Either.Either<string, string> = ClientConfig.parseBaseUrl

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
    const config = yield* ClientConfig.resolve(options)
    if (!Redacted.value(config.apiKey).startsWith("leo_")) {
      yield* Effect.logWarning("Legitmark: the API key does not start with leo_; partner keys usually do")
    }
    const retryPolicy = Option.getOrElse(yield* Effect.serviceOption(RetryPolicy.RetryPolicy), () =>
      RetryPolicy.defaultPolicy)
    // Without a RateLimiter in context, each client keeps its own in-memory budget.
    const rateLimiter = yield* Option.match(yield* Effect.serviceOption(RateLimiter.RateLimiter), {
      onNone: () =>
        RateLimiter.makeMemory(),
      onSome: Effect.succeed
    })
    const rateLimitKey = yield* RateLimiter.keyId(config.apiKey)
    // The transport's own path when it offers one for this very HttpClient (the client's own transports do;
    // a wrapped one is another client); any other HttpClient goes through the generic path.
    const httpClient = yield* HttpClient.HttpClient
    const offered = Option.filter(
      yield* Effect.serviceOption(Transport.Transport),
      (transport) => transport.httpClient === httpClient
    )
    const transport = Option.getOrElse(offered, () => HttpClientTransport.make(httpClient))
    const pipeline = Pipeline.make({
      ...config,
      transport,
      retryPolicy,
      rateLimiter,
      rateLimitKey
    })
    const taxonomy = Pipeline.methods(pipeline, "taxonomy", Endpoints.taxonomy)
    const service: LegitmarkClient.Service = {
      serviceRequests: Pipeline.methods(pipeline, "serviceRequests", Endpoints.serviceRequests),
      media: Media.make(pipeline, Pipeline.methods(pipeline, "media", Endpoints.media)),
      taxonomy: {
        ...taxonomy,
        // Each page is a call of its own, the first one checking the options.
        streamCategories: (options) =>
          Pagination.stream((pageNumber) => taxonomy.categories({ ...options, pageNumber })),
        streamTypes: (options) => Pagination.stream((pageNumber) => taxonomy.types({ ...options, pageNumber })),
        streamBrands: (options) => Pagination.stream((pageNumber) => taxonomy.brands({ ...options, pageNumber })),
        streamModels: (options) => Pagination.stream((pageNumber) => taxonomy.models({ ...options, pageNumber })),
        streamSides: (options) => Pagination.stream((pageNumber) => taxonomy.sides({ ...options, pageNumber }))
      }
    }
    return service
  })

/**
 * @since 0.1.0
 */
export const layer = (
  options: LegitmarkClient.Options
): Layer.Layer<LegitmarkClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(LegitmarkClient, make(options))

/**
 * The configuration read by {@link layerConfig} when given none: `LEGITMARK_API_KEY` (required),
 * `LEGITMARK_BASE_URL`, `LEGITMARK_ASSET_URL`.
 *
 * @since 0.1.0
 */
export const config: Config.Config<LegitmarkClient.Options> = ClientConfig.config

/**
 * The client configured from `Config` (by default the environment, see {@link config}).
 *
 * @example
 * ```ts
 * import { LegitmarkClient } from "@effect-legitmark/client"
 * import { NodeHttpClient } from "@effect/platform-node"
 * import { Effect, Layer } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* LegitmarkClient
 *   const sr = yield* client.serviceRequests.create({
 *     reference_id: "SKU-2024-0891",
 *     item: { category: "cc30b104-7c47-11ef-a623-02595575faeb", type: "95e42d6b-7c4f-11ef-a623-02595575faeb" }
 *   })
 *   return yield* client.serviceRequests.get(sr.uuid, { item: true, sides: true })
 * })
 *
 * // Reads LEGITMARK_API_KEY (required), LEGITMARK_BASE_URL and LEGITMARK_ASSET_URL.
 * const MainLayer = LegitmarkClient.layerConfig().pipe(Layer.provide(NodeHttpClient.layerUndici))
 *
 * export const main = program.pipe(Effect.provide(MainLayer))
 * ```
 *
 * @since 0.1.0
 */
export const layerConfig = (
  options: Config.Config<LegitmarkClient.Options> = config
): Layer.Layer<LegitmarkClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(LegitmarkClient, Effect.flatMap(options, make))

/**
 * Runs `self` with the head of the answer its calls got: `response` is that of the latest call inside to
 * succeed (for one method, its own; after retries, the attempt that answered; for a create found by the
 * lookup after a failure, the lookup's), and `None` when no call inside succeeded (a value from a cache).
 * A failure is the call's error as it is: it carries the status and request id already. An enclosing
 * `withResponse` hears of the calls inside this one too.
 *
 * @example
 * ```ts
 * import { LegitmarkClient } from "@effect-legitmark/client"
 * import { Effect, Option } from "effect"
 *
 * export const tree = Effect.gen(function*() {
 *   const client = yield* LegitmarkClient
 *   const { response, value } = yield* LegitmarkClient.withResponse(client.taxonomy.tree())
 *   if (Option.isSome(response)) {
 *     yield* Effect.logInfo(`${response.value.status}, request id ${response.value.requestId ?? "none"}`)
 *   }
 *   return value
 * })
 * ```
 *
 * @since 0.2.0
 */
export const withResponse: <A, E, R>(
  self: Effect.Effect<A, E, R>
) => Effect.Effect<LegitmarkClient.WithResponse<A>, E, R> = Call.withResponse

/**
 * Runs `self` with `timeout` in place of the client's `timeout` for every call inside: the longest one
 * attempt may take, answer body included, as the client's own; a `TimeoutError` names it. The innermost
 * `withTimeout` wins. A create given a longer timeout than the client's stays in doubt for longer (see
 * `Options.inDoubtWindow`): a request the client waited longer for may be held longer.
 *
 * @example
 * ```ts
 * import { LegitmarkClient } from "@effect-legitmark/client"
 * import { Effect } from "effect"
 *
 * export const quick = Effect.flatMap(LegitmarkClient, (client) => client.taxonomy.tree()).pipe(
 *   LegitmarkClient.withTimeout("5 seconds")
 * )
 * ```
 *
 * @since 0.2.0
 */
export const withTimeout: {
  (timeout: Duration.DurationInput): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, timeout: Duration.DurationInput): Effect.Effect<A, E, R>
} = Call.withTimeout

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
  /** @since 0.2.0 */
  static readonly withResponse = withResponse
  /** @since 0.2.0 */
  static readonly withTimeout = withTimeout
}
