/**
 * Legitmark authentication workflows for Effect.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as Verdict from "./Verdict.js"
/**
 * @since 0.1.0
 */
export {
  type Authenticated,
  type AuthenticateError,
  type AuthenticateInput,
  type AuthenticateProgress,
  type AwaitOptions,
  Legitmark,
  MissingPhotosError,
  type Outcome,
  VerdictTimeoutError
} from "./Legitmark.js"
/**
 * @since 0.1.0
 */
export * as Webhooks from "./Webhooks.js"
/**
 * @since 0.1.0
 */
export { LegitmarkTest } from "./LegitmarkTest.js"
