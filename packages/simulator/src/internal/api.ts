/**
 * Handlers of the service-request and media endpoints.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { createHash, randomBytes } from "node:crypto"
import { Lifecycle } from "../Lifecycle.js"
import * as Seed from "../Seed.js"
import { SimClock } from "../SimClock.js"
import { Stats } from "../Stats.js"
import { progress, Store } from "../Store.js"
import * as Uploads from "../Uploads.js"
import * as Errors from "./errors.js"
import { flag, json, jsonBody, language, LookupLag, query, ServerInfo, uuidParam } from "./http.js"
import { isUuid } from "./ids.js"
import * as Render from "./render.js"

const Uuid = Schema.String.pipe(Schema.filter((s) => isUuid(s) || "must be a UUID"))

/** `POST /api/v2/sr` body: the documented fields, with `item.brand` and `item.model` accepted. */
const CreateBody = Schema.Struct({
  reference_id: Schema.String.pipe(
    Schema.filter((s) => (s.trim().length > 0 && s.length <= 255) || "must be a non-empty string of at most 255")
  ),
  service: Schema.optional(Uuid),
  item: Schema.Struct({
    category: Uuid,
    type: Uuid,
    brand: Schema.optional(Schema.NullOr(Uuid)),
    model: Schema.optional(Schema.NullOr(Uuid))
  })
})

const uuidFields = new Set(["service", "category", "type", "brand", "model"])

/** Parse issues as the documented `errors: [{code, message}]` list. */
export const issues = (error: ParseResult.ParseError): ReadonlyArray<Errors.Issue> =>
  ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => {
    const path = issue.path.map(String).join(".")
    const field = path === "" ? "body" : path
    const last = String(issue.path[issue.path.length - 1] ?? "")
    switch (issue._tag) {
      case "Missing":
        return { code: "validation/missing-field", message: `${field} is required.` }
      case "Unexpected":
        return { code: "validation/unknown-field", message: `${field} is not an accepted field.` }
      case "Refinement":
        return uuidFields.has(last)
          ? { code: "validation/invalid-uuid", message: `${field} must be a UUID.` }
          : { code: "validation/invalid-value", message: `${field} ${issue.message}` }
      default:
        return { code: "validation/invalid-type", message: `${field}: ${issue.message}` }
    }
  })

export const decodeBody = <A, I>(schema: Schema.Schema<A, I>, body: unknown) =>
  Schema.decodeUnknown(schema, { errors: "all", onExcessProperty: "error" })(body).pipe(
    Effect.mapError((error) => Errors.validation(issues(error)))
  )

/** The simulator has one user per API key; its uuid is derived from the key. */
const userOf = (key: string) => {
  const h = createHash("sha256").update(key).digest("hex")
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
}

const bearer = Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
  const header = request.headers["authorization"] ?? ""
  return header.replace(/^Bearer\s+/i, "")
})

const srParam = Effect.flatMap(HttpRouter.params, (params) => uuidParam("sr_uuid", params["uuid"]))

const loadSr = (uuid: string) =>
  Effect.flatMap(Store, (store) => store.get(uuid)).pipe(
    Effect.flatMap(Option.match({
      onNone: () => Effect.fail(Errors.notFound("Service request")),
      onSome: Effect.succeed
    }))
  )

export const createSr = Effect.gen(function*() {
  const body = yield* decodeBody(CreateBody, yield* jsonBody)
  const c = Seed.category(body.item.category)
  if (c === undefined || !c.active) {
    return yield* Errors.invalid("validation/unknown-category", "item.category is not a known active category.")
  }
  const t = Seed.type(body.item.type)
  if (t === undefined || !t.active || t.category !== c.uuid) {
    return yield* Errors.invalid("validation/unknown-type", "item.type is not an active type of item.category.")
  }
  const brand = body.item.brand ?? null
  if (brand !== null && (!t.brands.includes(brand) || Seed.brand(brand)?.active !== true)) {
    return yield* Errors.invalid("validation/unknown-brand", "item.brand is not an active brand of item.type.")
  }
  const model = body.item.model ?? null
  const m = model === null ? undefined : Seed.model(model)
  if (model !== null && (m === undefined || m.type !== t.uuid || (brand !== null && m.brand !== brand))) {
    return yield* Errors.invalid("validation/unknown-model", "item.model is not a model of item.type (and item.brand).")
  }
  const service = body.service === undefined ? Seed.serviceFor(c.uuid) : Seed.service(body.service)
  if (service === undefined || !service.active || !service.categories.includes(c.uuid)) {
    return yield* Errors.invalid("validation/unknown-service", "service does not cover item.category.")
  }
  const store = yield* Store
  const sr = yield* store.create({
    externalId: body.reference_id,
    user: userOf(yield* bearer),
    category: c.uuid,
    type: t.uuid,
    brand,
    model,
    service: service.uuid
  })
  return json({ success: true, message: "Service request initiated successfully.", sr: Render.created(sr) })
})

export const getSr = Effect.gen(function*() {
  const uuid = yield* srParam
  const params = yield* query
  const include: Render.Include = {
    summary: yield* flag(params, "summary"),
    item: yield* flag(params, "item"),
    sides: yield* flag(params, "sides"),
    requirements: yield* flag(params, "requirements"),
    user: yield* flag(params, "user"),
    service: yield* flag(params, "service"),
    outcome: yield* flag(params, "outcome")
  }
  const sr = yield* loadSr(uuid)
  const { assetUrl, srPayload } = yield* ServerInfo
  return json({
    success: true,
    rc_hit: false,
    rc_key: `srs:${createHash("md5").update(`${uuid}?${params.toString()}`).digest("hex")}`,
    message: "The sr was successfully fetched.",
    sr: Render.fetched(sr, include, yield* language, assetUrl, srPayload)
  })
})

export const submitSr = Effect.gen(function*() {
  const uuid = yield* srParam
  const lifecycle = yield* Lifecycle
  const stats = yield* Stats
  // Counted with the transition, so that a client abort cannot separate the two.
  const sr = yield* Effect.uninterruptible(Effect.tap(lifecycle.submit(uuid), (sr) => stats.submit(sr.uuid)))
  return json({
    success: true,
    message: "Service request submitted successfully.",
    sr: { uuid: sr.uuid, micro_id: sr.microId, state: sr.state }
  })
})

export const sideGroups = Effect.gen(function*() {
  const sr = yield* loadSr(yield* srParam)
  const { assetUrl, srPayload } = yield* ServerInfo
  return json({
    success: true,
    message: "Side groups fetched successfully.",
    data: { side_groups: Render.sideGroups(sr, yield* language, assetUrl, srPayload) }
  })
})

export const progressOf = Effect.gen(function*() {
  const params = yield* query
  const sr = yield* loadSr(yield* uuidParam("sr_id", params.get("sr_id") ?? undefined))
  return json({ success: true, progress: progress(sr), last_updated: new Date(sr.updatedAt).toISOString() })
})

export const find = Effect.gen(function*() {
  const params = yield* HttpRouter.params
  const identifier = (params["identifier"] ?? "").trim()
  if (identifier === "") return yield* Errors.invalid("validation/missing-field", "identifier is required.")
  const store = yield* Store
  const sr = yield* store.find(identifier)
  // A lagging lookup does not see an SR yet for a while after its creation.
  const lag = yield* LookupLag
  const now = yield* Effect.flatMap(SimClock, (clock) => clock.now)
  if (Option.isNone(sr) || now - sr.value.createdAt < lag) return yield* Errors.notFound("Service request")
  return json({ success: true, message: "Service request found.", sr: Render.found(sr.value) })
})

// --- media ---

/** `<side uuid>.<ext>` as used by the intent's `side` parameter and the upload path. */
const parseSideFile = (name: string, value: string | undefined) =>
  Effect.gen(function*() {
    if (value === undefined || value === "") {
      return yield* Errors.invalid("validation/missing-field", `${name} is required.`)
    }
    const dot = value.lastIndexOf(".")
    if (dot === -1) {
      return yield* Errors.invalid(
        "validation/missing-extension",
        `${name} must be <side uuid>.<ext> with ext one of jpg, jpeg, png, heic, dng.`
      )
    }
    const side = yield* uuidParam(name, value.slice(0, dot))
    const extension = value.slice(dot + 1).toLowerCase()
    if (!Uploads.isExtension(extension)) {
      return yield* Errors.invalid(
        "validation/invalid-extension",
        `${name} extension must be jpg, jpeg, png, heic or dng.`
      )
    }
    return { side, extension }
  })

export const intent = Effect.gen(function*() {
  const params = yield* query
  const srId = yield* uuidParam("sr", params.get("sr") ?? undefined)
  const { extension, side } = yield* parseSideFile("side", params.get("side") ?? undefined)
  const sr = yield* loadSr(srId)
  const { optional, required } = Seed.requirements(sr.category, sr.type)
  if (![...required, ...optional].some((s) => s.uuid === side)) {
    return yield* Errors.invalid("validation/unknown-side", "side is not one of this service request's sides.")
  }
  const { assetUrl } = yield* ServerInfo
  const uploads = yield* Uploads.Uploads
  const url = yield* uploads.presign({ sr: sr.uuid, side, extension }, assetUrl)
  return json({ message: "Pre-signed URL generated successfully.", url })
})

const xmlText = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

/** S3's error answer: XML with the code, message and request id, the id also in `x-amz-request-id`. */
const s3RequestId = () => randomBytes(8).toString("hex").toUpperCase()

const s3Error = (error: Uploads.UploadError) => {
  const requestId = s3RequestId()
  return HttpServerResponse.text(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${
      xmlText(error.message)
    }</Message><RequestId>${requestId}</RequestId></Error>`,
    { status: error.status, contentType: "application/xml", headers: { "x-amz-request-id": requestId } }
  )
}

const uploadTarget = Effect.gen(function*() {
  const params = yield* HttpRouter.params
  const sr = params["sr"] ?? ""
  const file = params["file"] ?? ""
  const dot = file.lastIndexOf(".")
  const side = dot === -1 ? "" : file.slice(0, dot)
  const extension = dot === -1 ? "" : file.slice(dot + 1)
  if (!isUuid(sr) || !isUuid(side) || !Uploads.isExtension(extension)) {
    return yield* new Uploads.UploadError({
      status: 404,
      code: "NoSuchKey",
      message: "The specified key does not exist"
    })
  }
  return { sr: sr.toLowerCase(), side: side.toLowerCase(), extension }
})

export const upload = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  const target = yield* uploadTarget
  // S3 takes a PUT body only with its length announced: a chunked one is refused for the header, one
  // without any length for the missing header (Node's fetch sends a streamed body chunked).
  if (request.headers["transfer-encoding"] !== undefined) {
    return yield* new Uploads.UploadError({
      status: 501,
      code: "NotImplemented",
      message: "A header you provided implies functionality that is not implemented"
    })
  }
  if (request.headers["content-length"] === undefined) {
    return yield* new Uploads.UploadError({
      status: 411,
      code: "MissingContentLength",
      message: "You must provide the Content-Length HTTP header."
    })
  }
  const params = yield* query
  const uploads = yield* Uploads.Uploads
  yield* uploads.verify(target, {
    expires: params.get("expires") ?? undefined,
    signature: params.get("signature") ?? undefined
  })
  if (Number(request.headers["content-length"]) > Uploads.maxBytes) return yield* Uploads.entityTooLarge
  const media = yield* uploads.store(target, request.headers["content-type"], request.stream).pipe(
    Effect.catchTag(
      "RequestError",
      () => new Uploads.UploadError({ status: 400, code: "IncompleteBody", message: "The body could not be read" })
    )
  )
  const stats = yield* Stats
  yield* stats.upload(request.headers["authorization"] !== undefined)
  // S3 names every answer, a success too, in `x-amz-request-id`.
  return HttpServerResponse.empty({
    status: 200,
    headers: { ETag: `"${media.version}"`, "x-amz-request-id": s3RequestId() }
  })
}).pipe(Effect.catchTag("UploadError", s3Error))

export const media = Effect.gen(function*() {
  const target = yield* uploadTarget
  const params = yield* query
  const uploads = yield* Uploads.Uploads
  const found = yield* uploads.read(target, params.get("version") ?? undefined)
  if (Option.isNone(found)) {
    return yield* new Uploads.UploadError({
      status: 404,
      code: "NoSuchKey",
      message: "The specified key does not exist"
    })
  }
  return HttpServerResponse.uint8Array(found.value.bytes, { contentType: found.value.contentType })
}).pipe(Effect.catchTag("UploadError", s3Error))

/** The handler of each route of the service requests and media, by its id in the shared route table. */
export const handlers = {
  "sr.create": createSr,
  "sr.get": getSr,
  "sr.submit": submitSr,
  "sr.sideGroups": sideGroups,
  "sr.progress": progressOf,
  "sr.find": find,
  "media.intent": intent,
  "media.upload": upload
} as const
