/**
 * Pages of taxonomy lists: reading the server's `metadata` into a `Page`, and walking every page as a
 * lazy `Stream`.
 */
import type { PageMetadata } from "@effect-legitmark/schema/Taxonomy"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { LegitmarkClient } from "../LegitmarkClient.js"

/** The page size the API uses when none is asked for. */
export const defaultPageSize = 20

/** What the caller asked for; the server's `metadata` wins where it says otherwise. */
export interface Requested {
  readonly pageNumber?: number | undefined
  readonly pageSize?: number | undefined
}

export const toPage = <A>(
  items: ReadonlyArray<A>,
  metadata: PageMetadata | undefined,
  requested: Requested
): LegitmarkClient.Page<A> => ({
  items,
  pageNumber: metadata?.page_number ?? requested.pageNumber ?? 1,
  pageSize: metadata?.page_size ?? requested.pageSize ?? defaultPageSize,
  totalCount: metadata?.total_count,
  totalPages: metadata?.total_pages
})

/**
 * Whether a page after `pageNumber` may hold items: up to `total_pages` when the server reports it,
 * otherwise for as long as pages come back full. An empty page always ends the walk, so a server that
 * misreports its totals cannot make it loop.
 */
export const hasNext = <A>(page: LegitmarkClient.Page<A>, pageNumber: number): boolean =>
  page.items.length > 0 &&
  (page.totalPages === undefined ? page.items.length >= page.pageSize : pageNumber < page.totalPages)

/**
 * Every item of every page, fetching page n + 1 only once the items of page n have been pulled.
 * Pages are numbered by what was asked, not by what the server echoes.
 */
export const stream = <A, E>(
  fetchPage: (pageNumber: number) => Effect.Effect<LegitmarkClient.Page<A>, E>
): Stream.Stream<A, E> =>
  Stream.paginateChunkEffect(1, (pageNumber: number) =>
    Effect.map(fetchPage(pageNumber), (page) =>
      [
        Chunk.fromIterable(page.items),
        hasNext(page, pageNumber) ? Option.some(pageNumber + 1) : Option.none()
      ] as const))
