/**
 * Writes the documentation's code blocks out as modules (what `test/docs.test.ts` type-checks and runs):
 * `pnpm doc-blocks [dir]` (a directory inside the repository, so that the imports resolve; default
 * `test/node_modules/.cache/docs-check`), then e.g. `tsc -p <dir>` or
 * `LEGITMARK_API_KEY=… node --import tsx <dir>/<block>.ts`. Lists each block with what is done with it.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import * as DocBlocks from "../test/support/DocBlocks.js"

const root = fileURLToPath(new URL("..", import.meta.url))
const dir = resolve(process.argv[2] ?? join(root, "test", "node_modules", ".cache", "docs-check"))
mkdirSync(dir, { recursive: true })
writeFileSync(join(dir, "tsconfig.json"), DocBlocks.tsconfig(relative(dir, join(root, "tsconfig.base.json"))))
writeFileSync(join(dir, "package.json"), JSON.stringify({ private: true, type: "module" }))
for (const block of DocBlocks.collect(root)) {
  for (const [name, text] of DocBlocks.files(block)) writeFileSync(join(dir, name), text)
  const what = block.mode._tag === "TypecheckOnly" ?
    `type-checked only: ${block.mode.reason}` :
    block.mode._tag === "In" ?
    `run inside ${block.mode.context}` :
    block.mode._tag === "Continues" ?
    "run with the block before it" :
    "run"
  process.stdout.write(`${block.source}\t${DocBlocks.entry(block)}\t${what}\n`)
}
