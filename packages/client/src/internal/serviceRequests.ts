import { ReferenceId, Uuid } from "@effect-legitmark/schema/Identifier"
import * as Progress from "@effect-legitmark/schema/Progress"
import * as SR from "@effect-legitmark/schema/ServiceRequest"
import * as Side from "@effect-legitmark/schema/Side"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { LegitmarkClient } from "../LegitmarkClient.js"
import type { Pipeline } from "./pipeline.js"
import { validate } from "./validate.js"

const validateSrUuid = validate(Uuid, "sr_uuid")
const validateCreate = validate(SR.CreateServiceRequest, "service request")
const encodeCreate = Schema.encodeSync(SR.CreateServiceRequest)
const decodeCreate = Schema.decodeUnknown(SR.CreateResponse)
const decodeGet = Schema.decodeUnknown(SR.GetResponse)
const decodeSubmit = Schema.decodeUnknown(SR.SubmitResponse)
const decodeSideGroups = Schema.decodeUnknown(Side.SideGroupsResponse)
const decodeProgress = Schema.decodeUnknown(Progress.ProgressResponse)
const decodeFind = Schema.decodeUnknown(SR.FindResponse)
// "." and ".." would be read as path steps even when encoded, and change which path is asked for.
const validateIdentifier = validate(
  ReferenceId.pipe(
    Schema.filter((id) => !/^(\.|%2e){1,2}$/i.test(id.trim()) || "identifier must not be a dot segment")
  ),
  "identifier"
)

const queryOf = (include: LegitmarkClient.GetOptions): Record<string, string> => {
  const flags: Record<string, string> = {}
  for (const flag of ["summary", "user", "service", "outcome"] as const) if (include[flag]) flags[flag] = "true"
  // Dependent flags are only sent with the flags they depend on, as the API ignores them otherwise.
  if (include.item) {
    flags.item = "true"
    if (include.sides) {
      flags.sides = "true"
      if (include.requirements) flags.requirements = "true"
    }
  }
  return flags
}

export const make = (pipeline: Pipeline): LegitmarkClient.ServiceRequests => ({
  create: (input) =>
    Effect.flatMap(validateCreate(input), (body) =>
      pipeline.execute({
        span: "Legitmark.serviceRequests.create",
        request: pipeline.request("POST", "/api/v2/sr").pipe(
          (request) => HttpClientRequest.bodyUnsafeJson(request, encodeCreate(body))
        ),
        decode: (u) => Effect.map(decodeCreate(u), (r) => r.sr),
        expected: ["ValidationError", "ConflictError"],
        idempotent: false,
        attributes: { "legitmark.reference_id": body.reference_id }
      })),
  get: (uuid, include = {}) =>
    Effect.flatMap(validateSrUuid(uuid), (sr) =>
      pipeline.execute({
        span: "Legitmark.serviceRequests.get",
        request: pipeline.request("GET", `/api/v2/sr/${sr}`, { urlParams: queryOf(include) }),
        decode: (u) => Effect.map(decodeGet(u), (r) => r.sr),
        expected: ["NotFoundError"],
        idempotent: true,
        attributes: { "legitmark.sr_uuid": sr }
      })),
  submit: (uuid) =>
    Effect.flatMap(validateSrUuid(uuid), (sr) =>
      pipeline.execute({
        span: "Legitmark.serviceRequests.submit",
        request: pipeline.request("POST", `/api/v2/sr/${sr}/submit`),
        decode: (u) => Effect.map(decodeSubmit(u), (r) => r.sr),
        expected: ["ValidationError", "NotFoundError", "ConflictError"],
        idempotent: false,
        attributes: { "legitmark.sr_uuid": sr }
      })),
  sideGroups: (uuid, options = {}) =>
    Effect.flatMap(validateSrUuid(uuid), (sr) =>
      pipeline.execute({
        span: "Legitmark.serviceRequests.sideGroups",
        request: pipeline.request("GET", `/api/v2/sr/${sr}/side-groups`, { acceptLanguage: options.acceptLanguage }),
        decode: (u) => Effect.map(decodeSideGroups(u), (r) => r.data.side_groups),
        expected: ["NotFoundError"],
        idempotent: true,
        attributes: { "legitmark.sr_uuid": sr }
      })),
  progress: (uuid) =>
    Effect.flatMap(validateSrUuid(uuid), (sr) =>
      pipeline.execute({
        span: "Legitmark.serviceRequests.progress",
        request: pipeline.request("GET", "/api/side-groups/progress", { urlParams: { sr_id: sr } }),
        decode: decodeProgress,
        expected: ["NotFoundError"],
        idempotent: true,
        attributes: { "legitmark.sr_uuid": sr }
      })),
  find: (identifier) =>
    Effect.flatMap(validateIdentifier(identifier), (id) =>
      pipeline.execute({
        span: "Legitmark.serviceRequests.find",
        // Free text (it may hold spaces or slashes): one encoded path segment. The lookup is public.
        request: pipeline.request("GET", `/api/sr/find/${encodeURIComponent(id)}`, { auth: false }),
        decode: (u) => Effect.map(decodeFind(u), (r) => ("sr" in r ? r.sr : r.data)),
        expected: ["NotFoundError"],
        idempotent: true
      }))
})
