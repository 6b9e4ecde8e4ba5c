/**
 * The Legitmark Partner API client for Effect.
 *
 * @since 0.1.0
 */

export {
  /**
   * The Legitmark Partner API client service: one method per endpoint, each with its exact error union.
   *
   * @since 0.1.0
   * @category services
   */
  LegitmarkClient
} from "./LegitmarkClient.js"
/**
 * @since 0.1.0
 */
export * as LegitmarkError from "./LegitmarkError.js"
/**
 * @since 0.2.0
 */
export * as Metrics from "./Metrics.js"
/**
 * @since 0.1.0
 */
export * as Photo from "./Photo.js"
/**
 * @since 0.1.0
 */
export * as RateLimiter from "./RateLimiter.js"
/**
 * @since 0.1.0
 */
export * as RetryPolicy from "./RetryPolicy.js"
/**
 * @since 0.1.0
 */
export * as TaxonomyCache from "./TaxonomyCache.js"
/**
 * @since 0.2.0
 */
export * as Transport from "./Transport.js"
/**
 * @since 0.1.0
 */
export * as Validation from "./Validation.js"
