// Webhook deliveries travel over real HTTP and settle asynchronously: these tests run on the live clock.
import { assert, describe, layer as withLayer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Webhook } from "standardwebhooks"
import * as Simulator from "../src/Simulator.js"
import { layer, submittedSr } from "./utils.js"

interface Received {
  readonly headers: Readonly<Record<string, string | Array<string> | undefined>>
  readonly raw: Buffer
}

/** A partner endpoint on loopback: queues every body it receives and answers `status(n)` to the n-th. */
const receiver = (status: (n: number) => number) =>
  Effect.gen(function*() {
    const received = yield* Queue.unbounded<unknown>()
    const raw = yield* Queue.unbounded<Received>()
    let count = 0
    const server = yield* Effect.acquireRelease(
      Effect.async<ReturnType<typeof createServer>>((resume) => {
        const s = createServer((req, res) => {
          const chunks: Array<Buffer> = []
          req.on("data", (c: Buffer) => chunks.push(c))
          req.on("end", () => {
            count++
            res.writeHead(status(count)).end()
            Queue.unsafeOffer(received, JSON.parse(Buffer.concat(chunks).toString("utf8")))
            Queue.unsafeOffer(raw, { headers: req.headers, raw: Buffer.concat(chunks) })
          })
        })
        s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
      }),
      (s) =>
        Effect.async<void>((resume) => {
          s.close(() => resume(Effect.void))
        })
    )
    const { port } = server.address() as AddressInfo
    return { url: `http://127.0.0.1:${port}/hooks`, received, raw }
  })

/** Waits (on real time) until the simulator's deliveries satisfy `done`. */
const waitFor = (done: (deliveries: ReadonlyArray<{ attempts: number; status: string }>) => boolean) =>
  Effect.flatMap(Simulator.Simulator, (sim) => sim.webhookDeliveries).pipe(
    Effect.filterOrFail(done, () => "deliveries did not settle"),
    Effect.retry(Schedule.spaced("5 millis").pipe(Schedule.upTo("10 seconds")))
  )

/**
 * Waits until the failed delivery sleeps on the simulated clock, next to the SR's own transition timer,
 * so that advancing the clock wakes it.
 */
const waitForRetryTimer = Effect.flatMap(Simulator.Simulator, (sim) => sim.pendingTimers).pipe(
  Effect.filterOrFail((pending) => pending === 2, () => "no retry timer yet"),
  Effect.retry(Schedule.spaced("5 millis").pipe(Schedule.upTo("10 seconds")))
)

const takeN = (queue: Queue.Queue<unknown>, n: number) => Effect.all(Array.from({ length: n }, () => Queue.take(queue)))

describe("webhooks", () => {
  withLayer(layer(), { excludeTestServices: true })((it) => {
    it.scoped("every state change is POSTed with the documented payload", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        const hook = yield* receiver(() => 200)
        yield* sim.setWebhookUrl(hook.url)
        const uuid = yield* submittedSr("HOOK-1")
        yield* sim.advance({ ms: 10 * 60_000 })
        const bodies = (yield* takeN(hook.received, 5)) as ReadonlyArray<
          { event_type: string; sr_uuid: string; reference_id: string; state: { primary: string } }
        >
        assert.deepStrictEqual(bodies.map((b) => b.event_type), Array(5).fill("state_change"))
        assert.isTrue(bodies.every((b) => b.sr_uuid === uuid && b.reference_id === "HOOK-1"))
        assert.sameMembers(bodies.map((b) => b.state.primary), ["QC", "QC", "UNDERWAY", "UNDERWAY", "COMPLETE"])
        yield* sim.setWebhookUrl(null)
      }))

    it.scoped("media rejection and invalidation are POSTed too", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        const hook = yield* receiver(() => 200)
        yield* sim.setWebhookUrl(hook.url)
        yield* submittedSr("HOOK-BLURRY")
        yield* sim.advance({ ms: 60_000 })
        const blurry = (yield* takeN(hook.received, 3)) as ReadonlyArray<Record<string, unknown>>
        const rejected = blurry.find((b) => b["event_type"] === "media_rejected")
        assert.deepStrictEqual(rejected?.["sides"], [{
          side: "Interior Size Tag or Stamp",
          reason: "Image is Blurry",
          message:
            "The submitted image is too blurry. Please capture a clearer photo, ensuring minimal motion for better accuracy."
        }])
        yield* submittedSr("HOOK-CANCEL")
        yield* sim.advance({ ms: 60_000 })
        const cancel = (yield* takeN(hook.received, 3)) as ReadonlyArray<Record<string, unknown>>
        const invalidated = cancel.find((b) => b["event_type"] === "invalidate_sr")
        assert.deepStrictEqual(invalidated?.["invalidation_reason"], {
          code: "CANCELLED",
          message: "The service request was cancelled."
        })
        yield* sim.setWebhookUrl(null)
      }))
  })

  // Transitions a day apart, so only the deliveries under test use the clock.
  withLayer(layer({ stepMs: 24 * 3_600_000 }), { excludeTestServices: true })((it) => {
    it.scoped("a failed delivery is retried after 5 s and 5 min of simulated time", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        const hook = yield* receiver((n) => (n <= 2 ? 500 : 200))
        yield* sim.setWebhookUrl(hook.url)
        yield* submittedSr("RETRY-1")
        yield* Queue.take(hook.received)
        yield* waitForRetryTimer
        yield* sim.advance({ ms: 5_000 })
        yield* Queue.take(hook.received)
        yield* waitForRetryTimer
        yield* sim.advance({ ms: 5 * 60_000 })
        yield* Queue.take(hook.received)
        const [delivery] = yield* waitFor((ds) => ds[0]?.status === "delivered")
        assert.strictEqual(delivery?.attempts, 3)
        yield* sim.reset
      }))

    it.scoped("reset stops a delivery that waits for its retry", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        const hook = yield* receiver(() => 500)
        yield* sim.setWebhookUrl(hook.url)
        yield* submittedSr("RETRY-STOP")
        yield* Queue.take(hook.received)
        yield* waitForRetryTimer
        // The delivery is forked where the event arose (a request handler, a timer): it must stay interruptible.
        yield* sim.reset.pipe(
          Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => "reset hung on a pending delivery" })
        )
        assert.deepStrictEqual(yield* sim.webhookDeliveries, [])
      }))

    it.scoped("after the 2 h retry the delivery is marked failed", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        const hook = yield* receiver(() => 503)
        yield* sim.setWebhookUrl(hook.url)
        yield* submittedSr("RETRY-2")
        yield* Queue.take(hook.received)
        for (const ms of [5_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000]) {
          yield* waitForRetryTimer
          yield* sim.advance({ ms })
          yield* Queue.take(hook.received)
        }
        const [delivery] = yield* waitFor((ds) => ds[0]?.status === "failed")
        assert.strictEqual(delivery?.attempts, 5)
        assert.strictEqual((yield* sim.stats).webhooks.failed, 1)
      }))
  })

  const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
  withLayer(layer({ stepMs: 24 * 3_600_000, webhookSecret: secret }), { excludeTestServices: true })((it) => {
    it.scoped("with a secret, every attempt is signed: one webhook-id per event, a fresh timestamp each time", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        const hook = yield* receiver((n) => (n === 1 ? 503 : 200))
        yield* sim.setWebhookUrl(hook.url)
        yield* submittedSr("SIGNED-1")
        const first = yield* Queue.take(hook.raw)
        yield* waitForRetryTimer
        yield* sim.advance({ ms: 5_000 })
        const second = yield* Queue.take(hook.raw)
        const webhook = new Webhook(secret)
        for (const attempt of [first, second]) {
          const headers = {
            "webhook-id": String(attempt.headers["webhook-id"]),
            "webhook-timestamp": String(attempt.headers["webhook-timestamp"]),
            "webhook-signature": String(attempt.headers["webhook-signature"])
          }
          // Verified on the raw bytes, within the 5-minute tolerance of the receiver's own clock.
          webhook.verify(attempt.raw, headers)
          assert.match(headers["webhook-id"], /^msg_[0-9a-f-]{36}$/)
          assert.match(headers["webhook-signature"], /^v1,[A-Za-z0-9+/]+=*$/)
        }
        assert.strictEqual(first.headers["webhook-id"], second.headers["webhook-id"])
        const [delivery] = yield* waitFor((ds) => ds[0]?.status === "delivered")
        assert.strictEqual(delivery?.messageId, first.headers["webhook-id"])
        assert.throws(() =>
          new Webhook("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").verify(first.raw, {
            "webhook-id": String(first.headers["webhook-id"]),
            "webhook-timestamp": String(first.headers["webhook-timestamp"]),
            "webhook-signature": String(first.headers["webhook-signature"])
          })
        )
        yield* sim.reset
      }))
  })
})
