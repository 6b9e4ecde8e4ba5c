/**
 * Webhooks end to end, with real parts: the simulator signs and delivers (retrying on its schedule until
 * a 2xx), receivers run in child processes on a durable inbox (a SQLite file, or one Postgres shared by
 * two replicas), confirm each event against the same simulator, and record what their handler did in the
 * same database. Receivers are killed with SIGKILL by PID during a handler and right after answering 200;
 * after the restarts every event is handled, none twice.
 */
import { LegitmarkClient, Photo } from "@effect-legitmark/client"
import { Simulator } from "@effect-legitmark/simulator"
import { freePort, postgresServer } from "@effect-legitmark/testing"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { PgClient } from "@effect/sql-pg"
import { SqliteClient } from "@effect/sql-sqlite-node"
import * as SqlClient from "@effect/sql/SqlClient"
import { expect, layer } from "@effect/vitest"
import { Legitmark } from "effect-legitmark"
import * as SqlWebhookInbox from "effect-legitmark/SqlWebhookInbox"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Webhook } from "standardwebhooks"
import * as Receivers from "./support/Receivers.js"

const apiKey = "leo_e2e_webhooks"
const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
const footwear = "25ed7133-f230-4d64-850d-0cfc698e2931"
const sneakers = "95e428c2-7c4f-11ef-a623-02595575faeb"
const samples = ["outer-sides", "size-tag", "top"].map((name) =>
  readFileSync(fileURLToPath(new URL(`../examples/photos/${name}.png`, import.meta.url)))
)

interface Figures {
  deliveries: number
  kills: number
}

const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "legitmark-webhooks-e2e-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

/** The effects table the receivers' handler writes to, in their inbox's database. */
const createEffects = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) =>
    sql`CREATE TABLE effects (event_key TEXT NOT NULL, received TEXT NOT NULL, state TEXT, receiver TEXT NOT NULL)`
)

const handledCounts = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) => sql<{ readonly event_key: string; readonly received: string }>`SELECT event_key, received FROM effects`
).pipe(
  Effect.map((rows) => {
    const counts = new Map<string, number>()
    for (const row of rows) {
      expect(row.received).toBe("Confirmed")
      counts.set(row.event_key, (counts.get(row.event_key) ?? 0) + 1)
    }
    return counts
  })
)

/** Waits until the receivers' handler recorded `key`. */
const handled = (key: string) =>
  handledCounts.pipe(
    Effect.repeat({ schedule: Schedule.spaced("10 millis"), until: (counts) => counts.has(key) }),
    Effect.timeoutFail({ duration: Duration.seconds(30), onTimeout: () => `${key} was never handled` }),
    Effect.orDie
  )

/** Every expected key handled exactly once: the figures the issue asks for. */
const verdictOn = (expected: ReadonlyArray<string>, figures: Figures) =>
  Effect.gen(function*() {
    const counts = yield* handledCounts
    const lost = expected.filter((key) => !counts.has(key))
    const twice = Array.from(counts).filter(([, n]) => n > 1).map(([key]) => key)
    yield* Effect.log(
      `deliveries tried: ${figures.deliveries}, kills survived: ${figures.kills}, events lost: ${lost.length}, ` +
        `events handled twice: ${twice.length}`
    )
    expect({ lost, twice }).toEqual({ lost: [], twice: [] })
    expect(Array.from(counts.keys()).sort()).toEqual([...expected].sort())
  })

/** Opens SRs on the simulator and submits them (each emits QC/PENDING). */
const submitted = (simulator: Simulator.SimulatorInfo, referenceIds: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const legitmark = yield* Legitmark
    const probe = yield* legitmark.client.serviceRequests.create({
      reference_id: "PROBE",
      item: { category: footwear, type: sneakers }
    })
    const required = (yield* legitmark.client.serviceRequests.get(probe.uuid, { item: true, sides: true })).sides
      ?.required ?? []
    const photos: Record<string, Photo.Photo> = {}
    for (const [i, side] of required.entries()) {
      photos[side.name] = yield* Photo.fromBytes(samples[i % samples.length]!, "png")
    }
    return yield* Effect.forEach(referenceIds, (referenceId) =>
      Effect.map(
        legitmark.authenticate({ referenceId, item: { category: footwear, type: sneakers }, photos }),
        ({ sr }) => sr.uuid
      ))
  }).pipe(
    Effect.provide(
      Legitmark.layer.pipe(
        Layer.provideMerge(LegitmarkClient.layer({
          apiKey: Redacted.make(apiKey),
          baseUrl: simulator.baseUrl,
          assetUrl: simulator.assetUrl
        })),
        Layer.provide(NodeHttpClient.layerUndici)
      )
    ),
    Effect.orDie
  )

const receiverEnv = (simulator: Simulator.SimulatorInfo, port: number, store: string, hangDir: string) => ({
  PORT: String(port),
  STORE: store,
  SECRET: secret,
  BASE_URL: simulator.baseUrl,
  API_KEY: apiKey,
  HANG_DIR: hangDir,
  LEASE_MS: "1500"
})

/** Makes the first handler of `key`, in whichever receiver, hang until it is killed. */
const hangOn = (hangDir: string, key: string) =>
  Effect.sync(() => writeFileSync(join(hangDir, key.replaceAll(":", "_")), ""))

const setup = Effect.gen(function*() {
  const dir = yield* tempDir
  const hangDir = join(dir, "hang")
  mkdirSync(hangDir)
  return { dir, hangDir }
})

layer(Receivers.layerBundle, { excludeTestServices: true, timeout: 60_000 })("webhooks end to end", (it) => {
  it.effect(
    "simulator → receiver on a SQLite file, killed during handlers and right after a 200 → every event once",
    () =>
      Effect.gen(function*() {
        const { dir, hangDir } = yield* setup
        const file = join(dir, "inbox.db")
        const sql = yield* Effect.map(
          Layer.build(SqliteClient.layer({ filename: file })),
          Context.get(SqlClient.SqlClient)
        )
        yield* createEffects.pipe(Effect.provideService(SqlClient.SqlClient, sql))
        const port = yield* freePort
        const simulator = yield* Simulator.start({ clock: "manual", apiKeys: [apiKey], webhookSecret: secret })
        yield* simulator.setWebhookUrl(`http://127.0.0.1:${port}/webhooks`)
        const env = receiverEnv(simulator, port, `sqlite:${file}`, hangDir)
        const figures: Figures = { deliveries: 0, kills: 0 }
        const done = (key: string) => handled(key).pipe(Effect.provideService(SqlClient.SqlClient, sql))
        const step = simulator.advance({ ms: 60_000 })

        let receiver = yield* Receivers.start("r1", env)
        const [uuid] = yield* submitted(simulator, ["HOOKS-SQLITE"])
        const key = (state: string) => `${uuid}:${state}`
        yield* done(key("QC:PENDING"))

        // Killed during the handler of QC/APPROVED (its 200 was sent; the event is in the inbox).
        yield* hangOn(hangDir, key("QC:APPROVED"))
        yield* step
        yield* receiver.line(/^hanging .*:QC:APPROVED$/)
        yield* receiver.kill
        figures.kills++

        // While it is down, Legitmark's next delivery fails and is scheduled again (5 s on its clock).
        yield* step
        yield* simulator.webhookDeliveries.pipe(
          Effect.repeat({
            schedule: Schedule.spaced("5 millis"),
            until: (ds) =>
              ds.some((d) => d.event.event_type === "state_change" && d.attempts === 1 && d.lastStatus === null)
          })
        )
        receiver = yield* Receivers.start("r2", env)
        // The restarted receiver takes the entry once the dead one's lease is over.
        yield* done(key("QC:APPROVED"))
        yield* simulator.advance({ ms: 5_000 })
        yield* done(key("UNDERWAY:PENDING"))

        // Killed right after answering 200 for UNDERWAY/ASSIGNED, before or while it hands it on.
        yield* step
        yield* simulator.webhookDeliveries.pipe(
          Effect.repeat({
            schedule: Schedule.spaced("1 millis"),
            until: (ds) => ds.filter((d) => d.status === "delivered").length === 4
          })
        )
        yield* receiver.kill
        figures.kills++
        receiver = yield* Receivers.start("r3", env)
        yield* done(key("UNDERWAY:ASSIGNED"))

        // The verdict: killed during its handler too.
        yield* hangOn(hangDir, key("COMPLETE:APPROVED"))
        yield* step
        yield* receiver.line(/^hanging .*:COMPLETE:APPROVED$/)
        yield* receiver.kill
        figures.kills++
        receiver = yield* Receivers.start("r4", env)
        yield* done(key("COMPLETE:APPROVED"))

        const deliveries = yield* simulator.webhookDeliveries
        expect(deliveries.map((d) => d.status)).toEqual(Array(5).fill("delivered"))
        figures.deliveries = deliveries.reduce((sum, d) => sum + d.attempts, 0)
        const inbox = yield* SqlWebhookInbox.make().pipe(Effect.provideService(SqlClient.SqlClient, sql))
        expect(yield* inbox.counts).toMatchObject({ pending: 0, handled: 5, unconfirmed: 0, failed: 0 })
        yield* verdictOn(
          ["QC:PENDING", "QC:APPROVED", "UNDERWAY:PENDING", "UNDERWAY:ASSIGNED", "COMPLETE:APPROVED"].map(key),
          figures
        ).pipe(Effect.provideService(SqlClient.SqlClient, sql))
      }).pipe(Effect.scoped, Effect.orDie),
    90_000
  )

  it.effect(
    "two receivers on one Postgres: the same event delivered to both is handled once, through kills",
    () =>
      Effect.gen(function*() {
        const { hangDir } = yield* setup
        const server = yield* postgresServer
        const url = yield* server.createDatabase("webhooks")
        const sql = yield* Effect.map(
          Layer.build(PgClient.layer({ url: Redacted.make(url) })),
          Context.get(SqlClient.SqlClient)
        )
        yield* createEffects.pipe(Effect.provideService(SqlClient.SqlClient, sql))
        const simulator = yield* Simulator.start({ clock: "manual", apiKeys: [apiKey] })
        const srs = yield* submitted(simulator, ["PG-1", "PG-2", "PG-3"])
        const keyOf = (uuid: string) => `${uuid}:QC:PENDING`
        const figures: Figures = { deliveries: 0, kills: 0 }
        const done = (key: string) => handled(key).pipe(Effect.provideService(SqlClient.SqlClient, sql))

        // Legitmark's deliveries, signed, as a load balancer would pass them to either replica.
        const signer = new Webhook(secret)
        const delivery = (uuid: string, id: string, timestamp = "2026-02-10T12:00:00.000Z") => {
          const body = JSON.stringify({
            event_type: "state_change",
            sr_uuid: uuid,
            reference_id: null,
            timestamp,
            state: { primary: "QC", supplement: "PENDING" }
          })
          const now = new Date()
          return {
            body,
            headers: {
              "content-type": "application/json",
              "webhook-id": id,
              "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
              "webhook-signature": signer.sign(id, now, body)
            }
          }
        }
        const post = (port: number, message: { readonly body: string; readonly headers: Record<string, string> }) =>
          Effect.promise(() =>
            fetch(`http://127.0.0.1:${port}/webhooks`, { method: "POST", body: message.body, headers: message.headers })
          ).pipe(
            Effect.tap(() => Effect.sync(() => figures.deliveries++)),
            Effect.map((response) => response.status)
          )

        const ports = { a: yield* freePort, b: yield* freePort }
        const envFor = (port: number) => receiverEnv(simulator, port, `postgres:${url}`, hangDir)
        // Both start at once: creating the inbox tables concurrently must not collide.
        let [a, b] = yield* Effect.all([Receivers.start("a", envFor(ports.a)), Receivers.start("b", envFor(ports.b))], {
          concurrency: "unbounded"
        })

        // The same delivery to both replicas at once, and a redelivery with another id to one of them.
        const first = delivery(srs[0]!, "msg_pg_1")
        expect(yield* Effect.all([post(ports.a, first), post(ports.b, first)], { concurrency: "unbounded" })).toEqual([
          200,
          200
        ])
        expect(yield* post(ports.b, delivery(srs[0]!, "msg_pg_1b", "2026-02-10T12:00:09.000Z"))).toBe(200)
        yield* done(keyOf(srs[0]!))

        // Delivered to both; whichever replica takes it hangs in the handler and is killed; the other
        // takes it over when the lease is over.
        yield* hangOn(hangDir, keyOf(srs[1]!))
        const second = delivery(srs[1]!, "msg_pg_2")
        yield* Effect.all([post(ports.a, second), post(ports.b, second)], { concurrency: "unbounded" })
        const hanging = yield* Effect.raceFirst(
          Effect.as(a.line(/^hanging /), "a" as const),
          Effect.as(b.line(/^hanging /), "b" as const)
        )
        yield* (hanging === "a" ? a : b).kill
        figures.kills++
        yield* done(keyOf(srs[1]!))
        if (hanging === "a") a = yield* Receivers.start("a2", envFor(ports.a))
        else b = yield* Receivers.start("b2", envFor(ports.b))

        // Killed right after its 200: the other replica hands the event on.
        const third = delivery(srs[2]!, "msg_pg_3")
        expect(yield* post(ports.a, third)).toBe(200)
        yield* a.kill
        figures.kills++
        yield* done(keyOf(srs[2]!))

        const inbox = yield* SqlWebhookInbox.make().pipe(Effect.provideService(SqlClient.SqlClient, sql))
        yield* inbox.counts.pipe(
          Effect.repeat({ schedule: Schedule.spaced("10 millis"), until: (c) => c.pending === 0 })
        )
        // Four recorded deliveries (the same id is one): three handed on, one duplicate.
        expect(yield* inbox.counts).toMatchObject({ pending: 0, handled: 3, duplicate: 1, unconfirmed: 0, failed: 0 })
        yield* verdictOn(srs.map(keyOf), figures).pipe(Effect.provideService(SqlClient.SqlClient, sql))
      }).pipe(Effect.scoped, Effect.orDie),
    90_000
  )
})
