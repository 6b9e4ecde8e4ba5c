/**
 * `legitmark simulator`: the local Legitmark API of `@effect-legitmark/simulator`, until interrupted.
 */
import * as Simulator from "@effect-legitmark/simulator/Simulator"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Failure from "./failure.js"

export interface Input {
  readonly port: number
  readonly host: string
  readonly apiKeys: ReadonlyArray<string>
  readonly rateLimit: Option.Option<string>
  readonly speed: Option.Option<number>
  readonly manualClock: boolean
  readonly stepMs: Option.Option<number>
  readonly webhookUrl: Option.Option<string>
  readonly seed: Option.Option<number>
}

const rateLimit = (text: string) => {
  const match = /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(text.trim())
  return match === null ?
    Effect.fail(Failure.input(`--rate-limit ${text}: write REQUESTS/SECONDS, e.g. 100/60`)) :
    Effect.succeed({ limit: Number(match[1]), windowMs: Number(match[2]) * 1000 })
}

export const run = (input: Input) =>
  Effect.gen(function*() {
    const limit = yield* Effect.transposeMapOption(input.rateLimit, rateLimit)
    const simulator = yield* Simulator.start({
      port: input.port,
      host: input.host,
      apiKeys: input.apiKeys,
      clock: input.manualClock ? "manual" : "real",
      rateLimit: Option.getOrUndefined(limit),
      speed: Option.getOrUndefined(input.speed),
      stepMs: Option.getOrUndefined(input.stepMs),
      webhookUrl: Option.getOrUndefined(input.webhookUrl),
      seed: Option.getOrUndefined(input.seed)
    })
    // Any key is accepted when none was given.
    const key = input.apiKeys[0] ?? "leo_local"
    yield* Console.log(
      `legitmark simulator listening on ${simulator.baseUrl} (Ctrl-C stops)\n` +
        `  export LEGITMARK_BASE_URL=${simulator.baseUrl} LEGITMARK_ASSET_URL=${simulator.assetUrl} ` +
        `LEGITMARK_API_KEY=${key}`
    )
    return yield* Effect.never
  }).pipe(Effect.scoped)
