/**
 * Durable Legitmark authentications on Effect's workflow engine. The runners are imported by subpath,
 * so that only the database driver you use is loaded: `@effect-legitmark/workflow/SqliteRunner` (one
 * machine) and `@effect-legitmark/workflow/PostgresRunner` (a fleet).
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as AuthenticationWorkflow from "./AuthenticationWorkflow.js"
