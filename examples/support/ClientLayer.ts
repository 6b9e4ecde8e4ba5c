/**
 * The client every example runs on: the server named by LEGITMARK_API_KEY / LEGITMARK_BASE_URL /
 * LEGITMARK_ASSET_URL when the key is set, else the local simulator started in this process.
 */
import { LegitmarkClient } from "@effect-legitmark/client"
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import { Simulator } from "@effect-legitmark/simulator"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"

/** The simulator, when the example runs on one: examples use it to show faults or time passing. */
export class LocalSimulator extends Context.Tag("examples/LocalSimulator")<
  LocalSimulator,
  Option.Option<Simulator.SimulatorInfo>
>() {}

const simulated = (options: Simulator.Options) =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const apiKey = "leo_example_key"
    const simulator = yield* Simulator.start({ apiKeys: [apiKey], ...options })
    return Layer.merge(
      LegitmarkClient.layer({
        apiKey: Redacted.make(apiKey),
        baseUrl: simulator.baseUrl,
        assetUrl: simulator.assetUrl
      }),
      Layer.succeed(LocalSimulator, Option.some(simulator))
    )
  }))

/**
 * `LegitmarkClient` (and `LocalSimulator`) on the client's own transport (`AgentHttpClient`, on node:http), the lightest;
 * `FetchHttpClient.layer` from `@effect/platform` works the same.
 */
export const ClientLayer = (simulatorOptions: Simulator.Options = { speed: 300 }) =>
  Layer.unwrapEffect(
    Effect.map(
      Config.option(Config.string("LEGITMARK_API_KEY")),
      Option.match({
        onNone: () => simulated(simulatorOptions),
        onSome: () => Layer.merge(LegitmarkClient.layerConfig(), Layer.succeed(LocalSimulator, Option.none()))
      })
    )
  ).pipe(Layer.provide(AgentHttpClient.layer))
