/**
 * A minimal loopback server for the per-request case: a plain `node:http` server, in its own process so
 * its CPU is not counted as the client's, answering every request with the published full-SR payload
 * (and rate-limit headers with a limit that is never reached, as the real API sends them).
 *
 *   tsx bench/server.ts            prints "listening on http://127.0.0.1:<port>"
 */
import { createServer } from "node:http"
import { fullServiceRequestBody } from "./lib/fixture.js"

const body = Buffer.from(fullServiceRequestBody, "utf8")
const headers = {
  "content-type": "application/json; charset=utf-8",
  "content-length": String(body.byteLength),
  "x-request-id": "bench",
  "x-ratelimit-limit-partner": "1000000000",
  "x-ratelimit-remaining-partner": "999999999",
  "x-ratelimit-reset-partner": String(Math.ceil(Date.now() / 1000) + 3600),
  "x-ratelimit-limit-user": "1000000000",
  "x-ratelimit-remaining-user": "999999999",
  "x-ratelimit-reset-user": String(Math.ceil(Date.now() / 1000) + 3600)
}

const server = createServer((request, response) => {
  // Drain whatever was sent, then answer.
  request.resume()
  request.on("end", () => {
    response.writeHead(200, headers)
    response.end(body)
  })
})
server.keepAliveTimeout = 60_000
server.headersTimeout = 61_000
server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  process.stdout.write(`listening on http://127.0.0.1:${port}\n`)
})

const stop = () => server.close(() => process.exit(0))
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
// The orchestrator closes our stdin when it exits, however it exits.
process.stdin.on("end", stop)
process.stdin.resume()
