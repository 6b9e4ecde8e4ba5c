import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url))
const tsx = fileURLToPath(new URL("../../../node_modules/.bin/tsx", import.meta.url))

/** Runs the bin on a free port and answers the base URL it prints; the process ends with the scope. */
const runBin = (args: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly kill: () => void }, Error>((resume) => {
      const child = spawn(tsx, [bin, "--port", "0", ...args], { stdio: ["ignore", "pipe", "pipe"] })
      let out = ""
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString("utf8")
        const match = /listening on (http:\/\/\S+)/.exec(out)
        if (match?.[1] !== undefined) resume(Effect.succeed({ url: match[1], kill: () => child.kill("SIGTERM") }))
      })
      child.on("exit", (code) => resume(Effect.fail(new Error(`bin exited with ${code}: ${out}`))))
    }),
    (running) => Effect.sync(running.kill)
  )

describe("legitmark-simulator bin", () => {
  it.live("serves the API with the given key and rate limit", () =>
    Effect.gen(function*() {
      const { url } = yield* runBin([
        "--api-key",
        "leo_bin",
        "--rate-limit",
        "2/60",
        "--manual-clock",
        "--webhook-secret",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
      ])
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
      const get = (key: string) =>
        Effect.promise(() => fetch(`${url}/api/v2/reasons`, { headers: { authorization: `Bearer ${key}` } }))
      assert.strictEqual((yield* get("leo_other")).status, 403)
      const ok = yield* get("leo_bin")
      assert.strictEqual(ok.status, 200)
      assert.strictEqual(ok.headers.get("x-ratelimit-limit-partner"), "2")
      yield* get("leo_bin")
      assert.strictEqual((yield* get("leo_bin")).status, 429)
    }).pipe(Effect.scoped))

  it.live("refuses a --webhook-secret that is not base64", () =>
    Effect.gen(function*() {
      const refused = yield* Effect.async<{ readonly code: number | null; readonly stderr: string }>((resume) => {
        const child = spawn(tsx, [bin, "--port", "0", "--webhook-secret", "hunter2"], {
          stdio: ["ignore", "pipe", "pipe"]
        })
        let stderr = ""
        child.stderr.on("data", (chunk: Buffer) => stderr += chunk.toString("utf8"))
        child.on("exit", (code) => resume(Effect.succeed({ code, stderr })))
      })
      assert.strictEqual(refused.code, 2)
      assert.include(refused.stderr, "--webhook-secret must be base64, after an optional whsec_ prefix")
    }))
})
