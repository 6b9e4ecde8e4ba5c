/**
 * The Partner API's routes, named once: each one's id, method, path (with `:name` parameters), host and who
 * may call it. The client's endpoint declarations and the simulator's route table both read them, so that
 * the two cannot drift apart; a route id also names the route in the simulator's faults and counts.
 *
 * @since 0.2.0
 */

/**
 * Who may call a route: `bearer` needs the API key; `optional` checks a key only when one is sent (the
 * client sends it); `public` takes none (the client never sends it).
 *
 * @since 0.2.0
 * @category models
 */
export type Access = "bearer" | "optional" | "public"

/**
 * @since 0.2.0
 * @category models
 */
export interface Route<Id extends string = string, Path extends string = string> {
  readonly id: Id
  readonly method: "GET" | "POST" | "PUT"
  readonly path: Path
  /**
   * The API host, the upload-intent host, or the storage host a presigned upload URL names (the client
   * never builds those URLs: the intent hands them out).
   */
  readonly host: "api" | "asset" | "storage"
  readonly access: Access
}

type Segments<Path extends string> = Path extends `${infer Head}/${infer Rest}` ? Param<Head> | Segments<Rest>
  : Param<Path>

type Param<Segment extends string> = Segment extends `:${infer Name}` ? Name : never

/**
 * The parameters of a path: `Params<"/api/v2/sr/:uuid">` is `{ readonly uuid: string }`.
 *
 * @since 0.2.0
 * @category models
 */
export type Params<Path extends string> = { readonly [Name in Segments<Path>]: string }

const make = <const Id extends string, const Path extends `/${string}`>(
  id: Id,
  method: Route["method"],
  path: Path,
  host: Route["host"],
  access: Access
): Route<Id, Path> => ({ id, method, path, host, access })

/**
 * Every route of the Partner API, by id.
 *
 * @since 0.2.0
 * @category routes
 */
export const routes = {
  "sr.create": make("sr.create", "POST", "/api/v2/sr", "api", "bearer"),
  "sr.get": make("sr.get", "GET", "/api/v2/sr/:uuid", "api", "bearer"),
  "sr.submit": make("sr.submit", "POST", "/api/v2/sr/:uuid/submit", "api", "bearer"),
  "sr.sideGroups": make("sr.sideGroups", "GET", "/api/v2/sr/:uuid/side-groups", "api", "bearer"),
  "sr.progress": make("sr.progress", "GET", "/api/side-groups/progress", "api", "bearer"),
  "sr.find": make("sr.find", "GET", "/api/sr/find/:identifier", "api", "public"),
  "media.intent": make("media.intent", "GET", "/intent", "asset", "optional"),
  "media.upload": make("media.upload", "PUT", "/upload/:sr/:file", "storage", "public"),
  "taxonomy.tree": make("taxonomy.tree", "GET", "/api/v2/categories/tree", "api", "bearer"),
  "taxonomy.categories": make("taxonomy.categories", "GET", "/api/v2/categories", "api", "bearer"),
  "taxonomy.category": make("taxonomy.category", "GET", "/api/v2/categories/:uuid", "api", "bearer"),
  "taxonomy.categoryTypes": make("taxonomy.categoryTypes", "GET", "/api/v2/categories/:uuid/types", "api", "bearer"),
  "taxonomy.types": make("taxonomy.types", "GET", "/api/v2/types", "api", "bearer"),
  "taxonomy.type": make("taxonomy.type", "GET", "/api/v2/types/:uuid", "api", "bearer"),
  "taxonomy.typeBrands": make("taxonomy.typeBrands", "GET", "/api/v2/types/:uuid/brands", "api", "bearer"),
  "taxonomy.brands": make("taxonomy.brands", "GET", "/api/v2/brands", "api", "bearer"),
  "taxonomy.models": make("taxonomy.models", "GET", "/api/v2/models", "api", "bearer"),
  "taxonomy.services": make("taxonomy.services", "GET", "/api/services", "api", "bearer"),
  "taxonomy.service": make("taxonomy.service", "GET", "/api/services/:uuid", "api", "bearer"),
  "taxonomy.sides": make("taxonomy.sides", "GET", "/api/v2/sides", "api", "bearer"),
  "taxonomy.side": make("taxonomy.side", "GET", "/api/v2/sides/:uuid", "api", "bearer"),
  "taxonomy.reasons": make("taxonomy.reasons", "GET", "/api/v2/reasons", "api", "bearer")
} as const

/**
 * The id of a route of the Partner API.
 *
 * @since 0.2.0
 * @category models
 */
export type Id = keyof typeof routes

/**
 * Any route of the Partner API.
 *
 * @since 0.2.0
 * @category models
 */
export type Any = (typeof routes)[Id]

/**
 * The function that fills a path's parameters in, each URL-encoded as one path segment. Made once per path:
 * `path("/api/v2/sr/:uuid")({ uuid })`.
 *
 * @since 0.2.0
 * @category utils
 */
export const path = <Path extends string>(template: Path): (params: Params<Path>) => string => {
  // The literal parts at even indexes, the parameters' names at odd ones.
  const parts = template.split(/:([A-Za-z_]+)/)
  if (parts.length === 1) return () => template
  return (params) => {
    const values: Readonly<Record<string, string>> = params
    let out = parts[0]!
    for (let i = 1; i < parts.length; i += 2) out += encodeURIComponent(values[parts[i]!] ?? "") + parts[i + 1]!
    return out
  }
}
