/**
 * The inbox's contract, the same for each store: in memory, SQLite on a real file, and a real Postgres
 * server on a loopback port. Time is the TestClock (the stores read the `Clock`).
 */
import { postgresServer } from "@effect-legitmark/testing"
import { PgClient } from "@effect/sql-pg"
import { SqliteClient } from "@effect/sql-sqlite-node"
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it, layer } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as SqlWebhookInbox from "../src/SqlWebhookInbox.js"
import * as WebhookInbox from "../src/WebhookInbox.js"

/** Makes a fresh, empty inbox (and, for SQL stores, a client on the same database). */
class Stores extends Context.Tag("test/Stores")<Stores, {
  readonly fresh: (options?: SqlWebhookInbox.Options) => Effect.Effect<WebhookInbox.Service>
  /** Another client on the same database, as another process would have (SQL stores only). */
  readonly clients: ReadonlyArray<SqlClient.SqlClient>
}>() {}

let tables = 0
const sqlStores = (clients: ReadonlyArray<SqlClient.SqlClient>) =>
  Stores.of({
    clients,
    fresh: (options = {}) =>
      SqlWebhookInbox.make({ table: `t${++tables}_webhook`, ...options }).pipe(
        Effect.provideService(SqlClient.SqlClient, clients[0]!),
        Effect.orDie
      )
  })

const MemoryStores = Layer.succeed(Stores, Stores.of({ clients: [], fresh: () => WebhookInbox.makeMemory }))

const SqliteStores = Layer.unwrapScoped(Effect.gen(function*() {
  const dir = yield* Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "legitmark-inbox-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )
  const filename = join(dir, "inbox.db")
  const open = Effect.map(Layer.build(SqliteClient.layer({ filename })), Context.get(SqlClient.SqlClient))
  return Layer.succeed(Stores, sqlStores([yield* open, yield* open]))
})).pipe(Layer.orDie)

const PostgresStores = Layer.unwrapScoped(Effect.gen(function*() {
  const server = yield* postgresServer
  const url = yield* server.createDatabase("inbox")
  const open = Effect.map(
    Layer.build(PgClient.layer({ url: Redacted.make(url) })),
    Context.get(SqlClient.SqlClient)
  )
  return Layer.succeed(Stores, sqlStores([yield* open, yield* open]))
})).pipe(Layer.orDie)

const lease = Duration.seconds(30)
const window = Duration.minutes(10)

const contract = (name: string, stores: Layer.Layer<Stores>, options: { readonly sql: boolean }) =>
  layer(stores, { timeout: 60_000 })(name, (it) => {
    it.effect("records a delivery once per id, and one owner at a time claims it", () =>
      Effect.gen(function*() {
        const inbox = yield* Effect.flatMap(Stores, (s) => s.fresh())
        yield* inbox.record({ id: "a", body: "{\"n\":1}" })
        yield* inbox.record({ id: "a", body: "{\"n\":2}" })
        yield* TestClock.adjust("1 millis")
        yield* inbox.record({ id: "b", body: "{}" })
        const first = yield* inbox.claim({ owner: "w1", limit: 1, lease })
        expect(first.map((e) => [e.id, e.body, e.status, e.checks, e.failures, e.key])).toEqual([
          ["a", "{\"n\":1}", "pending", 0, 0, null]
        ])
        expect((yield* inbox.claim({ owner: "w2", limit: 10, lease })).map((e) => e.id)).toEqual(["b"])
        expect(yield* inbox.claim({ owner: "w3", limit: 10, lease })).toEqual([])
        // Renewed leases hold; one that runs out is taken by another owner.
        yield* TestClock.adjust("20 seconds")
        yield* inbox.renew({ owner: "w1", ids: ["a"], lease })
        yield* TestClock.adjust("15 seconds")
        expect((yield* inbox.claim({ owner: "w3", limit: 10, lease })).map((e) => e.id)).toEqual(["b"])
        yield* TestClock.adjust("20 seconds")
        expect((yield* inbox.claim({ owner: "w3", limit: 10, lease })).map((e) => e.id)).toEqual(["a"])
        expect(yield* inbox.counts).toEqual({ pending: 2, handled: 0, duplicate: 0, unconfirmed: 0, failed: 0 })
      }))

    it.effect("releases an entry for later with its counters; only its owner can", () =>
      Effect.gen(function*() {
        const inbox = yield* Effect.flatMap(Stores, (s) => s.fresh())
        yield* inbox.record({ id: "a", body: "{}" })
        yield* inbox.claim({ owner: "w1", limit: 1, lease })
        yield* inbox.release({ id: "a", owner: "w2", delay: Duration.zero, checks: 9, failures: 9 })
        expect(yield* inbox.claim({ owner: "w2", limit: 1, lease })).toEqual([])
        yield* inbox.release({ id: "a", owner: "w1", delay: Duration.seconds(5), checks: 1, failures: 2 })
        yield* TestClock.adjust("4 seconds")
        expect(yield* inbox.claim({ owner: "w2", limit: 1, lease })).toEqual([])
        yield* TestClock.adjust("1 second")
        const [again] = yield* inbox.claim({ owner: "w2", limit: 1, lease })
        expect([again?.checks, again?.failures]).toEqual([1, 2])
      }))

    it.effect("binds a key to one entry; the key is free again after the window once that entry is done", () =>
      Effect.gen(function*() {
        const inbox = yield* Effect.flatMap(Stores, (s) => s.fresh())
        for (const id of ["a", "b", "c"]) yield* inbox.record({ id, body: "{}" })
        yield* inbox.claim({ owner: "w", limit: 3, lease })
        const bind = (id: string) =>
          inbox.bind({ id, owner: "w", key: "sr:COMPLETE:APPROVED", confirmation: "{}", window })
        expect(yield* bind("a")).toBe(true)
        expect(yield* bind("b")).toBe(false)
        // Binding again (a retried attempt) keeps the key.
        expect(yield* bind("a")).toBe(true)
        // Past the window, a key whose entry is still pending is not taken.
        yield* TestClock.adjust("11 minutes")
        yield* inbox.renew({ owner: "w", ids: ["a", "b", "c"], lease })
        expect(yield* bind("c")).toBe(false)
        yield* inbox.settle({ id: "a", owner: "w", status: "handled" }, Effect.void)
        expect(yield* bind("c")).toBe(true)
        // What an entry was bound with comes back with it when it is claimed again (after a restart).
        yield* inbox.release({ id: "c", owner: "w", delay: Duration.zero, checks: 0, failures: 0 })
        const [rebound] = yield* inbox.claim({ owner: "w2", limit: 1, lease })
        expect([rebound?.id, rebound?.key, rebound?.confirmation]).toEqual(["c", "sr:COMPLETE:APPROVED", "{}"])
      }))

    it.effect("settles only what its owner holds", () =>
      Effect.gen(function*() {
        const inbox = yield* Effect.flatMap(Stores, (s) => s.fresh())
        yield* inbox.record({ id: "a", body: "{}" })
        yield* inbox.claim({ owner: "w1", limit: 1, lease })
        yield* TestClock.adjust("31 seconds")
        yield* inbox.claim({ owner: "w2", limit: 1, lease })
        const lost = yield* Effect.exit(inbox.settle({ id: "a", owner: "w1", status: "handled" }, Effect.succeed(1)))
        expect(Exit.isFailure(lost)).toBe(true)
        expect(yield* inbox.settle({ id: "a", owner: "w2", status: "duplicate" }, Effect.succeed(2))).toBe(2)
        expect(yield* inbox.counts).toMatchObject({ pending: 0, duplicate: 1 })
        expect(yield* inbox.claim({ owner: "w3", limit: 1, lease })).toEqual([])
      }))

    it.effect("prunes finished entries after the retention, never pending ones", () =>
      Effect.gen(function*() {
        const inbox = yield* Effect.flatMap(Stores, (s) => s.fresh())
        yield* inbox.record({ id: "done", body: "{}" })
        yield* inbox.record({ id: "waiting", body: "{}" })
        yield* inbox.claim({ owner: "w", limit: 1, lease })
        yield* inbox.settle({ id: "done", owner: "w", status: "handled" }, Effect.void)
        yield* TestClock.adjust("2 days")
        yield* inbox.prune({ retention: Duration.days(1), window })
        expect(yield* inbox.counts).toMatchObject({ pending: 1, handled: 0 })
        // A delivery of a pruned id is recorded anew.
        yield* inbox.record({ id: "done", body: "{}" })
        expect(yield* inbox.counts).toMatchObject({ pending: 2 })
      }))

    if (!options.sql) return

    it.effect("two clients claiming at once never hold the same entry", () =>
      Effect.gen(function*() {
        const { clients } = yield* Stores
        const table = `race${++tables}`
        const inboxes = yield* Effect.forEach(clients, (client) =>
          SqlWebhookInbox.make({ table }).pipe(Effect.provideService(SqlClient.SqlClient, client)))
        const ids = Array.from({ length: 60 }, (_, i) =>
          `e${i}`)
        yield* Effect.forEach(ids, (id) => inboxes[0]!.record({ id, body: "{}" }), { discard: true })
        const drain = (inbox: WebhookInbox.Service, owner: string) =>
          Effect.gen(function*() {
            const mine: Array<string> = []
            for (;;) {
              const claimed = yield* inbox.claim({ owner, limit: 4, lease })
              if (claimed.length === 0) return mine
              for (const entry of claimed) {
                mine.push(entry.id)
                yield* inbox.settle({ id: entry.id, owner, status: "handled" }, Effect.void)
              }
            }
          })
        const [a, b] = yield* Effect.all([drain(inboxes[0]!, "a"), drain(inboxes[1]!, "b")], {
          concurrency: "unbounded"
        })
        expect([...a!, ...b!].sort()).toEqual([...ids].sort())
        expect(yield* inboxes[1]!.counts).toMatchObject({ pending: 0, handled: 60 })
      }))

    it.effect("a transactional settle commits the handler's writes with the mark, or neither", () =>
      Effect.gen(function*() {
        const { clients, fresh } = yield* Stores
        const sql = clients[0]!
        const inbox = yield* fresh({ transactional: true })
        const effects = `effects${++tables}`
        yield* sql`CREATE TABLE ${sql(effects)} (entry TEXT NOT NULL)`
        const write = (entry: string) => sql`INSERT INTO ${sql(effects)} (entry) VALUES (${entry})`
        for (const id of ["ok", "fails", "lost"]) yield* inbox.record({ id, body: "{}" })
        yield* inbox.claim({ owner: "w", limit: 3, lease })
        yield* inbox.settle({ id: "ok", owner: "w", status: "handled" }, write("ok"))
        const failed = yield* Effect.exit(
          inbox.settle(
            { id: "fails", owner: "w", status: "handled" },
            Effect.zipRight(write("fails"), Effect.fail("no"))
          )
        )
        expect(Exit.isFailure(failed)).toBe(true)
        // The lease passed to another worker while the handler ran: its writes are rolled back.
        yield* TestClock.adjust("31 seconds")
        yield* inbox.claim({ owner: "other", limit: 3, lease })
        const lost = yield* Effect.exit(inbox.settle({ id: "lost", owner: "w", status: "handled" }, write("lost")))
        expect(Exit.isFailure(lost)).toBe(true)
        const rows = yield* sql<{ readonly entry: string }>`SELECT entry FROM ${sql(effects)}`
        expect(rows.map((r) => r.entry)).toEqual(["ok"])
        expect(yield* inbox.counts).toMatchObject({ handled: 1, pending: 2 })
      }).pipe(Effect.orDie))

    it.effect("replicas creating the tables at once do not collide", () =>
      Effect.gen(function*() {
        const { clients } = yield* Stores
        const table = `boot${++tables}`
        const started = yield* Effect.forEach(
          [...clients, ...clients],
          (client) => SqlWebhookInbox.make({ table }).pipe(Effect.provideService(SqlClient.SqlClient, client)),
          { concurrency: "unbounded" }
        )
        expect(started).toHaveLength(clients.length * 2)
      }))
  })

contract("WebhookInbox (memory)", MemoryStores, { sql: false })
contract("SqlWebhookInbox (SQLite file, two connections)", SqliteStores, { sql: true })
contract("SqlWebhookInbox (Postgres, two pools)", PostgresStores, { sql: true })

describe("SqlWebhookInbox", () => {
  it.effect("reads its rows whatever name transforms the client has", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "legitmark-inbox-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      const client = yield* Effect.map(
        Layer.build(SqliteClient.layer({
          filename: join(dir, "inbox.db"),
          transformResultNames: (name) => name.toUpperCase(),
          transformQueryNames: (name) => name.toLowerCase()
        })),
        Context.get(SqlClient.SqlClient)
      )
      const inbox = yield* SqlWebhookInbox.make().pipe(Effect.provideService(SqlClient.SqlClient, client))
      yield* inbox.record({ id: "a", body: "{}" })
      const [entry] = yield* inbox.claim({ owner: "w", limit: 1, lease })
      expect([entry?.id, entry?.body, entry?.status, entry?.receivedAt]).toEqual([
        "a",
        "{}",
        "pending",
        yield* Clock.currentTimeMillis
      ])
    }).pipe(Effect.scoped, Effect.orDie))
})
