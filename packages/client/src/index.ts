/**
 * The Legitmark Partner API client for Effect.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export { LegitmarkClient } from "./LegitmarkClient.js"
/**
 * @since 0.1.0
 */
export * as LegitmarkError from "./LegitmarkError.js"
/**
 * @since 0.1.0
 */
export * as Photo from "./Photo.js"
/**
 * @since 0.1.0
 */
export * as RetryPolicy from "./RetryPolicy.js"
/**
 * @since 0.1.0
 */
export * as TaxonomyCache from "./TaxonomyCache.js"
/**
 * @since 0.1.0
 */
export * as Validation from "./Validation.js"
