/**
 * A call of every declared endpoint (`Endpoints.all`), with what it needs on the server made first: the
 * fault matrix and the end-to-end tests walk the declarations and take each call from here. The table is
 * keyed by the endpoints' names, so a new endpoint does not type-check until it has its call.
 */
import type { LegitmarkClient, LegitmarkError } from "@effect-legitmark/client"
import { Photo } from "@effect-legitmark/client"
import type * as Endpoints from "@effect-legitmark/client/Endpoints"
import * as Effect from "effect/Effect"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

export const footwear = "25ed7133-f230-4d64-850d-0cfc698e2931"
export const sneakers = "95e428c2-7c4f-11ef-a623-02595575faeb"
export const luxuryService = "31670fe9-9272-11ef-b98d-06fb0f2a63e5"
export const sizeTagSide = "3c14c21f-8134-11ef-9e85-02d0d7ecc26b"
/** A UUID nothing on the simulator has. */
export const missing = "00000000-0000-4000-8000-000000000000"

const samples = ["outer-sides", "top", "size-tag", "sole", "box-label"].map((name) =>
  readFileSync(fileURLToPath(new URL(`../../examples/photos/${name}.png`, import.meta.url)))
)

/** A valid photo, one of the examples' by index. */
export const photo = (i: number) => Photo.fromBytes(samples[i % samples.length]!, "png")

type Client = LegitmarkClient.Service
export type Call = Effect.Effect<unknown, LegitmarkError.LegitmarkError>

export interface Prepared {
  /** SRs that `prepare` leaves on the server. */
  readonly srs: number
  /** Makes what the call needs (nothing of it is the call itself), and answers the call. */
  readonly prepare: (client: Client, referenceId: string) => Effect.Effect<Call, unknown>
}

export const draft = (client: Client, referenceId: string) =>
  client.serviceRequests.create({ reference_id: referenceId, item: { category: footwear, type: sneakers } })

/** A draft and its first required side. */
export const draftSide = (client: Client, referenceId: string) =>
  Effect.gen(function*() {
    const sr = yield* draft(client, referenceId)
    const full = yield* client.serviceRequests.get(sr.uuid, { item: true, sides: true })
    const side = full.sides?.required[0]
    return side === undefined
      ? yield* Effect.dieMessage("the SR has no required side")
      : { sr: sr.uuid, side: side.uuid }
  })

/** A draft with a photo on every required side: ready to submit. */
export const ready = (client: Client, referenceId: string) =>
  Effect.gen(function*() {
    const sr = yield* draft(client, referenceId)
    const full = yield* client.serviceRequests.get(sr.uuid, { item: true, sides: true })
    for (const [i, side] of (full.sides?.required ?? []).entries()) {
      yield* client.media.upload(sr.uuid, side.uuid, yield* photo(i))
    }
    return sr
  })

const onDraft = (call: (client: Client, sr: string) => Call): Prepared => ({
  srs: 1,
  prepare: (client, referenceId) => Effect.map(draft(client, referenceId), (sr) => call(client, sr.uuid))
})

const catalog = (call: (taxonomy: Client["taxonomy"]) => Call): Prepared => ({
  srs: 0,
  prepare: (client) => Effect.succeed(call(client.taxonomy))
})

export const calls: { readonly [N in Endpoints.Name]: Prepared } = {
  "serviceRequests.create": { srs: 0, prepare: (client, referenceId) => Effect.succeed(draft(client, referenceId)) },
  "serviceRequests.get": onDraft((client, sr) => client.serviceRequests.get(sr, { item: true, sides: true })),
  "serviceRequests.submit": {
    srs: 1,
    prepare: (client, referenceId) =>
      Effect.map(ready(client, referenceId), (sr) => client.serviceRequests.submit(sr.uuid))
  },
  "serviceRequests.sideGroups": onDraft((client, sr) => client.serviceRequests.sideGroups(sr)),
  "serviceRequests.progress": onDraft((client, sr) => client.serviceRequests.progress(sr)),
  "serviceRequests.find": {
    srs: 1,
    prepare: (client, referenceId) => Effect.as(draft(client, referenceId), client.serviceRequests.find(referenceId))
  },
  "media.intent": {
    srs: 1,
    prepare: (client, referenceId) =>
      Effect.map(draftSide(client, referenceId), ({ side, sr }) => client.media.intent(sr, side, "png"))
  },
  "media.put": {
    srs: 1,
    prepare: (client, referenceId) =>
      Effect.gen(function*() {
        const { side, sr } = yield* draftSide(client, referenceId)
        const url = yield* client.media.intent(sr, side, "png")
        const image = yield* photo(0)
        return client.media.put(url, image)
      })
  },
  "taxonomy.tree": catalog((t) => t.tree()),
  "taxonomy.categories": catalog((t) => t.categories()),
  "taxonomy.category": catalog((t) => t.category(footwear)),
  "taxonomy.categoryTypes": catalog((t) => t.categoryTypes(footwear)),
  "taxonomy.types": catalog((t) => t.types()),
  "taxonomy.type": catalog((t) => t.type(sneakers)),
  "taxonomy.typeBrands": catalog((t) => t.typeBrands(sneakers)),
  "taxonomy.brands": catalog((t) => t.brands()),
  "taxonomy.models": catalog((t) => t.models()),
  "taxonomy.services": catalog((t) => t.services()),
  "taxonomy.service": catalog((t) => t.service(luxuryService)),
  "taxonomy.sides": catalog((t) => t.sides()),
  "taxonomy.side": catalog((t) => t.side(sizeTagSide)),
  "taxonomy.reasons": catalog((t) => t.reasons())
}

/** The endpoints that declare a `NotFoundError`. */
export type Findable = {
  [N in Endpoints.Name]: typeof LegitmarkError.NotFoundError extends Endpoints.ByName<N>["errors"][number] ? N
    : never
}[Endpoints.Name]

/** A call of each endpoint that can say 404, for something that does not exist. */
export const missingCalls: { readonly [N in Findable]: (client: Client) => Call } = {
  "serviceRequests.get": (client) => client.serviceRequests.get(missing),
  "serviceRequests.submit": (client) => client.serviceRequests.submit(missing),
  "serviceRequests.sideGroups": (client) => client.serviceRequests.sideGroups(missing),
  "serviceRequests.progress": (client) => client.serviceRequests.progress(missing),
  "serviceRequests.find": (client) => client.serviceRequests.find("no such reference"),
  "media.intent": (client) => client.media.intent(missing, sizeTagSide, "png"),
  "taxonomy.category": (client) => client.taxonomy.category(missing),
  "taxonomy.categoryTypes": (client) => client.taxonomy.categoryTypes(missing),
  "taxonomy.type": (client) => client.taxonomy.type(missing),
  "taxonomy.typeBrands": (client) => client.taxonomy.typeBrands(missing),
  "taxonomy.service": (client) => client.taxonomy.service(missing),
  "taxonomy.side": (client) => client.taxonomy.side(missing)
}
