/**
 * Every documented example is true: the ```ts blocks of README.md and the package READMEs, and the
 * `@example`s of the sources, are written out as modules (see `support/DocBlocks.ts` for the markers a
 * fragment needs), type-checked with the repository's settings, and run as a user would run them
 * (`node --import tsx`, from the repository's root) against a simulator of their own, with
 * `LEGITMARK_API_KEY`, `LEGITMARK_BASE_URL` and `LEGITMARK_ASSET_URL` set; each must exit 0. The
 * links and repository paths the READMEs name must exist.
 */
import { Simulator } from "@effect-legitmark/simulator"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { execFile } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import * as DocBlocks from "./support/DocBlocks.js"

const root = fileURLToPath(new URL("..", import.meta.url))
// Inside the workspace, so that the blocks' imports resolve as the examples' do; ignored by every tool.
const dir = join(root, "test", "node_modules", ".cache", "docs-check")
const blocks = DocBlocks.collect(root)
const apiKey = "leo_docs_check_key"

/** A process to its end: its exit code and all it printed. */
const exec = (file: string, args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = process.env) =>
  Effect.async<{ readonly code: number; readonly output: string }>((resume) => {
    const child = execFile(file, args, { cwd: root, env, timeout: 150_000, maxBuffer: 16 * 1024 * 1024 }, (
      error,
      stdout,
      stderr
    ) =>
      resume(Effect.succeed({
        code: error ? (typeof error.code === "number" ? error.code : 1) : 0,
        output: `${stdout}${stderr}`
      })))
    return Effect.sync(() => child.kill())
  })

beforeAll(() => {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, "tsconfig.json"), DocBlocks.tsconfig(relative(dir, join(root, "tsconfig.base.json"))))
  // ES modules, as a user's program on Node 20 is (and top-level await with it).
  writeFileSync(join(dir, "package.json"), JSON.stringify({ private: true, type: "module" }))
  for (const block of blocks) {
    for (const [name, text] of DocBlocks.files(block)) writeFileSync(join(dir, name), text)
  }
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe("documented code", () => {
  it("is found in every README and source, each block with a known marker, most of them run", () => {
    const readmes = new Set(blocks.filter((b) => b.source.includes(".md:")).map((b) => b.source.split(":")[0]))
    for (const readme of DocBlocks.readmes(root)) expect([...readmes], readme).toContain(readme)
    const typecheckOnly = blocks.filter((b) => !b.run)
    expect(typecheckOnly.length).toBeLessThan(blocks.length / 4)
  })

  it.live("type-checks with the repository's settings", () =>
    Effect.gen(function*() {
      const tsc = join(root, "node_modules", "typescript", "bin", "tsc")
      const { code, output } = yield* exec(process.execPath, [tsc, "-p", join(dir, "tsconfig.json")])
      expect(code, output).toBe(0)
    }), { timeout: 240_000 })
})

describe.concurrent("each documented block runs against the simulator", () => {
  it.scopedLive.each(blocks.filter((b) => b.run).map((b) => [b.source, b] as const))(
    "%s",
    ([, block]) =>
      Effect.gen(function*() {
        const simulator = yield* Simulator.start({ apiKeys: [apiKey], speed: 60 })
        const env = {
          ...process.env,
          LEGITMARK_API_KEY: apiKey,
          LEGITMARK_BASE_URL: simulator.baseUrl,
          LEGITMARK_ASSET_URL: simulator.assetUrl
        }
        const { code, output } = yield* exec(
          process.execPath,
          ["--import", "tsx", join(dir, DocBlocks.entry(block))],
          env
        )
        expect(code, `${block.source}\n${block.code}\n${output}`).toBe(0)
      }),
    { timeout: 180_000 }
  )
})

describe("what the READMEs point at", () => {
  // `path/to/file.ext` in backticks, or a Markdown link to a relative target.
  const spans = /`((?:\.{1,2}\/)?[\w.-]+(?:\/[\w.-]+)+\.(?:ts|json|md|yaml|sh))`|\]\((?!https?:|#|mailto:)([^)\s]+)\)/g

  it.each(DocBlocks.readmes(root))("%s names only files that exist", (readme) => {
    const text = readFileSync(join(root, readme), "utf8")
    const missing = [...text.matchAll(spans)].map((m) => (m[1] ?? m[2])!.split("#")[0]!).filter((target) =>
      !existsSync(join(dirname(join(root, readme)), target)) && !existsSync(join(root, target))
    )
    expect(missing).toEqual([])
  })
})
