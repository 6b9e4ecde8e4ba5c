/**
 * The compiled decoder answers exactly what `Schema.decodeUnknown` answers: the same values (same
 * classes, same keys) for what the schemas accept, the same `ParseError` for what they refuse, on the
 * published payloads, on what the schemas encode, and on those answers with one part replaced by junk.
 */
import * as Media from "@effect-legitmark/schema/Media"
import * as Progress from "@effect-legitmark/schema/Progress"
import * as SR from "@effect-legitmark/schema/ServiceRequest"
import * as Side from "@effect-legitmark/schema/Side"
import * as Taxonomy from "@effect-legitmark/schema/Taxonomy"
import { assert, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { decoder, isCompiled } from "../src/internal/decoder.js"
import { fixtures } from "./support/fixtures.js"

/** Every answer schema the client decodes. */
const answers: Record<string, Schema.Schema.AnyNoContext> = {
  CreateResponse: SR.CreateResponse,
  GetResponse: SR.GetResponse,
  SubmitResponse: SR.SubmitResponse,
  FindResponse: SR.FindResponse,
  SideGroupsResponse: Side.SideGroupsResponse,
  ProgressResponse: Progress.ProgressResponse,
  IntentResponse: Media.IntentResponse,
  TreeResponse: Taxonomy.TreeResponse,
  CategoryListResponse: Taxonomy.CategoryListResponse,
  CategoryResponse: Taxonomy.CategoryResponse,
  TypeListResponse: Taxonomy.TypeListResponse,
  TypeResponse: Taxonomy.TypeResponse,
  BrandListResponse: Taxonomy.BrandListResponse,
  ModelListResponse: Taxonomy.ModelListResponse,
  ServiceListResponse: Taxonomy.ServiceListResponse,
  ServiceResponse: Taxonomy.ServiceResponse,
  SideListResponse: Taxonomy.SideListResponse,
  SideResponse: Taxonomy.SideResponse,
  ReasonListResponse: Taxonomy.ReasonListResponse
}

type Answer = { readonly _tag: "Success"; readonly value: unknown } | {
  readonly _tag: "Failure"
  readonly message: string
}

const run = (decode: (u: unknown) => Effect.Effect<unknown, ParseResult.ParseError>, input: unknown): Answer =>
  Either.match(Effect.runSync(Effect.either(decode(input))), {
    onLeft: (error) => ({ _tag: "Failure", message: ParseResult.TreeFormatter.formatErrorSync(error) }),
    onRight: (value) => ({ _tag: "Success", value })
  })

/** Both decoders on one input: same outcome, equal values of the same classes, keys in the same order. */
const expectSame = <A, I>(schema: Schema.Schema<A, I>, input: unknown): Answer => {
  const before = JSON.stringify(input)
  const fast = run(decoder(schema), input)
  // The fast path never touches its input (the parser then reads the same one).
  expect(JSON.stringify(input)).toBe(before)
  const parser = run(Schema.decodeUnknown(schema), input)
  expect(fast._tag).toBe(parser._tag)
  if (fast._tag === "Success" && parser._tag === "Success") {
    expect(fast.value).toStrictEqual(parser.value)
    expect(JSON.stringify(fast.value)).toBe(JSON.stringify(parser.value))
  } else {
    expect(fast).toEqual(parser)
  }
  return fast
}

/** Replaces the `at`-th node (in depth-first order) of a JSON value with `junk`, or deletes it from its object. */
const replaceNode = (value: unknown, at: number, junk: unknown, remove: boolean): unknown => {
  let index = 0
  const walk = (node: unknown): unknown => {
    if (index++ === at) return junk
    if (Array.isArray(node)) return node.map(walk)
    if (typeof node === "object" && node !== null) {
      const out: Record<string, unknown> = {}
      for (const [key, child] of Object.entries(node)) {
        const before = index
        const next = walk(child)
        if (remove && before === at) continue
        out[key] = next
      }
      return out
    }
    return node
  }
  return walk(value)
}

describe("decoder", () => {
  it("compiles every answer schema the client reads (the fast path is never silently off)", () => {
    for (const [name, schema] of Object.entries(answers)) {
      assert(isCompiled(schema), `${name} does not compile`)
    }
  })

  it("decodes every published response payload as the parser does", () => {
    const responses = fixtures.filter((f) => f.kind === "response")
    expect(responses.length).toBeGreaterThan(3)
    let decoded = 0
    for (const fixture of responses) {
      for (const schema of Object.values(answers)) {
        if (expectSame(schema, fixture.body)._tag === "Success") decoded++
      }
    }
    // Each published answer is read by at least one schema.
    expect(decoded).toBeGreaterThanOrEqual(responses.length)
  })

  it("keeps the classes of the models", () => {
    const fixture = fixtures.find((f) => f.kind === "response" && f.endpoint.includes("requirements=true"))
    assert(fixture !== undefined)
    const answer = expectSame(SR.GetResponse, fixture.body)
    assert(answer._tag === "Success")
    const { sr } = answer.value as typeof SR.GetResponse.Type
    expect(sr).toBeInstanceOf(SR.ServiceRequest)
    expect(sr.item).toBeInstanceOf(SR.Item)
    expect(sr.sides?.required[0]).toBeInstanceOf(Side.Side)
    expect(sr.sides?.required[0]?.hasMedia).toBe(false)
  })

  for (const [name, schema] of Object.entries(answers)) {
    it.prop(`${name}: what the schema encodes`, [schema], ([value]) => {
      const input = Schema.encodeSync(schema)(value)
      expect(expectSame(schema, input)._tag).toBe("Success")
    }, { fastCheck: { numRuns: 30 } })

    it.prop(
      `${name}: one part replaced by junk, or removed`,
      [schema, FastCheck.nat(60), FastCheck.jsonValue({ maxDepth: 2 }), FastCheck.boolean()],
      ([value, at, junk, remove]) => {
        expectSame(schema, replaceNode(Schema.encodeSync(schema)(value), at, junk, remove))
      },
      { fastCheck: { numRuns: 60 } }
    )
  }

  it.prop("junk of any shape", [FastCheck.anything()], ([junk]) => {
    for (const schema of Object.values(answers)) expectSame(schema, junk)
  }, { fastCheck: { numRuns: 100 } })

  describe("follows the parser's rules", () => {
    it("a missing required key is parsed as undefined; an absent optional one stays absent", () => {
      const schema = Schema.Struct({ a: Schema.Unknown, b: Schema.optional(Schema.String) })
      const answer = expectSame(schema, {})
      assert(answer._tag === "Success")
      expect(Object.keys(answer.value as object)).toEqual(["a"])
      expectSame(schema, { b: undefined })
      expectSame(Schema.Struct({ a: Schema.String }), {})
    })

    it("defaults, renamed keys and records", () => {
      const schema = Schema.Struct({
        list: Schema.optionalWith(Schema.Array(Schema.Number), { default: () => [] }),
        renamed: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("original_name"))
      }, Schema.Record({ key: Schema.String, value: Schema.Union(Schema.String, Schema.Number) }))
      expectSame(schema, { original_name: "x", extra: 1 })
      expectSame(schema, { original_name: "x", list: [1, 2], extra: "y" })
      expectSame(schema, { original_name: "x", extra: true })
      expectSame(schema, { list: [1] })
      // A key with a property of its own keeps what the property decoded, not what the record did.
      const answer = expectSame(
        Schema.Struct({ n: Schema.NumberFromString }, Schema.Record({ key: Schema.String, value: Schema.Unknown })),
        { n: "1", m: "2" }
      )
      expect(answer).toEqual({ _tag: "Success", value: { n: 1, m: "2" } })
    })

    it("a union keeps its first member that decodes", () => {
      const Wide = Schema.Struct({ a: Schema.String })
      const schema = Schema.Union(Wide, Schema.Record({ key: Schema.String, value: Schema.Unknown }))
      const answer = expectSame(schema, { a: "x", b: 1 })
      assert(answer._tag === "Success")
      expect(answer.value).toEqual({ a: "x" })
      expectSame(schema, { a: 1, b: 1 })
    })

    it("filters, brands and literals", () => {
      const schema = Schema.Struct({
        id: Schema.String.pipe(Schema.minLength(3), Schema.brand("Id")),
        kind: Schema.Literal("a", "b"),
        n: Schema.Number.pipe(Schema.int())
      })
      expectSame(schema, { id: "abc", kind: "a", n: 1 })
      expectSame(schema, { id: "ab", kind: "a", n: 1 })
      expectSame(schema, { id: "abc", kind: "c", n: 1 })
      expectSame(schema, { id: "abc", kind: "b", n: 1.5 })
      expectSame(Schema.Literal(null, 0, "0"), 0)
      expectSame(Schema.Literal(null, 0, "0"), false)
    })

    it("a record skips the keys its key schema refuses; a __proto__ key is never a prototype", () => {
      const refined = Schema.Record({
        key: Schema.String.pipe(Schema.filter((k) => k !== "skip")),
        value: Schema.Number
      })
      expect(isCompiled(refined)).toBe(true)
      expect(expectSame(refined, { a: 1, skip: 2 })).toEqual({ _tag: "Success", value: { a: 1 } })
      const evil = JSON.parse("{\"__proto__\":{\"isAdmin\":true},\"kept\":1}")
      const sr = expectSame(SR.ServiceRequest, {
        uuid: "x",
        state: { primary: "DRAFT" },
        metadata: evil,
        user: evil,
        service: evil,
        summary: evil
      })
      assert(sr._tag === "Success" && sr.value instanceof SR.ServiceRequest)
      for (const value of [sr.value.metadata, sr.value.user, sr.value.service, sr.value.summary]) {
        expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
        expect(value).toEqual({ kept: 1 })
      }
      // A record keyed by any string (none in the schemas) keeps the key as an own property.
      const plain = Effect.runSync(decoder(Schema.Record({ key: Schema.String, value: Schema.Unknown }))(evil))
      expect(Object.getPrototypeOf(plain)).toBe(Object.prototype)
      expect(Object.hasOwn(plain, "__proto__")).toBe(true)
    })

    it("recursive schemas", () => {
      interface Node {
        readonly name: string
        readonly children: ReadonlyArray<Node>
      }
      const Node: Schema.Schema<Node> = Schema.Struct({
        name: Schema.String,
        children: Schema.Array(Schema.suspend(() => Node))
      })
      expect(isCompiled(Node)).toBe(true)
      expectSame(Node, { name: "a", children: [{ name: "b", children: [] }] })
      expectSame(Node, { name: "a", children: [{ name: "b", children: [{ name: 1 }] }] })
    })
  })

  describe("leaves to the parser what it does not compile", () => {
    it("a union told apart by a literal key, a template literal", () => {
      const Tagged = Schema.Union(
        Schema.Struct({ _tag: Schema.Literal("A"), a: Schema.String }),
        Schema.Struct({ _tag: Schema.Literal("B"), b: Schema.Number })
      )
      expect(isCompiled(Tagged)).toBe(false)
      expectSame(Tagged, { _tag: "B", b: 1 })
      expectSame(Tagged, { _tag: "C" })
      const Template = Schema.TemplateLiteral("sr-", Schema.Number)
      expect(isCompiled(Template)).toBe(false)
      expectSame(Template, "sr-1")
      expectSame(Template, "sr-x")
    })

    it("a decoding fallback or parse options on any node, even a literal in a union", () => {
      const Fallback = Schema.Literal("a").annotations({ decodingFallback: () => Either.right("a" as const) })
      const schema = Schema.Struct({ kind: Schema.Union(Fallback, Schema.Null) })
      expect(isCompiled(schema)).toBe(false)
      const answer = expectSame(schema, { kind: "z" })
      expect(answer).toEqual({ _tag: "Success", value: { kind: "a" } })
      const Exact = Schema.Struct({ a: Schema.String }).annotations({ parseOptions: { onExcessProperty: "error" } })
      expect(isCompiled(Exact)).toBe(false)
      expect(expectSame(Exact, { a: "x", b: 1 })._tag).toBe("Failure")
    })

    it.effect("an asynchronous step: the parser's effect is the answer", () =>
      Effect.gen(function*() {
        const Slow = Schema.transformOrFail(Schema.String, Schema.String, {
          decode: (s) => Effect.as(Effect.yieldNow(), s.toUpperCase()),
          encode: ParseResult.succeed
        })
        const schema = Schema.Struct({ a: Schema.Union(Schema.Number, Slow) })
        expect(isCompiled(schema)).toBe(true)
        expect(yield* decoder(schema)({ a: "x" })).toEqual({ a: "X" })
        expect(yield* decoder(schema)({ a: 1 })).toEqual({ a: 1 })
        const failure = yield* Effect.flip(decoder(schema)({ a: true }))
        expect(failure._tag).toBe("ParseError")
      }))
  })
})
