/**
 * A loopback proxy in front of the simulator that plays the two hazards of creating an SR: the create
 * goes through but its connection drops before the answer (the client cannot know), and the lookup by
 * reference id lags behind the create (it answers 404 for a while, as replication and caches do).
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

export interface Options {
  /** The simulator to forward to. */
  readonly target: string
  /** Creates whose connection is dropped after the simulator answered. */
  readonly droppedCreates: number
  /** After each create, how many lookups of its reference id answer 404 before the real answer. */
  readonly lookupLag: number
}

export interface LaggingApi {
  readonly url: string
  /** Lookups answered 404 by the lag. */
  readonly lagged: () => number
}

const notFound = JSON.stringify({
  success: false,
  error: { code: 404, timestamp: new Date(0).toISOString(), message: "Service request not found" }
})

export const start = (options: Options): Effect.Effect<LaggingApi, never, Scope.Scope> =>
  Effect.gen(function*() {
    const target = new URL(options.target)
    let creates = 0
    let lagLeft = 0
    let lagged = 0
    const server = yield* Effect.acquireRelease(
      Effect.async<Http.Server>((resume) => {
        const s = Http.createServer((req, res) => {
          const isCreate = req.method === "POST" && req.url === "/api/v2/sr"
          if (req.method === "GET" && req.url?.startsWith("/api/sr/find/") && lagLeft > 0) {
            lagLeft--
            lagged++
            req.resume()
            res.writeHead(404, { "content-type": "application/json" }).end(notFound)
            return
          }
          const upstream = Http.request({
            host: target.hostname,
            port: target.port,
            method: req.method,
            path: req.url,
            headers: { ...req.headers, host: target.host }
          }, (answer) => {
            if (isCreate) {
              creates++
              lagLeft = options.lookupLag
              if (creates <= options.droppedCreates) {
                // The SR exists now; the client never hears of it.
                answer.resume()
                answer.once("end", () => req.socket.destroy())
                return
              }
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers)
            answer.pipe(res)
          })
          upstream.once("error", () => req.socket.destroy())
          req.pipe(upstream)
        })
        s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
      }),
      (s) =>
        Effect.async<void>((resume) => {
          s.closeAllConnections()
          s.close(() => resume(Effect.void))
        })
    )
    const { port } = server.address() as AddressInfo
    return { url: `http://127.0.0.1:${port}`, lagged: () => lagged }
  })
