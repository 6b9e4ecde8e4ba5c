/**
 * The authentication workflow across a fleet, in one line: each process is an `@effect/cluster`
 * runner; they share the engine's storage in one Postgres database and split the executions between
 * them by shard, talking to each other over TCP. When a runner dies, the others take over its shards
 * and carry its authentications on.
 *
 * @example
 * ```ts
 * import { LegitmarkClient } from "@effect-legitmark/client"
 * import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
 * import * as PostgresRunner from "@effect-legitmark/workflow/PostgresRunner"
 * import { Layer, Redacted } from "effect"
 *
 * // On every machine, with its own address as the others reach it.
 * export const MainLayer = PostgresRunner.layer({
 *   url: Redacted.make("postgres://legitmark@db.internal/legitmark"),
 *   runner: { host: "10.0.0.12", port: 34431 }
 * }).pipe(Layer.provideMerge(LegitmarkClient.layerConfig()), Layer.provide(AgentHttpClient.layer))
 * ```
 *
 * @since 0.1.0
 */
import type { LegitmarkClient } from "@effect-legitmark/client/LegitmarkClient"
import * as ClusterWorkflowEngine from "@effect/cluster/ClusterWorkflowEngine"
import { RunnerAddress } from "@effect/cluster/RunnerAddress"
import type * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import type { HttpClient } from "@effect/platform/HttpClient"
import type * as SocketServer from "@effect/platform/SocketServer"
import * as PgClient from "@effect/sql-pg/PgClient"
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import type { WorkflowEngine } from "@effect/workflow/WorkflowEngine"
import * as SqlWebhookInbox from "effect-legitmark/SqlWebhookInbox"
import type { WebhookInbox, WebhookInboxError } from "effect-legitmark/WebhookInbox"
import type * as ConfigError from "effect/ConfigError"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as AuthenticationWorkflow from "./AuthenticationWorkflow.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<R = never> extends AuthenticationWorkflow.Options<R> {
  /** The Postgres database every runner shares. */
  readonly url: Redacted.Redacted | string
  /** This runner's address, as the other runners reach it. */
  readonly runner: { readonly host: string; readonly port: number }
  /** Where to listen, when it is not `runner` (e.g. `0.0.0.0` in a container). */
  readonly listen?: { readonly host: string; readonly port: number } | undefined
  /** Connections in the pool. Default 10. */
  readonly maxConnections?: number | undefined
  /** Overrides of `@effect/cluster`'s sharding configuration (poll intervals, lock expiry, health checks). */
  readonly sharding?: Partial<ShardingConfig.ShardingConfig["Type"]> | undefined
}

/**
 * One runner of the fleet, with the authentication workflow registered. Provides the `WorkflowEngine`
 * (for `AuthenticationWorkflow.start`, `run`, `handleEvent`, on any runner) and the database's
 * `SqlClient`; needs a `LegitmarkClient` and an `HttpClient`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = <R = never>(
  options: Options<R>
): Layer.Layer<
  WorkflowEngine | SqlClient.SqlClient | WebhookInbox,
  SqlError.SqlError | ConfigError.ConfigError | WebhookInboxError | SocketServer.SocketServerError,
  LegitmarkClient | HttpClient | Exclude<R, SqlClient.SqlClient>
> => {
  const cluster = NodeClusterSocket.layer({
    storage: "sql",
    shardingConfig: {
      runnerAddress: Option.some(RunnerAddress.make(options.runner)),
      runnerListenAddress: Option.map(Option.fromNullable(options.listen), RunnerAddress.make),
      ...options.sharding
    }
  })
  return AuthenticationWorkflow.layer(options).pipe(
    Layer.provideMerge(ClusterWorkflowEngine.layer.pipe(Layer.provide(cluster))),
    // The webhook inbox on the same database, shared by the fleet's replicas.
    Layer.provideMerge(SqlWebhookInbox.layer()),
    Layer.provideMerge(
      PgClient.layer({
        url: typeof options.url === "string" ? Redacted.make(options.url) : options.url,
        maxConnections: options.maxConnections ?? 10
      })
    ),
    Layer.provide(NodeFileSystem.layer)
  )
}
