/**
 * Every example runs as a user would run it (`tsx examples/<name>.ts`, no LEGITMARK_API_KEY, so on
 * the simulator it starts in-process) and must exit 0 with the output it promises.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { execFile, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))

const exampleEnv = (extra: Readonly<Record<string, string>> = {}) => {
  const env = { ...process.env, ...extra }
  for (const name of ["LEGITMARK_API_KEY", "LEGITMARK_BASE_URL", "LEGITMARK_ASSET_URL"]) delete env[name]
  return env
}

const run = (script: string, args: ReadonlyArray<string> = [], extraEnv: Readonly<Record<string, string>> = {}) =>
  Effect.async<{ readonly code: number; readonly output: string }>((resume) => {
    const child = execFile(
      process.execPath,
      ["--import", "tsx", `examples/${script}`, ...args],
      { cwd: root, env: exampleEnv(extraEnv), timeout: 90_000 },
      (error, stdout, stderr) =>
        resume(
          Effect.succeed({
            code: error ? (typeof error.code === "number" ? error.code : 1) : 0,
            output: stdout + stderr
          })
        )
    )
    return Effect.sync(() => child.kill())
  })

const examples: ReadonlyArray<readonly [string, ReadonlyArray<RegExp>]> = [
  ["demo.ts", [
    /Item: Footwear → Sneakers/,
    /\[[#.]{2}\] Outer Sides/,
    /\[##\] /,
    /ready to submit: true/,
    /Verdict: AUTHENTIC/
  ]],
  ["quickstart.ts", [
    /Opened SR [0-9a-f-]{36} for Footwear → Sneakers: DRAFT/,
    /required: Outer Sides/,
    /NotFoundError \(404\)/
  ]],
  ["retry-policy.ts", [
    /retrying after ServerError/,
    /Read SR [0-9a-f-]{36}: DRAFT/,
    /failed at once with ServerError 503/
  ]],
  ["authenticate.ts", [/2\/2 Uploaded/, /Submitted SR .*: QC\/PENDING/, /Verdict: authentic/]],
  ["durable.ts", [
    /Started DURABLE-\d+, DURABLE-FAKE-\d+ and DURABLE-BLURRY-\d+/,
    /QC rejected Interior Size Tag or Stamp: photographing again/,
    /DURABLE-BLURRY-\d+, retake 1: Authentic/,
    /DURABLE-FAKE-\d+: NotAuthentic/,
    /\(outcome handler: DURABLE-\d+ is Authentic\)/,
    /^  DURABLE-\d+  done  Authentic  sr [0-9a-f-]{36}$/m,
    /^  DURABLE-BLURRY-\d+ \(retake 1\)  done  Authentic  sr [0-9a-f-]{36}$/m,
    /Simulator: 3 SRs for 3 items/
  ]],
  ["observability.ts", [
    /Verdict for [0-9a-f-]{36}: Authentic/,
    /name: 'Legitmark\.authenticate'/,
    /name: 'Legitmark\.media\.put'/,
    /name: 'legitmark\.client\.calls'/,
    /name: 'legitmark\.client\.upload\.bytes'/,
    /name: 'legitmark\.authentication\.verdict_time'/
  ]],
  ["webhook-server.ts", [
    /webhook: .* is now QC\/PENDING \(confirmed\)/,
    /is now COMPLETE\/APPROVED \(confirmed\)/,
    /Verdict by webhook: Authentic/,
    /Inbox: \d+ handled/
  ]]
]

describe("examples", () => {
  it.live.each(examples)("%s runs against the simulator", ([script, expected]) =>
    Effect.gen(function*() {
      const { code, output } = yield* run(script)
      expect(code, output).toBe(0)
      for (const line of expected) expect(output).toMatch(line)
    }), { timeout: 120_000 })
})

describe("pnpm demo --durable", () => {
  // Ctrl-C (SIGINT) once the first photo is up, then the same command again: it finishes the same
  // authentication, on the same SR, without uploading a photo twice.
  it.live("finishes an interrupted authentication when run again", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.acquireRelease(
        Effect.sync(() => mkdtempSync(join(tmpdir(), "legitmark-demo-test-"))),
        (dir) =>
          Effect.sync(() => {
            // The demo's simulator outlives the demo by design: stop the one it started.
            const state = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as { simulator?: { pid: number } }
            if (state.simulator !== undefined) {
              try {
                process.kill(state.simulator.pid, "SIGKILL")
              } catch {
                // already gone
              }
            }
            rmSync(dir, { recursive: true, force: true })
          })
      )
      const first = yield* Effect.async<string>((resume) => {
        const child = spawn(process.execPath, ["--import", "tsx", "examples/demo.ts", "--durable"], {
          cwd: root,
          env: exampleEnv({ LEGITMARK_DEMO_DIR: dir }),
          stdio: ["ignore", "pipe", "pipe"]
        })
        let output = ""
        let interrupted = false
        const onData = (chunk: Buffer) => {
          output += chunk.toString()
          if (!interrupted && / uploading 1\/2 /.test(output)) {
            interrupted = true
            child.kill("SIGINT")
          }
        }
        child.stdout.on("data", onData)
        child.stderr.on("data", onData)
        child.once("exit", () => resume(Effect.succeed(output)))
        return Effect.sync(() => child.kill("SIGKILL"))
      }).pipe(Effect.timeout("90 seconds"))
      expect(first).toMatch(/Starting (DEMO-DURABLE-\d+)/)
      expect(first).toMatch(/ uploading 1\/2 /)
      expect(first).not.toMatch(/Verdict/)
      const referenceId = /Starting (DEMO-DURABLE-\d+)/.exec(first)![1]!

      const second = yield* run("demo.ts", ["--durable"], { LEGITMARK_DEMO_DIR: dir })
      expect(second.code, second.output).toBe(0)
      expect(second.output).toMatch(/Simulator: reusing pid \d+/)
      expect(second.output).toContain(`Resuming ${referenceId}, interrupted at: ${referenceId}  uploading`)
      expect(second.output).toMatch(/Verdict: AUTHENTIC/)
      expect(second.output).toMatch(/Each photo was uploaded once\./)
      expect(second.output).toMatch(/was submitted 1 time\(s\)\./)
    }).pipe(Effect.scoped), { timeout: 200_000 })
})
