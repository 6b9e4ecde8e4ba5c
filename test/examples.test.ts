/**
 * Every example runs as a user would run it (`tsx examples/<name>.ts`, no LEGITMARK_API_KEY, so on
 * the simulator it starts in-process) and must exit 0 with the output it promises.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { execFile } from "node:child_process"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))

const run = (script: string) =>
  Effect.async<{ readonly code: number; readonly output: string }>((resume) => {
    const env = { ...process.env }
    for (const name of ["LEGITMARK_API_KEY", "LEGITMARK_BASE_URL", "LEGITMARK_ASSET_URL"]) delete env[name]
    const child = execFile(
      process.execPath,
      ["--import", "tsx", `examples/${script}`],
      { cwd: root, env, timeout: 90_000 },
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

describe("documented examples", () => {
  it("the test-Layer example in packages/legitmark/README.md is examples/testing.test.ts, which CI runs", () => {
    const readme = readFileSync(`${root}packages/legitmark/README.md`, "utf8")
    const section = readme.slice(readme.indexOf("## Testing with `LegitmarkTest`"))
    const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1]
    const file = readFileSync(`${root}examples/testing.test.ts`, "utf8")
    expect(block).toBe(file.slice(file.indexOf("import {")))
  })
})
