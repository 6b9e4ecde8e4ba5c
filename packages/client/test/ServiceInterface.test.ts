/**
 * The client's service interface as it was before its methods were derived from the endpoint
 * declarations (`Endpoints`), written out by hand: the derived one must stay exactly the same type, every
 * method's parameters, value and error union included.
 */
import type * as Media_ from "@effect-legitmark/schema/Media"
import type * as Progress from "@effect-legitmark/schema/Progress"
import type * as SR from "@effect-legitmark/schema/ServiceRequest"
import type * as Side from "@effect-legitmark/schema/Side"
import type * as Taxonomy_ from "@effect-legitmark/schema/Taxonomy"
import { describe, expectTypeOf, it } from "@effect/vitest"
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import type { LegitmarkClient } from "../src/LegitmarkClient.js"
import type * as Errors from "../src/LegitmarkError.js"
import type * as Photo from "../src/Photo.js"

export declare namespace Frozen {
  /**
   * Which parts of an SR `get` returns. `sides` needs `item`, and `requirements` needs both; the type
   * makes any other combination a compile error.
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
   */
  export type CreateInput = typeof SR.CreateServiceRequest.Encoded

  export interface ServiceRequests {
    /**
     * Opens a DRAFT SR for an item (`POST /api/v2/sr`). Sent again only when a failure proves the server
     * did not act, or once the lookup by reference id has said 404 for longer than `inDoubtWindow`; until
     * then the call fails with an `InDoubtError`, and this client sends no create for that reference id.
     */
    readonly create: (
      input: CreateInput
    ) => Effect.Effect<
      SR.ServiceRequest,
      | Errors.InvalidRequestError
      | Errors.ValidationError
      | Errors.ConflictError
      | Errors.InDoubtError
      | Errors.CommonError
    >
    /** Reads an SR with the parts `include` asks for (`GET /api/v2/sr/{uuid}`). */
    readonly get: (
      uuid: string,
      include?: GetOptions
    ) => Effect.Effect<SR.ServiceRequest, Errors.InvalidRequestError | Errors.NotFoundError | Errors.CommonError>
    /** Submits a DRAFT for QC and authentication (`POST /api/v2/sr/{uuid}/submit`). */
    readonly submit: (
      uuid: string
    ) => Effect.Effect<
      SR.SubmittedServiceRequest,
      | Errors.InvalidRequestError
      | Errors.ValidationError
      | Errors.NotFoundError
      | Errors.ConflictError
      | Errors.CommonError
    >
    /** The photo requirements of an SR, grouped (`GET /api/v2/sr/{uuid}/side-groups`). */
    readonly sideGroups: (
      uuid: string,
      options?: CallOptions
    ) => Effect.Effect<
      ReadonlyArray<Side.SideGroup>,
      Errors.InvalidRequestError | Errors.NotFoundError | Errors.CommonError
    >
    /**
     * Upload progress (`GET /api/side-groups/progress`): the source of truth for whether an SR can be
     * submitted (`progress.met`). `warning` and `s3_error` flag a count the server could not complete.
     */
    readonly progress: (
      uuid: string
    ) => Effect.Effect<
      Progress.ProgressResponse,
      Errors.InvalidRequestError | Errors.NotFoundError | Errors.CommonError
    >
    /**
     * The public lookup by uuid, `micro_id`, legacy id or your `reference_id` (`GET /api/sr/find/{id}`).
     * Sent without the API key.
     */
    readonly find: (
      identifier: string
    ) => Effect.Effect<SR.ServiceRequest, Errors.InvalidRequestError | Errors.NotFoundError | Errors.CommonError>
  }

  /**
   * A language for localized answers (`Accept-Language`): en, zh, ja.
   */
  export type Language = "en" | "zh" | "ja" | (string & {})

  export interface CallOptions {
    /** Overrides the client's `Accept-Language` for this call. */
    readonly acceptLanguage?: Language
  }

  /**
   * Pagination of taxonomy lists: `pageNumber` ≥ 1, `pageSize` 1–100.
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
   * One page of a list, with the position the server reported.
   */
  export interface Page<A> {
    readonly items: ReadonlyArray<A>
    readonly pageNumber: number
    readonly pageSize: number
    readonly totalCount: number | undefined
    readonly totalPages: number | undefined
  }

  /**
   * The failures of a lookup by id.
   */
  export type LookupError = Errors.InvalidRequestError | Errors.NotFoundError | Errors.CommonError

  /**
   * The failures of a list.
   */
  export type ListError = Errors.InvalidRequestError | Errors.CommonError

  /**
   * The catalog: category → type → brand → model, services, sides and rejection reasons. Paginated
   * lists come page by page and as a lazy `Stream` of every item (`stream*`), which fetches a page only
   * when its items are pulled.
   */
  export interface Taxonomy {
    /** Every category with its types (`GET /api/v2/categories/tree`). */
    readonly tree: (
      options?: CallOptions & { readonly activeOnly?: boolean }
    ) => Effect.Effect<ReadonlyArray<Taxonomy_.Category>, ListError>
    readonly categories: (
      options?: PageOptions & { readonly activeOnly?: boolean }
    ) => Effect.Effect<Page<Taxonomy_.Category>, ListError>
    readonly streamCategories: (
      options?: Omit<PageOptions, "pageNumber"> & { readonly activeOnly?: boolean }
    ) => Stream.Stream<Taxonomy_.Category, ListError>
    readonly category: (uuid: string, options?: CallOptions) => Effect.Effect<Taxonomy_.Category, LookupError>
    readonly categoryTypes: (
      uuid: string,
      options?: CallOptions
    ) => Effect.Effect<ReadonlyArray<Taxonomy_.Type>, LookupError>
    readonly types: (options?: PageOptions) => Effect.Effect<Page<Taxonomy_.Type>, ListError>
    readonly streamTypes: (options?: Omit<PageOptions, "pageNumber">) => Stream.Stream<Taxonomy_.Type, ListError>
    readonly type: (uuid: string, options?: CallOptions) => Effect.Effect<Taxonomy_.Type, LookupError>
    readonly typeBrands: (
      uuid: string,
      options?: CallOptions & { readonly includeCounts?: boolean; readonly includeInactive?: boolean }
    ) => Effect.Effect<ReadonlyArray<Taxonomy_.Brand>, LookupError>
    readonly brands: (options?: PageOptions) => Effect.Effect<Page<Taxonomy_.Brand>, ListError>
    readonly streamBrands: (options?: Omit<PageOptions, "pageNumber">) => Stream.Stream<Taxonomy_.Brand, ListError>
    readonly models: (options?: PageOptions & ModelFilter) => Effect.Effect<Page<Taxonomy_.Model>, ListError>
    readonly streamModels: (
      options?: Omit<PageOptions, "pageNumber"> & ModelFilter
    ) => Stream.Stream<Taxonomy_.Model, ListError>
    readonly services: (options?: CallOptions) => Effect.Effect<ReadonlyArray<Taxonomy_.Service>, ListError>
    readonly service: (uuid: string, options?: CallOptions) => Effect.Effect<Taxonomy_.Service, LookupError>
    readonly sides: (options?: PageOptions) => Effect.Effect<Page<Side.Side>, ListError>
    readonly streamSides: (options?: Omit<PageOptions, "pageNumber">) => Stream.Stream<Side.Side, ListError>
    readonly side: (uuid: string, options?: CallOptions) => Effect.Effect<Side.Side, LookupError>
    readonly reasons: (options?: CallOptions) => Effect.Effect<ReadonlyArray<Taxonomy_.Reason>, ListError>
  }

  /**
   * Filters of `models`, by UUID.
   */
  export interface ModelFilter {
    readonly brandUuid?: string
    readonly typeUuid?: string
    readonly categoryUuid?: string
  }

  /**
   * What an upload sent.
   */
  export interface Upload {
    readonly sr: string
    readonly side: string
    readonly extension: Media_.Extension
    readonly size: number
  }

  /**
   * Photo uploads: an intent on the asset host yields a presigned URL, and the bytes are PUT there,
   * without the API key.
   */
  export interface Media {
    /** A presigned PUT URL for one side's photo (`GET /intent`), valid about 300 s. */
    readonly intent: (
      sr: string,
      side: string,
      extension: string
    ) => Effect.Effect<
      string,
      Errors.InvalidRequestError | Errors.ValidationError | Errors.NotFoundError | Errors.CommonError
    >
    /**
     * PUTs a photo to a presigned URL, always with its `Content-Length` (S3 refuses a chunked body). Bytes
     * are checked as `Photo.fromBytes` checks them. A refusal carries the storage host's XML `Code`,
     * `Message` and `RequestId`.
     */
    readonly put: {
      (
        url: string,
        photo: Photo.Photo
      ): Effect.Effect<void, Errors.InvalidRequestError | Errors.ValidationError | Errors.CommonError>
      (
        url: string,
        bytes: Uint8Array,
        extension: string
      ): Effect.Effect<void, Errors.InvalidRequestError | Errors.ValidationError | Errors.CommonError>
    }
    /**
     * Intent then PUT, asking once for a fresh URL when the first one was refused (expired). Build the
     * photo with `Photo.fromPath`, `Photo.fromBytes` or `Photo.fromStream`, which check it first.
     */
    readonly upload: (
      sr: string,
      side: string,
      photo: Photo.Photo
    ) => Effect.Effect<
      Upload,
      Errors.InvalidRequestError | Errors.ValidationError | Errors.NotFoundError | Errors.CommonError
    >
  }

  export interface Service {
    readonly serviceRequests: ServiceRequests
    readonly media: Media
    readonly taxonomy: Taxonomy
  }
}

// These checks run in `pnpm check` (tsc); the runtime assertions are trivially true.
describe("the service interface", () => {
  it("is the one written out by hand, group by group", () => {
    expectTypeOf<LegitmarkClient.ServiceRequests>().toEqualTypeOf<Frozen.ServiceRequests>()
    expectTypeOf<LegitmarkClient.Media>().toEqualTypeOf<Frozen.Media>()
    expectTypeOf<LegitmarkClient.Taxonomy>().toEqualTypeOf<Frozen.Taxonomy>()
    expectTypeOf<LegitmarkClient.Service>().toEqualTypeOf<Frozen.Service>()
  })

  it("keeps the names of its types", () => {
    expectTypeOf<LegitmarkClient.GetOptions>().toEqualTypeOf<Frozen.GetOptions>()
    expectTypeOf<LegitmarkClient.CreateInput>().toEqualTypeOf<Frozen.CreateInput>()
    expectTypeOf<LegitmarkClient.CallOptions>().toEqualTypeOf<Frozen.CallOptions>()
    expectTypeOf<LegitmarkClient.PageOptions>().toEqualTypeOf<Frozen.PageOptions>()
    expectTypeOf<LegitmarkClient.Page<string>>().toEqualTypeOf<Frozen.Page<string>>()
    expectTypeOf<LegitmarkClient.ModelFilter>().toEqualTypeOf<Frozen.ModelFilter>()
    expectTypeOf<LegitmarkClient.LookupError>().toEqualTypeOf<Frozen.LookupError>()
    expectTypeOf<LegitmarkClient.ListError>().toEqualTypeOf<Frozen.ListError>()
    expectTypeOf<LegitmarkClient.Upload>().toEqualTypeOf<Frozen.Upload>()
    expectTypeOf<LegitmarkClient.Language>().toEqualTypeOf<Frozen.Language>()
  })
})
