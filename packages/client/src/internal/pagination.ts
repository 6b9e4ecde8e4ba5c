/**
 * Every item of a paginated list as a lazy `Stream`, page after page.
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type * as Endpoints from "../Endpoints.js"

/**
 * Whether a page after `pageNumber` may hold items: up to `total_pages` when the server reports it,
 * otherwise for as long as pages come back full. An empty page always ends the walk, so a server that
 * misreports its totals cannot make it loop.
 */
export const hasNext = <A>(page: Endpoints.Page<A>, pageNumber: number): boolean =>
  page.items.length > 0 &&
  (page.totalPages === undefined ? page.items.length >= page.pageSize : pageNumber < page.totalPages)

/**
 * Every item of every page, fetching page n + 1 only once the items of page n have been pulled.
 * Pages are numbered by what was asked, not by what the server echoes.
 */
export const stream = <A, E>(
  fetchPage: (pageNumber: number) => Effect.Effect<Endpoints.Page<A>, E>
): Stream.Stream<A, E> =>
  Stream.paginateChunkEffect(1, (pageNumber: number) =>
    Effect.map(fetchPage(pageNumber), (page) =>
      [
        Chunk.fromIterable(page.items),
        hasNext(page, pageNumber) ? Option.some(pageNumber + 1) : Option.none()
      ] as const))
