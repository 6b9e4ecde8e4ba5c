/**
 * The RateLimiter end to end, on a real `redis-server` on a free loopback port: two client processes share
 * one API key's budget through Redis (`RateLimiter.layerRedis`) against a simulator with a low limit; and
 * Redis killed (SIGKILL by PID) mid-run, down from the start, and restarted on the same port: the calls
 * go on, counted in memory, nothing is written to stderr, and the shared budget resumes in Redis.
 */
import { Simulator } from "@effect-legitmark/simulator"
import { freePort, redisServerOn } from "@effect-legitmark/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { type ChildProcess, spawn } from "node:child_process"
import { connect } from "node:net"
import { fileURLToPath } from "node:url"

const apiKey = "leo_rate_limit_e2e_0123456789"
const limit = 40
const windowMs = 1_000
const callsPerProcess = 300
const testDir = fileURLToPath(new URL(".", import.meta.url))

const exited = (child: ChildProcess) =>
  Effect.async<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    child.once("exit", () => resume(Effect.void))
  })

/** The rate limiter's keys in Redis (`KEYS`, in the Redis protocol over a socket). */
const limiterKeys = (port: number) =>
  Effect.async<number, Error>((resume) => {
    const socket = connect(port, "127.0.0.1")
    let reply = ""
    socket.once("error", (error) => resume(Effect.fail(error)))
    socket.on("data", (chunk: Buffer) => {
      reply += chunk.toString()
      const header = /^\*(-?\d+)\r\n/.exec(reply)
      if (header !== null) {
        socket.destroy()
        resume(Effect.succeed(Math.max(0, Number(header[1]))))
      }
    })
    const pattern = "ratelimiter:legitmark:*"
    socket.write(`*2\r\n$4\r\nKEYS\r\n$${pattern.length}\r\n${pattern}\r\n`)
    return Effect.sync(() => socket.destroy())
  })

/** Until the limiter has written its count to Redis (a restarted Redis starts empty). */
const keysInRedis = (port: number) =>
  limiterKeys(port).pipe(
    Effect.repeat({ schedule: Schedule.spaced("50 millis"), until: (n) => n > 0 }),
    Effect.timeoutFail({ duration: "30 seconds", onTimeout: () => new Error("the limiter never wrote to Redis") })
  )

interface WorkerResult {
  readonly ok: number
  readonly failures: ReadonlyArray<string>
  readonly startedAt: number
  readonly endedAt: number
}

const workerEnv = (baseUrl: string, redisUrl: string, extra: Record<string, string> = {}) => ({
  BASE_URL: baseUrl,
  REDIS_URL: redisUrl,
  API_KEY: apiKey,
  WINDOW_MS: String(windowMs),
  LIMIT: String(limit),
  ...extra
})

const spawnWorker = (env: Record<string, string>) =>
  spawn(process.execPath, ["--import", "tsx", "support/rateLimitWorker.ts"], {
    cwd: testDir,
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"]
  })

/** Runs `support/rateLimitWorker.ts` with a number of calls in its own Node process. */
const worker = (env: Record<string, string>) =>
  Effect.async<WorkerResult, Error>((resume) => {
    const child = spawnWorker(env)
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

/** A worker calling until it is stopped, and what it has said so far. */
const runningWorker = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const child = yield* Effect.acquireRelease(
      Effect.sync(() => spawnWorker({ ...env, CONCURRENCY: "8" })),
      (child) => Effect.zipRight(Effect.sync(() => child.kill("SIGKILL")), exited(child))
    )
    const seen = { stdout: "", stderr: "", started: new Set<number>(), done: new Map<number, string>() }
    child.stdout.on("data", (chunk: Buffer) => {
      seen.stdout += chunk.toString()
      for (const match of chunk.toString().matchAll(/^@@call (start|done) (\d+)(?: (\S+))?$/gm)) {
        if (match[1] === "start") seen.started.add(Number(match[2]))
        else seen.done.set(Number(match[2]), match[3]!)
      }
    })
    child.stderr.on("data", (chunk: Buffer) => (seen.stderr += chunk.toString()))
    /** Until `condition` holds of what the worker said (it is checked as lines come in). */
    const until = (what: string, condition: () => boolean) =>
      Effect.sync(condition).pipe(
        Effect.repeat({ schedule: Schedule.spaced("20 millis"), until: (held) => held }),
        Effect.timeoutFail({
          duration: "40 seconds",
          onTimeout: () => new Error(`the worker never got there: ${what}`)
        })
      )
    /** Calls that started after `from` (a call number) and have ended. */
    const doneSince = (from: number) => [...seen.done.keys()].filter((n) => n >= from).length
    const stop = Effect.gen(function*() {
      child.stdin.end()
      yield* exited(child)
      const line = seen.stdout.trim().split("\n").at(-1) ?? ""
      return { ...(JSON.parse(line) as WorkerResult), code: child.exitCode }
    })
    return { seen, until, doneSince, stop, nextCall: () => seen.started.size }
  })

const count = (text: string, needle: string) => text.split(needle).length - 1
const storeFailed = "the rate-limit store failed"
const storeBack = "the rate-limit store answers again"

describe("RateLimiter.layerRedis", () => {
  it.scopedLive(
    "two processes sharing one key stay under the limit: at most one 429 per window",
    () =>
      Effect.gen(function*() {
        const port = yield* freePort
        yield* redisServerOn(port)
        const simulator = yield* Simulator.start({ apiKeys: [apiKey], rateLimit: { limit, windowMs } })
        const env = workerEnv(simulator.baseUrl, `redis://127.0.0.1:${port}`, {
          CALLS: String(callsPerProcess),
          CONCURRENCY: "20"
        })
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

  it.scopedLive(
    "Redis killed mid-run: calls go on counted in memory, nothing on stderr, and the budget is shared again once Redis is back",
    () =>
      Effect.gen(function*() {
        const port = yield* freePort
        const redis = yield* redisServerOn(port)
        const simulator = yield* Simulator.start({ apiKeys: [apiKey], rateLimit: { limit, windowMs } })
        const w = yield* runningWorker(workerEnv(simulator.baseUrl, `redis://127.0.0.1:${port}`))
        yield* w.until("20 calls on Redis", () => w.doneSince(0) >= 20)
        yield* keysInRedis(port)

        yield* redis.kill()
        // The calls in flight when Redis died end, and 40 calls more start and end, while it is down.
        const inFlight = [...w.seen.started].filter((n) => !w.seen.done.has(n))
        const afterKill = w.nextCall()
        yield* w.until("the calls in flight at the kill ended", () => inFlight.every((n) => w.seen.done.has(n)))
        yield* w.until("40 calls while Redis is down", () => w.doneSince(afterKill) >= 40)
        expect(count(w.seen.stdout, storeFailed)).toBe(1)
        expect(count(w.seen.stdout, storeBack)).toBe(0)

        // Restarted on the same port, Redis is empty: the limiter's keys there are new.
        yield* redis.restart
        yield* keysInRedis(port)
        const afterRestart = w.nextCall()
        yield* w.until("20 calls once Redis is back", () => w.doneSince(afterRestart) >= 20)
        const result = yield* w.stop

        expect(result.code).toBe(0)
        expect(result.failures).toEqual([])
        expect([...w.seen.done.values()].filter((outcome) => outcome !== "ok")).toEqual([])
        expect(w.seen.stderr).toBe("")
        // One warning for the outage, one line when Redis answered again.
        expect(count(w.seen.stdout, storeFailed)).toBe(1)
        expect(count(w.seen.stdout, storeBack)).toBe(1)
      }),
    { timeout: 120_000 }
  )

  it.scopedLive(
    "Redis down from the start: calls go on counted in memory, nothing on stderr, and Redis is used once it starts",
    () =>
      Effect.gen(function*() {
        const port = yield* freePort
        const simulator = yield* Simulator.start({ apiKeys: [apiKey], rateLimit: { limit, windowMs } })
        const w = yield* runningWorker(workerEnv(simulator.baseUrl, `redis://127.0.0.1:${port}`))
        yield* w.until("60 calls without Redis", () => w.doneSince(0) >= 60)
        expect(count(w.seen.stdout, storeFailed)).toBe(1)

        yield* redisServerOn(port)
        yield* keysInRedis(port)
        const afterStart = w.nextCall()
        yield* w.until("20 calls on Redis", () => w.doneSince(afterStart) >= 20)
        const result = yield* w.stop

        expect(result.code).toBe(0)
        expect(result.failures).toEqual([])
        expect(w.seen.stderr).toBe("")
        expect(count(w.seen.stdout, storeFailed)).toBe(1)
        expect(count(w.seen.stdout, storeBack)).toBe(1)
      }),
    { timeout: 120_000 }
  )
})
