/**
 * Expected failures of a command: each becomes one line on stderr and an exit code, never a stack trace.
 */
import * as LegitmarkError from "@effect-legitmark/client/LegitmarkError"
import type * as PlatformError from "@effect/platform/Error"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import type * as Legitmark from "effect-legitmark/Legitmark"
import * as ConfigError from "effect/ConfigError"
import { CliError, ExitCode } from "../CliError.js"

/** Bad input: nothing was sent that changed anything. */
export const input = (message: string): CliError => new CliError({ message, exitCode: ExitCode.input })

/** A failure of the API, the network or a server. */
export const failed = (message: string): CliError => new CliError({ message, exitCode: ExitCode.failed })

const configLeaves = (error: ConfigError.ConfigError): ReadonlyArray<string> => {
  switch (error._op) {
    case "And":
    case "Or":
      return [...configLeaves(error.left), ...configLeaves(error.right)]
    case "MissingData":
      return [`${error.path.join(".")} is not set`]
    case "InvalidData":
    case "SourceUnavailable":
    case "Unsupported":
      // A validation's message names the variable already, and its path is empty.
      return [error.path.length === 0 ? error.message : `${error.path.join(".")}: ${error.message}`]
  }
}

/** `LEGITMARK_API_KEY is not set`, rather than Effect's nested rendering. */
export const fromConfigError = (error: ConfigError.ConfigError): CliError =>
  input(`configuration: ${[...new Set(configLeaves(error))].join("; ")} (see legitmark --help)`)

const call = (
  error: { readonly status?: number | undefined; readonly requestId?: string | undefined }
) => [
  error.status === undefined ? "" : ` (${error.status})`,
  error.requestId === undefined ? "" : ` [request ${error.requestId}]`
]

/** A client error as one line: its tag, status, message and request id (which support can look up). */
export const fromLegitmarkError = (error: LegitmarkError.LegitmarkError): CliError => {
  if (error._tag === "InvalidRequestError") return input(error.message)
  const [status, requestId] = call(error)
  return failed(`${error._tag}${status}: ${error.message}${requestId}`)
}

/** The errors the commands meet, each worded as a `CliError`. */
export type Known =
  | CliError
  | LegitmarkError.LegitmarkError
  | ConfigError.ConfigError
  | Legitmark.MissingPhotosError
  | Legitmark.VerdictTimeoutError
  | HttpServerError.ServeError
  | PlatformError.PlatformError

/** Words any failure a command can meet. */
export const from = (error: Known): CliError => {
  if (ConfigError.isConfigError(error)) return fromConfigError(error)
  if (LegitmarkError.isLegitmarkError(error)) return fromLegitmarkError(error)
  switch (error._tag) {
    case "CliError":
      return error
    case "MissingPhotosError":
      return input(error.message)
    case "VerdictTimeoutError":
      return failed(error.message)
    case "ServeError":
      return failed(`cannot listen: ${causeMessage(error.cause)}`)
    case "BadArgument":
    case "SystemError":
      return failed(error.message)
  }
}

const causeMessage = (cause: unknown): string =>
  cause instanceof Error ? cause.message : typeof cause === "string" ? cause : "the server could not start"
