// Gives a built bin a Node shebang (the source's `#!/usr/bin/env tsx` is for running it from source in the workspace)
// and makes it executable. Usage: node scripts/shebang.mjs dist/bin.js
import { chmodSync, readFileSync, writeFileSync } from "node:fs"

for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, "utf8")
  const body = text.startsWith("#!") ? text.slice(text.indexOf("\n") + 1) : text
  writeFileSync(file, `#!/usr/bin/env node\n${body}`)
  chmodSync(file, 0o755)
}
