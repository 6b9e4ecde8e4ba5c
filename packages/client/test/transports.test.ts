/**
 * The client's own transports (`AgentHttpClient`, on node:http, and `UndiciHttpClient`) against a real
 * `node:http` server on 127.0.0.1: what they send, what they read, how they fail, and that interruption
 * and the client's timeout abort the request on the wire. Then the `Transport` path the client sends
 * through, on every transport (the own transports' path, and the generic one over `@effect/platform`'s):
 * the same answers and the same typed failures.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { readFileSync } from "node:fs"
import {
  Agent as HttpAgent,
  createServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse
} from "node:http"
import { Agent as HttpsAgent, createServer as createHttpsServer, type Server as HttpsServer } from "node:https"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"
import * as AgentHttpClient from "../src/AgentHttpClient.js"
import * as HttpClientTransport from "../src/internal/httpClientTransport.js"
import { LegitmarkClient } from "../src/LegitmarkClient.js"
import * as RetryPolicy from "../src/RetryPolicy.js"
import * as Transport from "../src/Transport.js"
import * as UndiciHttpClient from "../src/UndiciHttpClient.js"

interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage["headers"]
  readonly body: Buffer
}

/** `server` listening on a free loopback port (answered) until the scope closes. */
const listening = (server: HttpServer | HttpsServer) =>
  Effect.acquireRelease(
    Effect.async<number>((resume) => {
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as AddressInfo).port)))
    }),
    () =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

/** A loopback server answering with `handler`, recording what it received; closed with the scope. */
const server = (
  handler: (request: IncomingMessage, response: ServerResponse, body: Buffer) => void,
  options: { readonly keepAliveTimeout?: number } = {}
) =>
  Effect.gen(function*() {
    const seen: Array<Seen> = []
    const aborted = yield* Deferred.make<void>()
    let connections = 0
    const http = createServer((request, response) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        const body = Buffer.concat(chunks)
        seen.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body })
        handler(request, response, body)
      })
      // The client went away before the answer was complete.
      response.on("close", () => {
        if (!response.writableFinished) Deferred.unsafeDone(aborted, Effect.void)
      })
    })
    http.on("connection", () => connections++)
    if (options.keepAliveTimeout !== undefined) http.keepAliveTimeout = options.keepAliveTimeout
    const port = yield* listening(http)
    return { url: `http://127.0.0.1:${port}`, seen, aborted, connections: () => connections }
  })

/** A handler that sends the headers and the start of a body, then never finishes it. */
const stallsInBody = (start: string) => (_: IncomingMessage, response: ServerResponse) => {
  response.writeHead(200, { "content-type": start.startsWith("{") ? "application/json" : "text/plain" })
  response.write(start)
}

const transports = [
  ["AgentHttpClient", AgentHttpClient.layer],
  ["UndiciHttpClient", UndiciHttpClient.layer]
] as const

const causes = (error: unknown): Array<unknown> => {
  const chain: Array<unknown> = []
  for (let current = error, depth = 0; current !== undefined && depth < 6; depth++) {
    chain.push(current)
    current = typeof current === "object" && current !== null && "cause" in current ? current.cause : undefined
  }
  return chain
}

for (const [name, transport] of transports) {
  describe(name, () => {
    // Built in the test's scope: the agents live as long as the test.
    const client = Effect.map(Layer.build(transport), Context.get(HttpClient.HttpClient))

    it.scopedLive("sends the method, path, query, headers and body; reads status, headers, text and JSON", () =>
      Effect.gen(function*() {
        const { seen, url } = yield* server((_, response, body) => {
          response.writeHead(201, { "content-type": "application/json", "x-request-id": "r-1" })
          response.end(JSON.stringify({ echoed: body.toString("utf8") }))
        })
        const http = yield* client
        const response = yield* http.execute(
          HttpClientRequest.post(`${url}/api/v2/sr`, { headers: { "user-agent": "test" } }).pipe(
            HttpClientRequest.setUrlParams({ a: "1", b: "x y" }),
            HttpClientRequest.bodyText("hello", "text/plain")
          )
        )
        expect(response.status).toBe(201)
        expect(response.headers["x-request-id"]).toBe("r-1")
        expect(yield* response.json).toEqual({ echoed: "hello" })
        // The body is read once; reading it again answers the same text.
        expect(yield* response.text).toBe(JSON.stringify({ echoed: "hello" }))
        expect(seen).toHaveLength(1)
        expect(seen[0]!.method).toBe("POST")
        expect(seen[0]!.url).toBe("/api/v2/sr?a=1&b=x+y")
        expect(seen[0]!.headers["user-agent"]).toBe("test")
        expect(seen[0]!.headers["content-type"]).toBe("text/plain")
      }))

    it.scopedLive("keeps the connection alive between requests; reads cookies", () =>
      Effect.gen(function*() {
        const { connections, url } = yield* server((_, response) => {
          response.writeHead(200, { "set-cookie": ["a=1; Path=/", "b=2; Path=/"] })
          response.end("ok")
        })
        const http = yield* client
        for (let i = 0; i < 3; i++) {
          const response = yield* http.get(`${url}/ping`)
          expect(yield* response.text).toBe("ok")
          expect(Object.keys(response.cookies.cookies).sort()).toEqual(["a", "b"])
        }
        // Fewer connections than requests (undici may open a second while the first is released).
        expect(connections()).toBeLessThan(3)
      }))

    it.scopedLive("a body read after its request was interrupted fails, and does not hang", () =>
      Effect.gen(function*() {
        const { url } = yield* server(stallsInBody("partial"))
        const http = yield* client
        const response = yield* http.get(`${url}/stalls`)
        // The first read is interrupted, which destroys the body; a second read fails at once.
        yield* Effect.timeout(response.text, "50 millis").pipe(Effect.ignore)
        const result = yield* Effect.either(Effect.timeout(response.text, "2 seconds"))
        expect(Either.isLeft(result) && result.left._tag).toBe("ResponseError")
      }))

    it.scopedLive("a body read whole is answered again by its stream", () =>
      Effect.gen(function*() {
        const { url } = yield* server((_, response) => response.end("the whole body"))
        const http = yield* client
        const response = yield* http.get(`${url}/whole`)
        expect(yield* response.text).toBe("the whole body")
        const chunks = yield* Stream.runCollect(response.stream)
        expect(Buffer.concat(Chunk.toReadonlyArray(chunks)).toString("utf8")).toBe("the whole body")
      }))

    it.scopedLive("streams a request body and a response body", () =>
      Effect.gen(function*() {
        const { seen, url } = yield* server((_, response, body) => {
          response.writeHead(200, { "content-type": "application/octet-stream" })
          response.end(body)
        })
        const http = yield* client
        const parts = ["first ", "second ", "third"].map((s) => new TextEncoder().encode(s))
        const response = yield* http.execute(
          HttpClientRequest.put(`${url}/upload`).pipe(
            HttpClientRequest.bodyStream(Stream.fromIterable(parts), { contentLength: 18 })
          )
        )
        const received = yield* Stream.runCollect(response.stream)
        expect(Buffer.concat(Chunk.toArray(received)).toString("utf8")).toBe("first second third")
        expect(seen[0]!.headers["content-length"]).toBe("18")
      }))

    it.scopedLive("sends a form and reads a form answer", () =>
      Effect.gen(function*() {
        const { seen, url } = yield* server((request, response, body) => {
          // Echo the multipart body back with its content type.
          response.writeHead(200, { "content-type": request.headers["content-type"] ?? "" })
          response.end(body)
        })
        const http = yield* client
        const sent = new FormData()
        sent.append("reference_id", "SKU-1")
        sent.append("photo", new Blob([new Uint8Array([1, 2, 3])], { type: "image/png" }), "front.png")
        const response = yield* http.execute(
          HttpClientRequest.post(`${url}/form`).pipe(HttpClientRequest.bodyFormData(sent))
        )
        expect(seen[0]!.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/)
        const form = yield* response.formData
        expect(form.get("reference_id")).toBe("SKU-1")
        const photo = form.get("photo")
        expect(photo instanceof Blob && [...new Uint8Array(yield* Effect.promise(() => photo.arrayBuffer()))])
          .toEqual([1, 2, 3])
      }))

    it.scopedLive("a request body that fails fails the request, with the body's error in the cause", () =>
      Effect.gen(function*() {
        const { url } = yield* server((_, response) => response.end())
        const http = yield* client
        const broken = new Error("the photo could not be read")
        const result = yield* Effect.either(
          http.execute(
            HttpClientRequest.put(`${url}/upload`).pipe(
              HttpClientRequest.bodyStream(
                Stream.concat(Stream.make(new Uint8Array([1, 2, 3])), Stream.fail(broken)),
                { contentLength: 10 }
              )
            )
          )
        )
        expect(Either.isLeft(result)).toBe(true)
        if (Either.isLeft(result)) {
          expect(result.left._tag).toBe("RequestError")
          expect(causes(result.left)).toContain(broken)
        }
      }))

    it.scopedLive("a refused connection is a transport error carrying Node's code", () =>
      Effect.gen(function*() {
        // A port that was just listening and is now closed.
        const closed = yield* Effect.scoped(Effect.map(server(() => {}), (s) => s.url))
        const http = yield* client
        const result = yield* Effect.either(http.get(`${closed}/api`))
        expect(Either.isLeft(result)).toBe(true)
        if (Either.isLeft(result)) {
          expect(result.left._tag).toBe("RequestError")
          const codes = causes(result.left).map((
            c
          ) => (typeof c === "object" && c !== null && "code" in c ? c.code : null))
          expect(codes).toContain("ECONNREFUSED")
        }
      }))

    it.scopedLive("interrupting a request in flight aborts it on the wire", () =>
      Effect.gen(function*() {
        const { aborted, url } = yield* server(() => {
          // Never answers.
        })
        const http = yield* client
        const fiber = yield* Effect.fork(http.get(`${url}/slow`))
        yield* Effect.sleep("100 millis")
        yield* Fiber.interrupt(fiber)
        yield* Deferred.await(aborted).pipe(Effect.timeout("5 seconds"))
      }))

    describe("keeps the client's per-attempt timeout", () => {
      const legitmark = (baseUrl: string) =>
        Effect.map(
          Layer.build(
            LegitmarkClient.layer({ apiKey: Redacted.make("leo_test"), baseUrl, timeout: "300 millis" }).pipe(
              Layer.provide(Layer.merge(transport, RetryPolicy.none))
            )
          ),
          Context.get(LegitmarkClient)
        )
      const srUuid = "8e61c991-553a-4a58-9eb6-561b64c11908"

      it.scopedLive("no answer in time: TimeoutError, and the request is aborted", () =>
        Effect.gen(function*() {
          const { aborted, url } = yield* server(() => {
            // Never answers.
          })
          const api = yield* legitmark(url)
          const result = yield* Effect.either(api.serviceRequests.get(srUuid))
          expect(Either.isLeft(result) && result.left._tag).toBe("TimeoutError")
          yield* Deferred.await(aborted).pipe(Effect.timeout("5 seconds"))
        }))

      it.scopedLive("headers in time but the body stalls: TimeoutError too, the deadline covers the body", () =>
        Effect.gen(function*() {
          const { aborted, url } = yield* server(stallsInBody("{\"success\": true, \"sr\": "))
          const api = yield* legitmark(url)
          const result = yield* Effect.either(api.serviceRequests.get(srUuid))
          expect(Either.isLeft(result) && result.left._tag).toBe("TimeoutError")
          yield* Deferred.await(aborted).pipe(Effect.timeout("5 seconds"))
        }))
    })
  })
}

// A self-signed certificate for 127.0.0.1 and localhost, made for these tests only (test/fixtures).
const tls = {
  cert: readFileSync(fileURLToPath(new URL("./fixtures/loopback-cert.pem", import.meta.url))),
  key: readFileSync(fileURLToPath(new URL("./fixtures/loopback-key.pem", import.meta.url)))
}

const tlsServer = Effect.gen(function*() {
  const https = createHttpsServer(tls, (request, response) => {
    response.writeHead(200, { "content-type": "text/plain" })
    response.end(`secure ${request.method} ${request.url}`)
  })
  const port = yield* listening(https)
  return `https://127.0.0.1:${port}`
})

describe("AgentHttpClient keep-alive", () => {
  it.scopedLive("closes an idle connection before the server's announced keep-alive timeout", () =>
    Effect.gen(function*() {
      const { connections, url } = yield* server((_, response) => response.end("ok"), { keepAliveTimeout: 2_000 })
      const http = yield* Effect.map(Layer.build(AgentHttpClient.layer), Context.get(HttpClient.HttpClient))
      expect(yield* Effect.flatMap(http.get(`${url}/a`), (r) => r.text)).toBe("ok")
      // The server announces `Keep-Alive: timeout=2`: the client lets go of the connection after 1 s idle,
      // before the server closes it, so the next request opens a new one instead of racing the close.
      yield* Effect.sleep("1500 millis")
      expect(yield* Effect.flatMap(http.get(`${url}/b`), (r) => r.text)).toBe("ok")
      expect(connections()).toBe(2)
    }))
})

describe("AgentHttpClient over TLS", () => {
  it.scopedLive("goes through the https agent, which trusts what it is given", () =>
    Effect.gen(function*() {
      const url = yield* tlsServer
      const agents = { http: new HttpAgent(), https: new HttpsAgent({ ca: tls.cert, keepAlive: true }) }
      yield* Effect.addFinalizer(() => Effect.sync(() => agents.https.destroy()))
      const http = yield* Effect.map(
        Layer.build(AgentHttpClient.layerAgents(agents)),
        Context.get(HttpClient.HttpClient)
      )
      const response = yield* http.get(`${url}/api/v2/sr?x=1`)
      expect(response.status).toBe(200)
      expect(yield* response.text).toBe("secure GET /api/v2/sr?x=1")
    }))

  it.scopedLive("refuses a certificate it does not trust: a transport error carrying Node's code", () =>
    Effect.gen(function*() {
      const url = yield* tlsServer
      const http = yield* Effect.map(Layer.build(AgentHttpClient.layer), Context.get(HttpClient.HttpClient))
      const result = yield* Effect.either(http.get(`${url}/api`))
      expect(Either.isLeft(result) && result.left._tag).toBe("RequestError")
      if (Either.isLeft(result)) {
        const codes = causes(result.left).map((
          c
        ) => (typeof c === "object" && c !== null && "code" in c ? c.code : null))
        expect(codes).toContain("DEPTH_ZERO_SELF_SIGNED_CERT")
      }
    }))
})

// Every transport's path for the client: the own transports provide theirs, any other HttpClient gets the
// generic one. The same requests must give the same answers and the same typed failures.
const paths: ReadonlyArray<readonly [string, Effect.Effect<Transport.Service, never, Scope.Scope>]> = [
  ["AgentHttpClient", Effect.map(Layer.build(AgentHttpClient.layer), Context.get(Transport.Transport))],
  ["UndiciHttpClient", Effect.map(Layer.build(UndiciHttpClient.layer), Context.get(Transport.Transport))],
  [
    "generic, over NodeHttpClient.layerUndici",
    Effect.map(
      Layer.build(NodeHttpClient.layerUndici),
      (context) => HttpClientTransport.make(Context.get(context, HttpClient.HttpClient))
    )
  ],
  [
    "generic, over FetchHttpClient.layer",
    Effect.map(
      Layer.build(FetchHttpClient.layer),
      (context) => HttpClientTransport.make(Context.get(context, HttpClient.HttpClient))
    )
  ]
]

const limits = (maxBytes = 1024, timeout?: number): Transport.Limits => ({ maxBytes, timeout })

for (const [name, path] of paths) {
  describe(`the Transport path: ${name}`, () => {
    it.scopedLive("answers the status, the headers and the body, read whole", () =>
      Effect.gen(function*() {
        const { seen, url } = yield* server((_, response, body) => {
          response.writeHead(201, { "content-type": "application/json", "x-request-id": "r-1" })
          response.end(JSON.stringify({ echoed: body.toString("utf8") }))
        })
        const transport = yield* path
        const answer = yield* transport.send(
          HttpClientRequest.post(`${url}/api/v2/sr`).pipe(
            HttpClientRequest.setUrlParams({ a: "1" }),
            HttpClientRequest.bodyText("hello", "text/plain")
          ),
          limits(1024, 5_000)
        )
        expect(answer.status).toBe(201)
        expect(answer.headers["x-request-id"]).toBe("r-1")
        expect(new TextDecoder().decode(answer.body)).toBe(JSON.stringify({ echoed: "hello" }))
        expect(seen[0]).toMatchObject({ method: "POST", url: "/api/v2/sr?a=1" })
      }))

    it.scopedLive("no answer within the deadline: Timeout, and the request is aborted on the wire", () =>
      Effect.gen(function*() {
        const { aborted, url } = yield* server(() => {
          // Never answers.
        })
        const transport = yield* path
        const failure = yield* Effect.flip(transport.send(HttpClientRequest.get(`${url}/slow`), limits(1024, 200)))
        expect(failure).toMatchObject({ _tag: "Timeout", millis: 200 })
        yield* Deferred.await(aborted).pipe(Effect.timeout("5 seconds"))
      }))

    it.scopedLive("headers in time but the body stalls: Timeout too, the deadline covers the body", () =>
      Effect.gen(function*() {
        const { aborted, url } = yield* server(stallsInBody("{\"success\": true"))
        const transport = yield* path
        const failure = yield* Effect.flip(transport.send(HttpClientRequest.get(`${url}/stalls`), limits(1024, 200)))
        expect(failure._tag).toBe("Timeout")
        yield* Deferred.await(aborted).pipe(Effect.timeout("5 seconds"))
      }))

    it.scopedLive("a body past the limit: TooLarge with the answer's status, and reading stops", () =>
      Effect.gen(function*() {
        let written = 0
        const { aborted, url } = yield* server((_, response) => {
          // No length: chunks until the client goes away, at most 64 MB.
          response.writeHead(200, { "content-type": "application/json", "x-request-id": "big" })
          const more = () => {
            while (written < 64 * 1024 * 1024 && !response.destroyed) {
              written += 1024
              if (!response.write("x".repeat(1024))) return void response.once("drain", more)
            }
            response.end()
          }
          more()
        })
        const transport = yield* path
        const failure = yield* Effect.flip(transport.send(HttpClientRequest.get(`${url}/big`), limits(4096, 5_000)))
        assert(failure._tag === "TooLarge", `expected TooLarge, got ${failure._tag}`)
        expect(failure.limit).toBe(4096)
        expect(failure.received).toBeGreaterThan(4096)
        expect(failure.head.status).toBe(200)
        expect(failure.head.headers["x-request-id"]).toBe("big")
        yield* Deferred.await(aborted).pipe(Effect.timeout("5 seconds"))
      }))

    it.scopedLive("a body whose length is past the limit: TooLarge", () =>
      Effect.gen(function*() {
        const { url } = yield* server((_, response) => {
          response.writeHead(200, { "content-length": "8192" })
          response.end("y".repeat(8192))
        })
        const transport = yield* path
        const failure = yield* Effect.flip(transport.send(HttpClientRequest.get(`${url}/big`), limits(4096)))
        expect(failure).toMatchObject({ _tag: "TooLarge", limit: 4096 })
      }))

    it.scopedLive("a refused connection: ConnectionFailed with Node's code, proven not connected", () =>
      Effect.gen(function*() {
        const closed = yield* Effect.scoped(Effect.map(server(() => {}), (s) => s.url))
        const transport = yield* path
        const failure = yield* Effect.flip(transport.send(HttpClientRequest.get(`${closed}/api`), limits()))
        expect(failure).toMatchObject({ _tag: "ConnectionFailed", code: "ECONNREFUSED", connected: false })
      }))

    it.scopedLive("a connection dropped before the answer: ConnectionFailed, which may have reached the server", () =>
      Effect.gen(function*() {
        const { url } = yield* server((request) => request.socket.destroy())
        const transport = yield* path
        const failure = yield* Effect.flip(transport.send(HttpClientRequest.get(`${url}/drop`), limits()))
        expect(failure).toMatchObject({ _tag: "ConnectionFailed", connected: true })
      }))

    it.scopedLive("an empty answer is an empty body", () =>
      Effect.gen(function*() {
        const { url } = yield* server((_, response) => {
          response.writeHead(204)
          response.end()
        })
        const transport = yield* path
        const answer = yield* transport.send(HttpClientRequest.del(`${url}/x`), limits())
        expect(answer.status).toBe(204)
        expect(answer.body.byteLength).toBe(0)
      }))

    it.scopedLive("a streamed request body that fails: RequestFailed with the stream's error", () =>
      Effect.gen(function*() {
        const { url } = yield* server((_, response) => response.end())
        const transport = yield* path
        const broken = new Error("the photo could not be read")
        const failure = yield* Effect.flip(
          transport.send(
            HttpClientRequest.put(`${url}/upload`).pipe(
              HttpClientRequest.bodyStream(
                Stream.concat(Stream.make(new Uint8Array([1, 2, 3])), Stream.fail(broken)),
                { contentLength: 10 }
              )
            ),
            limits()
          )
        )
        expect(failure).toMatchObject({ _tag: "RequestFailed", reason: "Body", cause: broken })
      }))

    it.scopedLive("interrupting a request in flight aborts it on the wire", () =>
      Effect.gen(function*() {
        const { aborted, url } = yield* server(() => {
          // Never answers.
        })
        const transport = yield* path
        const fiber = yield* Effect.fork(transport.send(HttpClientRequest.get(`${url}/slow`), limits(1024, 60_000)))
        yield* Effect.sleep("100 millis")
        yield* Fiber.interrupt(fiber)
        yield* Deferred.await(aborted).pipe(Effect.timeout("5 seconds"))
      }))
  })
}

describe("which path the client takes", () => {
  const srUuid = "8e61c991-553a-4a58-9eb6-561b64c11908"
  const answering = server((_, response) => {
    response.writeHead(404, { "content-type": "application/json" })
    response.end(JSON.stringify({ success: false, error: { message: "Not found" } }))
  })
  const client = (transport: Layer.Layer<HttpClient.HttpClient | Transport.Transport>, baseUrl: string) =>
    Effect.map(
      Layer.build(
        LegitmarkClient.layer({ apiKey: Redacted.make("leo_test"), baseUrl }).pipe(
          Layer.provide(Layer.merge(transport, RetryPolicy.none))
        )
      ),
      Context.get(LegitmarkClient)
    )

  // The own transport's path, counting what goes through it.
  const counted = (sent: Array<string>) =>
    Layer.effectContext(
      Effect.map(Transport.Transport, (own) =>
        Context.make(HttpClient.HttpClient, own.httpClient).pipe(
          Context.add(Transport.Transport, {
            ...own,
            send: (request, limits) =>
              Effect.zipRight(Effect.sync(() => sent.push(request.url)), own.send(request, limits))
          })
        ))
    ).pipe(Layer.provide(AgentHttpClient.layer))

  it.scopedLive("the transport's own path, offered for the HttpClient it was given", () =>
    Effect.gen(function*() {
      const { seen, url } = yield* answering
      const sent: Array<string> = []
      const api = yield* client(counted(sent), url)
      const error = yield* Effect.flip(api.serviceRequests.get(srUuid))
      expect(error._tag).toBe("NotFoundError")
      expect(sent).toEqual([`${url}/api/v2/sr/${srUuid}`])
      expect(seen).toHaveLength(1)
    }))

  it.scopedLive("the generic path for a wrapped HttpClient, even when its transport offers a path", () =>
    Effect.gen(function*() {
      const { seen, url } = yield* answering
      const sent: Array<string> = []
      const wrapped = Layer.effectContext(
        Effect.map(Effect.context<HttpClient.HttpClient | Transport.Transport>(), (context) =>
          Context.add(
            context,
            HttpClient.HttpClient,
            HttpClient.mapRequest(
              Context.get(context, HttpClient.HttpClient),
              HttpClientRequest.setHeader("x-wrapped", "yes")
            )
          ))
      ).pipe(Layer.provide(counted(sent)))
      const api = yield* client(wrapped, url)
      const error = yield* Effect.flip(api.serviceRequests.get(srUuid))
      expect(error._tag).toBe("NotFoundError")
      // The wrapper ran; the path of the HttpClient it wraps was not taken around it.
      expect(sent).toEqual([])
      expect(seen[0]?.headers["x-wrapped"]).toBe("yes")
    }))
})
