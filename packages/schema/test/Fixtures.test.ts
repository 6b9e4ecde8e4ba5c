import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import * as ErrorBody from "../src/ErrorBody.js"
import * as Media from "../src/Media.js"
import * as Progress from "../src/Progress.js"
import * as ServiceRequest from "../src/ServiceRequest.js"
import * as Taxonomy from "../src/Taxonomy.js"

interface Fixture {
  readonly source: string
  readonly endpoint: string
  readonly kind: "request" | "response" | "error" | "webhook"
  readonly status: number | null
  readonly body: unknown
}

const fixtures: ReadonlyArray<Fixture> = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../../test/fixtures/payloads.json", import.meta.url)), "utf8")
)

// Which schema answers each published response, by endpoint path.
const responseSchemas: ReadonlyArray<readonly [RegExp, Schema.Schema.AnyNoContext]> = [
  [/^POST \S+\/api\/v2\/sr$/, ServiceRequest.CreateResponse],
  [/^GET \S+\/api\/v2\/sr\/[^/?]+(\?.*)?$/, ServiceRequest.GetResponse],
  [/^GET \S+\/api\/side-groups\/progress/, Progress.ProgressResponse],
  [/^GET \S+\/intent\?/, Media.IntentResponse],
  [/^GET \S+\/api\/v2\/categories$/, Taxonomy.CategoryListResponse],
  [/^GET \S+\/api\/v2\/categories\/[^/]+$/, Taxonomy.CategoryResponse],
  [/^GET \S+\/api\/v2\/types\/[^/]+$/, Taxonomy.TypeResponse]
]

const schemaFor = (fixture: Fixture): Schema.Schema.AnyNoContext | undefined => {
  if (fixture.kind === "error") return ErrorBody.ErrorBody
  if (fixture.kind === "response") return responseSchemas.find(([re]) => re.test(fixture.endpoint))?.[1]
  return undefined
}

const decodes = (schema: Schema.Schema.AnyNoContext, body: unknown) =>
  Schema.decodeUnknownEither(schema)(body).pipe(Either.mapLeft(ParseResult.TreeFormatter.formatErrorSync))

describe("published payloads", () => {
  const answers = fixtures.filter((f) => f.kind === "response" || f.kind === "error")

  it("every response and error payload has a schema", () => {
    expect(answers.length).toBe(12)
    for (const fixture of answers) expect(schemaFor(fixture), fixture.endpoint).toBeDefined()
  })

  it.each(answers.map((f, i) => [`${i} ${f.kind} ${f.status} ${f.endpoint}`, f] as const))("decodes %s", (_, f) => {
    const result = decodes(schemaFor(f)!, f.body)
    expect(Either.isRight(result), Either.isLeft(result) ? result.left : "").toBe(true)
  })

  it("decodes the create response with its style summary and placeholder user", () => {
    const fixture = fixtures.find((f) => f.kind === "response" && f.endpoint.startsWith("POST"))!
    const { sr } = Schema.decodeUnknownSync(ServiceRequest.CreateResponse)(fixture.body)
    expect(sr.state.primary).toBe("DRAFT")
    expect(sr.state.supplement).toBeNull()
    expect(sr.summary).toEqual({ style: "Crossbody", style_id: "95e42d6b-7c4f-11ef-a623-02595575faeb" })
    expect(sr.user).toBe("user-uuid")
    expect(sr.external_id).toBe("ITEM-2024-0891")
  })

  it("decodes the full SR with item.type \"undefined\" and the type under item.types", () => {
    const fixture = fixtures.find((f) => f.kind === "response" && f.endpoint.includes("requirements=true"))!
    const { sr } = Schema.decodeUnknownSync(ServiceRequest.GetResponse)(fixture.body)
    expect(sr.state).toMatchObject({ primary: "COMPLETE", supplement: "APPROVED" })
    expect(sr.item?.type).toBe("undefined")
    expect(sr.item?.resolvedType?.name).toBe("Sneakers")
    expect(sr.sides?.required.map((s) => s.name)).toEqual(["Interior Size Tag or Stamp", "Outer Sides"])
    expect(sr.sides?.required.every((s) => !s.hasMedia)).toBe(true)
    expect(sr.summary).toMatchObject({ combined: "Footwear Sneakers" })
  })

  it("decodes both shapes of error details", () => {
    const bodies = fixtures.filter((f) => f.kind === "error" && f.status === 429)
    const details = bodies.map((f) => Schema.decodeUnknownSync(ErrorBody.ErrorBody)(f.body).error.details)
    expect(details).toContainEqual("error/rate_limit_exceeded")
    expect(details).toContainEqual(expect.objectContaining({ limit_type: "partner_level", retry_after_seconds: 60 }))
  })

  it("accepts the documented create body and refuses the workflow guide's placeholder body", () => {
    const requests = fixtures.filter((f) => f.kind === "request")
    const results = requests.map((f) =>
      Either.isRight(Schema.decodeUnknownEither(ServiceRequest.CreateServiceRequest)(f.body))
    )
    // The API reference body is valid; the workflow guide sends `external_id` and "category-uuid" placeholders.
    expect(results).toEqual([true, false])
  })
})
