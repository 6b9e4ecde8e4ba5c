/**
 * Cold start of an application bundled for deployment: this file, with every package inlined (esbuild,
 * tree-shaken, one file: `build/bundled/client-agent.mjs`), imports the client statically as an
 * application does, and reports as `../coldstart.ts` does. `axios.ts` is its baseline.
 *
 *   node build/bundled/client-agent.mjs --url http://127.0.0.1:PORT
 */
import { layer as agentLayer } from "@effect-legitmark/client/AgentHttpClient"
import { LegitmarkClient } from "@effect-legitmark/client/LegitmarkClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { args, maxRssMb, report, str } from "../../lib/protocol.js"

// Static imports are evaluated before this module's body: by then, everything is imported.
const imported = performance.now()
const url = str(args(), "url")
const layer = LegitmarkClient.layer({ apiKey: Redacted.make("leo_bench"), baseUrl: url }).pipe(
  Layer.provide(agentLayer)
)
await Effect.runPromise(
  Effect.provide(
    Effect.flatMap(LegitmarkClient, (client) =>
      client.serviceRequests.get("8e61c991-553a-4a58-9eb6-561b64c11908", {
        summary: true,
        item: true,
        sides: true,
        requirements: true
      })),
    layer
  )
)
report({
  case: "cold",
  impl: "bundled:client-agent",
  readyMs: imported,
  importedMs: imported,
  firstResponseMs: performance.now(),
  maxRssMb: maxRssMb()
})
process.exit(0)
