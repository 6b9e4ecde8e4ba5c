/**
 * The RateLimiter end to end: two client processes share one API key's budget through Redis
 * (`RateLimiter.layerRedis`) against a simulator with a low limit, and finish their calls with at most
 * one 429 per window. A real `redis-server` runs on a free loopback port for the test's lifetime.
 */
import { Simulator } from "@effect-legitmark/simulator"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { spawn, spawnSync } from "node:child_process"
import { createServer } from "node:net"
import { fileURLToPath } from "node:url"

const apiKey = "leo_rate_limit_e2e_0123456789"
const limit = 40
const windowMs = 1_000
const callsPerProcess = 300
const testDir = fileURLToPath(new URL(".", import.meta.url))

const freePort = Effect.async<number, Error>((resume) => {
  const server = createServer()
  server.once("error", (error) => resume(Effect.fail(error)))
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** A throwaway `redis-server` on 127.0.0.1, stopped with the scope. Fails, never skips, without one. */
const redisServer = Effect.gen(function*() {
  const probe = spawnSync("redis-server", ["--version"], { encoding: "utf8" })
  if (probe.error !== undefined || probe.status !== 0) {
    return yield* Effect.die(
      new Error("redis-server is not installed: install it (apt-get install -y redis-server; .ci/run does)")
    )
  }
  const port = yield* freePort
  const child = yield* Effect.acquireRelease(
    Effect.sync(() =>
      spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
        stdio: ["ignore", "pipe", "pipe"]
      })
    ),
    (child) => Effect.sync(() => child.kill("SIGTERM"))
  )
  yield* Effect.async<void, Error>((resume) => {
    let output = ""
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes("Ready to accept connections")) resume(Effect.void)
    })
    child.once("exit", (code) => resume(Effect.fail(new Error(`redis-server exited (${code}): ${output}`))))
  }).pipe(Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error("redis-server did not start") }))
  return `redis://127.0.0.1:${port}`
})

interface WorkerResult {
  readonly ok: number
  readonly failures: ReadonlyArray<string>
  readonly startedAt: number
  readonly endedAt: number
}

/** Runs `support/rateLimitWorker.ts` in its own Node process. */
const worker = (env: Record<string, string>) =>
  Effect.async<WorkerResult, Error>((resume) => {
    const child = spawn(process.execPath, ["--import", "tsx", "support/rateLimitWorker.ts"], {
      cwd: testDir,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.once("exit", (code) => {
      const line = stdout.trim().split("\n").at(-1) ?? ""
      resume(
        code === 0
          ? Effect.succeed(JSON.parse(line) as WorkerResult)
          : Effect.fail(new Error(`worker exited ${code}: ${stderr}`))
      )
    })
    return Effect.sync(() => child.kill("SIGKILL"))
  })

describe("RateLimiter.layerRedis", () => {
  it.scopedLive(
    "two processes sharing one key stay under the limit: at most one 429 per window",
    () =>
      Effect.gen(function*() {
        const redisUrl = yield* redisServer
        const simulator = yield* Simulator.start({ apiKeys: [apiKey], rateLimit: { limit, windowMs } })
        const env = {
          BASE_URL: simulator.baseUrl,
          REDIS_URL: redisUrl,
          API_KEY: apiKey,
          WINDOW_MS: String(windowMs),
          LIMIT: String(limit),
          CALLS: String(callsPerProcess),
          CONCURRENCY: "20"
        }
        const started = Date.now()
        const results = yield* Effect.all([worker(env), worker(env)], { concurrency: 2 })
        const wallMs = Date.now() - started
        // The windows the calls spanned, from the first call of either process to the last.
        const callsMs = Math.max(...results.map((r) => r.endedAt)) - Math.min(...results.map((r) => r.startedAt))
        const windows = Math.ceil(callsMs / windowMs)
        const stats = yield* simulator.stats
        const tooMany = stats.statuses["429"] ?? 0
        yield* Effect.logInfo("RateLimiter e2e").pipe(
          Effect.annotateLogs({ wallMs, callsMs, windows, tooMany, statuses: JSON.stringify(stats.statuses) })
        )
        for (const result of results) {
          expect(result.failures).toEqual([])
          expect(result.ok).toBe(callsPerProcess)
        }
        expect(stats.statuses["200"]).toBe(2 * callsPerProcess)
        expect(tooMany).toBeLessThanOrEqual(windows)
      }),
    { timeout: 60_000 }
  )
})
