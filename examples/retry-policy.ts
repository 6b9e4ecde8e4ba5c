/**
 * A custom retry policy as a Layer: more patient than the default, composed from `Schedule`.
 * On the simulator, the first three reads of the SR are answered 503: the call still succeeds.
 *
 *   pnpm tsx examples/retry-policy.ts
 */
import { LegitmarkClient, type LegitmarkError, RetryPolicy } from "@effect-legitmark/client"
import { NodeRuntime } from "@effect/platform-node"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { ClientLayer, LocalSimulator } from "./support/ClientLayer.js"
import { chooseItem } from "./support/SampleItem.js"

// Every 200 ms, at most 5 times, logging each retry; `Retry-After` is still honoured on top.
const Patient = RetryPolicy.fromSchedule(
  Schedule.spaced("200 millis").pipe(
    Schedule.intersect(Schedule.recurs(5)),
    Schedule.tapInput((error: LegitmarkError.LegitmarkError) =>
      Console.log(`  retrying after ${error._tag}: ${error.message}`)
    )
  )
)

const program = Effect.gen(function*() {
  const client = yield* LegitmarkClient
  const { category, type } = yield* chooseItem
  const sr = yield* client.serviceRequests.create({
    reference_id: `RETRY-${Date.now()}`,
    item: { category: category.uuid, type: type.uuid }
  })

  const simulator = yield* LocalSimulator
  if (Option.isSome(simulator)) {
    yield* simulator.value.injectFault({ route: "sr.get", fault: "503", times: 3, retryAfter: 0 })
    yield* Console.log("The simulator will answer the next 3 reads with 503")
  }
  const read = yield* client.serviceRequests.get(sr.uuid)
  yield* Console.log(`Read SR ${read.uuid}: ${read.state.primary}`)

  // The same call with no retries at all, for this call only.
  if (Option.isSome(simulator)) {
    yield* simulator.value.injectFault({ route: "sr.get", fault: "503", times: 1, retryAfter: 0 })
  }
  const once = yield* client.serviceRequests.get(sr.uuid).pipe(
    Effect.provide(RetryPolicy.none),
    Effect.map(() => "succeeded"),
    Effect.catchTag("ServerError", (e) => Effect.succeed(`failed at once with ServerError ${e.status}`))
  )
  yield* Console.log(`Without retries: ${once}`)
})

program.pipe(Effect.provide(ClientLayer().pipe(Layer.provide(Patient))), NodeRuntime.runMain)
