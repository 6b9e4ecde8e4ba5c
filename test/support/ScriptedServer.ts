/**
 * A small real HTTP server on 127.0.0.1 for end-to-end tests: each test scripts the answers, and the
 * server records every request it received. Built on `node:http` because some answers need direct
 * control of the socket (dropping a connection without answering).
 *
 * Test support only, until `@effect-legitmark/simulator` can play these faults.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { pipeline, Readable } from "node:stream"

/** A request as the server received it. Header names are lower case. */
export interface RecordedRequest {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/**
 * One answer. `delayMs` waits before answering (or dropping). `bodyDelayMs` sends the status and headers
 * at once but holds the body back that long. `drop: "before-response"` destroys the socket once the
 * request has been read, without sending a byte back; `drop: "after-headers"` sends the status, the
 * headers and half the body first. `chunks` streams a body of any length (endless, even) with
 * backpressure, until it ends or the client hangs up.
 */
export type Answer =
  | {
    readonly status: number
    readonly headers?: Readonly<Record<string, string>>
    readonly body?: string
    readonly delayMs?: number
    readonly bodyDelayMs?: number
  }
  | {
    readonly status: number
    readonly headers?: Readonly<Record<string, string>>
    readonly chunks: () => AsyncIterable<Uint8Array>
    readonly delayMs?: number
  }
  | { readonly drop: "before-response"; readonly delayMs?: number }
  | {
    readonly drop: "after-headers"
    readonly status: number
    readonly headers?: Readonly<Record<string, string>>
    readonly body: string
    readonly delayMs?: number
  }

/** The answers in order (the last one repeats once they run out), or a function of the nth request (0-based). */
export type Script = ReadonlyArray<Answer> | ((request: RecordedRequest, n: number) => Answer)

export interface ScriptedServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string
  /** Every request received so far, in order of arrival. */
  readonly requests: Effect.Effect<ReadonlyArray<RecordedRequest>>
  /** Body bytes of `chunks` answers handed to the sockets so far. */
  readonly bytesSent: Effect.Effect<number>
}

/** A JSON answer. */
export const json = (
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {}
): Answer => ({
  status,
  headers: { "content-type": "application/json; charset=utf-8", ...headers },
  body: JSON.stringify(body)
})

/** Destroys the connection without answering. */
export const drop: Answer = { drop: "before-response" }

/** Sends the status, the headers and the first half of `body`, then destroys the connection. */
export const dropAfterHeaders = (status: number, body: string): Answer => ({
  drop: "after-headers",
  status,
  headers: { "content-type": "application/json; charset=utf-8", "content-length": String(Buffer.byteLength(body)) },
  body
})

const answerFor = (script: Script, request: RecordedRequest, n: number): Answer => {
  if (typeof script === "function") return script(request, n)
  const answer = script[Math.min(n, script.length - 1)]
  if (answer === undefined) throw new Error("ScriptedServer: the script has no answers")
  return answer
}

const headersOf = (request: Http.IncomingMessage): Record<string, string> => {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value
  }
  return headers
}

const listen = (server: Http.Server): Effect.Effect<number> =>
  Effect.async<number>((resume) => {
    const onError = (error: Error) => resume(Effect.die(error))
    server.once("error", onError)
    server.listen(0, "127.0.0.1", () => {
      server.off("error", onError)
      resume(Effect.succeed((server.address() as AddressInfo).port))
    })
  })

const close = (server: Http.Server): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    // Drop keep-alive and in-flight connections, or `close` would wait for the clients to hang up.
    server.closeAllConnections()
    server.close(() => resume(Effect.void))
  })

/**
 * Starts a server answering from `script`; it is closed (every connection destroyed, pending delayed
 * answers cancelled) when the scope closes.
 */
export const make = (script: Script): Effect.Effect<ScriptedServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const received: Array<RecordedRequest> = []
    let sent = 0
    const timers = new Set<NodeJS.Timeout>()

    const later = (ms: number, f: () => void) => {
      const timer = setTimeout(() => {
        timers.delete(timer)
        f()
      }, ms)
      timers.add(timer)
    }

    const respond = (answer: Answer, request: Http.IncomingMessage, response: Http.ServerResponse) => {
      if (response.destroyed) return
      if ("drop" in answer) {
        if (answer.drop === "after-headers") {
          response.writeHead(answer.status, { ...answer.headers })
          response.write(answer.body.slice(0, Math.floor(answer.body.length / 2)), () => request.socket.destroy())
        } else {
          request.socket.destroy()
        }
        return
      }
      response.writeHead(answer.status, { ...answer.headers })
      if ("chunks" in answer) {
        const counted = async function*() {
          for await (const chunk of answer.chunks()) {
            sent += chunk.byteLength
            yield chunk
          }
        }
        // Stops (and drops the generator) when the client hangs up.
        return pipeline(Readable.from(counted()), response, () => {})
      }
      if (answer.bodyDelayMs === undefined) return response.end(answer.body ?? "")
      response.flushHeaders()
      later(answer.bodyDelayMs, () => {
        if (!response.destroyed) response.end(answer.body ?? "")
      })
    }

    const server = Http.createServer((request, response) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        const recorded: RecordedRequest = {
          method: request.method ?? "",
          url: request.url ?? "",
          headers: headersOf(request),
          body: Buffer.concat(chunks).toString("utf8")
        }
        received.push(recorded)
        const answer = answerFor(script, recorded, received.length - 1)
        if (answer.delayMs === undefined) return respond(answer, request, response)
        later(answer.delayMs, () => respond(answer, request, response))
      })
    })

    const port = yield* Effect.acquireRelease(listen(server), () =>
      Effect.suspend(() => {
        for (const timer of timers) clearTimeout(timer)
        timers.clear()
        return close(server)
      }))

    return {
      url: `http://127.0.0.1:${port}`,
      requests: Effect.sync(() => received.slice()),
      bytesSent: Effect.sync(() => sent)
    }
  })

/**
 * The URL of a port on 127.0.0.1 where nothing listens: a server is started on a free port and closed
 * again, so connecting to it is refused.
 */
export const deadUrl: Effect.Effect<string> = Effect.scoped(Effect.map(make([drop]), (server) => server.url))
