import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url))
const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
// Node with tsx's loader, as `tsx` itself runs it (its CLI would start a second process).
const root = fileURLToPath(new URL("../../..", import.meta.url))

/** Runs the bin on a free port and answers the base URL it prints; the process ends with the scope. */
const runBin = (args: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly kill: () => void }, Error>((resume) => {
      const child = spawn(process.execPath, ["--import", "tsx", bin, ...args], {
        cwd: root,
        stdio: ["ignore", "pipe", "pipe"]
      })
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
        "--port",
        "0",
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

  it.live("takes its options after the `--` that `pnpm start -- --port 4010` hands on", () =>
    Effect.gen(function*() {
      const { url } = yield* runBin(["--", "--port", "0", "--api-key", "leo_bin"])
      const answer = yield* Effect.promise(() =>
        fetch(`${url}/api/v2/reasons`, { headers: { authorization: "Bearer leo_bin" } })
      )
      assert.strictEqual(answer.status, 200)
    }).pipe(Effect.scoped))

  it.live("a bad invocation: one line saying what is wrong, then the usage, exit 2", () =>
    Effect.forEach(
      [
        [["--bogus"], "legitmark-simulator: Unknown option '--bogus'"],
        [["--port"], "legitmark-simulator: Option '--port <value>' argument missing"],
        [["stray"], "legitmark-simulator: Unexpected argument 'stray'"],
        [["--port", "eighty"], "legitmark-simulator: --port must be a number"],
        [["--sr-payload", "xml"], "legitmark-simulator: --sr-payload must be docs or sdk"],
        [
          ["--webhook-secret", "hunter2"],
          "legitmark-simulator: --webhook-secret must be base64, after an optional whsec_ prefix"
        ]
      ] as const,
      ([args, line]) =>
        Effect.map(runOnce(args), ({ code, stderr, stdout }) => {
          assert.strictEqual(code, 2, args.join(" "))
          assert.strictEqual(stdout, "")
          const [first, blank, usage] = stderr.split("\n")
          assert.strictEqual(first, line)
          assert.strictEqual(blank, "")
          assert.strictEqual(usage, "Usage: legitmark-simulator [options]")
          assert.notMatch(stderr, /\n\s+at /)
        }),
      { concurrency: "unbounded", discard: true }
    ))

  it.live("--version prints the package's version; --help the usage", () =>
    Effect.gen(function*() {
      const [version, help] = yield* Effect.all([runOnce(["--version"]), runOnce(["--help"])], {
        concurrency: "unbounded"
      })
      assert.strictEqual(version.code, 0)
      assert.strictEqual(version.stdout, `${manifest.version}\n`)
      assert.strictEqual(help.code, 0)
      assert.match(help.stdout, /^Usage: legitmark-simulator \[options\]\n/)
      assert.include(help.stdout, "--sr-payload docs|sdk")
    }))
})

/** Runs the bin to its end: its exit code and what it printed. */
const runOnce = (args: ReadonlyArray<string>) =>
  Effect.async<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }>((resume) => {
    const child = spawn(process.execPath, ["--import", "tsx", bin, ...args], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => stdout += chunk.toString("utf8"))
    child.stderr.on("data", (chunk: Buffer) => stderr += chunk.toString("utf8"))
    child.on("close", (code) => resume(Effect.succeed({ code, stdout, stderr })))
    return Effect.sync(() => child.kill())
  })
