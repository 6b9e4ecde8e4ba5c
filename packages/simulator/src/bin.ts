#!/usr/bin/env tsx
/**
 * `legitmark-simulator`: runs the simulator until interrupted.
 *
 *   legitmark-simulator --port 4010 --api-key leo_test --rate-limit 100/60 --speed 60 \
 *     --webhook-url http://127.0.0.1:3000/hooks
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { parseArgs } from "node:util"
import * as Simulator from "./Simulator.js"
import * as Webhooks from "./Webhooks.js"

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
  --help`

const fail = (message: string): never => {
  process.stderr.write(`${message}\n\n${usage}\n`)
  process.exit(2)
}

const number = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined
  const n = Number(value)
  return Number.isFinite(n) ? n : fail(`--${name} must be a number`)
}

const { values } = parseArgs({
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
    help: { type: "boolean" }
  }
})

if (values.help === true) {
  process.stdout.write(`${usage}\n`)
  process.exit(0)
}

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
  return Webhooks.isSecret(secret) ? secret : fail("--webhook-secret must be base64, after an optional whsec_ prefix")
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
  seed: number("seed", values.seed)
}

const announce = Layer.effectDiscard(
  Effect.flatMap(Simulator.Simulator, (sim) =>
    Console.log(
      `legitmark-simulator listening on ${sim.baseUrl}\n` +
        `  LEGITMARK_BASE_URL=${sim.baseUrl} LEGITMARK_ASSET_URL=${sim.assetUrl}`
    ))
)

Layer.launch(announce.pipe(Layer.provide(Simulator.layer(options)))).pipe(NodeRuntime.runMain)
