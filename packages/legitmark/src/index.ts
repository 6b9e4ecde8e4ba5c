/**
 * Legitmark authentication workflows for Effect.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as Verdict from "./Verdict.js"
