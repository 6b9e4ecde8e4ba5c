/**
 * What the commands that call the API run on: `Legitmark` and its `LegitmarkClient`, configured by the
 * `LEGITMARK_*` variables (`LegitmarkClient.config`), on the client's `node:http` transport.
 */
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import * as LegitmarkClient from "@effect-legitmark/client/LegitmarkClient"
import * as Legitmark from "effect-legitmark/Legitmark"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { CliError } from "../CliError.js"
import * as Failure from "./failure.js"

export const layer = Legitmark.layer.pipe(
  Layer.provideMerge(LegitmarkClient.layerConfig()),
  Layer.provide(AgentHttpClient.layer)
)

/** Runs a command on the API, its failures worded for the terminal. */
export const withApi = <A, E extends Failure.Known, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, CliError, Exclude<R, Legitmark.Legitmark | LegitmarkClient.LegitmarkClient>> =>
  effect.pipe(Effect.provide(layer), Effect.mapError(Failure.from))
