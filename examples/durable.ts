/**
 * Durable authentications: `AuthenticationWorkflow` on one machine (`SqliteRunner`, one SQLite file),
 * woken by webhooks. Three items go through: one authentic, one counterfeit, and one whose photo QC
 * rejects, photographed again on the same SR. Kill the process at any point and run it again on the
 * same file: every authentication carries on where it stopped (`pnpm demo --durable` shows that).
 *
 *   pnpm tsx examples/durable.ts
 */
import { LegitmarkClient } from "@effect-legitmark/client"
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import { Simulator } from "@effect-legitmark/simulator"
import { AuthenticationWorkflow } from "@effect-legitmark/workflow"
import * as SqliteRunner from "@effect-legitmark/workflow/SqliteRunner"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Webhooks } from "effect-legitmark"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { chooseItem } from "./support/SampleItem.js"

const photo = (name: string) => fileURLToPath(new URL(`./photos/${name}.png`, import.meta.url))

// The whole durable stack in one line: the engine, its storage and the workflow, on one SQLite file.
const DurableLayer = (simulator: Simulator.SimulatorInfo, apiKey: string) =>
  Layer.unwrapScoped(
    Effect.map(
      Effect.acquireRelease(
        Effect.sync(() => mkdtempSync(join(tmpdir(), "legitmark-durable-"))),
        (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
      ),
      (dir) =>
        SqliteRunner.layer({
          filename: join(dir, "authentications.db"),
          onOutcome: (outcome, execution) =>
            Console.log(`  (outcome handler: ${execution.referenceId} is ${outcome._tag})`)
        })
    )
  ).pipe(
    Layer.provideMerge(
      LegitmarkClient.layer({ apiKey: Redacted.make(apiKey), baseUrl: simulator.baseUrl, assetUrl: simulator.assetUrl })
    ),
    Layer.provide(AgentHttpClient.layer)
  )

const authenticate = Effect.gen(function*() {
  const { category, type } = yield* chooseItem
  const photos = { "Outer Sides": photo("outer-sides"), "Interior Size Tag or Stamp": photo("size-tag") }
  const item = { category: category.uuid, type: type.uuid }
  const run = Date.now()

  const [authentic, fake, blurry] = yield* Effect.forEach(
    [`DURABLE-${run}`, `DURABLE-FAKE-${run}`, `DURABLE-BLURRY-${run}`],
    (referenceId) => AuthenticationWorkflow.start({ referenceId, item, photos }),
    { concurrency: "unbounded" }
  )
  yield* Console.log(`Started ${authentic!.referenceId}, ${fake!.referenceId} and ${blurry!.referenceId}`)

  const rejected = yield* blurry!.outcome
  if (rejected._tag === "MediaRejected") {
    yield* Console.log(`QC rejected ${rejected.sides.map((s) => s.name).join(", ")}: photographing again`)
    const again = yield* blurry!.photographAgain({ "Interior Size Tag or Stamp": photo("top") })
    yield* Console.log(`${again.referenceId}, retake ${again.retake}: ${(yield* again.outcome)._tag}`)
  }
  yield* Console.log(`${authentic!.referenceId}: ${(yield* authentic!.outcome)._tag}`)
  yield* Console.log(`${fake!.referenceId}: ${(yield* fake!.outcome)._tag}`)

  yield* Console.log("Executions:")
  for (const status of yield* AuthenticationWorkflow.executions()) {
    yield* Console.log(`  ${AuthenticationWorkflow.formatStatus(status)}`)
  }
})

const program = Effect.gen(function*() {
  // A webhook endpoint that wakes the waiting authentications, and a simulator posting to it.
  const server = yield* NodeHttpServer.make(createServer, { port: 0, host: "127.0.0.1" })
  const webhookUrl = `http://127.0.0.1:${server.address._tag === "TcpAddress" ? server.address.port : 0}/`
  const apiKey = "leo_durable_example"
  const simulator = yield* Simulator.start({ apiKeys: [apiKey], speed: 300, webhookUrl })
  yield* Effect.gen(function*() {
    yield* server.serve(yield* Webhooks.httpApp(AuthenticationWorkflow.handleEvent))
    yield* authenticate
  }).pipe(Effect.provide(DurableLayer(simulator, apiKey)))
  yield* Console.log(`Simulator: ${(yield* simulator.stats).srCount} SRs for 3 items`)
})

program.pipe(Effect.scoped, NodeRuntime.runMain)
