/**
 * `pnpm demo --durable`: one authentication as a durable workflow on a SQLite file, against a simulator
 * that outlives the demo. Interrupt it (Ctrl-C) at any point and run it again: it finishes the same
 * authentication, on the same SR, without uploading a photo twice.
 *
 * Both the database and the simulator's address live in a state directory (LEGITMARK_DEMO_DIR, default
 * `<tmp>/effect-legitmark-demo`). The simulator is a detached `legitmark-simulator` process on a fixed
 * port, started by the first run and reused while it is alive (stop it with `kill <pid>`, printed).
 */
import { LegitmarkClient } from "@effect-legitmark/client"
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import { AuthenticationWorkflow } from "@effect-legitmark/workflow"
import * as SqliteRunner from "@effect-legitmark/workflow/SqliteRunner"
import { NodeHttpServer } from "@effect/platform-node"
import { Webhooks } from "effect-legitmark"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import { spawn } from "node:child_process"
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs"
import { createServer } from "node:http"
import { createServer as createNetServer } from "node:net"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { chooseItem } from "./SampleItem.js"

const apiKey = "leo_durable_demo"
const stateDir = process.env.LEGITMARK_DEMO_DIR ?? join(tmpdir(), "effect-legitmark-demo")
const stateFile = join(stateDir, "state.json")

interface State {
  readonly simulator?: { readonly port: number; readonly pid: number }
  readonly referenceId?: string
}

class DemoError extends Data.TaggedError("DemoError")<{ readonly message: string }> {}

const readState = (): State => existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, "utf8")) : {}
const writeState = (state: State) => writeFileSync(stateFile, JSON.stringify(state, null, 2))

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const answers = (port: number) =>
  Effect.tryPromise(() => fetch(`http://127.0.0.1:${port}/__control/clock`)).pipe(
    Effect.map((response) => response.ok),
    Effect.orElseSucceed(() => false)
  )

const freePort = Effect.async<number>((resume) => {
  const server = createNetServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    server.close(() => resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : 0)))
  })
})

const control = (port: number, method: string, path: string, body: unknown) =>
  Effect.tryPromise({
    try: () =>
      fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body)
      }),
    catch: (e) => new DemoError({ message: `simulator control ${path}: ${String(e)}` })
  })

/** The simulator of an earlier run when it is still up; else a new detached one, on the recorded port. */
const ensureSimulator = Effect.gen(function*() {
  mkdirSync(stateDir, { recursive: true })
  const state = readState()
  if (state.simulator !== undefined && isAlive(state.simulator.pid) && (yield* answers(state.simulator.port))) {
    yield* Console.log(`Simulator: reusing pid ${state.simulator.pid} on port ${state.simulator.port}`)
    return state.simulator.port
  }
  const port = state.simulator?.port ?? (yield* freePort)
  const bin = fileURLToPath(import.meta.resolve("@effect-legitmark/simulator/bin"))
  const log = openSync(join(stateDir, "simulator.log"), "a")
  // One simulated minute per real second: an authentication takes a few seconds after the submit.
  const child = spawn(process.execPath, [
    "--import",
    "tsx",
    bin,
    "--port",
    String(port),
    "--api-key",
    apiKey,
    "--speed",
    "60"
  ], {
    detached: true,
    stdio: ["ignore", log, log],
    // Where `tsx` resolves.
    cwd: dirname(bin)
  })
  child.unref()
  yield* answers(port).pipe(
    Effect.filterOrFail(
      (up) => up,
      () => new DemoError({ message: `the simulator did not start (see ${stateDir}/simulator.log)` })
    ),
    Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.upTo("30 seconds")))
  )
  // Uploads take a second each, so that there is time to interrupt the demo between them.
  yield* control(port, "POST", "/__control/faults", { route: "media.upload", fault: "delay", ms: 1000 })
  writeState({ ...state, simulator: { port, pid: child.pid ?? -1 } })
  yield* Console.log(
    `Simulator: started pid ${child.pid} on port ${port} (it keeps running; stop it with kill ${child.pid})`
  )
  return port
})

const follow = (referenceId: string) =>
  Effect.gen(function*() {
    let last = ""
    const show = AuthenticationWorkflow.executions({ referenceId }).pipe(
      Effect.tap((statuses) => {
        const line = statuses.map(AuthenticationWorkflow.formatStatus).join(" | ")
        if (line === last || line === "") return Effect.void
        last = line
        return Console.log(`  … ${line}`)
      })
    )
    return yield* show.pipe(Effect.repeat(Schedule.spaced("100 millis")), Effect.forkScoped)
  })

const authenticate = (port: number) =>
  Effect.gen(function*() {
    const client = yield* LegitmarkClient
    const { category, type } = yield* chooseItem
    const state = readState()
    const earlier = state.referenceId === undefined ?
      [] :
      yield* AuthenticationWorkflow.executions({ referenceId: state.referenceId })
    const resuming = state.referenceId !== undefined && earlier.some((e) => e.step !== "done" && e.step !== "failed")
    const referenceId = resuming ? state.referenceId! : `DEMO-DURABLE-${Date.now()}`
    writeState({ ...readState(), referenceId })
    yield* Console.log(
      resuming ?
        `Resuming ${referenceId}, interrupted at: ${earlier.map(AuthenticationWorkflow.formatStatus).join(" | ")}` :
        `Starting ${referenceId} (${category.name} → ${type.name}); press Ctrl-C at any point and run again`
    )

    const photo = (name: string) => fileURLToPath(new URL(`../photos/${name}.png`, import.meta.url))
    const authentication = yield* AuthenticationWorkflow.start({
      referenceId,
      item: { category: category.uuid, type: type.uuid },
      photos: { "Outer Sides": photo("outer-sides"), "Interior Size Tag or Stamp": photo("size-tag") }
    })
    const follower = yield* follow(referenceId)
    const outcome = yield* authentication.outcome
    yield* Effect.sleep("150 millis")
    yield* Fiber.interrupt(follower)

    yield* Console.log(`Verdict: ${outcome._tag === "Authentic" ? "AUTHENTIC ✔" : outcome._tag}`)
    const sr = yield* client.serviceRequests.get(outcome.sr.uuid, { item: true, sides: true })
    const versions = (sr.sides?.required ?? []).map((side) => ({
      name: side.name,
      uploads: side.media_url?.length ?? 0
    }))
    for (const { name, uploads } of versions) yield* Console.log(`  ${name}: uploaded ${uploads} time(s)`)
    if (versions.every((v) => v.uploads === 1)) yield* Console.log("Each photo was uploaded once.")
    const stats = yield* control(port, "GET", "/__control/stats", undefined).pipe(
      Effect.flatMap((response) =>
        Effect.tryPromise(() => response.json() as Promise<{ submits: Record<string, number> }>)
      ),
      Effect.orElseSucceed(() => ({ submits: {} as Record<string, number> }))
    )
    yield* Console.log(`SR ${sr.uuid} was submitted ${stats.submits[sr.uuid] ?? 0} time(s).`)
  }).pipe(Effect.scoped)

/** The demo: a detached simulator, a webhook endpoint, and the workflow on a SQLite file in the state directory. */
export const program = Effect.gen(function*() {
  const port = yield* ensureSimulator
  const server = yield* NodeHttpServer.make(createServer, { port: 0, host: "127.0.0.1" })
  const webhookPort = server.address._tag === "TcpAddress" ? server.address.port : 0
  // Each run has its own webhook endpoint: point the simulator's deliveries at this one.
  yield* control(port, "PUT", "/__control/webhook", { url: `http://127.0.0.1:${webhookPort}/` })
  const baseUrl = `http://127.0.0.1:${port}`
  const Durable = SqliteRunner.layer({
    filename: join(stateDir, "authentications.db"),
    // Short for a demo: a webhook missed while the demo was down is made up for within seconds.
    pollInterval: "2 seconds",
    // One photo at a time, so that the demo can be interrupted between two.
    concurrency: 1,
    maxPollInterval: "5 seconds",
    sharding: { entityMessagePollInterval: "500 millis", entityTerminationTimeout: "1 second" }
  }).pipe(
    Layer.provideMerge(LegitmarkClient.layer({ apiKey: Redacted.make(apiKey), baseUrl, assetUrl: baseUrl })),
    Layer.provide(AgentHttpClient.layer)
  )
  yield* Effect.gen(function*() {
    yield* server.serve(yield* Webhooks.httpApp(AuthenticationWorkflow.handleEvent))
    yield* authenticate(port)
  }).pipe(Effect.provide(Durable))
}).pipe(Effect.scoped)
