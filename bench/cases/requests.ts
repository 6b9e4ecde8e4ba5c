/**
 * Per-request cost: `n` GETs of the full SR from the static server, sequentially or `concurrency` in
 * flight, after a warm-up, with one implementation. Reports client CPU per request (this process's
 * `process.cpuUsage`, all threads), requests/s and peak RSS.
 *
 * The orchestrator compiles it to `build/requests.mjs` and runs it on the built packages under plain node:
 *
 *   node --conditions=legitmark-dist build/requests.mjs --impl client-agent --url http://127.0.0.1:PORT --n 5000
 *   tsx bench/cases/requests.ts --impl client-agent --url …     (the sources under the tsx loader)
 *
 * impl: client-agent (LegitmarkClient on its default transport, the client's own AgentHttpClient.layer, on
 * node:http), client-undici (on the client's UndiciHttpClient.layer), client-platform-undici (on
 * @effect/platform-node's NodeHttpClient.layerUndici),
 * client-fetch (on FetchHttpClient.layer), fetch (fetch + JSON.parse), fetch-decode (fetch + JSON.parse + the
 * client's Schema decode, to separate decoding from the pipeline), undici (undici.request + JSON.parse),
 * axios (axios.get, which parses JSON); client-agent-lean (a diagnostic: client-agent with
 * `RateLimiter.none`, `RetryPolicy.none` and tracing disabled); fetch-platform-decode and
 * platform-undici-decode (@effect/platform's `HttpClient` on `FetchHttpClient.layer` / `NodeHttpClient.layerUndici`,
 * the request built per call, and `HttpClientResponse.schemaBodyJson` of the client's schema: the program a user
 * would write on that transport without the client, what client-fetch and client-platform-undici are measured
 * against).
 */
import type * as Effect from "effect/Effect"
import { args, maxRssMb, num, report, rssMb, str } from "../lib/protocol.js"

const argv = args()
const impl = str(argv, "impl")
const url = str(argv, "url")
const n = num(argv, "n", 5000)
const concurrency = num(argv, "concurrency", 1)
const warmup = num(argv, "warmup", Math.min(500, Math.ceil(n / 10)))

const srUuid = "8e61c991-553a-4a58-9eb6-561b64c11908"
const path =
  `/api/v2/sr/${srUuid}?summary=true&user=true&service=true&outcome=true&item=true&sides=true&requirements=true`
const headers = {
  accept: "application/json",
  authorization: "Bearer leo_bench",
  "user-agent": "bench"
}

/** Runs `total` calls of `one`, `width` at a time. */
const pool = async (total: number, width: number, one: () => Promise<unknown>): Promise<void> => {
  let next = 0
  const worker = async () => {
    while (next < total) {
      next++
      await one()
    }
  }
  await Promise.all(Array.from({ length: Math.min(width, total) }, worker))
}

/** Runs the warm-up then the measured loop; answers the figures. */
const measure = async (run: (count: number) => Promise<void>) => {
  await run(warmup)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await run(n)
  const wallMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  return {
    wallMs,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    cpuPerRequestUs: (cpu.user + cpu.system) / n,
    requestsPerSecond: n / (wallMs / 1000)
  }
}

const plain = async (): Promise<(count: number) => Promise<void>> => {
  const target = `${url}${path}`
  switch (impl) {
    case "fetch":
      return (count) =>
        pool(count, concurrency, async () => {
          const response = await fetch(target, { headers, redirect: "manual" })
          return JSON.parse(await response.text())
        })
    case "fetch-decode": {
      const Schema = await import("effect/Schema")
      const SR = await import("@effect-legitmark/schema/ServiceRequest")
      const decode = Schema.decodeUnknownSync(SR.GetResponse)
      return (count) =>
        pool(count, concurrency, async () => {
          const response = await fetch(target, { headers, redirect: "manual" })
          return decode(JSON.parse(await response.text())).sr
        })
    }
    case "undici": {
      const undici = await import("undici")
      return (count) =>
        pool(count, concurrency, async () => {
          const response = await undici.request(target, { headers })
          return JSON.parse(await response.body.text())
        })
    }
    case "axios": {
      const { default: axios } = await import("axios")
      return (count) => pool(count, concurrency, () => axios.get(target, { headers }).then((r) => r.data))
    }
    default:
      throw new Error(`unknown impl ${impl}`)
  }
}

interface Runtime {
  readonly runPromise: (effect: Effect.Effect<void, unknown>) => Promise<void>
}

/** The same shape as the promise pool of the baselines: `concurrency` fibers, each running `get` in a loop. */
const fibers = async (runtime: Runtime, get: Effect.Effect<unknown, unknown>) => {
  const { all, whileLoop } = await import("effect/Effect")
  return (count: number) => {
    let next = 0
    const worker = whileLoop({
      while: () => next < count,
      body: () => {
        next++
        return get
      },
      step: () => {}
    })
    return runtime.runPromise(
      all(Array.from({ length: Math.min(concurrency, count) }, () => worker), {
        concurrency: "unbounded",
        discard: true
      })
    )
  }
}

/** @effect/platform's HttpClient on `transport` and a bare Schema decode: no client code. */
const platform = async (transport: "undici" | "fetch"): Promise<(count: number) => Promise<void>> => {
  const Effect = await import("effect/Effect")
  const ManagedRuntime = await import("effect/ManagedRuntime")
  const HttpClient = await import("@effect/platform/HttpClient")
  const HttpClientResponse = await import("@effect/platform/HttpClientResponse")
  const SR = await import("@effect-legitmark/schema/ServiceRequest")
  const layer = transport === "undici"
    ? (await import("@effect/platform-node/NodeHttpClient")).layerUndici
    : (await import("@effect/platform/FetchHttpClient")).layer
  const runtime = ManagedRuntime.make(layer)
  const http = await runtime.runPromise(HttpClient.HttpClient)
  const decode = HttpClientResponse.schemaBodyJson(SR.GetResponse)
  const target = `${url}${path}`
  const get = Effect.suspend(() => http.get(target, { headers })).pipe(
    Effect.flatMap(decode),
    Effect.map((response) => response.sr)
  )
  return fibers(runtime, get)
}

const client = async (
  transport: "agent" | "undici" | "platform-undici" | "fetch",
  lean = false
): Promise<(count: number) => Promise<void>> => {
  const { LegitmarkClient, RateLimiter, RetryPolicy } = await import("@effect-legitmark/client")
  const { fullServiceRequest } = await import("@effect-legitmark/client/LegitmarkClient")
  const Effect = await import("effect/Effect")
  const Layer = await import("effect/Layer")
  const ManagedRuntime = await import("effect/ManagedRuntime")
  const Redacted = await import("effect/Redacted")
  const http = transport === "agent"
    ? (await import("@effect-legitmark/client/AgentHttpClient")).layer
    : transport === "undici"
    ? (await import("@effect-legitmark/client/UndiciHttpClient")).layer
    : transport === "platform-undici"
    ? (await import("@effect/platform-node/NodeHttpClient")).layerUndici
    : (await import("@effect/platform/FetchHttpClient")).layer
  const runtime = ManagedRuntime.make(
    LegitmarkClient.layer({ apiKey: Redacted.make("leo_bench"), baseUrl: url, assetUrl: url }).pipe(
      Layer.provide(http),
      // The lean diagnostic: no throttling, no retries.
      Layer.provide(lean ? Layer.merge(RateLimiter.none, RetryPolicy.none) : Layer.empty)
    )
  )
  const api = await runtime.runPromise(LegitmarkClient)
  const call = api.serviceRequests.get(srUuid, fullServiceRequest)
  // ...and no spans.
  const get = lean ? Effect.withTracerEnabled(call, false) : call
  return fibers(runtime, get)
}

const run = impl === "client-agent"
  ? await client("agent")
  : impl === "client-agent-lean"
  ? await client("agent", true)
  : impl === "client-undici"
  ? await client("undici")
  : impl === "client-platform-undici"
  ? await client("platform-undici")
  : impl === "client-fetch"
  ? await client("fetch")
  : impl === "platform-undici-decode"
  ? await platform("undici")
  : impl === "fetch-platform-decode"
  ? await platform("fetch")
  : await plain()
const figures = await measure(run)
report({ case: "requests", impl, n, concurrency, ...figures, maxRssMb: maxRssMb(), rssMb: rssMb() })
process.exit(0)
