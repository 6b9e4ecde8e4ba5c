/**
 * Every `LegitmarkClient` method end to end: the real client over real HTTP (undici) against the
 * simulator on 127.0.0.1, on a manual simulator clock. Decoded values are checked against the
 * simulator's seed; what the simulator stored and counted is checked through `simulator.stats`.
 */
import { LegitmarkClient, LegitmarkError, Photo, RetryPolicy, TaxonomyCache } from "@effect-legitmark/client"
import * as Endpoints from "@effect-legitmark/client/Endpoints"
import { fullServiceRequest } from "@effect-legitmark/client/LegitmarkClient"
import { Seed, Simulator } from "@effect-legitmark/simulator"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { calls, missingCalls } from "./support/EndpointCalls.js"

// ---------------------------------------------------------------------------------------------------
// Setup
// ---------------------------------------------------------------------------------------------------

const apiKey = "leo_e2e_endpoints_5f0c2b9a"
const FOOTWEAR = "25ed7133-f230-4d64-850d-0cfc698e2931"
const SNEAKERS = "95e428c2-7c4f-11ef-a623-02595575faeb"
const BAG = "cc30b104-7c47-11ef-a623-02595575faeb"
const CROSSBODY = "95e42d6b-7c4f-11ef-a623-02595575faeb"
const LUXURY = "31670fe9-9272-11ef-b98d-06fb0f2a63e5"
const NIKE = "a46f1e52-7f44-11ef-9ad3-0288afec8b95"
const missing = "00000000-0000-4000-8000-000000000000"
// A budget the tests never approach, so the client's rate limiter (paced on the announced limit) never waits.
const rateLimit = { limit: 1_000_000, windowMs: 60_000 }

const photoPath = (name: string) => fileURLToPath(new URL(`../examples/photos/${name}.png`, import.meta.url))
const photoBytes = (name: string) => new Uint8Array(readFileSync(photoPath(name)))

const seedCategory = (uuid: string) => {
  const found = Seed.category(uuid)
  return found ?? assert.fail(`no seed category ${uuid}`)
}
const seedType = (uuid: string) => Seed.type(uuid) ?? assert.fail(`no seed type ${uuid}`)

interface Setup {
  /** The client's default `Accept-Language`. */
  readonly acceptLanguage?: string
  /** Wraps the transport, e.g. to act when a request is about to be sent. */
  readonly transport?: (
    client: HttpClient.HttpClient,
    simulator: Simulator.SimulatorInfo
  ) => HttpClient.HttpClient
}

/** A simulator on a manual clock and a client on it, both living as long as the test's scope. */
const setup = (options: Setup = {}) =>
  Effect.gen(function*() {
    const simulator = yield* Simulator.start({ apiKeys: [apiKey], clock: "manual", rateLimit })
    const transport = Layer.effect(
      HttpClient.HttpClient,
      Effect.map(HttpClient.HttpClient, (client) => options.transport?.(client, simulator) ?? client)
    ).pipe(Layer.provide(NodeHttpClient.layerUndici))
    const context = yield* Layer.build(
      LegitmarkClient.layer({
        apiKey: Redacted.make(apiKey),
        baseUrl: simulator.baseUrl,
        assetUrl: simulator.assetUrl,
        ...(options.acceptLanguage === undefined ? {} : { acceptLanguage: options.acceptLanguage })
      }).pipe(Layer.provide(Layer.merge(transport, RetryPolicy.none)))
    )
    return { simulator, client: Context.get(context, LegitmarkClient) }
  })

/** How many times the simulator saw each route id so far. */
const routeCount = (simulator: Simulator.SimulatorInfo, route: string) =>
  Effect.map(simulator.stats, (stats) => stats.routes[route] ?? 0)

/** Fails the test unless `effect` fails with a LegitmarkError tagged `tag`. */
const expectError = <A, E, R>(effect: Effect.Effect<A, E, R>, tag: LegitmarkError.LegitmarkError["_tag"]) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(effect)
    if (Exit.isSuccess(exit)) return assert.fail(`expected a ${tag}, got a success`)
    const error = yield* Effect.flip(exit)
    if (!LegitmarkError.isLegitmarkError(error)) return assert.fail(`not a LegitmarkError: ${String(error)}`)
    expect(error._tag).toBe(tag)
    return error
  })

const byCode = (pairs: ReadonlyArray<readonly [string, string]>) =>
  [...pairs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

const names = (items: ReadonlyArray<{ readonly name: string }>) => items.map((item) => item.name)

// ---------------------------------------------------------------------------------------------------
// serviceRequests and media
// ---------------------------------------------------------------------------------------------------

describe("serviceRequests and media against the simulator", () => {
  it.scopedLive("create → get → sideGroups → progress → intent/put/upload → progress met → submit", () =>
    Effect.gen(function*() {
      const { client, simulator } = yield* setup()
      const referenceId = "E2E shelf 4/row 7"
      const created = yield* client.serviceRequests.create({
        reference_id: referenceId,
        item: { category: FOOTWEAR, type: SNEAKERS }
      })
      expect(created.state.primary).toBe("DRAFT")
      expect(created.external_id).toBe(referenceId)

      const sr = yield* client.serviceRequests.get(created.uuid, { item: true, sides: true })
      expect(sr.uuid).toBe(created.uuid)
      expect(sr.item?.resolvedType?.uuid).toBe(SNEAKERS)
      const expected = Seed.requirements(FOOTWEAR, SNEAKERS)
      const required = sr.sides?.required ?? []
      expect(names(required)).toEqual(expected.required.map((s) => s.name.en))
      expect(names(sr.sides?.optional ?? [])).toEqual(expected.optional.map((s) => s.name.en))
      expect(required.map((s) => s.hasMedia)).toEqual([false, false])
      const [first, second] = required
      assert(first !== undefined && second !== undefined, "Footwear/Sneakers has two required sides")

      const groups = yield* client.serviceRequests.sideGroups(created.uuid)
      const grouped = groups.flatMap((g) => g.sides.map((s) => s.uuid))
      for (const side of [...required, ...(sr.sides?.optional ?? [])]) expect(grouped).toContain(side.uuid)
      expect(names(groups)).toContain("Overview")

      const before = yield* client.serviceRequests.progress(created.uuid)
      expect(before.progress).toMatchObject({ current_required: 0, total_required: 2, met: false })
      expect(yield* expectError(client.serviceRequests.submit(created.uuid), "ValidationError")).toMatchObject({
        status: 400
      })

      // intent + put, the photo from bytes
      const url = yield* client.media.intent(created.uuid, first.uuid, "png")
      expect(url.startsWith(`${simulator.assetUrl}/upload/${created.uuid}/${first.uuid}.png?`)).toBe(true)
      yield* client.media.put(url, yield* Photo.fromBytes(photoBytes("size-tag"), "png"))
      expect((yield* simulator.stats).uploads).toBe(1)
      const half = yield* client.serviceRequests.progress(created.uuid)
      expect(half.progress).toMatchObject({ current_required: 1, total_required: 2, met: false })

      // upload, the photo streamed from a file
      const fromFile = yield* Photo.fromPath(photoPath("outer-sides")).pipe(Effect.provide(NodeFileSystem.layer))
      const uploaded = yield* client.media.upload(created.uuid, second.uuid, fromFile)
      expect(uploaded).toEqual({ sr: created.uuid, side: second.uuid, extension: "png", size: fromFile.size })

      // put with raw bytes and an extension, to an optional side
      const optional = (sr.sides?.optional ?? [])[0]
      assert(optional !== undefined, "Footwear/Sneakers has optional sides")
      const optionalUrl = yield* client.media.intent(created.uuid, optional.uuid, "PNG")
      yield* client.media.put(optionalUrl, photoBytes("box-label"), "png")

      const stats = yield* simulator.stats
      expect(stats.uploads).toBe(3)
      expect(stats.uploadsWithAuthorization).toBe(0)
      expect(stats.authorization["/upload"]).toEqual({ with: 0, without: 3 })
      expect(stats.routes["media.intent"]).toBe(3)

      const after = yield* client.serviceRequests.progress(created.uuid)
      expect(after.progress).toMatchObject({ current_required: 2, total_required: 2, current_optional: 1, met: true })
      const withMedia = yield* client.serviceRequests.get(created.uuid, { item: true, sides: true })
      expect((withMedia.sides?.required ?? []).map((s) => s.hasMedia)).toEqual([true, true])
      expect((withMedia.sides?.optional ?? []).filter((s) => s.hasMedia).map((s) => s.uuid)).toEqual([optional.uuid])
      const groupsAfter = yield* client.serviceRequests.sideGroups(created.uuid)
      expect(groupsAfter.flatMap((g) => g.sides).filter((s) => s.hasMedia)).toHaveLength(3)

      const submitted = yield* client.serviceRequests.submit(created.uuid)
      expect(submitted.uuid).toBe(created.uuid)
      expect(submitted.state?.primary).toBe("QC")
      expect(submitted.state?.supplement).toBe("PENDING")
      expect((yield* client.serviceRequests.get(created.uuid)).state.primary).toBe("QC")
      // A second submit is a conflict (the SR is no longer a draft).
      yield* expectError(client.serviceRequests.submit(created.uuid), "ConflictError")
    }))

  it.scopedLive("get include flags: summary, user, service, outcome", () =>
    Effect.gen(function*() {
      const { client } = yield* setup()
      const created = yield* client.serviceRequests.create({
        reference_id: "E2E-FLAGS",
        item: { category: BAG, type: CROSSBODY },
        service: LUXURY
      })
      const bare = yield* client.serviceRequests.get(created.uuid)
      expect(bare.item).toBeUndefined()
      expect(bare.sides).toBeUndefined()
      const full = yield* client.serviceRequests.get(created.uuid, fullServiceRequest)
      expect(full.item?.resolvedType?.uuid).toBe(CROSSBODY)
      expect(full.summary).toBeDefined()
      expect(full.user).toBeDefined()
      expect(full.service).toBeDefined()
      expect(names(full.sides?.required ?? [])).toEqual(
        Seed.requirements(BAG, CROSSBODY).required.map((s) => s.name.en)
      )
    }))

  it.scopedLive("find by uuid, micro_id and a reference id with spaces and slashes", () =>
    Effect.gen(function*() {
      const { client, simulator } = yield* setup()
      const referenceIds = ["SKU 12/34 blue", "a/b/../c", "100% cotton?#1", "\\back slash", "名前 / 品番"]
      for (const referenceId of referenceIds) {
        const created = yield* client.serviceRequests.create({
          reference_id: referenceId,
          item: { category: FOOTWEAR, type: SNEAKERS }
        })
        const byReference = yield* client.serviceRequests.find(referenceId)
        expect(byReference.uuid).toBe(created.uuid)
        expect(byReference.external_id).toBe(referenceId)
        const byUuid = yield* client.serviceRequests.find(created.uuid)
        expect(byUuid.uuid).toBe(created.uuid)
        const microId = byUuid.micro_id
        assert(microId !== undefined && microId !== null, "find answers the micro_id")
        expect((yield* client.serviceRequests.find(String(microId))).uuid).toBe(created.uuid)
      }
      // Every lookup reached the find route (nothing else was matched by a decoded slash).
      const stats = yield* simulator.stats
      expect(stats.routes["sr.find"]).toBe(referenceIds.length * 3)
      expect(stats.requests["unmatched"]).toBeUndefined()
    }))

  it.scopedLive("every declared endpoint: its call succeeds, and reaches its route once", () =>
    Effect.gen(function*() {
      const { client, simulator } = yield* setup()
      for (const { endpoint, name } of Endpoints.all) {
        const call = yield* calls[name].prepare(client, `E2E-ALL ${name}`)
        const before = yield* routeCount(simulator, endpoint.route.id)
        const exit = yield* Effect.exit(call)
        assert(Exit.isSuccess(exit), `${name} failed: ${String(exit)}`)
        expect([name, (yield* routeCount(simulator, endpoint.route.id)) - before]).toEqual([name, 1])
      }
    }))

  it.scopedLive("404s are NotFoundError, on every endpoint that declares one", () =>
    Effect.gen(function*() {
      const { client } = yield* setup()
      const created = yield* client.serviceRequests.create({
        reference_id: "E2E-404",
        item: { category: FOOTWEAR, type: SNEAKERS }
      })
      const findable = Endpoints.all.filter(({ endpoint }) => endpoint.errors.includes(LegitmarkError.NotFoundError))
      expect(findable.map(({ name }) => name).sort()).toEqual(Object.keys(missingCalls).sort())
      for (const [name, call] of Object.entries(missingCalls)) {
        const error = yield* expectError(call(client), "NotFoundError")
        expect([name, error]).toMatchObject([name, { status: 404 }])
      }
      // An intent for a side the SR does not have is refused by the server, not found.
      const exit = yield* Effect.exit(client.media.intent(created.uuid, missing, "png"))
      assert(Exit.isFailure(exit), "an unknown side is refused")
    }))

  it.scopedLive("an expired presigned URL: put is refused, upload asks for a fresh URL once and succeeds", () =>
    Effect.gen(function*() {
      // The first PUT to an upload URL is held until the simulated clock has moved past the URL's 300 s.
      const expireFirstPut = yield* Ref.make(true)
      const { client, simulator } = yield* setup({
        transport: (http, sim) =>
          HttpClient.mapRequestEffect(http, (request) =>
            Effect.gen(function*() {
              if (request.method === "PUT" && (yield* Ref.getAndSet(expireFirstPut, false))) {
                yield* sim.advance({ ms: 301_000 })
              }
              return request
            }))
      })
      const created = yield* client.serviceRequests.create({
        reference_id: "E2E-EXPIRY",
        item: { category: FOOTWEAR, type: SNEAKERS }
      })
      const side = Seed.requirements(FOOTWEAR, SNEAKERS).required[0]!
      const photo = yield* Photo.fromBytes(photoBytes("size-tag"), "png")

      // A plain put to an expired URL: AuthenticationError (S3's 403), nothing stored.
      const url = yield* client.media.intent(created.uuid, side.uuid, "png")
      const refused = yield* expectError(client.media.put(url, photo), "AuthenticationError")
      expect(refused).toMatchObject({ status: 403, method: "PUT" })
      expect(refused.message).not.toContain("signature=")
      expect((yield* simulator.stats).uploads).toBe(0)

      // Upload: the URL expires between intent and put; one fresh intent, one more put, stored.
      yield* Ref.set(expireFirstPut, true)
      const uploaded = yield* client.media.upload(created.uuid, side.uuid, photo)
      expect(uploaded.size).toBe(photo.size)
      const stats = yield* simulator.stats
      expect(stats.routes["media.intent"]).toBe(3)
      expect(stats.routes["media.upload"]).toBe(3)
      expect(stats.statuses["403"]).toBe(2)
      expect(stats.uploads).toBe(1)
      expect(stats.uploadsWithAuthorization).toBe(0)
      const progress = yield* client.serviceRequests.progress(created.uuid)
      expect(progress.progress.current_required).toBe(1)
    }))
})

// ---------------------------------------------------------------------------------------------------
// taxonomy
// ---------------------------------------------------------------------------------------------------

describe("taxonomy against the simulator", () => {
  it.scopedLive("tree, categories, category, categoryTypes, types, type, typeBrands match the seed", () =>
    Effect.gen(function*() {
      const { client } = yield* setup()
      const tree = yield* client.taxonomy.tree()
      expect(names(tree)).toEqual(Seed.categories.map((c) => c.name.en))
      const footwear = tree.find((c) => c.uuid === FOOTWEAR)
      expect(footwear?.name).toBe("Footwear")
      expect(footwear?.types?.find((t) => t.uuid === SNEAKERS)?.name).toBe("Sneakers")
      expect(tree.find((c) => c.uuid === BAG)?.types?.find((t) => t.uuid === CROSSBODY)?.name).toBe("Crossbody")
      const activeTree = yield* client.taxonomy.tree({ activeOnly: true })
      expect(names(activeTree)).toEqual(Seed.categories.filter((c) => c.active).map((c) => c.name.en))

      const categories = yield* client.taxonomy.categories()
      expect(categories.items.map((c) => c.uuid)).toEqual(Seed.categories.map((c) => c.uuid))
      expect(categories).toMatchObject({ pageNumber: 1, totalCount: Seed.categories.length, totalPages: 1 })
      const searched = yield* client.taxonomy.categories({ search: "foot" })
      expect(names(searched.items)).toEqual(["Footwear"])

      const category = yield* client.taxonomy.category(FOOTWEAR)
      expect(category).toMatchObject({ uuid: FOOTWEAR, name: "Footwear", active: true })
      expect(category.sides).toEqual(seedCategory(FOOTWEAR).sides)
      const categoryTypes = yield* client.taxonomy.categoryTypes(BAG)
      expect(categoryTypes.map((t) => t.uuid)).toEqual(
        Seed.types.filter((t) => t.category === BAG).map((t) => t.uuid)
      )
      expect(names(categoryTypes)).toContain("Crossbody")

      const types = yield* client.taxonomy.types({ pageSize: 100 })
      expect(types.items.map((t) => t.uuid).sort()).toEqual(Seed.types.map((t) => t.uuid).sort())
      const sneakers = yield* client.taxonomy.type(SNEAKERS)
      expect(sneakers).toMatchObject({ uuid: SNEAKERS, name: "Sneakers" })
      expect(sneakers.sides).toEqual(seedType(SNEAKERS).sides)
      expect(sneakers.brands?.map((b) => b.uuid).sort()).toEqual(
        seedType(SNEAKERS).brands.filter((b) => Seed.brand(b)?.active === true).sort()
      )

      const typeBrands = yield* client.taxonomy.typeBrands(SNEAKERS)
      const activeSneakerBrands = seedType(SNEAKERS).brands.flatMap((uuid) => {
        const brand = Seed.brand(uuid)
        return brand?.active === true ? [brand.name] : []
      })
      expect(names(typeBrands).sort()).toEqual([...activeSneakerBrands].sort())
      const withInactive = yield* client.taxonomy.typeBrands(SNEAKERS, { includeInactive: true, includeCounts: true })
      expect(names(withInactive)).toContain("Yeezy")
      expect(withInactive.find((b) => b.uuid === NIKE)?.model_count).toBe(
        Seed.models.filter((m) => m.brand === NIKE && m.type === SNEAKERS).length
      )
    }))

  it.scopedLive("brands, models by brand, services, service, sides, side, reasons match the seed", () =>
    Effect.gen(function*() {
      const { client } = yield* setup()
      const brands = yield* client.taxonomy.brands({ pageSize: 100 })
      expect(names(brands.items).sort()).toEqual(Seed.brands.map((b) => b.name).sort())
      expect(names((yield* client.taxonomy.brands({ search: "nik" })).items)).toEqual(["Nike"])

      const models = yield* client.taxonomy.models({ brandUuid: NIKE })
      expect(names(models.items).sort()).toEqual(
        Seed.models.filter((m) => m.brand === NIKE).map((m) => m.name).sort()
      )
      for (const model of models.items) {
        expect(model.brand?.uuid).toBe(NIKE)
        expect(model.brand?.name).toBe("Nike")
        expect(model.type?.uuid).toBe(SNEAKERS)
      }
      const crossbody = yield* client.taxonomy.models({ typeUuid: CROSSBODY, pageSize: 100 })
      expect(crossbody.items.map((m) => m.uuid).sort()).toEqual(
        Seed.models.filter((m) => m.type === CROSSBODY).map((m) => m.uuid).sort()
      )

      const services = yield* client.taxonomy.services()
      expect(services.map((s) => s.uuid)).toEqual(Seed.services.map((s) => s.uuid))
      const luxury = yield* client.taxonomy.service(LUXURY)
      expect(luxury).toMatchObject({ uuid: LUXURY, name: "Luxury Authentication" })

      const sides = yield* client.taxonomy.sides({ pageSize: 100 })
      expect(sides.items.map((s) => s.uuid).sort()).toEqual(Seed.sides.map((s) => s.uuid).sort())
      const seedSide = Seed.sides[0]!
      const side = yield* client.taxonomy.side(seedSide.uuid)
      expect(side).toMatchObject({ uuid: seedSide.uuid, name: seedSide.name.en, required: seedSide.required })

      const reasons = yield* client.taxonomy.reasons()
      // Sorted by code, as the simulator lists reasons.
      expect(reasons.map((r) => [r.code, r.name])).toEqual(byCode(Seed.reasons.map((r) => [r.code, r.name.en])))
    }))

  it.scopedLive("Accept-Language: ja as the client default, overridden per call", () =>
    Effect.gen(function*() {
      const { client } = yield* setup({ acceptLanguage: "ja" })
      const footwear = seedCategory(FOOTWEAR)
      const sneakers = seedType(SNEAKERS)
      const tree = yield* client.taxonomy.tree()
      const jaFootwear = tree.find((c) => c.uuid === FOOTWEAR)
      expect(jaFootwear?.name).toBe(footwear.name.ja)
      expect(jaFootwear?.types?.find((t) => t.uuid === SNEAKERS)?.name).toBe(sneakers.name.ja)
      expect((yield* client.taxonomy.tree({ acceptLanguage: "en" })).find((c) => c.uuid === FOOTWEAR)?.name)
        .toBe("Footwear")
      expect((yield* client.taxonomy.category(FOOTWEAR)).name).toBe(footwear.name.ja)
      expect((yield* client.taxonomy.category(FOOTWEAR, { acceptLanguage: "zh" })).name).toBe(footwear.name.zh)
      expect((yield* client.taxonomy.type(SNEAKERS)).name).toBe(sneakers.name.ja)
      expect((yield* client.taxonomy.service(LUXURY)).name).toBe(Seed.service(LUXURY)?.name.ja)
      expect((yield* client.taxonomy.reasons()).map((r) => [r.code, r.name])).toEqual(
        byCode(Seed.reasons.map((r) => [r.code, r.name.ja]))
      )
      expect((yield* client.taxonomy.reasons({ acceptLanguage: "en" })).map((r) => [r.code, r.name])).toEqual(
        byCode(Seed.reasons.map((r) => [r.code, r.name.en]))
      )
      const seedSide = Seed.sides[0]!
      expect((yield* client.taxonomy.side(seedSide.uuid)).name).toBe(seedSide.name.ja)

      const created = yield* client.serviceRequests.create({
        reference_id: "E2E-JA",
        item: { category: FOOTWEAR, type: SNEAKERS }
      })
      const groups = yield* client.serviceRequests.sideGroups(created.uuid)
      expect(names(groups)).toContain(Seed.sideGroups[0]!.name.ja)
      const english = yield* client.serviceRequests.sideGroups(created.uuid, { acceptLanguage: "en" })
      expect(names(english)).toContain(Seed.sideGroups[0]!.name.en)
    }))

  it.scopedLive("Accept-Language per call on an English client", () =>
    Effect.gen(function*() {
      const { client } = yield* setup()
      expect((yield* client.taxonomy.category(FOOTWEAR)).name).toBe("Footwear")
      expect((yield* client.taxonomy.category(FOOTWEAR, { acceptLanguage: "ja" })).name).toBe(
        seedCategory(FOOTWEAR).name.ja
      )
      const jaTypes = yield* client.taxonomy.categoryTypes(FOOTWEAR, { acceptLanguage: "ja" })
      expect(names(jaTypes)).toContain(seedType(SNEAKERS).name.ja)
      const jaSides = yield* client.taxonomy.sides({ acceptLanguage: "ja", pageSize: 100 })
      expect(names(jaSides.items)).toContain(Seed.sides[0]!.name.ja)
    }))

  it.scopedLive("pagination: pages, every page as a Stream, and Stream.take fetching one page", () =>
    Effect.gen(function*() {
      const { client, simulator } = yield* setup()
      const pageSize = 3
      const total = Seed.brands.length
      const pages = Math.ceil(total / pageSize)
      const first = yield* client.taxonomy.brands({ pageSize })
      expect(first).toMatchObject({ pageNumber: 1, pageSize, totalCount: total, totalPages: pages })
      expect(first.items).toHaveLength(pageSize)
      const last = yield* client.taxonomy.brands({ pageSize, pageNumber: pages })
      expect(last.items).toHaveLength(total - (pages - 1) * pageSize)
      const beyond = yield* client.taxonomy.brands({ pageSize, pageNumber: pages + 1 })
      expect(beyond.items).toHaveLength(0)
      expect(yield* routeCount(simulator, "taxonomy.brands")).toBe(3)

      const all = Chunk.toReadonlyArray(yield* Stream.runCollect(client.taxonomy.streamBrands({ pageSize })))
      expect(names(all).sort()).toEqual(Seed.brands.map((b) => b.name).sort())
      expect(yield* routeCount(simulator, "taxonomy.brands")).toBe(3 + pages)

      type Uuids = Stream.Stream<{ readonly uuid: string }, LegitmarkError.LegitmarkError>
      const streams: ReadonlyArray<{ route: string; all: Uuids; n: ReadonlyArray<{ readonly uuid: string }> }> = [
        { route: "taxonomy.categories", all: client.taxonomy.streamCategories({ pageSize: 2 }), n: Seed.categories },
        { route: "taxonomy.types", all: client.taxonomy.streamTypes({ pageSize: 2 }), n: Seed.types },
        { route: "taxonomy.sides", all: client.taxonomy.streamSides({ pageSize: 5 }), n: Seed.sides },
        { route: "taxonomy.models", all: client.taxonomy.streamModels({ pageSize: 4 }), n: Seed.models }
      ]
      for (const { all: stream, n, route } of streams) {
        const before = yield* routeCount(simulator, route)
        const items = Chunk.toReadonlyArray(yield* Stream.runCollect(stream))
        expect(items.map((i) => i.uuid).sort()).toEqual(n.map((i) => i.uuid).sort())
        expect((yield* routeCount(simulator, route)) - before).toBeGreaterThanOrEqual(2)
      }

      // Five items out of a stream of 5-item pages: one page fetched.
      const beforeTake = yield* routeCount(simulator, "taxonomy.models")
      const five = yield* Stream.runCollect(client.taxonomy.streamModels({ pageSize: 5 }).pipe(Stream.take(5)))
      expect(Chunk.size(five)).toBe(5)
      expect((yield* routeCount(simulator, "taxonomy.models")) - beforeTake).toBe(1)
      // The first item of the default 20-item pages: one page.
      const beforeHead = yield* routeCount(simulator, "taxonomy.sides")
      yield* Stream.runCollect(client.taxonomy.streamSides().pipe(Stream.take(1)))
      expect((yield* routeCount(simulator, "taxonomy.sides")) - beforeHead).toBe(1)
      // A stream filtered by brand walks only that brand's models.
      const nike = Chunk.toReadonlyArray(yield* Stream.runCollect(client.taxonomy.streamModels({ brandUuid: NIKE })))
      expect(nike.every((m) => m.brand?.uuid === NIKE)).toBe(true)
    }))

  it.scopedLive("TaxonomyCache: lookups by name with one tree fetch for many lookups", () =>
    Effect.gen(function*() {
      const { client, simulator } = yield* setup()
      const cache = yield* TaxonomyCache.make().pipe(Effect.provideService(LegitmarkClient, client))
      expect(yield* routeCount(simulator, "taxonomy.tree")).toBe(0)
      for (let i = 0; i < 10; i++) {
        const footwear = yield* cache.category("Footwear")
        expect(footwear.uuid).toBe(FOOTWEAR)
        const sneakers = yield* cache.type("Footwear", "Sneakers")
        expect(sneakers.uuid).toBe(SNEAKERS)
        expect((yield* cache.type(" footwear ", "SNEAKERS")).uuid).toBe(SNEAKERS)
        const nike = yield* cache.brand("Sneakers", "Nike")
        expect(nike.uuid).toBe(NIKE)
        expect((yield* cache.brand(SNEAKERS, "nike")).uuid).toBe(NIKE)
        expect((yield* cache.categoryByUuid(BAG)).name).toBe("Bag")
        expect((yield* cache.typeByUuid(CROSSBODY)).name).toBe("Crossbody")
      }
      yield* expectError(cache.category("Furniture"), "NotFoundError")
      yield* expectError(cache.type("Footwear", "Crossbody"), "NotFoundError")
      yield* expectError(cache.brand("Sneakers", "Chanel"), "NotFoundError")
      expect(yield* routeCount(simulator, "taxonomy.tree")).toBe(1)
      expect(yield* routeCount(simulator, "taxonomy.typeBrands")).toBe(1)
    }))

  it.scopedLive("TaxonomyCache in Japanese matches Japanese names", () =>
    Effect.gen(function*() {
      const { client, simulator } = yield* setup()
      const cache = yield* TaxonomyCache.make({ acceptLanguage: "ja" }).pipe(
        Effect.provideService(LegitmarkClient, client)
      )
      const sneakers = seedType(SNEAKERS)
      expect((yield* cache.type(seedCategory(FOOTWEAR).name.ja, sneakers.name.ja)).uuid).toBe(SNEAKERS)
      expect((yield* cache.brand(sneakers.name.ja, "Nike")).uuid).toBe(NIKE)
      expect(yield* routeCount(simulator, "taxonomy.tree")).toBe(1)
    }))
})
