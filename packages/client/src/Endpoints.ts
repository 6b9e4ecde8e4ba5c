/**
 * Every endpoint of the Partner API, declared once: its route (method, path, host, whether the key is
 * sent: `@effect-legitmark/schema/Route`), the checks on its input, the request it sends, its answer's
 * schema and the value taken from it, the errors it can fail with besides the common ones, whether a
 * failed call may be sent again (or how the client asks the server what became of it first), and the
 * attributes of its span (`Legitmark.<group>.<name>`). `LegitmarkClient`'s methods and their types are
 * derived from these declarations, and so are the lists the tests and the test Layer walk.
 *
 * @since 0.2.0
 */
import * as Media from "@effect-legitmark/schema/Media"
import * as Progress from "@effect-legitmark/schema/Progress"
import * as Route from "@effect-legitmark/schema/Route"
import * as SR from "@effect-legitmark/schema/ServiceRequest"
import * as Side from "@effect-legitmark/schema/Side"
import * as Taxonomy from "@effect-legitmark/schema/Taxonomy"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { parseBaseUrl } from "./internal/config.js"
import { decoder } from "./internal/decoder.js"
import { exactly } from "./internal/photoBody.js"
import * as Errors from "./LegitmarkError.js"
import type * as Photo from "./Photo.js"
import * as Validation from "./Validation.js"

// ---------------------------------------------------------------------------------------------------
// What a declaration holds
// ---------------------------------------------------------------------------------------------------

/**
 * The errors only some endpoints can fail with, besides the common ones of every call.
 *
 * @since 0.2.0
 * @category models
 */
export type Expected =
  | typeof Errors.InvalidRequestError
  | typeof Errors.ValidationError
  | typeof Errors.NotFoundError
  | typeof Errors.ConflictError
  | typeof Errors.InDoubtError

/**
 * The exact error union of an endpoint that declares `E`: a refused input, its own errors, the common ones.
 *
 * @since 0.2.0
 * @category models
 */
export type Failure<E extends ReadonlyArray<Expected>> =
  | Errors.InvalidRequestError
  | InstanceType<E[number]>
  | Errors.CommonError

/**
 * A body whose length is known (a photo): streamed with its `Content-Length` where the transport does so,
 * read whole first where it might not.
 *
 * @since 0.2.0
 * @category models
 */
export interface SizedBody {
  readonly stream: Stream.Stream<Uint8Array, Errors.InvalidRequestError>
  readonly contentType: string
  readonly size: number
}

/**
 * The request of one call, once its input is checked.
 *
 * @since 0.2.0
 * @category models
 */
export interface Request<P extends object> {
  /** The route's path parameters, each sent as one encoded path segment. */
  readonly params: P
  readonly query?: Readonly<Record<string, string>> | undefined
  /** Overrides the client's `Accept-Language`. */
  readonly acceptLanguage?: string | undefined
  /** A JSON body. */
  readonly json?: unknown
  readonly body?: SizedBody | undefined
  /** A URL in place of the route's host and path: a presigned upload URL. */
  readonly url?: string | undefined
}

/**
 * How an answer is read: its JSON decoded and the call's value taken from it, or its body ignored.
 *
 * @since 0.2.0
 * @category models
 */
export interface Answer<A, I> {
  readonly json: boolean
  decode(body: unknown, input: I): Effect.Effect<A, ParseResult.ParseError>
}

/**
 * Whether a call that failed may be sent again: an idempotent one may, on the retry policy's terms; one
 * that may have been acted on is first reconciled: `reconcile` asks the server whether it acted (`Some`
 * is the call's result as the server has it; `None` that it has not acted; a failure that it cannot be
 * told). With `doubt`, that answer may lag behind the server (the lookup by reference id): see
 * `LegitmarkError.InDoubtError`.
 *
 * @since 0.2.0
 * @category models
 */
export type Retry<I, A> = Idempotent | Reconciled<I, A>

/**
 * @since 0.2.0
 * @category models
 */
export interface Idempotent {
  readonly _tag: "Idempotent"
}

/**
 * @since 0.2.0
 * @category models
 */
export interface Reconciled<I, A> {
  readonly _tag: "Reconciled"
  reconcile(input: I, call: Call): Effect.Effect<Option.Option<A>, unknown>
  /** The key calls in doubt are remembered under, and the reference id their error names. */
  doubt?(input: I): { readonly key: string; readonly referenceId: string }
}

/**
 * One endpoint, declared: `Args` are its method's parameters, `I` its checked input, `A` its value, `E`
 * the errors it can fail with besides the common ones.
 *
 * @since 0.2.0
 * @category models
 */
export interface Endpoint<
  R extends Route.Any,
  Args extends ReadonlyArray<unknown>,
  I,
  A,
  E extends ReadonlyArray<Expected>
> {
  readonly route: R
  /** Checks the arguments, before anything is sent. */
  input(...args: Args): Effect.Effect<I, Errors.InvalidRequestError>
  /** The request of a checked input. */
  request(input: NoInfer<I>): Request<Route.Params<R["path"]>>
  readonly answer: Answer<A, NoInfer<I>>
  readonly errors: E
  readonly retry: Retry<NoInfer<I>, NoInfer<A>>
  /** The attributes of the call's span. */
  attributes?(input: NoInfer<I>): Readonly<Record<string, unknown>>
  /** The route's path with the parameters filled in. */
  readonly path: (params: Route.Params<R["path"]>) => string
}

/**
 * Any endpoint, whatever its input and answer: what the request pipeline reads.
 *
 * @since 0.2.0
 * @category models
 */
export interface Any {
  readonly route: Route.Any
  input(...args: ReadonlyArray<unknown>): Effect.Effect<unknown, Errors.InvalidRequestError>
  request(input: unknown): Request<object>
  readonly answer: Answer<unknown, unknown>
  readonly errors: ReadonlyArray<Expected>
  readonly retry: Retry<unknown, unknown>
  attributes?(input: unknown): Readonly<Record<string, unknown>>
  path(params: object): string
}

/**
 * The parameters, the value and the errors of an endpoint's method.
 *
 * @since 0.2.0
 * @category models
 */
export type Args<D> = D extends { input(...args: infer Args): unknown } ? Args : never

/**
 * @since 0.2.0
 * @category models
 */
export type Success<D> = D extends { readonly answer: Answer<infer A, infer _I> } ? A : never

/**
 * @since 0.2.0
 * @category models
 */
export type ErrorOf<D> = D extends { readonly errors: infer E extends ReadonlyArray<Expected> } ? Failure<E> : never

/**
 * The client method of an endpoint.
 *
 * @since 0.2.0
 * @category models
 */
export type Method<D> = (...args: Args<D>) => Effect.Effect<Success<D>, ErrorOf<D>>

/**
 * The client methods of a group of endpoints, with their declarations' documentation.
 *
 * @since 0.2.0
 * @category models
 */
export type Methods<G> = { readonly [K in keyof G]: Method<G[K]> }

/**
 * Calls a declared endpoint, as its client method does.
 *
 * @since 0.2.0
 * @category models
 */
export type Call = <D extends Any>(endpoint: D, ...args: Args<D>) => Effect.Effect<Success<D>, ErrorOf<D>>

/**
 * Declares an endpoint.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = <
  R extends Route.Any,
  Args extends ReadonlyArray<unknown>,
  I,
  A,
  const E extends ReadonlyArray<Expected>
>(endpoint: Omit<Endpoint<R, Args, I, A, E>, "path">): Endpoint<R, Args, I, A, E> => ({
  ...endpoint,
  path: Route.path(endpoint.route.path)
})

/**
 * An answer whose JSON is decoded by `schema`, and the call's value taken from it by `select`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const json = <W, WI, A, I = unknown>(
  schema: Schema.Schema<W, WI, never>,
  select: (answer: W, input: I) => A
): Answer<A, I> => {
  const decode = decoder(schema)
  return { json: true, decode: (body, input) => Effect.map(decode(body), (answer) => select(answer, input)) }
}

/**
 * An answer whose body is not read as JSON (a presigned upload answers nothing, or XML).
 *
 * @since 0.2.0
 * @category constructors
 */
export const ignored: Answer<void, unknown> = { json: false, decode: () => Effect.void }

/**
 * Safe to send again: a GET, the upload intent, a PUT of the same bytes.
 *
 * @since 0.2.0
 * @category constructors
 */
export const idempotent: Idempotent = { _tag: "Idempotent" }

/**
 * Reconciled before it is sent again.
 *
 * @since 0.2.0
 * @category constructors
 */
export const reconciled = <I, A>(options: Omit<Reconciled<I, A>, "_tag">): Reconciled<I, A> => ({
  _tag: "Reconciled",
  ...options
})

// ---------------------------------------------------------------------------------------------------
// What the endpoints take
// ---------------------------------------------------------------------------------------------------

/**
 * Which parts of an SR `get` returns. `sides` needs `item`, and `requirements` needs both; the type
 * makes any other combination a compile error.
 *
 * @since 0.2.0
 * @category models
 */
export type GetOptions =
  & {
    readonly summary?: boolean
    readonly user?: boolean
    readonly service?: boolean
    readonly outcome?: boolean
  }
  & (
    | { readonly item?: false; readonly sides?: never; readonly requirements?: never }
    | { readonly item: true; readonly sides?: false; readonly requirements?: never }
    | { readonly item: true; readonly sides: true; readonly requirements?: boolean }
  )

/**
 * The body of `serviceRequests.create`, in the API's own field names.
 *
 * @since 0.2.0
 * @category models
 */
export type CreateInput = typeof SR.CreateServiceRequest.Encoded

/**
 * A language for localized answers (`Accept-Language`): en, zh, ja.
 *
 * @since 0.2.0
 * @category models
 */
export type Language = "en" | "zh" | "ja" | (string & {})

/**
 * @since 0.2.0
 * @category models
 */
export interface CallOptions {
  /** Overrides the client's `Accept-Language` for this call. */
  readonly acceptLanguage?: Language
}

/**
 * Pagination of taxonomy lists: `pageNumber` ≥ 1, `pageSize` 1–100.
 *
 * @since 0.2.0
 * @category models
 */
export interface PageOptions extends CallOptions {
  readonly pageNumber?: number
  readonly pageSize?: number
  readonly sortBy?: string
  readonly sortDirection?: "asc" | "desc"
  /** Sent as `search_query`. */
  readonly search?: string
}

/**
 * Filters of `models`, by UUID.
 *
 * @since 0.2.0
 * @category models
 */
export interface ModelFilter {
  readonly brandUuid?: string
  readonly typeUuid?: string
  readonly categoryUuid?: string
}

/**
 * One page of a list, with the position the server reported.
 *
 * @since 0.2.0
 * @category models
 */
export interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly pageNumber: number
  readonly pageSize: number
  readonly totalCount: number | undefined
  readonly totalPages: number | undefined
}

/**
 * The page size the API uses when none is asked for.
 *
 * @since 0.2.0
 * @category constants
 */
export const defaultPageSize = 20

// ---------------------------------------------------------------------------------------------------
// Service requests
// ---------------------------------------------------------------------------------------------------

// Where an SR can be submitted from: a draft, or photos QC rejected and since replaced.
const isSubmittable = (sr: SR.ServiceRequest) =>
  sr.state.primary === "DRAFT" || (sr.state.primary === "QC" && sr.state.supplement === "REJECTED")

const includeQuery = (include: GetOptions): Record<string, string> => {
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

const srAttributes = (sr: string) => ({ "legitmark.sr_uuid": sr })

const encodeCreate = Schema.encodeSync(SR.CreateServiceRequest)

// `get` and `find` are declared first: `create` and `submit` reconcile through them.
const get = make({
  route: Route.routes["sr.get"],
  input: (uuid: string, include: GetOptions = {}) => Effect.map(Validation.srUuid(uuid), (sr) => ({ sr, include })),
  request: ({ include, sr }) => ({ params: { uuid: sr }, query: includeQuery(include) }),
  answer: json(SR.GetResponse, (answer) => answer.sr),
  errors: [Errors.NotFoundError],
  retry: idempotent,
  attributes: ({ sr }) => srAttributes(sr)
})

const find = make({
  route: Route.routes["sr.find"],
  input: (identifier: string) => Validation.identifier(identifier),
  // Free text (it may hold spaces or slashes): one encoded path segment.
  request: (identifier) => ({ params: { identifier } }),
  answer: json(SR.FindResponse, (answer) => ("sr" in answer ? answer.sr : answer.data)),
  errors: [Errors.NotFoundError],
  retry: idempotent
})

/**
 * The service requests (SRs): open one for an item, read it, upload progress, submit it.
 *
 * @since 0.2.0
 * @category endpoints
 */
export const serviceRequests = {
  /**
   * Opens a DRAFT SR for an item (`POST /api/v2/sr`). Sent again only when a failure proves the server
   * did not act, or once the lookup by reference id has said 404 for longer than `inDoubtWindow`; until
   * then the call fails with an `InDoubtError`, and this client sends no create for that reference id.
   */
  create: make({
    route: Route.routes["sr.create"],
    input: (input: CreateInput) => Validation.createServiceRequest(input),
    request: (body) => ({ params: {}, json: encodeCreate(body) }),
    answer: json(SR.CreateResponse, (answer) => answer.sr),
    errors: [Errors.ValidationError, Errors.ConflictError, Errors.InDoubtError],
    retry: reconciled({
      // The API has no idempotency key: an SR under this reference id that this key can read means the
      // failed create went through. The lookup is public, so one this key cannot read (another partner's
      // SKU) proves nothing either way, and the create is not re-sent. The lookup lags behind creates: its
      // 404 proves nothing until the create in doubt can no longer land (`doubt`).
      reconcile: (body: SR.CreateServiceRequest, call) =>
        call(find, body.reference_id).pipe(
          Effect.matchEffect({
            onFailure: (error) => error._tag === "NotFoundError" ? Effect.succeedNone : Effect.fail(error),
            onSuccess: (found) => Effect.map(call(get, found.uuid), Option.some)
          })
        ),
      doubt: (body) => ({ key: body.reference_id, referenceId: body.reference_id })
    }),
    attributes: (body) => ({ "legitmark.reference_id": body.reference_id })
  }),
  /** Reads an SR with the parts `include` asks for (`GET /api/v2/sr/{uuid}`). */
  get: get,
  /** Submits a DRAFT for QC and authentication (`POST /api/v2/sr/{uuid}/submit`). */
  submit: make({
    route: Route.routes["sr.submit"],
    input: (uuid: string) => Validation.srUuid(uuid),
    request: (sr) => ({ params: { uuid: sr } }),
    answer: json(SR.SubmitResponse, (answer) => answer.sr),
    errors: [Errors.ValidationError, Errors.NotFoundError, Errors.ConflictError],
    retry: reconciled({
      // A submit went through if the SR has left the state it was submitted from.
      reconcile: (sr: string, call) =>
        Effect.map(
          call(get, sr),
          (current): Option.Option<SR.SubmittedServiceRequest> =>
            isSubmittable(current) ? Option.none() : Option.some(current)
        )
    }),
    attributes: srAttributes
  }),
  /** The photo requirements of an SR, grouped (`GET /api/v2/sr/{uuid}/side-groups`). */
  sideGroups: make({
    route: Route.routes["sr.sideGroups"],
    input: (uuid: string, options: CallOptions = {}) =>
      Effect.map(Effect.zip(Validation.srUuid(uuid), Validation.callOptions(options)), ([sr, call]) => ({ sr, call })),
    request: ({ call, sr }) => ({ params: { uuid: sr }, acceptLanguage: call.acceptLanguage }),
    answer: json(Side.SideGroupsResponse, (answer) => answer.data.side_groups),
    errors: [Errors.NotFoundError],
    retry: idempotent,
    attributes: ({ sr }) => srAttributes(sr)
  }),
  /**
   * Upload progress (`GET /api/side-groups/progress`): the source of truth for whether an SR can be
   * submitted (`progress.met`). `warning` and `s3_error` flag a count the server could not complete.
   */
  progress: make({
    route: Route.routes["sr.progress"],
    input: (uuid: string) => Validation.srUuid(uuid),
    request: (sr) => ({ params: {}, query: { sr_id: sr } }),
    answer: json(Progress.ProgressResponse, (answer) => answer),
    errors: [Errors.NotFoundError],
    retry: idempotent,
    attributes: srAttributes
  }),
  /**
   * The public lookup by uuid, `micro_id`, legacy id or your `reference_id` (`GET /api/sr/find/{id}`).
   * Sent without the API key.
   */
  find: find
}

// ---------------------------------------------------------------------------------------------------
// Media
// ---------------------------------------------------------------------------------------------------

// A presigned URL may point at any storage host, but must be https (or loopback) like the API hosts.
const validateUploadUrl = (url: string) => {
  const parsed = URL.canParse(url) ? parseBaseUrl(new URL(url).origin) : undefined
  return parsed?._tag === "Right" ?
    Effect.succeed(url) :
    Effect.fail(
      new Errors.InvalidRequestError({
        message: `Invalid upload URL ${uploadUrlForMessages(url)}: it must be an https URL`,
        issues: ["upload URL must be https (or http on a loopback host)"]
      })
    )
}

// A URL as messages show it: the query of a presigned one (its signature) left out.
const uploadUrlForMessages = (url: string) => {
  const query = url.indexOf("?")
  return query >= 0 ? url.slice(0, query) : url
}

/**
 * Photo uploads: an intent on the asset host yields a presigned URL, and the bytes are PUT there, without
 * the API key.
 *
 * @since 0.2.0
 * @category endpoints
 */
export const media = {
  /** A presigned PUT URL for one side's photo (`GET /intent`), valid about 300 s. */
  intent: make({
    route: Route.routes["media.intent"],
    input: (sr: string, side: string, extension: string) =>
      Validation.intent({ sr, side, extension: extension.toLowerCase() }),
    request: (input) => ({ params: {}, query: { sr: input.sr, side: `${input.side}.${input.extension}` } }),
    answer: json(Media.IntentResponse, (answer) => answer.url),
    errors: [Errors.ValidationError, Errors.NotFoundError],
    retry: idempotent,
    attributes: (input) => ({ "legitmark.sr_uuid": input.sr, "legitmark.side_uuid": input.side })
  }),
  /**
   * PUTs a photo to a presigned URL, always with its `Content-Length` (S3 refuses a chunked body). A
   * refusal carries the storage host's XML `Code`, `Message` and `RequestId`. The bytes of a photo whose
   * stream fails are an `InvalidRequestError`.
   */
  put: make({
    route: Route.routes["media.upload"],
    input: (url: string, photo: Photo.Photo) => Effect.map(validateUploadUrl(url), (url) => ({ url, photo })),
    request: ({ photo, url }) => ({
      params: { sr: "", file: "" },
      url,
      body: { stream: exactly(photo), contentType: photo.contentType, size: photo.size }
    }),
    answer: ignored,
    errors: [Errors.InvalidRequestError, Errors.ValidationError],
    retry: idempotent,
    attributes: ({ photo }) => ({ "legitmark.bytes": photo.size, "legitmark.extension": photo.extension })
  })
}

// ---------------------------------------------------------------------------------------------------
// Taxonomy
// ---------------------------------------------------------------------------------------------------

/** Every option a taxonomy call takes, once checked. */
interface Query {
  readonly acceptLanguage?: string | undefined
  readonly pageNumber?: number | undefined
  readonly pageSize?: number | undefined
  readonly sortBy?: string | undefined
  readonly sortDirection?: "asc" | "desc" | undefined
  readonly search?: string | undefined
  readonly activeOnly?: boolean | undefined
  readonly includeCounts?: boolean | undefined
  readonly includeInactive?: boolean | undefined
  readonly brandUuid?: string | undefined
  readonly typeUuid?: string | undefined
  readonly categoryUuid?: string | undefined
}

// The documented wire names, in the order they are sent (`acceptLanguage` is a header).
const wireNames: ReadonlyArray<readonly [Exclude<keyof Query, "acceptLanguage">, string]> = [
  ["pageNumber", "page_number"],
  ["pageSize", "page_size"],
  ["sortBy", "sort_by"],
  ["sortDirection", "sort_direction"],
  ["search", "search_query"],
  ["activeOnly", "activeOnly"],
  ["includeCounts", "include_counts"],
  ["includeInactive", "include_inactive"],
  ["brandUuid", "brand_uuid"],
  ["typeUuid", "type_uuid"],
  ["categoryUuid", "category_uuid"]
]

const queryOf = (query: Query): Record<string, string> => {
  const params: Record<string, string> = {}
  for (const [option, name] of wireNames) {
    const value = query[option]
    // A blank search is no search.
    if (value !== undefined && !(typeof value === "string" && value.trim() === "")) params[name] = String(value)
  }
  return params
}

const pageAttributes = (query: Query): Record<string, unknown> => {
  const attributes: Record<string, unknown> = {}
  if (query.pageNumber !== undefined) attributes["legitmark.page_number"] = query.pageNumber
  if (query.pageSize !== undefined) attributes["legitmark.page_size"] = query.pageSize
  return attributes
}

/** A page as the server answered it; its `metadata` wins over what was asked where it says otherwise. */
const toPage = <A>(
  items: ReadonlyArray<A>,
  metadata: Taxonomy.PageMetadata | undefined,
  requested: Query
): Page<A> => ({
  items,
  pageNumber: metadata?.page_number ?? requested.pageNumber ?? 1,
  pageSize: metadata?.page_size ?? requested.pageSize ?? defaultPageSize,
  totalCount: metadata?.total_count,
  totalPages: metadata?.total_pages
})

const items = <A>(answer: { readonly data: ReadonlyArray<A> }) => answer.data

// A list of the catalog: its options in the query, its language in `Accept-Language`.
const listRequest = (query: Query) => ({ params: {}, query: queryOf(query), acceptLanguage: query.acceptLanguage })

/** One item of the catalog, by UUID (`what` names it in errors and spans), and the call's options. */
interface Lookup {
  readonly uuid: string
  readonly query: Query
}

const lookup =
  (what: string) => (uuid: string, options: CallOptions = {}): Effect.Effect<Lookup, Errors.InvalidRequestError> =>
    Effect.map(
      Effect.all([Validation.uuid(what)(uuid), Validation.callOptions(options)]),
      ([uuid, query]) => ({ uuid, query })
    )

const lookupRequest = ({ query, uuid }: Lookup) => ({
  params: { uuid },
  query: queryOf(query),
  acceptLanguage: query.acceptLanguage
})

const lookupAttributes = (what: string) => ({ uuid }: Lookup) => ({ [`legitmark.${what}`]: uuid })

/**
 * The catalog: category → type → brand → model, services, sides and rejection reasons. Every call is a
 * GET; options are checked (and mapped to the documented wire names) first.
 *
 * @since 0.2.0
 * @category endpoints
 */
export const taxonomy = {
  /** Every category with its types (`GET /api/v2/categories/tree`). */
  tree: make({
    route: Route.routes["taxonomy.tree"],
    input: (options: CallOptions & { readonly activeOnly?: boolean } = {}) => Validation.treeOptions(options),
    request: listRequest,
    answer: json(Taxonomy.TreeResponse, items),
    errors: [],
    retry: idempotent,
    attributes: pageAttributes
  }),
  /** One page of categories (`GET /api/v2/categories`). */
  categories: make({
    route: Route.routes["taxonomy.categories"],
    input: (options: PageOptions & { readonly activeOnly?: boolean } = {}) => Validation.categoryPageOptions(options),
    request: listRequest,
    answer: json(Taxonomy.CategoryListResponse, (answer, query: Query) => toPage(answer.data, answer.metadata, query)),
    errors: [],
    retry: idempotent,
    attributes: pageAttributes
  }),
  /** A category, with its sides (`GET /api/v2/categories/{uuid}`). */
  category: make({
    route: Route.routes["taxonomy.category"],
    input: lookup("category_uuid"),
    request: lookupRequest,
    answer: json(Taxonomy.CategoryResponse, (answer) => answer.data),
    errors: [Errors.NotFoundError],
    retry: idempotent,
    attributes: lookupAttributes("category_uuid")
  }),
  /** The types of a category (`GET /api/v2/categories/{uuid}/types`). */
  categoryTypes: make({
    route: Route.routes["taxonomy.categoryTypes"],
    input: lookup("category_uuid"),
    request: lookupRequest,
    answer: json(Taxonomy.TypeListResponse, items),
    errors: [Errors.NotFoundError],
    retry: idempotent,
    attributes: lookupAttributes("category_uuid")
  }),
  /** One page of types (`GET /api/v2/types`). */
  types: make({
    route: Route.routes["taxonomy.types"],
    input: (options: PageOptions = {}) => Validation.pageOptions(options),
    request: listRequest,
    answer: json(Taxonomy.TypeListResponse, (answer, query: Query) => toPage(answer.data, answer.metadata, query)),
    errors: [],
    retry: idempotent,
    attributes: pageAttributes
  }),
  /** A type, with its sides and brands (`GET /api/v2/types/{uuid}`). */
  type: make({
    route: Route.routes["taxonomy.type"],
    input: lookup("type_uuid"),
    request: lookupRequest,
    answer: json(Taxonomy.TypeResponse, (answer) => answer.data),
    errors: [Errors.NotFoundError],
    retry: idempotent,
    attributes: lookupAttributes("type_uuid")
  }),
  /** The brands of a type, optionally with their model counts and the inactive ones (`GET /api/v2/types/{uuid}/brands`). */
  typeBrands: make({
    route: Route.routes["taxonomy.typeBrands"],
    input: (
      uuid: string,
      options: CallOptions & { readonly includeCounts?: boolean; readonly includeInactive?: boolean } = {}
    ) =>
      Effect.map(
        Effect.all([Validation.uuid("type_uuid")(uuid), Validation.typeBrandsOptions(options)]),
        ([uuid, query]): Lookup => ({ uuid, query })
      ),
    request: lookupRequest,
    answer: json(Taxonomy.BrandListResponse, items),
    errors: [Errors.NotFoundError],
    retry: idempotent,
    attributes: lookupAttributes("type_uuid")
  }),
  /** One page of brands (`GET /api/v2/brands`). */
  brands: make({
    route: Route.routes["taxonomy.brands"],
    input: (options: PageOptions = {}) => Validation.pageOptions(options),
    request: listRequest,
    answer: json(Taxonomy.BrandListResponse, (answer, query: Query) => toPage(answer.data, answer.metadata, query)),
    errors: [],
    retry: idempotent,
    attributes: pageAttributes
  }),
  /** One page of models, filtered by brand, type or category (`GET /api/v2/models`). */
  models: make({
    route: Route.routes["taxonomy.models"],
    input: (options: PageOptions & ModelFilter = {}) => Validation.modelPageOptions(options),
    request: listRequest,
    // `models` is the one list under `models` rather than `data`.
    answer: json(Taxonomy.ModelListResponse, (answer, query: Query) => toPage(answer.models, answer.metadata, query)),
    errors: [],
    retry: idempotent,
    attributes: pageAttributes
  }),
  /** The authentication services (`GET /api/services`). */
  services: make({
    route: Route.routes["taxonomy.services"],
    input: (options: CallOptions = {}) => Validation.callOptions(options),
    request: listRequest,
    answer: json(
      Taxonomy.ServiceListResponse,
      (answer) => "data" in answer ? answer.data : "services" in answer ? answer.services : answer.service
    ),
    errors: [],
    retry: idempotent,
    attributes: pageAttributes
  }),
  /** A service (`GET /api/services/{uuid}`). */
  service: make({
    route: Route.routes["taxonomy.service"],
    input: lookup("service_uuid"),
    request: lookupRequest,
    answer: json(Taxonomy.ServiceResponse, (answer) => "service" in answer ? answer.service : answer.data),
    errors: [Errors.NotFoundError],
    retry: idempotent,
    attributes: lookupAttributes("service_uuid")
  }),
  /** One page of sides (`GET /api/v2/sides`). */
  sides: make({
    route: Route.routes["taxonomy.sides"],
    input: (options: PageOptions = {}) => Validation.pageOptions(options),
    request: listRequest,
    answer: json(Taxonomy.SideListResponse, (answer, query: Query) => toPage(answer.data, answer.metadata, query)),
    errors: [],
    retry: idempotent,
    attributes: pageAttributes
  }),
  /** A side (`GET /api/v2/sides/{uuid}`). */
  side: make({
    route: Route.routes["taxonomy.side"],
    input: lookup("side_uuid"),
    request: lookupRequest,
    answer: json(Taxonomy.SideResponse, (answer) => answer.data),
    errors: [Errors.NotFoundError],
    retry: idempotent,
    attributes: lookupAttributes("side_uuid")
  }),
  /** The reasons QC and authentication give for a rejection (`GET /api/v2/reasons`). */
  reasons: make({
    route: Route.routes["taxonomy.reasons"],
    input: (options: CallOptions = {}) => Validation.callOptions(options),
    request: listRequest,
    answer: json(Taxonomy.ReasonListResponse, (answer) => "data" in answer ? answer.data : answer.reasons),
    errors: [],
    retry: idempotent,
    attributes: pageAttributes
  })
}

// ---------------------------------------------------------------------------------------------------
// Every endpoint
// ---------------------------------------------------------------------------------------------------

/**
 * The endpoints by group, as the client's methods are grouped.
 *
 * @since 0.2.0
 * @category endpoints
 */
export const groups = { serviceRequests, media, taxonomy }

/**
 * @since 0.2.0
 * @category models
 */
export type Groups = typeof groups

/**
 * An endpoint's name: `"<group>.<name>"`, as its client method and its span (`Legitmark.<name>`) are named.
 *
 * @since 0.2.0
 * @category models
 */
export type Name = { [G in keyof Groups]: `${G}.${keyof Groups[G] & string}` }[keyof Groups]

/**
 * The endpoint of a name.
 *
 * @since 0.2.0
 * @category models
 */
export type ByName<N extends Name> = N extends `${infer G extends keyof Groups}.${infer K}`
  ? K extends keyof Groups[G] ? Groups[G][K] : never
  : never

/**
 * Every endpoint with its name, in the order of the groups.
 *
 * @since 0.2.0
 * @category endpoints
 */
export const all: ReadonlyArray<{ readonly name: Name; readonly endpoint: Any }> = Object.entries(groups).flatMap((
  [group, endpoints]
) =>
  Object.entries(endpoints).map(([name, endpoint]: [string, Any]) => ({ name: `${group}.${name}` as Name, endpoint }))
)
