/**
 * How the `legitmark` commands fail: one `CliError`, already worded for the person at the terminal, with
 * the exit code the bin ends with.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * How a run ended: `ok` (0); `failed` (1): the API, the network or a local server failed; `input` (2): the
 * command line, its input (a photo, a name) or the configuration is wrong, and nothing was changed;
 * `defect` (70): a bug, printed with its trace.
 *
 * @since 0.1.0
 * @category exit codes
 */
export const ExitCode = { ok: 0, failed: 1, input: 2, defect: 70 } as const

/**
 * An expected failure of a command: `message` is the line the bin prints (after `legitmark: `).
 *
 * @since 0.1.0
 * @category errors
 */
export class CliError extends Schema.TaggedError<CliError>("@effect-legitmark/cli/CliError")("CliError", {
  message: Schema.String,
  exitCode: Schema.Literal(ExitCode.failed, ExitCode.input)
}) {}
