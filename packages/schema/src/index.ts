/**
 * @since 0.1.0
 */
export * as Envelope from "./Envelope.js"
/**
 * @since 0.1.0
 */
export * as ErrorBody from "./ErrorBody.js"
/**
 * @since 0.1.0
 */
export * as Identifier from "./Identifier.js"
/**
 * @since 0.1.0
 */
export * as Json from "./Json.js"
/**
 * @since 0.1.0
 */
export * as Progress from "./Progress.js"
/**
 * @since 0.1.0
 */
export * as RateLimit from "./RateLimit.js"
/**
 * @since 0.2.0
 */
export * as Route from "./Route.js"
/**
 * @since 0.1.0
 */
export * as ServiceRequest from "./ServiceRequest.js"
/**
 * @since 0.1.0
 */
export * as Side from "./Side.js"
/**
 * @since 0.1.0
 */
export * as State from "./State.js"
/**
 * @since 0.1.0
 */
export * as Media from "./Media.js"
/**
 * @since 0.1.0
 */
export * as Taxonomy from "./Taxonomy.js"
/**
 * @since 0.1.0
 */
export * as Webhook from "./Webhook.js"
