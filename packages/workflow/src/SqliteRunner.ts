/**
 * The authentication workflow on one machine, in one line: `@effect/cluster`'s single runner storing
 * everything (the engine's messages and the executions' steps) in one SQLite file. Restart the process
 * on the same file and every authentication carries on where it stopped. One process per file: for
 * several processes, use `PostgresRunner`.
 *
 * @example
 * ```ts
 * import { LegitmarkClient } from "@effect-legitmark/client"
 * import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
 * import { AuthenticationWorkflow } from "@effect-legitmark/workflow"
 * import * as SqliteRunner from "@effect-legitmark/workflow/SqliteRunner"
 * import { Effect, Layer } from "effect"
 *
 * const MainLayer = SqliteRunner.layer({ filename: "authentications.db" }).pipe(
 *   Layer.provideMerge(LegitmarkClient.layerConfig()),
 *   Layer.provide(AgentHttpClient.layer)
 * )
 *
 * export const program = AuthenticationWorkflow.run({
 *   referenceId: "SKU-2024-0891",
 *   item: { category: "cc30b104-7c47-11ef-a623-02595575faeb", type: "95e42d6b-7c4f-11ef-a623-02595575faeb" },
 *   photos: { "Outer Sides": "./outer.jpg", "Interior Size Tag or Stamp": "./tag.jpg" }
 * }).pipe(Effect.provide(MainLayer))
 * ```
 *
 * @since 0.1.0
 */
import type { LegitmarkClient } from "@effect-legitmark/client/LegitmarkClient"
import * as ClusterWorkflowEngine from "@effect/cluster/ClusterWorkflowEngine"
import type * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as SingleRunner from "@effect/cluster/SingleRunner"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import type { HttpClient } from "@effect/platform/HttpClient"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import type { WorkflowEngine } from "@effect/workflow/WorkflowEngine"
import * as SqlWebhookInbox from "effect-legitmark/SqlWebhookInbox"
import type { WebhookInbox, WebhookInboxError } from "effect-legitmark/WebhookInbox"
import type * as ConfigError from "effect/ConfigError"
import * as Layer from "effect/Layer"
import * as AuthenticationWorkflow from "./AuthenticationWorkflow.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<R = never> extends AuthenticationWorkflow.Options<R> {
  /** The SQLite file (created when missing). */
  readonly filename: string
  /** Overrides of `@effect/cluster`'s sharding configuration (poll intervals, timeouts). */
  readonly sharding?: Partial<ShardingConfig.ShardingConfig["Type"]> | undefined
}

/**
 * The workflow engine on a SQLite file, with the authentication workflow registered. Provides the
 * `WorkflowEngine` (for `AuthenticationWorkflow.start`, `run`, `handleEvent`), the `WebhookInbox` for
 * `Webhooks.httpApp` on the same storage and the file's
 * `SqlClient` (for `AuthenticationWorkflow.executions`, and your own tables); needs a
 * `LegitmarkClient` and an `HttpClient` (to download photos given by URL).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = <R = never>(
  options: Options<R>
): Layer.Layer<
  WorkflowEngine | SqlClient.SqlClient | WebhookInbox,
  SqlError.SqlError | ConfigError.ConfigError | WebhookInboxError,
  LegitmarkClient | HttpClient | Exclude<R, SqlClient.SqlClient>
> =>
  AuthenticationWorkflow.layer(options).pipe(
    Layer.provideMerge(
      ClusterWorkflowEngine.layer.pipe(
        Layer.provide(
          // One runner has no remote: its messages need not be encoded and decoded on the way (only stored).
          SingleRunner.layer({ shardingConfig: { simulateRemoteSerialization: false, ...options.sharding } })
        )
      )
    ),
    // The webhook inbox on the same file: `Webhooks.httpApp(AuthenticationWorkflow.handleEvent)` needs no more.
    Layer.provideMerge(SqlWebhookInbox.layer()),
    Layer.provideMerge(SqliteClient.layer({ filename: options.filename })),
    Layer.provide(NodeFileSystem.layer)
  )
