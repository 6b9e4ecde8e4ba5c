/**
 * Memory against hostile peers (issue 15.3 and 15.7): what a 500 MB answer, an endless 100 MB/s stream
 * and a gzip bomb cost the client, and what a 600 MB request body costs the simulator. Each case runs in
 * its own processes: a server (the hostile one, or the simulator's bin) and the client, which reports its
 * peak RSS above its idle RSS (sampled every 5 ms, and the kernel's high-water mark).
 *
 *   node --import tsx bench/hostile.ts                  # every case, a table
 *   node --import tsx bench/hostile.ts --only big,bomb  # some of them
 *
 * Cases: `big` (a 500 MB answer with its length, AgentHttpClient), `endless` (100 MB/s without end, 10 s
 * timeout, AgentHttpClient), `bomb` (1 GB of zeros gzipped to about 1 MB, FetchHttpClient, which inflates),
 * `post` (a 600 MB POST to the simulator, whose RSS is read from /proc).
 */
import { LegitmarkClient, LegitmarkError, RetryPolicy } from "@effect-legitmark/client"
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"
import { args, maxRssMb, parse, report, rssMb, str } from "./lib/protocol.js"

const MB = 1024 * 1024
const argv = args()
const self = fileURLToPath(import.meta.url)
const repoDir = fileURLToPath(new URL("..", import.meta.url))
const srUuid = "8e61c991-553a-4a58-9eb6-561b64c11908"

type Case = "big" | "endless" | "bomb" | "post"
const cases: ReadonlyArray<Case> = ["big", "endless", "bomb", "post"]

// --- the hostile server --------------------------------------------------------------------------------

const serve = (kind: Case) => {
  // 1 GB of zeros is about 1 MB gzipped.
  const bomb = kind === "bomb" ? gzipSync(Buffer.alloc(1024 * MB)) : undefined
  const chunk = Buffer.alloc(MB, 0x61)
  let requests = 0
  const server = Http.createServer((request, response) => {
    if (request.url === "/count") return response.end(JSON.stringify({ requests }))
    requests++
    if (kind === "bomb") {
      response.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" })
      return response.end(bomb)
    }
    // `big`: valid JSON that the schema refuses, `{"success":true,"sr":"aaa…"}`, 500 MB with its length.
    const head = Buffer.from("{\"success\":true,\"sr\":\"")
    const tail = Buffer.from("\"}")
    const total = kind === "big" ? 500 * MB : Number.POSITIVE_INFINITY
    response.writeHead(200, {
      "content-type": "application/json",
      ...(kind === "big" ? { "content-length": String(total + head.length + tail.length) } : {})
    })
    if (kind === "big") response.write(head)
    let sent = 0
    // `endless`: 1 MB every 10 ms, 100 MB/s, as long as the client reads.
    const pump = () => {
      while (sent < total && !response.destroyed) {
        sent += chunk.length
        if (!response.write(chunk)) return void response.once("drain", pump)
        if (kind === "endless") return void setTimeout(pump, 10)
      }
      if (!response.destroyed) response.end(kind === "big" ? tail : undefined)
    }
    pump()
  })
  server.listen(0, "127.0.0.1", () => {
    process.stdout.write(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`)
  })
}

// --- the client ----------------------------------------------------------------------------------------

const client = async (kind: Case, url: string) => {
  const transport: Layer.Layer<HttpClient.HttpClient> = kind === "bomb" ? FetchHttpClient.layer : AgentHttpClient.layer
  const layer = LegitmarkClient.layer({
    apiKey: Redacted.make("leo_bench"),
    baseUrl: url,
    assetUrl: url,
    timeout: kind === "endless" ? "10 seconds" : "120 seconds"
  }).pipe(Layer.provide(Layer.merge(transport, RetryPolicy.layer())))
  const program = Effect.gen(function*() {
    const legitmark = yield* LegitmarkClient
    return yield* legitmark.serviceRequests.get(srUuid)
  }).pipe(Effect.provide(layer))

  global.gc?.()
  const idle = rssMb()
  let peak = idle
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb())
  }, 5)
  const started = performance.now()
  const exit = await Effect.runPromiseExit(program)
  const seconds = (performance.now() - started) / 1000
  clearInterval(sampler)
  peak = Math.max(peak, rssMb(), maxRssMb())
  const failure = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
  const defect = Exit.isFailure(exit) && failure === undefined ? Cause.pretty(exit.cause).split("\n")[0] : undefined
  const issue = LegitmarkError.isLegitmarkError(failure) && failure._tag === "UnexpectedResponseError"
    ? failure.issue
    : ""
  const count = await (await fetch(`${url}/count`)).json() as { readonly requests: number }
  report({
    case: kind,
    outcome: failure === undefined ? defect ?? "ok" : LegitmarkError.isLegitmarkError(failure) ? failure._tag : "?",
    issue: issue.slice(0, 70),
    issueChars: issue.length,
    requests: count.requests,
    rssAboveIdleMb: Math.round(peak - idle),
    seconds: Math.round(seconds * 10) / 10
  })
}

// --- the orchestrator ----------------------------------------------------------------------------------

const tsx = ["--import", "tsx"]

/** Starts `command` (a node script under tsx) and answers its process and the URL it listens on. */
const start = (command: ReadonlyArray<string>) =>
  new Promise<{ readonly pid: number; readonly url: string; readonly stop: () => void }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--max-old-space-size=8192", ...tsx, ...command], {
      cwd: repoDir,
      stdio: ["ignore", "pipe", "inherit"]
    })
    let out = ""
    child.stdout.on("data", (data: Buffer) => {
      out += data.toString()
      const match = /listening on (http:\/\/\S+)/.exec(out)
      if (match !== null && child.pid !== undefined) {
        resolve({ pid: child.pid, url: match[1]!, stop: () => child.kill("SIGKILL") })
      }
    })
    child.on("exit", (code) => reject(new Error(`${command.join(" ")} exited (${code})`)))
  })

const run = (command: ReadonlyArray<string>) =>
  new Promise<string>((resolve) => {
    const child = spawn(process.execPath, ["--expose-gc", "--max-old-space-size=8192", ...tsx, ...command], {
      cwd: repoDir,
      stdio: ["ignore", "pipe", "inherit"]
    })
    let out = ""
    child.stdout.on("data", (data: Buffer) => (out += data.toString()))
    child.on("exit", (code, signal) =>
      resolve(code === 0 ? out : `${out}\n@@bench ${JSON.stringify({ outcome: `exit ${code ?? signal}` })}`))
  })

/** A process's RSS and high-water mark, in MB, from /proc. */
const procRss = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN)
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 }
}

/** POSTs 600 MB of blanks to the simulator's create route and answers the status it got, if any. */
const postHuge = (url: string) =>
  new Promise<string>((resolve) => {
    const target = new URL("/api/v2/sr", url)
    const total = 600 * MB
    const request = Http.request({
      host: target.hostname,
      port: target.port,
      path: target.pathname,
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer anyone", "content-length": String(total) }
    })
    const chunk = Buffer.alloc(MB, 0x20)
    let written = 0
    let done = false
    const finish = (outcome: string) => {
      if (done) return
      done = true
      resolve(`${outcome} after ${Math.round(written / MB)} MB sent`)
      request.destroy()
    }
    const pump = () => {
      while (!done && written < total) {
        written += chunk.length
        if (!request.write(chunk)) return void request.once("drain", pump)
      }
      if (!done) request.end()
    }
    request.on("response", (response) => finish(`HTTP ${response.statusCode}`))
    request.on("error", (error) => finish(`error ${error.message}`))
    request.setTimeout(120_000, () => finish("no answer in 120 s"))
    pump()
  })

const orchestrate = async () => {
  const only = argv.get("only")?.split(",") ?? cases
  const rows: Array<Readonly<Record<string, unknown>>> = []
  for (const kind of cases.filter((c) => only.includes(c))) {
    if (kind === "post") {
      const simulator = await start(["packages/simulator/src/bin.ts", "--port", "0"])
      await new Promise((r) => setTimeout(r, 500))
      const idle = procRss(simulator.pid)
      let peak = idle.rss
      const sampler = setInterval(() => {
        try {
          const now = procRss(simulator.pid).rss
          if (Number.isFinite(now)) peak = Math.max(peak, now)
        } catch {
          // The process is gone.
        }
      }, 5)
      const started = performance.now()
      const outcome = await postHuge(simulator.url)
      const seconds = (performance.now() - started) / 1000
      clearInterval(sampler)
      let alive = "yes"
      try {
        const { hwm } = procRss(simulator.pid)
        if (Number.isFinite(hwm)) peak = Math.max(peak, hwm)
        await fetch(`${simulator.url}/__control/clock`)
      } catch {
        alive = "no"
      }
      simulator.stop()
      rows.push({
        case: kind,
        outcome,
        simulatorAlive: alive,
        rssAboveIdleMb: Math.round(peak - idle.rss),
        seconds: Math.round(seconds * 10) / 10
      })
      continue
    }
    const server = await start([self, "--serve", kind])
    const out = await run([self, "--case", kind, "--url", server.url])
    server.stop()
    rows.push(...parse(out))
  }
  for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`)
}

const caseNamed = (name: string | undefined) => cases.find((c) => c === name)
const serveKind = caseNamed(argv.get("serve"))
const caseKind = caseNamed(argv.get("case"))
if (serveKind !== undefined) serve(serveKind)
else if (caseKind !== undefined) await client(caseKind, str(argv, "url"))
else await orchestrate()
