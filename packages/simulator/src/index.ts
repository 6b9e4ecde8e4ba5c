/**
 * @since 0.2.0
 */
export * as Core from "./Core.js"

/**
 * @since 0.1.0
 */
export * as Faults from "./Faults.js"

/**
 * @since 0.2.0
 */
export * as InProcessHttpClient from "./InProcessHttpClient.js"

/**
 * @since 0.1.0
 */
export * as Lifecycle from "./Lifecycle.js"

/**
 * @since 0.1.0
 */
export * as RateLimit from "./RateLimit.js"

/**
 * @since 0.1.0
 */
export * as Seed from "./Seed.js"

/**
 * @since 0.1.0
 */
export * as SimClock from "./SimClock.js"

/**
 * @since 0.1.0
 */
export * as Simulator from "./Simulator.js"

/**
 * @since 0.1.0
 */
export * as Stats from "./Stats.js"

/**
 * @since 0.1.0
 */
export * as Store from "./Store.js"

/**
 * @since 0.1.0
 */
export * as Uploads from "./Uploads.js"

/**
 * @since 0.1.0
 */
export * as Webhooks from "./Webhooks.js"
