/**
 * Decoding answers: `Schema.decodeUnknown(schema)` with a compiled fast path in front of it.
 *
 * Effect's parser interprets the schema's AST and wraps every step in an `Either`; for a full SR that is
 * about 80 µs, most of the client's cost per call. The fast path walks the same AST once, ahead of time,
 * into plain functions that follow the parser's rules for the default options (first error, excess
 * properties ignored, inexact optionals), calling the schema's own filters, transformations and class
 * constructors. It only ever answers what the parser would: when it rejects the input, or meets anything
 * it does not compile (an asynchronous step, a parse-options annotation, a tagged union), the parser runs
 * and its result, success or `ParseError`, is the answer. One exception, on the safe side: a record's
 * `__proto__` key becomes an own property, never the prototype (the schemas' records skip that key anyway).
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"

/** The input is not of the schema (the parser will say why). */
const Rejected: unique symbol = Symbol("Rejected")
/** The fast path cannot tell (an asynchronous step): the parser decides. */
const Undecided: unique symbol = Symbol("Undecided")
type Outcome = unknown
type Parse = (input: unknown) => Outcome

const isStop = (out: Outcome): out is typeof Rejected | typeof Undecided => out === Rejected || out === Undecided

/** What the parser's `Either`-or-`Effect` step answered, as an outcome. */
const settle = (result: Effect.Effect<unknown, unknown, unknown>): Outcome =>
  Either.isEither(result) ? Either.isRight(result) ? result.right : Rejected : Undecided

const predicate = (test: (u: unknown) => boolean): Parse => (u) => test(u) ? u : Rejected

/** The values a keyword or literal node accepts, by `typeof` and by identity; its decoded value is its input. */
interface Domain {
  readonly types: ReadonlyArray<string>
  readonly values: ReadonlyArray<unknown>
}

/**
 * The domain of a keyword, a literal or a union of them, or `undefined`. A union such as `NullOr(String)`
 * or an enum's literals becomes one test instead of one call per member.
 */
const domainOf = (ast: AST.AST): Domain | undefined => {
  if (hasParserAnnotations(ast)) return undefined
  switch (ast._tag) {
    case "StringKeyword":
      return { types: ["string"], values: [] }
    case "NumberKeyword":
      return { types: ["number"], values: [] }
    case "BooleanKeyword":
      return { types: ["boolean"], values: [] }
    case "UndefinedKeyword":
      return { types: ["undefined"], values: [] }
    case "Literal":
      // A `Set` finds NaN where `===` does not.
      return Number.isNaN(ast.literal) ? undefined : { types: [], values: [ast.literal] }
    case "Enums":
      return ast.enums.some(([, value]) => Number.isNaN(value))
        ? undefined
        : { types: [], values: ast.enums.map(([, value]) => value) }
    case "Union": {
      const types: Array<string> = []
      const values: Array<unknown> = []
      for (const member of ast.types) {
        const domain = domainOf(member)
        if (domain === undefined) return undefined
        types.push(...domain.types)
        values.push(...domain.values)
      }
      return { types, values }
    }
    default:
      return undefined
  }
}

const testOf = ({ types, values }: Domain): (u: unknown) => boolean => {
  const typeSet = new Set(types)
  const valueSet = new Set(values)
  if (valueSet.size === 0) return (u) => typeSet.has(typeof u)
  if (typeSet.size === 0) return (u) => valueSet.has(u)
  return (u) => typeSet.has(typeof u) || valueSet.has(u)
}

/** `undefined` where the parser applies annotations the fast path does not follow. */
const compiled = new WeakMap<AST.AST, Parse | null>()

const compile = (ast: AST.AST): Parse | undefined => {
  const known = compiled.get(ast)
  if (known !== undefined) return known ?? undefined
  const parse = hasParserAnnotations(ast) ? undefined : compileNode(ast)
  compiled.set(ast, parse ?? null)
  return parse
}

/** Annotations that change what the parser does with a node: its own parse options, a decoding fallback. */
const hasParserAnnotations = (ast: AST.AST): boolean =>
  Option.isSome(AST.getParseOptionsAnnotation(ast)) || Option.isSome(AST.getDecodingFallbackAnnotation(ast))

/** Whether the parser would pick this union member by a literal-valued key (`_tag`), which the fast path does not. */
const hasLiteralKey = (ast: AST.AST): boolean => {
  switch (ast._tag) {
    case "Declaration":
      return Option.match(AST.getSurrogateAnnotation(ast), { onNone: () => false, onSome: hasLiteralKey })
    case "TypeLiteral":
      return ast.propertySignatures.some((ps) => !ps.isOptional && AST.isLiteral(AST.encodedAST(ps.type)))
    case "TupleType":
      return ast.elements.some((e) => !e.isOptional && AST.isLiteral(AST.encodedAST(e.type)))
    case "Refinement":
      return hasLiteralKey(ast.from)
    case "Suspend":
      return hasLiteralKey(ast.f())
    case "Transformation":
      return hasLiteralKey(ast.from)
    default:
      return false
  }
}

const compileNode = (ast: AST.AST): Parse | undefined => {
  const domain = domainOf(ast)
  if (domain !== undefined) return predicate(testOf(domain))
  switch (ast._tag) {
    case "UnknownKeyword":
    case "AnyKeyword":
    case "VoidKeyword":
      return (u) => u
    case "NeverKeyword":
      return () => Rejected
    case "Refinement": {
      const from = compile(ast.from)
      if (from === undefined) return undefined
      return (u) => {
        const a = from(u)
        if (isStop(a)) return a
        return Option.isSome(ast.filter(a, AST.defaultParseOption, ast)) ? Rejected : a
      }
    }
    case "Declaration": {
      const parse = ast.decodeUnknown(...ast.typeParameters)
      return (u) => settle(parse(u, AST.defaultParseOption, ast))
    }
    case "Transformation":
      return compileTransformation(ast)
    case "TypeLiteral":
      return compileTypeLiteral(ast)
    case "TupleType": {
      // Arrays only (`Schema.Array`): no fixed elements, one rest element.
      const [rest, ...more] = ast.rest
      if (ast.elements.length > 0 || rest === undefined || more.length > 0) return undefined
      const item = compile(rest.type)
      if (item === undefined) return undefined
      return (u) => {
        if (!Array.isArray(u)) return Rejected
        const out: Array<unknown> = new Array(u.length)
        for (let i = 0; i < u.length; i++) {
          const a = item(u[i])
          if (isStop(a)) return a
          out[i] = a
        }
        return out
      }
    }
    case "Union": {
      if (ast.types.some(hasLiteralKey)) return undefined
      const members: Array<Parse> = []
      for (const member of ast.types) {
        const parse = compile(member)
        if (parse === undefined) return undefined
        members.push(parse)
      }
      // The parser tries the members in order and keeps the first that decodes.
      return (u) => {
        for (const member of members) {
          const a = member(u)
          if (a !== Rejected) return a
        }
        return Rejected
      }
    }
    case "Suspend": {
      let inner: Parse | null | undefined
      return (u) => {
        if (inner === undefined) inner = compile(ast.f()) ?? null
        return inner === null ? Undecided : inner(u)
      }
    }
    default:
      // Template literals, symbols, bigints, objects: not in the API's answers; the parser decides.
      return undefined
  }
}

const compileTypeLiteral = (ast: AST.TypeLiteral): Parse | undefined => {
  if (ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0) {
    return predicate((u) => u !== null && u !== undefined)
  }
  const properties: Array<{ readonly name: PropertyKey; readonly isOptional: boolean; readonly parse: Parse }> = []
  for (const ps of ast.propertySignatures) {
    const parse = compile(ps.type)
    if (parse === undefined) return undefined
    properties.push({ name: ps.name, isOptional: ps.isOptional, parse })
  }
  const indexSignatures: Array<{ readonly key: Parse; readonly value: Parse }> = []
  for (const is of ast.indexSignatures) {
    // Records keyed by strings (`Schema.String` or a refinement of it, such as `Json.Key`) only: other key
    // schemas go to the parser.
    if (!isStringKey(is.parameter)) return undefined
    const key = compile(is.parameter)
    const value = compile(is.type)
    if (key === undefined || value === undefined) return undefined
    indexSignatures.push({ key, value })
  }
  const expected = new Set<PropertyKey>(properties.map((p) => p.name))
  return (u) => {
    if (!Predicate.isRecord(u)) return Rejected
    const out: Record<PropertyKey, unknown> = {}
    for (const { isOptional, name, parse } of properties) {
      const value = u[name]
      // A missing required key is parsed as `undefined`, as the parser does when `exact` is off.
      if (value === undefined && isOptional && !Object.hasOwn(u, name)) continue
      const a = parse(value)
      if (isStop(a)) return a
      out[name] = a
    }
    for (const { key: parseKey, value: parse } of indexSignatures) {
      for (const key of Object.keys(u)) {
        // As the parser does, a key its schema refuses is skipped.
        const k = parseKey(key)
        if (k === Rejected) continue
        if (k === Undecided) return Undecided
        const a = parse(u[key])
        if (isStop(a)) return a
        if (!expected.has(key)) define(out, key, a)
      }
    }
    return out
  }
}

/** A record's key schema the fast path follows: `Schema.String`, possibly refined. */
const isStringKey = (ast: AST.AST): boolean =>
  ast._tag === "StringKeyword" || (ast._tag === "Refinement" && isStringKey(ast.from))

/**
 * `out[key] = value`, except that a `__proto__` key becomes an own property instead of the object's
 * prototype (where the parser, given such a record, would set the prototype).
 */
const define = (out: Record<PropertyKey, unknown>, key: string, value: unknown): void => {
  if (key === "__proto__") {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  } else out[key] = value
}

const compileTransformation = (ast: AST.Transformation): Parse | undefined => {
  const from = compile(ast.from)
  const to = compile(ast.to)
  if (from === undefined || to === undefined) return undefined
  const transformation = ast.transformation
  switch (transformation._tag) {
    case "FinalTransformation":
      return (u) => {
        const a = from(u)
        if (isStop(a)) return a
        const b = settle(transformation.decode(a, AST.defaultParseOption, ast, u))
        return isStop(b) ? b : to(b)
      }
    case "ComposeTransformation":
      return (u) => {
        const a = from(u)
        return isStop(a) ? a : to(a)
      }
    case "TypeLiteralTransformation": {
      const steps = transformation.propertySignatureTransformations
      return (u) => {
        const a = from(u)
        if (isStop(a)) return a
        if (!Predicate.isRecord(a)) return Undecided
        // As the parser does: each key is moved in place, on the object `from` answered.
        for (const step of steps) {
          const o = step.decode(Object.hasOwn(a, step.from) ? Option.some(a[step.from]) : Option.none())
          delete a[step.from]
          if (Option.isSome(o)) a[step.to] = o.value
        }
        return to(a)
      }
    }
  }
}

/**
 * `Schema.decodeUnknown(schema)`, with the fast path in front where the schema compiles: same successes,
 * same `ParseError`s.
 */
export const decoder = <A, I>(
  schema: Schema.Schema<A, I, never>
): (input: unknown) => Effect.Effect<A, ParseResult.ParseError> => {
  const parse = Schema.decodeUnknown(schema)
  const fast = compile(schema.ast)
  if (fast === undefined) return parse
  return (input) => {
    const a = fast(input)
    // Not an `A` only where it is `Rejected` or `Undecided`, and then the parser answers.
    return isStop(a) ? parse(input) : Effect.succeed(a as A)
  }
}

/** Whether the fast path covers this schema's whole AST (tests hold every answer schema to it). */
export const isCompiled = (schema: Schema.Schema.Any): boolean => compile(schema.ast) !== undefined
