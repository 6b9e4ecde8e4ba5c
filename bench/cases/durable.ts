/**
 * What durability costs: `n` whole authentications (open, two photos, progress, submit, verdict)
 * against a simulator whose rate limit is the bottleneck, either in memory (`--impl memory`:
 * `Legitmark.authenticate` + `awaitVerdict`, all at once, with its default polling) or as durable workflows
 * (`--impl durable`: `AuthenticationWorkflow` on `SqliteRunner`, a fresh SQLite file, woken by the
 * simulator's webhooks, each outcome handed to `onOutcome`).
 *
 *   tsx bench/cases/durable.ts --impl durable --url http://127.0.0.1:PORT --n 200
 *
 * Reports the wall time from the first call to the last verdict (durable: to the last `onOutcome`; then
 * `awaitedMs` adds reading every outcome through its handle), the API requests sent, and for durable the storage written
 * per authentication: the SQLite file (after a WAL checkpoint) and the rows of each table.
 */
import { LegitmarkClient, Photo } from "@effect-legitmark/client"
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import { AuthenticationWorkflow } from "@effect-legitmark/workflow"
import * as SqliteRunner from "@effect-legitmark/workflow/SqliteRunner"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as SqlClient from "@effect/sql/SqlClient"
import { Legitmark, Webhooks } from "effect-legitmark"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { mkdtempSync, rmSync, statSync } from "node:fs"
import { createServer } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { args, maxRssMb, num, report, str } from "../lib/protocol.js"

const argv = args()
const impl = str(argv, "impl")
const url = str(argv, "url")
const n = num(argv, "n", 200)
const tag = str(argv, "tag", String(process.pid))

const control = async <A>(path: string, method = "GET", body?: unknown): Promise<A> => {
  const response = await fetch(`${url}/__control/${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
  })
  if (!response.ok) throw new Error(`${method} /__control/${path}: ${response.status}`)
  return (await response.json()) as A
}

interface Stats {
  readonly routes: Readonly<Record<string, number>>
  readonly statuses: Readonly<Record<string, number>>
  readonly srCount: number
}

// A fresh simulator state: no SRs, no rate-limit window, counters at zero, no webhook target.
await control("reset", "POST")
await control("webhook", "PUT", { url: null })

const photo = (name: string) => fileURLToPath(new URL(`../../examples/photos/${name}.png`, import.meta.url))
const photos = { "Outer Sides": photo("outer-sides"), "Interior Size Tag or Stamp": photo("size-tag") }
const item = { category: "25ed7133-f230-4d64-850d-0cfc698e2931", type: "95e428c2-7c4f-11ef-a623-02595575faeb" }
const referenceIds = Array.from({ length: n }, (_, i) => `DURABLE-BENCH-${tag}-${i}`)

const ClientLive = LegitmarkClient.layer({ apiKey: Redacted.make("leo_bench"), baseUrl: url, assetUrl: url }).pipe(
  Layer.provide(AgentHttpClient.layer)
)

const memory = Effect.gen(function*() {
  const legitmark = yield* Legitmark
  const files = {
    "Outer Sides": yield* Photo.fromPath(photos["Outer Sides"]),
    "Interior Size Tag or Stamp": yield* Photo.fromPath(photos["Interior Size Tag or Stamp"])
  }
  const started = Date.now()
  const verdicts = yield* Effect.forEach(
    referenceIds,
    (referenceId) =>
      legitmark.authenticate({ referenceId, item, photos: files }).pipe(
        Effect.flatMap(({ sr }) => legitmark.awaitVerdict(sr.uuid)),
        Effect.map((outcome) => outcome._tag)
      ),
    { concurrency: "unbounded" }
  )
  return { wallMs: Date.now() - started, authentic: verdicts.filter((v) => v === "Authentic").length }
}).pipe(Effect.provide(Layer.mergeAll(Legitmark.layer.pipe(Layer.provide(ClientLive)), NodeFileSystem.layer)))

const durable = Effect.gen(function*() {
  const dir = mkdtempSync(join(tmpdir(), "legitmark-bench-durable-"))
  const filename = join(dir, "bench.db")
  let handled = 0
  let lastHandledAt = 0
  const allHandled = Deferred.unsafeMake<void>(FiberId.none)
  const run = Effect.gen(function*() {
    const server = yield* NodeHttpServer.make(createServer, { port: 0, host: "127.0.0.1" })
    yield* server.serve(yield* Webhooks.httpApp(AuthenticationWorkflow.handleEvent))
    const port = server.address._tag === "TcpAddress" ? server.address.port : 0
    yield* Effect.promise(() => control("webhook", "PUT", { url: `http://127.0.0.1:${port}/` }))
    const started = Date.now()
    const authentications = yield* Effect.forEach(
      referenceIds,
      (referenceId) => AuthenticationWorkflow.start({ referenceId, item, photos }),
      { concurrency: 16 }
    )
    // Timed to the last outcome handed to `onOutcome`: callers polling for outcomes would add their own load.
    yield* Deferred.await(allHandled)
    const outcomes = yield* Effect.forEach(authentications, (a) => a.outcome, { concurrency: 16 })
    const awaitedMs = Date.now() - started
    const sql = yield* SqlClient.SqlClient
    yield* sql`PRAGMA wal_checkpoint(TRUNCATE)`
    const tables = yield* sql<{ readonly name: string }>`
      SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
    const rows: Record<string, number> = {}
    for (const { name } of tables) {
      const [count] = yield* sql<{ readonly n: number }>`SELECT COUNT(*) AS n FROM ${sql(name)}`
      if ((count?.n ?? 0) > 0) rows[name] = count!.n
    }
    return {
      wallMs: lastHandledAt - started,
      awaitedMs,
      authentic: outcomes.filter((o) => o._tag === "Authentic").length,
      rows
    }
  }).pipe(
    Effect.scoped,
    Effect.provide(
      SqliteRunner.layer({
        filename,
        onOutcome: () =>
          Effect.suspend(() => {
            handled++
            lastHandledAt = Date.now()
            return handled >= n ? Deferred.succeed(allHandled, undefined) : Effect.void
          })
      }).pipe(Layer.provideMerge(ClientLive), Layer.provide(AgentHttpClient.layer))
    )
  )
  const result = yield* run
  const bytes = ["", "-wal", "-shm"].reduce((sum, suffix) => {
    try {
      return sum + statSync(`${filename}${suffix}`).size
    } catch {
      return sum
    }
  }, 0)
  rmSync(dir, { recursive: true, force: true })
  return { ...result, handled, bytes }
})

interface Result {
  readonly wallMs: number
  readonly authentic: number
  readonly awaitedMs?: number
  readonly handled?: number
  readonly bytes?: number
  readonly rows?: Readonly<Record<string, number>>
}

const program: Effect.Effect<Result, unknown> = impl === "durable" ? durable : memory
const result = await Effect.runPromise(program)
const stats = await control<Stats>("stats")
const apiRequests = Object.entries(stats.routes).filter(([route]) => !route.startsWith("control.")).reduce(
  (sum, [, count]) => sum + count,
  0
)
const rows = result.rows ?? {}
report({
  case: "durable",
  impl,
  n,
  wallMs: result.wallMs,
  awaitedMs: result.awaitedMs ?? result.wallMs,
  handled: result.handled ?? result.authentic,
  authentic: result.authentic,
  apiRequests,
  rateLimited: stats.statuses["429"] ?? 0,
  srs: stats.srCount,
  bytesPerAuthentication: result.bytes === undefined ? 0 : Math.round(result.bytes / n),
  rowsPerAuthentication: Object.entries(rows).map(([table, count]) => `${table}:${(count / n).toFixed(1)}`).join(" "),
  maxRssMb: maxRssMb()
})
process.exit(0)
