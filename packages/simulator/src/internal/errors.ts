import * as Data from "effect/Data"

/** One entry of the documented `error.errors` list. */
export interface Issue {
  readonly code: string
  readonly message: string
}

/**
 * An answer in the documented error envelope
 * `{success: false, error: {code, timestamp, message, details?, errors?}}`.
 */
export class ApiError extends Data.TaggedError("ApiError")<{
  readonly status: number
  readonly message: string
  readonly details?: string | Readonly<Record<string, unknown>>
  readonly errors?: ReadonlyArray<Issue>
  readonly headers?: Readonly<Record<string, string>>
}> {}

export const body = (error: ApiError, now: number) => ({
  success: false,
  error: {
    code: error.status,
    timestamp: new Date(now).toISOString(),
    message: error.message,
    ...(error.details === undefined ? {} : { details: error.details }),
    ...(error.errors === undefined ? {} : { errors: error.errors })
  }
})

export const validation = (errors: ReadonlyArray<Issue>) =>
  new ApiError({ status: 400, message: errors[0]?.message ?? "Validation failed", errors })

export const invalid = (code: string, message: string) => validation([{ code, message }])

export const missingToken = () =>
  new ApiError({ status: 401, message: "Authentication required", details: "authorization/missing_token" })

export const invalidToken = () =>
  new ApiError({ status: 403, message: "Invalid API key", details: "authorization/invalid_token" })

export const notFound = (what: string) =>
  new ApiError({ status: 404, message: `${what} not found`, details: "resource/not_found" })

export const conflict = (message: string, details: string) => new ApiError({ status: 409, message, details })

/** The same error with extra response headers (spreading an Error would drop its `message`). */
export const withHeaders = (error: ApiError, headers: Readonly<Record<string, string>>) =>
  new ApiError({
    status: error.status,
    message: error.message,
    ...(error.details === undefined ? {} : { details: error.details }),
    ...(error.errors === undefined ? {} : { errors: error.errors }),
    headers: { ...error.headers, ...headers }
  })

/** The connection is dropped without an answer (faults `drop-before`, `drop-after`). */
export class ConnectionDropped extends Data.TaggedError("ConnectionDropped")<{}> {}
