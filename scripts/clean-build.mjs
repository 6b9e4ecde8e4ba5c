// Removes a package's `dist/` and its build info before a build, so that a module deleted or renamed in
// the sources cannot linger in `dist/` (its `exports` map `./*` to `dist/*.js`: a stale file would be
// published and importable). Run from the package directory: node ../../scripts/clean-build.mjs
import { rmSync } from "node:fs"

rmSync("dist", { recursive: true, force: true })
rmSync(".tsbuildinfo/build.tsbuildinfo", { force: true })
