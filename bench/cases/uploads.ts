/**
 * Uploads: `n` photos of `bytes` each (a valid uncompressed PNG), `concurrency` at a time, against the
 * simulator, through `media.upload` (intent + presigned PUT) or raw `undici` (the same intent with
 * `undici.request`, then a PUT of the same bytes to the presigned URL it answers). Reports throughput
 * and the peak RSS above the idle process (sampled every 5 ms, and the kernel's high-water mark).
 *
 *   tsx bench/cases/uploads.ts --impl client --url http://127.0.0.1:PORT --n 200 --concurrency 8
 */
import { LegitmarkClient, Photo } from "@effect-legitmark/client"
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import { setTimeout as sleep } from "node:timers/promises"
import * as undici from "undici"
import { pngOfSize } from "../lib/png.js"
import { args, maxRssMb, num, report, rssMb, str } from "../lib/protocol.js"

const argv = args()
const impl = str(argv, "impl")
const url = str(argv, "url")
const n = num(argv, "n", 200)
const concurrency = num(argv, "concurrency", 8)
const bytes = num(argv, "bytes", 4_000_000)
const auth = { authorization: "Bearer leo_bench" }

const control = (path: string, method = "GET") => fetch(`${url}/__control/${path}`, { method })

// Forget the previous run's photos (the simulator keeps every version in memory).
await control("reset", "POST")

// One SR; the photos go to its sides in turn.
interface Created {
  readonly sr: { readonly uuid: string }
}
interface Fetched {
  readonly sr: { readonly sides?: { readonly required: ReadonlyArray<{ readonly uuid: string }> } }
}
const created = (await (await fetch(`${url}/api/v2/sr`, {
  method: "POST",
  headers: { ...auth, "content-type": "application/json" },
  body: JSON.stringify({
    reference_id: `UPLOADS-${process.pid}`,
    item: { category: "25ed7133-f230-4d64-850d-0cfc698e2931", type: "95e428c2-7c4f-11ef-a623-02595575faeb" }
  })
})).json()) as Created
const sr = created.sr.uuid
const fetched =
  (await (await fetch(`${url}/api/v2/sr/${sr}?item=true&sides=true`, { headers: auth })).json()) as Fetched
const sides = (fetched.sr.sides?.required ?? []).map((s) => s.uuid)
if (sides.length === 0) throw new Error(`SR ${sr} has no required sides`)

const photoBytes = pngOfSize(bytes)

const client = async (): Promise<(i: number) => Promise<void>> => {
  const runtime = ManagedRuntime.make(
    LegitmarkClient.layer({ apiKey: Redacted.make("leo_bench"), baseUrl: url, assetUrl: url }).pipe(
      Layer.provide(AgentHttpClient.layer)
    )
  )
  const api = await runtime.runPromise(LegitmarkClient)
  const photo = await runtime.runPromise(Photo.fromBytes(photoBytes, "png"))
  return (i) => runtime.runPromise(Effect.asVoid(api.media.upload(sr, sides[i % sides.length]!, photo)))
}

const raw = (): (i: number) => Promise<void> => async (i) => {
  const side = sides[i % sides.length]!
  const intent = await undici.request(`${url}/intent?sr=${sr}&side=${side}.png`, { headers: auth })
  const { url: presigned } = (await intent.body.json()) as { readonly url: string }
  const put = await undici.request(presigned, {
    method: "PUT",
    headers: { "content-type": "image/png", "content-length": String(photoBytes.byteLength) },
    body: photoBytes
  })
  await put.body.dump()
  if (put.statusCode !== 200) throw new Error(`PUT answered ${put.statusCode}`)
}

const upload = impl === "client" ? await client() : impl === "undici" ? raw() : undefined
if (upload === undefined) throw new Error(`unknown impl ${impl}`)

// One warm-up upload (connections, JIT), then settle and take the idle RSS.
await upload(0)
globalThis.gc?.()
await sleep(200)
const idleRssMb = rssMb()
const idleMaxRssMb = maxRssMb()

let peakRssMb = idleRssMb
const sampler = setInterval(() => {
  peakRssMb = Math.max(peakRssMb, rssMb())
}, 5)

let next = 0
const t0 = performance.now()
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < n) await upload(next++)
}))
const wallMs = performance.now() - t0
clearInterval(sampler)
peakRssMb = Math.max(peakRssMb, rssMb())

const totalMb = (n * photoBytes.byteLength) / 1e6
report({
  case: "uploads",
  impl,
  n,
  concurrency,
  photoBytes: photoBytes.byteLength,
  wallMs,
  mbPerSecond: totalMb / (wallMs / 1000),
  idleRssMb,
  peakRssMb,
  peakAboveIdleMb: peakRssMb - idleRssMb,
  // The kernel's high-water mark, above the idle RSS, when it rose during the run (it catches peaks
  // between two samples); otherwise the sampled peak.
  maxRssAboveIdleMb: maxRssMb() > idleMaxRssMb ? maxRssMb() - idleRssMb : peakRssMb - idleRssMb,
  maxRssMb: maxRssMb()
})
process.exit(0)
