#!/usr/bin/env tsx
/**
 * `legitmark-simulator`: runs the simulator until interrupted.
 *
 *   legitmark-simulator --port 4010 --api-key leo_test --rate-limit 100/60 --speed 60 \
 *     --webhook-url http://127.0.0.1:3000/hooks
 *
 * @since 0.1.0
 */
import { createRequire } from "node:module"
import { parseArgs } from "node:util"
import { isSecret } from "./internal/secret.js"
import type * as Simulator from "./Simulator.js"

// From src/ (tsx) and from dist/ (the published bin) alike, the package's manifest is one folder up.
const { version } = createRequire(import.meta.url)("../package.json") as { readonly version: string }

const usage = `Usage: legitmark-simulator [options]
  --port N                 port (default 0: a free port)
  --host HOST              interface (default 127.0.0.1)
  --api-key KEY            accepted Bearer key (repeatable; without one, every key is accepted)
  --rate-limit N/SECONDS   per-key fixed window (default 1000/60)
  --speed X                simulated time per real time (default 1)
  --manual-clock           time moves only via POST /__control/advance
  --step-ms MS             simulated ms between SR transitions (default 60000)
  --webhook-url URL        where webhook events are POSTed
  --webhook-secret SECRET  sign them (Standard Webhooks headers) with this whsec_ secret
  --seed N                 seed for generated ids
  --sr-payload docs|sdk    an SR's sides as the published docs show them (default), or as the official
                           SDK's fixtures (no per-side media, counts in sides.progress)
  --version
  --help`

// One line saying what is wrong, then the usage; never a stack trace.
const fail = (message: string): never => {
  process.stderr.write(`legitmark-simulator: ${message}\n\n${usage}\n`)
  process.exit(2)
}

const number = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined
  const n = Number(value)
  return Number.isFinite(n) ? n : fail(`--${name} must be a number`)
}

// `pnpm start -- --port 4010` hands the `--` on to the script (npm drops it): it is not an argument.
const args = process.argv.slice(2)
const parsed = (() => {
  try {
    return parseArgs({
      args: args[0] === "--" ? args.slice(1) : args,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        "api-key": { type: "string", multiple: true },
        "rate-limit": { type: "string" },
        speed: { type: "string" },
        "manual-clock": { type: "boolean" },
        "step-ms": { type: "string" },
        "webhook-url": { type: "string" },
        "webhook-secret": { type: "string" },
        seed: { type: "string" },
        "sr-payload": { type: "string" },
        version: { type: "boolean" },
        help: { type: "boolean" }
      }
    })
  } catch (error) {
    // Node's own message, up to its advice on positional arguments (which this bin takes none of).
    return fail(String(error instanceof Error ? error.message : error).split(". ")[0]!)
  }
})()
const { values } = parsed

if (values.help === true) {
  process.stdout.write(`${usage}\n`)
  process.exit(0)
}

if (values.version === true) {
  process.stdout.write(`${version}\n`)
  process.exit(0)
}

const srPayload = (() => {
  const value = values["sr-payload"]
  return value === undefined || value === "docs" || value === "sdk" ? value : fail("--sr-payload must be docs or sdk")
})()

const rateLimit = (() => {
  const raw = values["rate-limit"]
  if (raw === undefined) return undefined
  const match = /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(raw)
  return match === null
    ? fail("--rate-limit must be N/windowSeconds, e.g. 100/60")
    : { limit: Number(match[1]), windowMs: Number(match[2]) * 1000 }
})()

const webhookSecret = (() => {
  const secret = values["webhook-secret"]
  if (secret === undefined) return undefined
  return isSecret(secret) ? secret : fail("--webhook-secret must be base64, after an optional whsec_ prefix")
})()

const options: Simulator.Options = {
  port: number("port", values.port) ?? 0,
  host: values.host ?? "127.0.0.1",
  apiKeys: values["api-key"] ?? [],
  rateLimit,
  speed: number("speed", values.speed),
  clock: values["manual-clock"] === true ? "manual" : "real",
  stepMs: number("step-ms", values["step-ms"]),
  webhookUrl: values["webhook-url"],
  webhookSecret,
  seed: number("seed", values.seed),
  srPayload
}

// Loaded only now: a bad invocation, --help and --version answer without loading Effect and the server.
const [NodeRuntime, Console, Effect, Layer, { Simulator: Tag, layer }] = await Promise.all([
  import("@effect/platform-node/NodeRuntime"),
  import("effect/Console"),
  import("effect/Effect"),
  import("effect/Layer"),
  import("./Simulator.js")
])

const announce = Layer.effectDiscard(
  Effect.flatMap(Tag, (sim) =>
    Console.log(
      `legitmark-simulator listening on ${sim.baseUrl}\n` +
        `  LEGITMARK_BASE_URL=${sim.baseUrl} LEGITMARK_ASSET_URL=${sim.assetUrl}`
    ))
)

Layer.launch(announce.pipe(Layer.provide(layer(options)))).pipe(NodeRuntime.runMain)
