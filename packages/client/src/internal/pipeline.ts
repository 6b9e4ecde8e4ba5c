/**
 * The one request pipeline: every call goes through `execute`, which sends, times out, maps every
 * failure to a `LegitmarkError`, decodes, retries under the policy and runs in the call's span.
 */
import { ErrorBody, type FieldError } from "@effect-legitmark/schema/ErrorBody"
import * as Json from "@effect-legitmark/schema/Json"
import { LimitType, type RateLimitDetails } from "@effect-legitmark/schema/RateLimit"
import * as Headers from "@effect/platform/Headers"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DateTime from "effect/DateTime"
import * as DefaultServices from "effect/DefaultServices"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import * as Endpoints from "../Endpoints.js"
import type { LegitmarkClient } from "../LegitmarkClient.js"
import * as Errors from "../LegitmarkError.js"
import * as RateLimiter from "../RateLimiter.js"
import * as RetryPolicy from "../RetryPolicy.js"
import * as Transport from "../Transport.js"
import { concat } from "./bytes.js"
import * as Call from "./call.js"
import { defaultLookupLag } from "./config.js"
import * as Meters from "./metrics.js"
import * as S3Error from "./s3Error.js"

/**
 * One call of a declared endpoint, as the pipeline reads it from its start to its outcome: the endpoint
 * (its route, answer, errors, retry safety, span attributes), the checked input, and the request built
 * from it.
 */
export interface Operation {
  /** `"<group>.<name>"`: the call's span is `Legitmark.<name>`. */
  readonly name: string
  /** The endpoint's metric series, looked up once per call. */
  readonly meter: Meters.Meter
  readonly endpoint: Endpoints.Any
  readonly input: unknown
  readonly request: HttpClientRequest.HttpClientRequest
}

export interface Pipeline {
  /** Calls a declared endpoint: checks the arguments, builds the request, and sends it through the pipeline. */
  readonly call: (
    name: string,
    endpoint: Endpoints.Any,
    args: ReadonlyArray<unknown>
  ) => Effect.Effect<unknown, Errors.LegitmarkError>
  /**
   * Whether the transport sends a streamed body with its `Content-Length`, as a presigned PUT must carry
   * it: the client's own transports do; `fetch` sends any stream chunked, and other transports are not
   * known to, so an upload through them is read whole.
   */
  readonly streamsSizedBodies: boolean
  /** Runs `self`, several calls, in a span of the client's (each call makes its own). */
  readonly withSpan: (
    name: string,
    options: Tracer.SpanOptions
  ) => <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/** Whether `endpoint` declares that it can fail with the error tagged `tag`. */
const expects = (endpoint: Endpoints.Any, tag: Errors.LegitmarkError["_tag"]) =>
  endpoint.errors.some((error) => error._tag === tag)

export interface PipelineOptions {
  /** How requests are sent: the transport's own path, or the generic one over any `HttpClient`. */
  readonly transport: Transport.Service
  readonly apiKey: Redacted.Redacted<string>
  readonly baseUrl: string
  readonly assetUrl: string
  readonly userAgent: string
  readonly acceptLanguage: string | undefined
  readonly timeout: Duration.Duration
  /** The policy captured when the client was built; a `RetryPolicy` provided to a call wins. */
  readonly retryPolicy: RetryPolicy.Policy
  /** The limiter captured when the client was built, and the id of the API key's budget in it. */
  readonly rateLimiter: RateLimiter.Service
  readonly rateLimitKey: string
  /** The most an answer's body may hold (after decompression); reading stops past it. */
  readonly maxResponseBytes: number
  /** How long after it was sent a create in doubt may still land and show in the lookup. */
  readonly inDoubtWindow: Duration.Duration
  /** The most calls in doubt the client remembers; the least recently sent is forgotten first. */
  readonly maxInDoubt: number
}

/** The longest text an error takes from an answer. */
const excerptLength = 1024
/** The most field issues a `ValidationError` keeps. */
const maxIssues = 50

/**
 * What an error takes from an answer (a message, a code, a request id, an issue, an excerpt of the body):
 * the API key removed (as sent, JSON-escaped or URL-encoded: a server may echo it) and the text cut short.
 * Every such text goes through the one `Said` of its client.
 */
type Said = (text: string) => string

/** The forms of the API key a server may echo: as sent, JSON-escaped, URL-encoded. */
const keyForms = (apiKey: string) => [
  ...new Set([apiKey, JSON.stringify(apiKey).slice(1, -1), encodeURIComponent(apiKey)])
]

const saying = (apiKey: string): Said => {
  const forms = keyForms(apiKey)
  const room = excerptLength + Math.max(...forms.map((form) => form.length))
  return (text) => {
    // Only what can end up in the excerpt is scrubbed: a key that starts in it is whole in `head`.
    let head = text.length > room ? text.slice(0, room) : text
    for (const form of forms) head = head.replaceAll(form, "<redacted>")
    return head.length > excerptLength || text.length > room ? `${head.slice(0, excerptLength)}…` : head
  }
}

/** Strips the query from URLs that carry signatures (presigned uploads); API URLs keep theirs. */
export const safeUrl = (url: string): string => {
  const query = url.indexOf("?")
  return query >= 0 && /[?&](X-Amz-|signature=|Signature=)/.test(url) ? url.slice(0, query) : url
}

const requestIdHeaders = ["x-request-id", "x-amzn-requestid", "x-amz-request-id", "cf-ray"] as const

/** The id the server gave its answer, from the first of the headers that carry one. */
const requestIdOf = (headers: Headers.Headers, said: Said): string | undefined => {
  for (const name of requestIdHeaders) {
    const value = headers[name]
    if (value !== undefined) return said(value)
  }
  return undefined
}

const callOf = (
  request: HttpClientRequest.HttpClientRequest,
  headers?: Headers.Headers,
  said?: Said
) => {
  const requestId = headers && said && requestIdOf(headers, said)
  return {
    method: request.method,
    url: safeUrl(request.url),
    ...(requestId === undefined ? {} : { requestId })
  }
}

/**
 * OpenTelemetry's HTTP client attributes of a request: where it goes and its path, never its query (a
 * presigned upload's carries its signature; the API's, what was looked for).
 */
const requestAttributes = (request: HttpClientRequest.HttpClientRequest): Record<string, unknown> => {
  let url: URL
  try {
    url = new URL(request.url)
  } catch {
    return {}
  }
  return {
    "server.address": url.hostname,
    "server.port": url.port === "" ? (url.protocol === "http:" ? 80 : 443) : Number(url.port),
    "url.full": `${url.origin}${url.pathname}`,
    "url.path": url.pathname
  }
}

const timeoutError = (request: HttpClientRequest.HttpClientRequest, timeout: Duration.Duration) =>
  new Errors.TimeoutError({
    ...callOf(request),
    message: `No answer within ${Duration.format(timeout)}`,
    timeout
  })

/** What a transport's failure to answer means for this operation. */
const failureError = (
  failure: Transport.Failure,
  request: HttpClientRequest.HttpClientRequest,
  endpoint: Endpoints.Any,
  timeout: Duration.Duration,
  said: Said
): Errors.LegitmarkError => {
  switch (failure._tag) {
    case "Timeout":
      return timeoutError(request, timeout)
    case "TooLarge":
      // The answer was larger than the client reads: its status came, its body was cut short on purpose.
      return new Errors.UnexpectedResponseError({
        ...callOf(request, failure.head.headers, said),
        status: failure.head.status,
        message: `The answer to ${request.method} ${safeUrl(request.url)} is larger than the client reads`,
        issue:
          `answer larger than ${failure.limit} bytes (maxResponseBytes): reading stopped after ${failure.received}`,
        body: ""
      })
    case "RequestFailed":
      // A request body stream (a photo) that failed to read.
      if (
        failure.reason === "Body" && failure.cause instanceof Errors.InvalidRequestError &&
        expects(endpoint, "InvalidRequestError")
      ) {
        return failure.cause
      }
      return new Errors.UnexpectedResponseError({
        ...callOf(request),
        message: `The request could not be sent (${failure.reason})`,
        issue: failure.reason,
        body: ""
      })
    case "ConnectionFailed":
      return new Errors.TransportError({
        ...callOf(request, failure.head?.headers, said),
        message: `Connection failed${failure.code ? ` (${failure.code})` : ""}`,
        connected: failure.connected,
        ...(failure.code === undefined ? {} : { code: failure.code })
      })
  }
}

// An answer nested deeper than any the API gives is refused whole: code that walks it recursively (Effect's
// error formatting, a logger) would exhaust the stack.
const parseJson = (text: string): Either.Either<unknown, string> => {
  if (text.length === 0) return Either.left("empty body")
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    return Either.left(`malformed JSON: ${e instanceof Error ? e.message : String(e)}`)
  }
  return Json.isDeeperThan(value, Json.maxDepth)
    ? Either.left(`JSON nested deeper than ${Json.maxDepth} levels`)
    : Either.right(value)
}

const numberHeader = (value: string | undefined): number | undefined => {
  if (value === undefined || value.trim() === "") return undefined
  const n = Number(value)
  return Number.isFinite(n) ? n : undefined
}

// `Retry-After` is either delta-seconds or an HTTP date.
const parseRetryAfter = (value: string | undefined, now: number): Duration.Duration | undefined => {
  if (value === undefined) return undefined
  const seconds = numberHeader(value)
  if (seconds !== undefined) return seconds >= 0 ? Duration.seconds(seconds) : undefined
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Duration.millis(Math.max(0, date - now))
}

// The latest time a `Date` can hold, in ms either side of the epoch.
const maxDateMillis = 8.64e15

// The reset format is undocumented: seconds from now (small numbers), epoch seconds, epoch
// milliseconds or an ISO timestamp. Answered in epoch ms.
const parseResetMillis = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined) return undefined
  const n = numberHeader(value)
  const millis = n === undefined ? Date.parse(value) : n < 1e9 ? now + n * 1000 : n < 1e12 ? n * 1000 : n
  return Number.isFinite(millis) && Math.abs(millis) <= maxDateMillis ? millis : undefined
}

const parseReset = (value: string | undefined, now: number): DateTime.Utc | undefined => {
  const millis = parseResetMillis(value, now)
  return millis === undefined ? undefined : DateTime.unsafeMake(millis)
}

// A delay named in words, as in the official SDK's 429 fixture: "Rate limit exceeded. Retry after 60 seconds."
const delayInWords =
  /\b(?:retry|try again)\s+(?:after|in)\s+(\d{1,7}(?:\.\d{1,3})?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?)\b/i

const delayInMessage = (message: string | undefined): Duration.Duration | undefined => {
  const match = message === undefined ? null : delayInWords.exec(message.slice(0, 1024))
  if (match === null) return undefined
  const n = Number(match[1])
  const unit = match[2]!.toLowerCase()
  return unit === "ms" || unit.startsWith("milli") ?
    Duration.millis(n) :
    unit.startsWith("m") ?
    Duration.minutes(n) :
    Duration.seconds(n)
}

/**
 * How long the server asked the client to wait, wherever it said so: `Retry-After`, else the body's
 * `retry_after_seconds`, else its message. One reading for the error and the rate limiter alike.
 */
const askedDelay = (
  headers: Headers.Headers,
  error: ErrorBody["error"] | undefined,
  now: number
): Duration.Duration | undefined => {
  const details = typeof error?.details === "object" && error.details !== null ? error.details : undefined
  return parseRetryAfter(headers["retry-after"], now) ??
    (details?.retry_after_seconds === undefined ? undefined : Duration.seconds(details.retry_after_seconds)) ??
    delayInMessage(error?.message)
}

// The rate-limit headers of each level, named once rather than per answer.
const headersOf = (level: "partner" | "user") => ({
  level,
  limit: `x-ratelimit-limit-${level}`,
  remaining: `x-ratelimit-remaining-${level}`,
  reset: `x-ratelimit-reset-${level}`
})
const levelHeaders = { partner: headersOf("partner"), user: headersOf("user") }

// What an answer says about the rate limit, for the `RateLimiter`: its headers, and on a 429 the wait asked for.
const rateLimitAnswer = (
  { headers: h, status }: Transport.Head,
  text: string,
  now: number
): RateLimiter.Answer => {
  const levels: Array<RateLimiter.Level> = []
  for (const names of [levelHeaders.partner, levelHeaders.user]) {
    const limit = numberHeader(h[names.limit])
    if (limit === undefined) continue
    levels.push({
      level: names.level,
      limit,
      remaining: numberHeader(h[names.remaining]),
      resetAt: parseResetMillis(h[names.reset], now)
    })
  }
  if (status !== 429) return { status, levels }
  const resets = levels.flatMap((l) => (l.remaining === 0 && l.resetAt !== undefined ? [l.resetAt - now] : []))
  const retryAfter = askedDelay(h, errorOf(text), now) ??
    (resets.length === 0 ? undefined : Duration.millis(Math.max(0, ...resets)))
  return { status, levels, retryAfter }
}

const decodeLimitType = Schema.decodeSync(LimitType)

const rateLimitError = (
  call: ReturnType<typeof callOf>,
  h: Headers.Headers,
  base: { readonly status: number; readonly message: string; readonly code?: string },
  error: ErrorBody["error"] | undefined,
  now: number,
  said: Said
): Errors.RateLimitError => {
  const details: RateLimitDetails | undefined = typeof error?.details === "object" && error.details !== null ?
    error.details :
    undefined
  // The body names the limit that was hit; otherwise the exhausted header set, partner first.
  const level = details?.limit_type === "user_level" ||
      (details?.limit_type === undefined && h[levelHeaders.user.remaining] === "0" &&
        h[levelHeaders.partner.remaining] !== "0")
    ? "user"
    : "partner"
  const names = levelHeaders[level]
  const limit = details?.limit ?? numberHeader(h[names.limit])
  const remaining = numberHeader(h[names.remaining]) ??
    (details?.limit !== undefined && details.current_usage !== undefined
      ? Math.max(0, details.limit - details.current_usage)
      : undefined)
  const resetAt = parseReset(h[names.reset], now) ?? parseReset(details?.reset_time, now)
  const retryAfter = askedDelay(h, error, now) ??
    (resetAt === undefined ? undefined : Duration.millis(Math.max(0, DateTime.toEpochMillis(resetAt) - now)))
  const limitType = details?.limit_type !== undefined ?
    decodeLimitType(said(details.limit_type)) :
    h[names.limit] === undefined
    ? undefined
    : level === "user"
    ? "user_level"
    : "partner_level"
  return new Errors.RateLimitError({
    ...call,
    ...base,
    ...(retryAfter === undefined ? {} : { retryAfter }),
    ...(limitType === undefined ? {} : { limitType }),
    ...(limit === undefined ? {} : { limit }),
    ...(remaining === undefined ? {} : { remaining }),
    ...(resetAt === undefined ? {} : { resetAt })
  })
}

const decodeErrorBody = Schema.decodeUnknownOption(ErrorBody)

/** The documented error of a JSON error body, if the body is one. */
const errorOf = (text: string): ErrorBody["error"] | undefined =>
  Option.getOrUndefined(decodeErrorBody(Either.getOrUndefined(parseJson(text))))?.error

const saidIssue = (issue: FieldError, said: Said): FieldError => ({
  ...(issue.code === undefined ? {} : { code: said(issue.code) }),
  ...(issue.message === undefined ? {} : { message: said(issue.message) }),
  ...(issue.field === undefined ? {} : { field: said(issue.field) })
})

/** The one error mapping: a non-2xx answer to the error its status means for this operation. */
const errorFromResponse = (
  request: HttpClientRequest.HttpClientRequest,
  { headers, status }: Transport.Head,
  text: string,
  endpoint: Endpoints.Any,
  now: number,
  said: Said
): Errors.LegitmarkError => {
  // A storage host refusing an upload answers in S3's XML, read as the API's own error body.
  const storage = S3Error.parse(text)
  const error = errorOf(text) ?? (storage && S3Error.asApiError(storage))
  const call = storage?.requestId === undefined ?
    callOf(request, headers, said) :
    { requestId: said(storage.requestId), ...callOf(request, headers, said) }
  const code = typeof error?.details === "string" ? said(error.details) : undefined
  const base = {
    status,
    message: error?.message === undefined ? `HTTP ${status}` : said(error.message),
    ...(code === undefined ? {} : { code })
  }
  const unexpected = () =>
    new Errors.UnexpectedResponseError({
      ...call,
      status,
      message: `Unexpected HTTP ${status} for ${request.method} ${call.url}`,
      issue: `status ${status} is not an answer this call can give`,
      body: said(text)
    })
  const when = (tag: Errors.LegitmarkError["_tag"], make: () => Errors.LegitmarkError) =>
    expects(endpoint, tag) ? make() : unexpected()

  if (status === 401 || status === 403) return new Errors.AuthenticationError({ ...call, ...base })
  if (status === 429) return rateLimitError(call, headers, base, error, now, said)
  if (status >= 500) {
    const retryAfter = askedDelay(headers, error, now)
    return new Errors.ServerError({ ...call, ...base, ...(retryAfter === undefined ? {} : { retryAfter }) })
  }
  if (status === 400 || status === 411 || status === 413 || status === 422) {
    return when(
      "ValidationError",
      () =>
        new Errors.ValidationError({
          ...call,
          ...base,
          issues: (error?.errors ?? []).slice(0, maxIssues).map((issue) => saidIssue(issue, said))
        })
    )
  }
  if (status === 404) {
    return when("NotFoundError", () => new Errors.NotFoundError({ ...call, ...base }))
  }
  if (status === 409) {
    return when("ConflictError", () => new Errors.ConflictError({ ...call, ...base }))
  }
  return unexpected()
}

// A 2xx whose body could not be read: the server acted, only its answer was lost.
const isUnreadableSuccess = (error: Errors.LegitmarkError) =>
  error._tag === "UnexpectedResponseError" && error.status !== undefined && error.status < 300

/** A failure after which the server may have acted. */
type InDoubtFailure = Errors.ServerError | Errors.TransportError | Errors.TimeoutError | Errors.UnexpectedResponseError

const isInDoubt = (error: Errors.LegitmarkError): error is InDoubtFailure =>
  error._tag === "ServerError" || error._tag === "TimeoutError" ||
  (error._tag === "TransportError" && error.connected) || isUnreadableSuccess(error)

// No answer came: the request may still be on its way through the server.
const isUnanswered = (error: InDoubtFailure) => error._tag === "TimeoutError" || error._tag === "TransportError"

/** What one call carries from an attempt to the next: the rate limiter's permit of its latest request. */
interface CallState {
  permit: RateLimiter.Permit | undefined
}

/** What is known of a call's attempts that may still land. Times in epoch ms. */
interface Doubt {
  /** When the first attempt in doubt was sent, and the latest. */
  readonly since: number
  readonly lastSent: number
  readonly attempts: number
  /**
   * How long after `lastSent` one of them may still land, in ms: the in-doubt window, or longer for an
   * attempt given a longer timeout of its own (`withTimeout`).
   */
  readonly window: number
  /** The latest attempt's failure; none while it is in flight, or if it was interrupted. */
  readonly last: Option.Option<InDoubtFailure>
}

// The tracer every fiber has until the application provides one. Its spans are exported nowhere.
const nativeTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)
// The clock every fiber has until the application provides one: the one transports' timers keep to.
const liveClock = Context.get(DefaultServices.liveServices, Clock.Clock)
// Node's timers hold at most 2^31 - 1 ms; a longer deadline is left to the Clock.
const maxTimerMs = 2_147_483_647

// The limiter learns from an answer, and the headroom it reported is recorded.
const learn = (permit: RateLimiter.Permit, answer: RateLimiter.Answer) =>
  Effect.zipRight(Meters.headroom(answer), permit.observe(answer))

// Text as `Response.text()` decodes it: UTF-8, a byte-order mark dropped.
const utf8 = new TextDecoder()

export const make = (options: PipelineOptions): Pipeline => {
  const { maxInDoubt, maxResponseBytes, rateLimitKey, rateLimiter, transport } = options
  const inDoubtMillis = Duration.toMillis(options.inDoubtWindow)
  const said = saying(Redacted.value(options.apiKey))
  // The client's memory of calls that may still land, by their `doubt.key` (creates, by reference id), in
  // the order they were last sent or failed: at most `maxInDoubt`, the least recent forgotten first.
  const doubts = new Map<string, Doubt>()
  // Each endpoint's metric series, tagged once.
  const meters = new Map<string, Meters.Meter>()
  const meterOf = (name: string): Meters.Meter => {
    let meter = meters.get(name)
    if (meter === undefined) meters.set(name, meter = Meters.meter(name))
    return meter
  }
  // Under the native tracer no span is made, on any transport: it exports nothing, so no tracer could see
  // one, and a call's span cost a quarter of its CPU at 32 calls in flight (`pnpm bench`). A provided
  // tracer gets every span.
  const unseen = (fiber: Fiber.RuntimeFiber<unknown, unknown>) => fiber.currentTracer === nativeTracer
  const withSpan: Pipeline["withSpan"] = (name, spanOptions) => (self) =>
    Effect.withFiberRuntime((fiber) => unseen(fiber) ? self : Effect.withSpan(self, name, spanOptions))
  // A call's span, where unseen, is made for a failure only: the error (as it was, not as a caller's span
  // captured it) is failed again in it, so that `Cause.pretty` still names the call, under the caller's spans.
  // Where seen, a failure also names its kind (`error.type`, as OpenTelemetry's HTTP client spans do).
  const callSpan = (name: string, spanOptions: () => Tracer.SpanOptions) =>
  <A>(
    self: Effect.Effect<A, Errors.LegitmarkError>
  ): Effect.Effect<A, Errors.LegitmarkError> =>
    Effect.withFiberRuntime((fiber) =>
      unseen(fiber)
        ? Effect.catchAll(
          self,
          (error) => Effect.withSpan(Effect.fail(Cause.originalError(error)), name, spanOptions())
        )
        : Effect.withSpan(
          Effect.tapError(self, (error) => Effect.annotateCurrentSpan("error.type", error._tag)),
          name,
          spanOptions()
        )
    )

  // The timeout is the server's time to answer, body included: the one provided to the calls inside
  // `withTimeout`, else the client's. On the live clock the transport keeps it (with a timer); under any
  // other (a TestClock, a scaled clock) it is the Clock's.
  const deadlineOf = (timeout: Duration.Duration) => {
    const millis = Duration.toMillis(timeout)
    const timer = Duration.isFinite(timeout) && millis <= maxTimerMs ? millis : undefined
    const limits: Transport.Limits = { timeout: timer, maxBytes: maxResponseBytes }
    return { timeout, millis, timer, limits }
  }
  const clientDeadline = deadlineOf(options.timeout)
  const unlimited: Transport.Limits = { timeout: undefined, maxBytes: maxResponseBytes }
  const send = (
    request: HttpClientRequest.HttpClientRequest,
    endpoint: Endpoints.Any
  ): Effect.Effect<Transport.Answer, Errors.LegitmarkError> =>
    Effect.withFiberRuntime((fiber) => {
      const provided = Context.getOption(fiber.currentContext, Call.Timeout)
      const { limits, millis, timeout, timer } = Option.isNone(provided) ? clientDeadline : deadlineOf(provided.value)
      const sent = Context.get(fiber.currentDefaultServices, Clock.Clock) === liveClock && timer !== undefined ?
        transport.send(request, limits) :
        Duration.isFinite(timeout) ?
        Effect.timeoutFail(transport.send(request, unlimited), {
          duration: timeout,
          onTimeout: () => new Transport.Timeout({ millis })
        }) :
        transport.send(request, unlimited)
      return Effect.mapError(sent, (failure) => failureError(failure, request, endpoint, timeout, said))
    })

  // The head of a call's answer, for `withResponse`: its headers as the server sent them, but for the key.
  const forms = keyForms(Redacted.value(options.apiKey))
  const responseOf = (
    request: HttpClientRequest.HttpClientRequest,
    { headers, status }: Transport.Head,
    requestId: string | undefined
  ): LegitmarkClient.Response => {
    const scrubbed: Record<string, string> = {}
    for (const [name, value] of Object.entries(headers)) {
      scrubbed[name] = forms.reduce((text, form) => text.replaceAll(form, "<redacted>"), value)
    }
    return {
      status,
      headers: Headers.fromInput(scrubbed),
      ...(requestId === undefined ? {} : { requestId }),
      method: request.method,
      url: safeUrl(request.url)
    }
  }

  const attempt = (operation: Operation, state: CallState): Effect.Effect<unknown, Errors.LegitmarkError> => {
    const { endpoint, input, request } = operation
    const meter = operation.meter
    // For messages only (failures, Debug lines): not worked out on a call that needs none.
    const call = () => `${request.method} ${safeUrl(request.url)}`
    // The budget is the API key's: a request sent without it (the public lookup, a presigned upload)
    // neither waits for the limiter nor teaches it.
    const limited = request.headers["authorization"] !== undefined
    const answered = send(request, endpoint)
    const read = (
      answer: Transport.Answer,
      text: string,
      now: number
    ): Effect.Effect<unknown, Errors.LegitmarkError> => {
      if (answer.status < 200 || answer.status >= 300) {
        return Effect.fail(errorFromResponse(request, answer, text, endpoint, now, said))
      }
      const unexpected = (issue: string) =>
        new Errors.UnexpectedResponseError({
          ...callOf(request, answer.headers, said),
          status: answer.status,
          message: `The answer to ${call()} could not be read: ${said(issue.split("\n")[0] ?? "")}`,
          issue: said(issue),
          body: said(text)
        })
      const parsed = endpoint.answer.json ? parseJson(text) : Either.right(text)
      if (Either.isLeft(parsed)) return Effect.fail(unexpected(parsed.left))
      return Effect.mapError(
        endpoint.answer.decode(parsed.right, input),
        (e) => unexpected(ParseResult.TreeFormatter.formatErrorSync(e))
      )
    }
    // The answer's text, and the time it was read, once the limiter has learned from it.
    const observed = (answer: Transport.Answer, permit: RateLimiter.Permit | undefined) =>
      Effect.clockWith((clock) => {
        const now = clock.unsafeCurrentTimeMillis()
        const text = utf8.decode(answer.body)
        const seen = { answer, text, now }
        const learned = permit === undefined ? Effect.void : learn(permit, rateLimitAnswer(answer, text, now))
        return Effect.as(answer.status === 429 ? Effect.zipRight(meter.rateLimited, learned) : learned, seen)
      })
    // The limiter counts the request in flight from its permit to its answer; when no answer comes (a
    // failure, a timeout, an interruption once the permit is taken) the permit is told so.
    const exchange = limited
      ? Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(restore(Meters.waited(rateLimiter.acquire(rateLimitKey, state.permit))), (permit) => {
          state.permit = permit
          return Effect.onError(
            restore(Effect.flatMap(answered, (answer) => observed(answer, permit))),
            () => permit.observe(RateLimiter.noAnswer)
          )
        })
      )
      : Effect.flatMap(answered, (answer) => observed(answer, undefined))
    // What is seen of the answer (its status and request id on the call's span, in the Debug line, for
    // `withResponse`) is worked out only where something looks: the bench's calls pay for none of it.
    return Effect.withFiberRuntime<unknown, Errors.LegitmarkError>((fiber) => {
      const debug = !LogLevel.greaterThan(fiber.getFiberRef(FiberRef.currentMinimumLogLevel), LogLevel.Debug)
      const spanned = !unseen(fiber)
      const responses = Context.getOption(fiber.currentContext, Call.Responses)
      if (!debug && !spanned && Option.isNone(responses)) {
        return Effect.flatMap(exchange, ({ answer, now, text }) => read(answer, text, now))
      }
      const answer = Effect.flatMap(exchange, ({ answer, now, text }) => {
        const requestId = requestIdOf(answer.headers, said)
        const value = read(answer, text, now)
        const annotated = spanned
          ? Effect.zipRight(
            Effect.annotateCurrentSpan(
              requestId === undefined
                ? { "http.response.status_code": answer.status }
                : { "http.response.status_code": answer.status, "legitmark.request_id": requestId }
            ),
            value
          )
          : value
        if (!debug && Option.isNone(responses)) return annotated
        return Effect.tap(annotated, () =>
          Effect.zipRight(
            Option.isNone(responses)
              ? Effect.void
              : Ref.set(responses.value, Option.some(() => responseOf(request, answer, requestId))),
            debug
              ? Effect.logDebug(
                `Legitmark: ${call()} answered ${answer.status}${
                  requestId === undefined ? "" : ` (request id ${requestId})`
                }`
              )
              : Effect.void
          ))
      })
      return debug
        ? Effect.tapError(answer, (error) => Effect.logDebug(`Legitmark: ${call()} failed: ${error._tag}`))
        : answer
    })
  }

  // The request of a call, as its endpoint declares it: the route's method on its host, or the URL given
  // (a presigned upload); the client's headers and key, except to a storage host, which gets nothing of
  // the client's; the query, and the body.
  const hosts = { api: options.baseUrl, asset: options.assetUrl }
  const requestOf = (
    endpoint: Endpoints.Any,
    parts: Endpoints.Request<object>
  ): HttpClientRequest.HttpClientRequest => {
    const route = endpoint.route
    const url = parts.url ?? `${route.host === "storage" ? "" : hosts[route.host]}${endpoint.path(parts.params)}`
    const request = route.host === "storage"
      ? HttpClientRequest.make(route.method)(url)
      : HttpClientRequest.make(route.method)(
        url,
        parts.query === undefined
          ? { headers: headersOf(route, parts) }
          : { headers: headersOf(route, parts), urlParams: parts.query }
      )
    return parts.json === undefined ? request : HttpClientRequest.bodyUnsafeJson(request, parts.json)
  }
  // Every header in one `make`: each `acceptJson`, `bearerToken`… afterwards would copy the request and its
  // headers again. The key goes as `bearerToken` sends it; `authorization` is redacted wherever headers are
  // shown.
  const headersOf = (route: Endpoints.Any["route"], parts: Endpoints.Request<object>) => {
    const language = parts.acceptLanguage ?? options.acceptLanguage
    const headers: Record<string, string> = { accept: "application/json", "user-agent": options.userAgent }
    if (language !== undefined) headers["accept-language"] = language
    if (route.access !== "public") headers["authorization"] = `Bearer ${Redacted.value(options.apiKey)}`
    return headers
  }
  // A body of known length (a photo): streamed with its length where the transport sends it so, else read
  // whole first (at most 5 MB).
  const withBody = (request: HttpClientRequest.HttpClientRequest, body: Endpoints.SizedBody) =>
    transport.streamsSizedBodies ?
      Effect.succeed(HttpClientRequest.setBody(request, HttpBody.stream(body.stream, body.contentType, body.size))) :
      Effect.map(
        Stream.runCollect(body.stream),
        (chunks) => HttpClientRequest.setBody(request, HttpBody.uint8Array(concat(chunks), body.contentType))
      )

  // Before re-sending a call that may have been acted on, ask the server what became of it:
  // - a check that finds the result answers the call: nothing is re-sent;
  // - a check that finds nothing proves that the server did not act only when it cannot lag and the
  //   failure was an answer (a 5xx): after a timeout or a lost connection the request may still be on its
  //   way; with a check that may lag (`doubt`), only once `inDoubtWindow` has passed since the latest
  //   attempt was sent, whatever the failure. Until then the check is repeated on the policy's schedule;
  // - a 2xx whose body could not be read means the server acted: the check recovers the result;
  // - when the check itself fails, nothing is sent and the next attempt asks again.
  // With `doubt`, the attempts that may still land are remembered for the client's later calls (also
  // while one is in flight, and after an interruption), and the call fails with an `InDoubtError`.
  const reconciledAttempts = (
    operation: Operation,
    state: CallState,
    retry: Endpoints.Reconciled<unknown, unknown>,
    policy: RetryPolicy.Policy
  ): Effect.Effect<unknown, Errors.LegitmarkError> =>
    Effect.suspend(() => {
      const reconcile = retry.reconcile(operation.input, call)
      const shared = retry.doubt?.(operation.input)
      // What this call knows: its own attempts, and those of earlier calls with the same key.
      let known: Doubt | undefined
      const current = Effect.sync(() => {
        const remembered = shared === undefined ? undefined : doubts.get(shared.key)
        if (remembered !== undefined && (known === undefined || remembered.lastSent > known.lastSent)) {
          known = remembered
        }
        return known
      })
      const remember = (doubt: Doubt | undefined) =>
        Effect.sync(() => {
          known = doubt
          if (shared === undefined) return
          // Deleted first, so that a key set again moves to the end: the map runs from the least recent.
          doubts.delete(shared.key)
          if (doubt === undefined) return
          doubts.set(shared.key, doubt)
          // The least recent goes, not one found by a scan for a passed window: with one window for all,
          // the least recently sent is the first whose window passes.
          for (const key of doubts.keys()) {
            if (doubts.size <= maxInDoubt) break
            doubts.delete(key)
          }
        })
      const inDoubt = (doubt: Doubt): Errors.LegitmarkError => {
        if (shared === undefined) {
          // A check that cannot lag is only ever asked after a failure of this call.
          return Option.getOrThrow(doubt.last)
        }
        const since = DateTime.unsafeMake(doubt.since)
        const resendAfter = DateTime.unsafeMake(Math.min(doubt.lastSent + doubt.window, maxDateMillis))
        return new Errors.InDoubtError({
          ...callOf(operation.request),
          message:
            `A create for reference id ${shared.referenceId} may have gone through: ${doubt.attempts} sent since ${
              DateTime.formatIso(since)
            }, and the lookup has not found its SR (nothing is sent again before ${DateTime.formatIso(resendAfter)})`,
          referenceId: shared.referenceId,
          attempts: doubt.attempts,
          ...(Option.isSome(doubt.last) ? { lastFailure: doubt.last.value } : {}),
          since,
          resendAfter
        })
      }
      // Whether finding nothing proves that none of the attempts in doubt was acted on.
      const provedNotActed = (doubt: Doubt, now: number) =>
        shared === undefined
          ? Option.isSome(doubt.last) && !isUnanswered(doubt.last.value)
          : now - doubt.lastSent > doubt.window
      const recover = <E>(error: E) =>
        Effect.matchEffect(reconcile, {
          onFailure: () => Effect.fail(error),
          onSuccess: Option.match({ onSome: Effect.succeed, onNone: () => Effect.fail(error) })
        })
      const send = Effect.withFiberRuntime<unknown, Errors.LegitmarkError>((fiber) => {
        const before = known
        const now = Context.get(fiber.currentDefaultServices, Clock.Clock).unsafeCurrentTimeMillis()
        // A request the client waits longer for may be held longer: its window covers its own timeout.
        const timeout = Context.getOption(fiber.currentContext, Call.Timeout)
        const window = Option.isNone(timeout)
          ? inDoubtMillis
          : Math.max(inDoubtMillis, Duration.toMillis(Duration.sum(timeout.value, defaultLookupLag)))
        const inFlight: Doubt = {
          since: before?.since ?? now,
          lastSent: now,
          attempts: (before?.attempts ?? 0) + 1,
          window: Math.max(before?.window ?? 0, window),
          last: Option.none()
        }
        return remember(inFlight).pipe(
          Effect.zipRight(attempt(operation, state)),
          Effect.catchIf((error) => isUnreadableSuccess(error), recover),
          Effect.tapBoth({
            onSuccess: () => remember(undefined),
            // The error as it was made, not as the call's span captured it (a Proxy that would be kept).
            onFailure: (error) =>
              remember(isInDoubt(error) ? { ...inFlight, last: Option.some(Cause.originalError(error)) } : before)
          })
        )
      })
      const check = (doubt: Doubt) =>
        Effect.matchEffect(reconcile, {
          onFailure: () => Effect.fail(inDoubt(doubt)),
          onSuccess: (found) =>
            Effect.logDebug(
              `Legitmark: the server ${Option.isSome(found) ? "did" : "did not yet"} act on the failed call`
            ).pipe(
              Effect.zipRight(Option.match(found, {
                onSome: (result) => Effect.as(remember(undefined), result),
                onNone: () =>
                  Effect.clockWith((clock) =>
                    provedNotActed(doubt, clock.unsafeCurrentTimeMillis())
                      ? Effect.zipRight(remember(undefined), send)
                      : Effect.fail(inDoubt(doubt))
                  )
              }))
            )
        })
      const once = Effect.flatMap(current, (doubt) => doubt === undefined ? send : check(doubt))
      return RetryPolicy.apply(policy, "reconciled", operation.meter.retried)(once).pipe(
        Effect.catchAll((error) =>
          Effect.flatMap(
            current,
            (doubt) => Effect.fail(shared !== undefined && doubt !== undefined ? inDoubt(doubt) : error)
          )
        )
      )
    })

  const execute = (operation: Operation): Effect.Effect<unknown, Errors.LegitmarkError> => {
    const { endpoint, input, request } = operation
    return Effect.serviceOption(RetryPolicy.RetryPolicy).pipe(
      Effect.flatMap((provided) => {
        const policy = Option.getOrElse(provided, () => options.retryPolicy)
        const state: CallState = { permit: undefined }
        const retry = endpoint.retry
        return retry._tag === "Idempotent" ?
          RetryPolicy.apply(policy, "idempotent", operation.meter.retried)(attempt(operation, state)) :
          reconciledAttempts(operation, state, retry, policy)
      }),
      callSpan(`Legitmark.${operation.name}`, () => ({
        kind: "client",
        // A stack trace per call costs more than the call's own work; the span name says where it is.
        captureStackTrace: false,
        attributes: {
          "http.request.method": request.method,
          ...requestAttributes(request),
          ...endpoint.attributes?.(input)
        }
      }))
    )
  }

  const run: Pipeline["call"] = (name, endpoint, args) => {
    const meter = meterOf(name)
    return meter.call(Effect.flatMap(endpoint.input(...args), (input) => {
      const parts = endpoint.request(input)
      const request = requestOf(endpoint, parts)
      const { body } = parts
      return body === undefined
        ? execute({ name, meter, endpoint, input, request })
        : Effect.flatMap(withBody(request, body), (request) => execute({ name, meter, endpoint, input, request })).pipe(
          Effect.tap(() => Meters.uploaded(body.size))
        )
    }))
  }

  // A declared endpoint called from a reconciliation, under its own name.
  const names = new Map<Endpoints.Any, string>(Endpoints.all.map(({ endpoint, name }) => [endpoint, name]))
  const call: Endpoints.Call = (endpoint, ...args) =>
    run(names.get(endpoint) ?? "unnamed", endpoint, args) as Effect.Effect<
      Endpoints.Success<typeof endpoint>,
      Endpoints.ErrorOf<typeof endpoint>
    >

  return { call: run, withSpan, streamsSizedBodies: transport.streamsSizedBodies }
}

/** The client methods of a group of declared endpoints: each calls its endpoint under `<group>.<name>`. */
export const methods = <G extends Readonly<Record<string, Endpoints.Any>>>(
  pipeline: Pipeline,
  group: string,
  endpoints: G
): Endpoints.Methods<G> => {
  const out: Record<string, unknown> = {}
  for (const [key, endpoint] of Object.entries(endpoints)) {
    const name = `${group}.${key}`
    out[key] = (...args: ReadonlyArray<unknown>) => pipeline.call(name, endpoint, args)
  }
  // Each method runs its own endpoint, so it has the type `Methods` derives from that endpoint's declaration.
  return out as Endpoints.Methods<G>
}
