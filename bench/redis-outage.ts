/**
 * What a Redis outage costs the calls of a client on `RateLimiter.layerRedis`: a real `redis-server` on a
 * free loopback port is killed (SIGKILL by PID) and restarted on the same port while a client process
 * (`cases/redisOutage.ts`) makes calls against the simulator. Prints, per phase, the calls made, the
 * longest one and the failures, the lines the client wrote to stderr, and the limiter's keys in Redis once
 * it is back. Not part of `pnpm bench`: it runs for about two minutes and needs `redis-server`.
 *
 *   pnpm --filter @effect-legitmark/bench exec tsx redis-outage.ts
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { createServer } from "node:net"
import { fileURLToPath } from "node:url"
import { parse } from "./lib/protocol.js"

const benchDir = fileURLToPath(new URL(".", import.meta.url))
const repoDir = fileURLToPath(new URL("..", import.meta.url))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })

const waitFor = (child: ChildProcess, pattern: RegExp) =>
  new Promise<string>((resolve, reject) => {
    let out = ""
    const onData = (chunk: Buffer) => {
      out += chunk.toString()
      const match = pattern.exec(out)
      if (match !== null) resolve(match[1] ?? match[0])
    }
    child.stdout?.on("data", onData)
    child.stderr?.on("data", onData)
    child.once("exit", (code) => reject(new Error(`exited (${code}): ${out}`)))
  })

const startRedis = async (port: number) => {
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "pipe", "pipe"] }
  )
  await waitFor(child, /Ready to accept connections/)
  return child
}

const keys = (port: number) =>
  spawnSync("redis-cli", ["-p", String(port), "--scan", "--pattern", "ratelimiter:*"], { encoding: "utf8" }).stdout
    .split("\n").filter((line) => line !== "").length

const simulator = spawn(
  process.execPath,
  ["--import", "tsx", "packages/simulator/src/bin.ts", "--api-key", "leo_outage", "--rate-limit", "150/1"],
  { cwd: repoDir, stdio: ["ignore", "pipe", "pipe"] }
)
const url = await waitFor(simulator, /listening on (http:\/\/\S+)/)

interface Scenario {
  readonly name: string
  /** What happens to Redis, at which ms after the client started. */
  readonly events: ReadonlyArray<readonly [atMs: number, "kill" | "start"]>
  readonly upAtStart: boolean
}

const scenarios: ReadonlyArray<Scenario> = [
  { name: "killed mid-run, restarted 40 s later", upAtStart: true, events: [[4_000, "kill"], [44_000, "start"]] },
  { name: "down from the start, started after 30 s", upAtStart: false, events: [[30_000, "start"]] }
]
const durationMs = 56_000

for (const scenario of scenarios) {
  const port = await freePort()
  let redis = scenario.upAtStart ? await startRedis(port) : undefined
  const started = Date.now()
  const client = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "cases/redisOutage.ts",
      "--url",
      url,
      "--redis",
      `redis://127.0.0.1:${port}`,
      "--duration-ms",
      String(durationMs)
    ],
    { cwd: benchDir, stdio: ["ignore", "pipe", "pipe"] }
  )
  let stdout = ""
  let stderr = ""
  client.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
  client.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => client.once("exit", resolve))
  const marks: Array<readonly [number, string]> = [[started, scenario.upAtStart ? "up" : "down"]]
  for (const [atMs, event] of scenario.events) {
    await sleep(started + atMs - Date.now())
    if (event === "kill" && redis !== undefined) {
      process.kill(redis.pid!, "SIGKILL")
      redis = undefined
      marks.push([Date.now(), "down"])
    } else if (event === "start") {
      redis = await startRedis(port)
      marks.push([Date.now(), "back"])
    }
  }
  // Sampled while the client still runs: a window's keys expire soon after it.
  await sleep(started + durationMs - 2_000 - Date.now())
  const keysBack = redis === undefined ? "n/a" : String(keys(port))
  const code = await exited
  const endedAt = Date.now()
  const figures = parse(stdout)[0]
  const calls = JSON.parse(String(figures?.calls ?? "[]")) as ReadonlyArray<readonly [number, number, string]>
  console.log(`\n### ${scenario.name} (client exit ${code}, ${((endedAt - started) / 1000).toFixed(1)} s)`)
  console.log("| phase | calls | longest call s | calls > 1 s | failures |")
  console.log("|-------|-------|----------------|-------------|----------|")
  marks.forEach(([from, phase], i) => {
    const to = marks[i + 1]?.[0] ?? Infinity
    const inPhase = calls.filter(([start]) => start >= from && start < to)
    const failures = new Map<string, number>()
    for (const [, , outcome] of inPhase) {
      if (outcome !== "ok") failures.set(outcome, (failures.get(outcome) ?? 0) + 1)
    }
    const longest = Math.max(0, ...inPhase.map(([, ms]) => ms))
    console.log(
      `| ${phase} | ${inPhase.length} | ${(longest / 1000).toFixed(2)} | ${
        inPhase.filter(([, ms]) => ms > 1000).length
      } | ${[...failures].map(([tag, n]) => `${tag} ${n}`).join(", ") || "0"} |`
    )
  })
  const lines = stderr.split("\n").filter((line) => line.trim() !== "")
  console.log(`stderr lines from the client: ${lines.length}${lines.length > 0 ? ` (first: ${lines[0]})` : ""}`)
  console.log(`limiter keys in Redis after it came back (2 s before the end): ${keysBack}`)
  if (redis !== undefined) process.kill(redis.pid!, "SIGKILL")
}
simulator.kill("SIGTERM")
