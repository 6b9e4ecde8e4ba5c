/**
 * Cold start, in a fresh process: when this module starts running (node, and the loader if any, booted),
 * when the implementation's modules are imported, and when the first decoded answer from the static server
 * is in hand, all as `performance.now()`, i.e. milliseconds since the process started.
 *
 * The orchestrator runs it as plain JavaScript under plain node, the way a user's production process runs:
 * it bundles this file (with `../lib/protocol.ts` inlined, every package left external) into
 * `bench/build/coldstart.mjs`, and runs it with `--conditions=legitmark-dist`, the export condition under
 * which our workspace packages resolve to their built `dist/*.js` (`pnpm build`) instead of their sources.
 *
 *   node --conditions=legitmark-dist build/coldstart.mjs --impl client-agent --url http://127.0.0.1:PORT
 *   node --conditions=legitmark-dist build/coldstart.mjs --import @effect-legitmark/client
 *   tsx cases/coldstart.ts --impl client-agent --url …     (the sources under the tsx loader, for comparison)
 *
 * impl: none (node, or the loader, alone), fetch, undici, axios, client-agent (on the client's own
 * `AgentHttpClient`, the transport the README provides), client-undici (on its `UndiciHttpClient`),
 * client-fetch (on `FetchHttpClient`), floor (`effect/Schema` and `@effect/platform/HttpClient` imported,
 * then a plain fetch: what any client on the `HttpClient` contract loads before its own code), and
 * platform-undici (an Effect program with no client code: `@effect/platform`'s `HttpClient` on `NodeHttpClient.layerUndici`
 * and the same schema decode, without the client). With `--import`, only that module is imported and its
 * import time reported.
 */
import { args, maxRssMb, report, str } from "../lib/protocol.js"

const ready = performance.now()
const argv = args()
const srUuid = "8e61c991-553a-4a58-9eb6-561b64c11908"
const headers = { accept: "application/json", authorization: "Bearer leo_bench", "user-agent": "bench" }

const only = argv.get("import")
if (only !== undefined) {
  const t0 = performance.now()
  await import(only)
  const imported = performance.now()
  report({ case: "import", impl: only, readyMs: ready, importMs: imported - t0, maxRssMb: maxRssMb() })
  process.exit(0)
}

const impl = str(argv, "impl")
const url = impl === "none" ? "" : str(argv, "url")
const target = `${url}/api/v2/sr/${srUuid}?summary=true&item=true&sides=true&requirements=true`

/** Imports what the implementation needs and answers how to get one decoded SR. */
const load = async (): Promise<() => Promise<unknown>> => {
  switch (impl) {
    case "none":
      return () => Promise.resolve(undefined)
    case "fetch":
      return async () => JSON.parse(await (await fetch(target, { headers })).text())
    case "undici": {
      const undici = await import("undici")
      return async () => JSON.parse(await (await undici.request(target, { headers })).body.text())
    }
    case "axios": {
      const { default: axios } = await import("axios")
      return async () => (await axios.get(target, { headers })).data
    }
    case "floor": {
      // What any client that takes an `HttpClient` and decodes with `Schema` loads before its own code:
      // those two modules imported, then the cheapest request (fetch + JSON.parse, nothing decoded).
      await import("effect/Schema")
      await import("@effect/platform/HttpClient")
      return async () => JSON.parse(await (await fetch(target, { headers })).text())
    }
    case "platform-undici": {
      // The floor under the client: the same transport and the same schema decode, no client code.
      const HttpClient = await import("@effect/platform/HttpClient")
      const HttpClientResponse = await import("@effect/platform/HttpClientResponse")
      const { layerUndici } = await import("@effect/platform-node/NodeHttpClient")
      const { GetResponse } = await import("@effect-legitmark/schema/ServiceRequest")
      const Effect = await import("effect/Effect")
      return () =>
        Effect.runPromise(
          HttpClient.get(target, { headers }).pipe(
            Effect.flatMap(HttpClientResponse.schemaBodyJson(GetResponse)),
            Effect.provide(layerUndici)
          )
        )
    }
    case "client-agent":
    case "client-undici":
    case "client-fetch": {
      const { LegitmarkClient } = await import("@effect-legitmark/client")
      const Effect = await import("effect/Effect")
      const Layer = await import("effect/Layer")
      const Redacted = await import("effect/Redacted")
      const http = impl === "client-agent"
        ? (await import("@effect-legitmark/client/AgentHttpClient")).layer
        : impl === "client-undici"
        ? (await import("@effect-legitmark/client/UndiciHttpClient")).layer
        : (await import("@effect/platform/FetchHttpClient")).layer
      const layer = LegitmarkClient.layer({ apiKey: Redacted.make("leo_bench"), baseUrl: url }).pipe(
        Layer.provide(http)
      )
      return () =>
        Effect.runPromise(
          Effect.provide(
            Effect.flatMap(LegitmarkClient, (client) =>
              client.serviceRequests.get(srUuid, { summary: true, item: true, sides: true, requirements: true })),
            layer
          )
        )
    }
    default:
      throw new Error(`unknown impl ${impl}`)
  }
}

const get = await load()
const imported = performance.now()
await get()
const firstResponse = performance.now()
report({
  case: "cold",
  impl,
  readyMs: ready,
  importedMs: imported,
  firstResponseMs: firstResponse,
  maxRssMb: maxRssMb()
})
process.exit(0)
