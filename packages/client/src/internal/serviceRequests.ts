import * as Progress from "@effect-legitmark/schema/Progress"
import * as SR from "@effect-legitmark/schema/ServiceRequest"
import * as Side from "@effect-legitmark/schema/Side"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { LegitmarkClient } from "../LegitmarkClient.js"
import * as Validation from "../Validation.js"
import { decoder } from "./decoder.js"
import type { Pipeline } from "./pipeline.js"

const encodeCreate = Schema.encodeSync(SR.CreateServiceRequest)
const decodeCreate = decoder(SR.CreateResponse)
const decodeGet = decoder(SR.GetResponse)
const decodeSubmit = decoder(SR.SubmitResponse)
const decodeSideGroups = decoder(Side.SideGroupsResponse)
const decodeProgress = decoder(Progress.ProgressResponse)
const decodeFind = decoder(SR.FindResponse)

// Where an SR can be submitted from: a draft, or photos QC rejected and since replaced.
const isSubmittable = (sr: SR.ServiceRequest) =>
  sr.state.primary === "DRAFT" || (sr.state.primary === "QC" && sr.state.supplement === "REJECTED")

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

export const make = (pipeline: Pipeline): LegitmarkClient.ServiceRequests => {
  const get: LegitmarkClient.ServiceRequests["get"] = (uuid, include = {}) =>
    Effect.flatMap(Validation.srUuid(uuid), (sr) =>
      pipeline.execute({
        span: "Legitmark.serviceRequests.get",
        request: pipeline.request("GET", `/api/v2/sr/${sr}`, { urlParams: queryOf(include) }),
        decode: (u) => Effect.map(decodeGet(u), (r) => r.sr),
        expected: ["NotFoundError"],
        idempotent: true,
        attributes: { "legitmark.sr_uuid": sr }
      }))

  const find: LegitmarkClient.ServiceRequests["find"] = (identifier) =>
    Effect.flatMap(Validation.identifier(identifier), (id) =>
      pipeline.execute({
        span: "Legitmark.serviceRequests.find",
        // Free text (it may hold spaces or slashes): one encoded path segment. The lookup is public.
        request: pipeline.request("GET", `/api/sr/find/${encodeURIComponent(id)}`, { auth: false }),
        decode: (u) => Effect.map(decodeFind(u), (r) => ("sr" in r ? r.sr : r.data)),
        expected: ["NotFoundError"],
        idempotent: true
      }))

  const create: LegitmarkClient.ServiceRequests["create"] = (input) =>
    Effect.flatMap(Validation.createServiceRequest(input), (body) =>
      pipeline.execute({
        span: "Legitmark.serviceRequests.create",
        request: pipeline.request("POST", "/api/v2/sr").pipe(
          (request) => HttpClientRequest.bodyUnsafeJson(request, encodeCreate(body))
        ),
        decode: (u) => Effect.map(decodeCreate(u), (r) => r.sr),
        expected: ["ValidationError", "ConflictError", "InDoubtError"],
        idempotent: false,
        // The API has no idempotency key: an SR under this reference id that this key can read means the
        // failed create went through. The lookup is public, so one this key cannot read (another
        // partner's SKU) proves nothing either way, and the create is not re-sent. The lookup lags behind
        // creates: its 404 proves nothing until the create in doubt can no longer land (`doubt`).
        reconcile: find(body.reference_id).pipe(
          Effect.matchEffect({
            onFailure: (error) => error._tag === "NotFoundError" ? Effect.succeedNone : Effect.fail(error),
            onSuccess: (found) => Effect.map(get(found.uuid), Option.some)
          })
        ),
        doubt: { key: body.reference_id, referenceId: body.reference_id },
        attributes: { "legitmark.reference_id": body.reference_id }
      }))

  const submit: LegitmarkClient.ServiceRequests["submit"] = (uuid) =>
    Effect.flatMap(Validation.srUuid(uuid), (sr) =>
      pipeline.execute({
        span: "Legitmark.serviceRequests.submit",
        request: pipeline.request("POST", `/api/v2/sr/${sr}/submit`),
        decode: (u) => Effect.map(decodeSubmit(u), (r) => r.sr),
        expected: ["ValidationError", "NotFoundError", "ConflictError"],
        idempotent: false,
        // A submit went through if the SR has left the state it was submitted from.
        reconcile: Effect.map(
          get(sr),
          (current): Option.Option<SR.SubmittedServiceRequest> =>
            isSubmittable(current) ? Option.none() : Option.some(current)
        ),
        attributes: { "legitmark.sr_uuid": sr }
      }))

  const sideGroups: LegitmarkClient.ServiceRequests["sideGroups"] = (uuid, options = {}) =>
    Effect.flatMap(Effect.zip(Validation.srUuid(uuid), Validation.callOptions(options)), ([sr]) =>
      pipeline.execute({
        span: "Legitmark.serviceRequests.sideGroups",
        request: pipeline.request("GET", `/api/v2/sr/${sr}/side-groups`, { acceptLanguage: options.acceptLanguage }),
        decode: (u) => Effect.map(decodeSideGroups(u), (r) => r.data.side_groups),
        expected: ["NotFoundError"],
        idempotent: true,
        attributes: { "legitmark.sr_uuid": sr }
      }))

  const progress: LegitmarkClient.ServiceRequests["progress"] = (uuid) =>
    Effect.flatMap(Validation.srUuid(uuid), (sr) =>
      pipeline.execute({
        span: "Legitmark.serviceRequests.progress",
        request: pipeline.request("GET", "/api/side-groups/progress", { urlParams: { sr_id: sr } }),
        decode: decodeProgress,
        expected: ["NotFoundError"],
        idempotent: true,
        attributes: { "legitmark.sr_uuid": sr }
      }))

  return { create, get, submit, sideGroups, progress, find }
}
