/**
 * Quickstart: open a service request for an item and read which photos it needs.
 *
 *   pnpm tsx examples/quickstart.ts
 */
import { LegitmarkClient } from "@effect-legitmark/client"
import { NodeRuntime } from "@effect/platform-node"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { ClientLayer } from "./support/ClientLayer.js"
import { chooseItem } from "./support/SampleItem.js"

const program = Effect.gen(function*() {
  const client = yield* LegitmarkClient

  // Category and type come from the server's taxonomy (support/SampleItem.ts).
  const { category, type } = yield* chooseItem

  const sr = yield* client.serviceRequests.create({
    reference_id: `QUICKSTART-${Date.now()}`,
    item: { category: category.uuid, type: type.uuid }
  })
  yield* Console.log(`Opened SR ${sr.uuid} for ${category.name} → ${type.name}: ${sr.state.primary}`)

  const full = yield* client.serviceRequests.get(sr.uuid, { item: true, sides: true })
  for (const side of full.sides?.required ?? []) yield* Console.log(`  required: ${side.name}`)
  for (const side of full.sides?.optional ?? []) yield* Console.log(`  optional: ${side.name}`)

  // Every failure is typed: here, a lookup of an SR that does not exist.
  const missing = yield* client.serviceRequests.get("00000000-0000-4000-8000-000000000000").pipe(
    Effect.map(() => "found"),
    Effect.catchTag("NotFoundError", (e) => Effect.succeed(`NotFoundError (${e.status})`))
  )
  yield* Console.log(`Looking up an unknown SR: ${missing}`)
})

program.pipe(Effect.provide(ClientLayer()), NodeRuntime.runMain)
