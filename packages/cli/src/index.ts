/**
 * @since 0.1.0
 */

/**
 * The `legitmark` command line: its `command` tree, `run` and `ExitCode`.
 *
 * @since 0.1.0
 */
export * as Cli from "./Cli.js"

/**
 * How the commands fail: `CliError` and the `ExitCode`s.
 *
 * @since 0.1.0
 */
export * as CliError from "./CliError.js"
