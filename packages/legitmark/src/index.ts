/**
 * Legitmark authentication workflows for Effect.
 *
 * @since 0.1.0
 */

export {
  /**
   * What `Legitmark.authenticate` answers: the service request, which photos it uploaded and which were already there.
   *
   * @since 0.1.0
   * @category models
   */
  type Authenticated,
  /**
   * Every error `Legitmark.authenticate` can fail with.
   *
   * @since 0.1.0
   * @category models
   */
  type AuthenticateError,
  /**
   * What `Legitmark.authenticate` takes: your reference id, the item, and its photos by side uuid or name.
   *
   * @since 0.1.0
   * @category models
   */
  type AuthenticateInput,
  /**
   * One step of an authentication, for a progress bar: `done` of `total` photos are on the server.
   *
   * @since 0.1.0
   * @category models
   */
  type AuthenticateProgress,
  /**
   * Options of `Legitmark.awaitVerdict`: the polling schedule and an optional time limit.
   *
   * @since 0.1.0
   * @category models
   */
  type AwaitOptions,
  /**
   * The high-level Legitmark service: `authenticate` and `awaitVerdict` workflows on top of `LegitmarkClient`.
   *
   * @since 0.1.0
   * @category services
   */
  Legitmark,
  /**
   * Raised by `Legitmark.authenticate` when the photos do not cover the required sides.
   *
   * @since 0.1.0
   * @category errors
   */
  MissingPhotosError,
  /**
   * What an SR came to: a `Verdict`, or photos rejected by QC that must be uploaded again.
   *
   * @since 0.1.0
   * @category models
   */
  type Outcome,
  /**
   * Raised by `Legitmark.awaitVerdict` when no verdict arrives within the time limit.
   *
   * @since 0.1.0
   * @category errors
   */
  VerdictTimeoutError
} from "./Legitmark.js"
export {
  /**
   * In-memory `Legitmark` and `LegitmarkClient` Layers with a controllable store, for unit tests.
   *
   * @since 0.1.0
   * @category testing
   */
  LegitmarkTest
} from "./LegitmarkTest.js"
/**
 * @since 0.2.0
 */
export * as Metrics from "./Metrics.js"
/**
 * @since 0.1.0
 */
export * as Verdict from "./Verdict.js"
/**
 * @since 0.2.0
 */
export * as WebhookInbox from "./WebhookInbox.js"
/**
 * @since 0.1.0
 */
export * as Webhooks from "./Webhooks.js"
