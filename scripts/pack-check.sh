#!/usr/bin/env bash
# Proof from outside: the packages as a user gets them from the registry.
#
# Builds every package from clean, packs each with `pnpm pack` (which applies `publishConfig` and rewrites
# `workspace:^`), installs the tarballs with npm into a fresh project outside the workspace (nothing else but
# public registry packages, each peer at the version the workspace tests with), and there:
#   1. type-checks the README's Usage block, each package README's first example (strict, NodeNext) and a
#      check of the public/internal subpaths,
#   2. imports every public module of every package, and fails to import an internal one,
#   3. starts `legitmark-simulator` from node_modules/.bin and runs the compiled quickstart against it,
#   4. runs the installed `legitmark` bin against it (a table, and bad input as one line with exit 2),
#   5. runs one durable authentication (`@effect-legitmark/workflow`'s SqliteRunner on a SQLite file in the
#      temporary project, woken by the simulator's signed webhooks) to its verdict.
# Before installing, each tarball's manifest is checked: no workspace: range, exports and bins in dist/,
# Effect as a peer, and every package its modules import declared. Any failure fails the run.
# Usage: bash scripts/pack-check.sh  (KEEP=1 keeps the temporary project)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PACKAGES=(schema client legitmark simulator cli workflow)

step() { echo; echo "== [${SECONDS}s] $*"; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/legitmark-pack-check.XXXXXX")"
case "$WORK" in "$ROOT"/*) echo "temporary dir $WORK is inside the workspace" >&2; exit 1 ;; esac
SIM_PID=""
cleanup() {
  if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; fi
  if [ "${KEEP:-0}" = "1" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

step "build (clean)"
for p in "${PACKAGES[@]}"; do rm -rf "packages/$p/dist" "packages/$p/.tsbuildinfo/build.tsbuildinfo"; done
pnpm build

step "pack"
mkdir -p "$WORK/tarballs" "$WORK/app"
for p in "${PACKAGES[@]}"; do (cd "packages/$p" && pnpm pack --pack-destination "$WORK/tarballs" >/dev/null); done
ls -l "$WORK/tarballs"
for t in "$WORK"/tarballs/*.tgz; do
  if tar -tzf "$t" | grep -E '(^package/(test|node_modules|build)/|\.tsbuildinfo$)'; then
    echo "$t ships files it should not" >&2; exit 1
  fi
  unpacked="$WORK/unpacked/$(basename "$t" .tgz)"
  mkdir -p "$unpacked" && tar -xzf "$t" -C "$unpacked"
  node -e '
    const fs = require("fs"), path = require("path"), { builtinModules } = require("module")
    const dir = process.argv[1]
    const pj = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"))
    const bad = []
    if (JSON.stringify(pj).includes("workspace:")) bad.push("a workspace: range")
    if (JSON.stringify(pj.exports).includes("/src/")) bad.push("exports into src/")
    for (const b of Object.values(pj.bin ?? {})) if (!String(b).startsWith("./dist/")) bad.push("a bin outside dist/")
    for (const peer of ["effect"]) if (!pj.peerDependencies?.[peer]) bad.push("no peer dependency on " + peer)
    // Effect packages hold the services a user provides: a library takes them as peers (one copy). A bin
    // may bring its own, but never effect or @effect/platform.
    for (const dep of Object.keys(pj.dependencies ?? {})) {
      if (dep === "effect" || dep === "@effect/platform" || (pj.bin === undefined && dep.startsWith("@effect/"))) {
        bad.push(dep + " as a dependency")
      }
    }
    // Every package the published modules import (values and types; comments aside) is declared.
    const declared = new Set([pj.name, ...Object.keys(pj.dependencies ?? {}), ...Object.keys(pj.peerDependencies ?? {})])
    const undeclared = new Set()
    for (const f of fs.readdirSync(path.join(dir, "dist"), { recursive: true })) {
      if (!/\.(js|d\.ts)$/.test(f)) continue
      const code = fs.readFileSync(path.join(dir, "dist", f), "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "")
      for (const [, spec] of code.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*["\x27]([^"\x27./][^"\x27]*)["\x27]/g)) {
        const name = spec.split("/").slice(0, spec.startsWith("@") ? 2 : 1).join("/")
        if (!spec.startsWith("node:") && !builtinModules.includes(name) && !declared.has(name)) undeclared.add(name)
      }
    }
    if (undeclared.size > 0) bad.push("imports undeclared " + [...undeclared].join(", "))
    if (bad.length > 0) { console.error(pj.name + ": " + bad.join(", ")); process.exit(1) }
    console.log(pj.name + "@" + pj.version + ": manifest ok")' "$unpacked/package"
done

# Every peer of every package (the optional ones too: the import check below loads the modules that need
# them), at the version the workspace tests that package with; and the compiler.
DEPS_LIST="$(node -e '
  const wanted = new Map()
  for (const p of process.argv.slice(1)) {
    const pj = require(`./packages/${p}/package.json`)
    for (const peer of Object.keys(pj.peerDependencies ?? {})) {
      const version = pj.devDependencies?.[peer]
      if (version === undefined) throw new Error(`${pj.name}: no devDependency pins its peer ${peer}`)
      if (!wanted.has(peer)) wanted.set(peer, version)
    }
  }
  const root = require("./package.json").devDependencies
  for (const tool of ["typescript", "@types/node"]) wanted.set(tool, root[tool])
  for (const [name, version] of wanted) console.log(`${name}@${version}`)' "${PACKAGES[@]}")"
mapfile -t DEPS <<< "$DEPS_LIST"
# The install scripts the workspace allows (pnpm-workspace.yaml's allowBuilds: better-sqlite3, under
# @effect/sql-sqlite-node), as npm's allowScripts; with --strict-allow-scripts any other one fails the install.
ALLOW_SCRIPTS="$(node -e '
  const lines = require("fs").readFileSync("pnpm-workspace.yaml", "utf8").split("\n")
  const allowed = {}
  for (const line of lines.slice(lines.indexOf("allowBuilds:") + 1)) {
    const m = /^\s+["\x27]?([^"\x27:]+)["\x27]?:\s*(true|false)\s*$/.exec(line)
    if (m === null) break
    allowed[m[1]] = m[2] === "true"
  }
  console.log(JSON.stringify(allowed))')"

# The README's Usage block, verbatim.
QUICKSTART="$(awk '/^## Usage/{u=1} u && /^```ts/{c=1; next} c && /^```/{exit} c' README.md)"
[ -n "$QUICKSTART" ] || { echo "no \`\`\`ts block under ## Usage in README.md" >&2; exit 1; }
PUBLIC_MODULES="$(for p in "${PACKAGES[@]}"; do
  name="$(node -p "require('./packages/$p/package.json').name")"
  for f in packages/"$p"/src/*.ts; do
    m="$(basename "$f" .ts)"
    case "$m" in index) echo "$name" ;; bin) ;; *) echo "$name/$m" ;; esac
  done
done)"

step "install into $WORK/app"
cd "$WORK/app"
npm init -y >/dev/null
npm pkg set type=module
npm pkg set --json private=true "allowScripts=$ALLOW_SCRIPTS"
npm install --no-audit --no-fund --loglevel=error --strict-allow-scripts "$WORK"/tarballs/*.tgz "${DEPS[@]}"
node -e 'const d = require("./package.json").dependencies; for (const [k, v] of Object.entries(d)) console.log(`  ${k} ${v}`)'
# One copy of each Effect and legitmark package: a nested one would be a second set of service tags.
COPIES="$(find node_modules -mindepth 2 -type d -name node_modules -exec sh -c \
  'for d; do ls -d "$d"/effect "$d"/effect-legitmark "$d"/@effect/* "$d"/@effect-legitmark/* 2>/dev/null; done; true' sh {} +)"
[ -z "$COPIES" ] || { echo "$COPIES"; echo "packages brought their own copies of the above" >&2; exit 1; }
npm ls --all > npm-ls.log 2>&1 || { cat npm-ls.log; echo "npm ls: the installed tree is not valid" >&2; exit 1; }

step "type-check the README quickstart and the package READMEs' examples (strict, NodeNext)"
printf '%s\n' "$QUICKSTART" > quickstart.ts
# Each package README's first ```ts block, its example (type-checked only: they need credentials, photos
# or a database to run).
READMES=""
for p in "${PACKAGES[@]}"; do
  block="$(awk '/^```ts/{c=1; next} c && /^```/{exit} c' "$ROOT/packages/$p/README.md")"
  if [ -n "$block" ]; then printf '%s\n' "$block" > "readme-$p.ts"; READMES="$READMES, \"readme-$p.ts\""; fi
done
cat > subpaths.ts <<'EOF'
import { LegitmarkClient } from "@effect-legitmark/client/LegitmarkClient"
import * as RetryPolicy from "@effect-legitmark/client/RetryPolicy"
import { Webhooks } from "effect-legitmark"
import { Simulator } from "@effect-legitmark/simulator"
import * as PostgresRunner from "@effect-legitmark/workflow/PostgresRunner"
// @ts-expect-error internal modules are not exported
import type * as Internal from "@effect-legitmark/client/internal/pipeline"
// @ts-expect-error internal modules are not exported
import type * as WorkflowInternal from "@effect-legitmark/workflow/internal/store"

export const check = [LegitmarkClient, RetryPolicy.none, Webhooks.decode, Simulator.start, PostgresRunner.layer]
export type Hidden = [typeof Internal, typeof WorkflowInternal]
EOF
# One durable authentication as a user wires it (packages/workflow/README.md): the engine on a SQLite file,
# Legitmark's webhooks waking it, the outcome handler writing in the same database.
cat > durable.ts <<'EOF'
import { LegitmarkClient } from "@effect-legitmark/client"
import * as AgentHttpClient from "@effect-legitmark/client/AgentHttpClient"
import { AuthenticationWorkflow } from "@effect-legitmark/workflow"
import * as SqliteRunner from "@effect-legitmark/workflow/SqliteRunner"
import { HttpServer } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import * as SqlClient from "@effect/sql/SqlClient"
import { Webhooks } from "effect-legitmark"
import { Config, Console, Effect, Layer } from "effect"
import { createServer } from "node:http"

const Durable = Layer.unwrapEffect(Effect.map(Config.string("DURABLE_DB"), (filename) =>
  SqliteRunner.layer({
    filename,
    onOutcome: (outcome, { referenceId }) =>
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql`INSERT INTO verdicts (reference_id, outcome) VALUES (${referenceId}, ${outcome._tag})`)
  })))

const WebhookServer = Layer.unwrapScoped(Effect.gen(function*() {
  const secret = yield* Config.redacted("LEGITMARK_WEBHOOK_SECRET")
  return HttpServer.serve(yield* Webhooks.httpApp(AuthenticationWorkflow.handleEvent, { secret }))
})).pipe(
  Layer.provide(Layer.unwrapEffect(Effect.map(Config.integer("WEBHOOK_PORT"), (port) =>
    NodeHttpServer.layer(createServer, { port, host: "127.0.0.1" }))))
)

const MainLayer = WebhookServer.pipe(
  Layer.provideMerge(Durable),
  Layer.provideMerge(LegitmarkClient.layerConfig()),
  Layer.provide(AgentHttpClient.layer)
)

const program = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE IF NOT EXISTS verdicts (reference_id TEXT PRIMARY KEY, outcome TEXT NOT NULL)`
  const referenceId = `PACK-CHECK-${Date.now()}`
  const authentication = yield* AuthenticationWorkflow.start({
    referenceId,
    item: { category: "25ed7133-f230-4d64-850d-0cfc698e2931", type: "95e428c2-7c4f-11ef-a623-02595575faeb" },
    photos: { "Outer Sides": "photos/outer-sides.png", "Interior Size Tag or Stamp": "photos/size-tag.png" }
  })
  const outcome = yield* authentication.outcome
  yield* Console.log(`verdict: ${outcome._tag}`)
  for (const status of yield* AuthenticationWorkflow.executions({ referenceId })) {
    yield* Console.log(AuthenticationWorkflow.formatStatus(status))
  }
  const recorded = yield* sql<{ readonly outcome: string }>`SELECT outcome FROM verdicts WHERE reference_id = ${referenceId}`
  yield* Console.log(`recorded by onOutcome: ${recorded.map((row) => row.outcome).join(", ")}`)
  if (outcome._tag !== "Authentic" || recorded.length !== 1 || recorded[0]?.outcome !== outcome._tag) {
    return yield* Effect.dieMessage("expected one Authentic verdict, recorded once")
  }
})

program.pipe(Effect.provide(MainLayer), NodeRuntime.runMain)
EOF
cat > tsconfig.json <<EOF
{
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2022"],
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "types": ["node"],
    "strict": true,
    "exactOptionalPropertyTypes": true,
    "noUncheckedIndexedAccess": true,
    "skipLibCheck": true,
    "outDir": "build"
  },
  "files": ["quickstart.ts", "subpaths.ts", "durable.ts"$READMES]
}
EOF
npx tsc -p tsconfig.json
echo "ok"

step "import every public module; internal ones are refused"
printf '%s\n' "$PUBLIC_MODULES" | node --input-type=module -e '
  import { readFileSync } from "node:fs"
  const modules = readFileSync(0, "utf8").split("\n").filter(Boolean)
  for (const m of modules) {
    const ns = await import(m)
    if (Object.keys(ns).length === 0) throw new Error(`${m} exports nothing`)
  }
  console.log(`${modules.length} public modules import`)
  for (const m of [
    "@effect-legitmark/client/internal/pipeline",
    "@effect-legitmark/schema/internal/openEnum",
    "@effect-legitmark/workflow/internal/store"
  ]) {
    try { await import(m); throw new Error(`${m} is importable`) } catch (e) {
      if (e.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") throw e
    }
  }
  console.log("internal modules: ERR_PACKAGE_PATH_NOT_EXPORTED")'

step "run the quickstart against legitmark-simulator from node_modules/.bin"
# Quick reviews (one transition each 200 ms), and signed webhooks to the durable program's server below.
HOOK_PORT="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close() })')"
WEBHOOK_SECRET="whsec_$(node -p 'require("crypto").randomBytes(24).toString("base64")')"
node_modules/.bin/legitmark-simulator --port 0 --api-key leo_x --step-ms 200 \
  --webhook-url "http://127.0.0.1:$HOOK_PORT/" --webhook-secret "$WEBHOOK_SECRET" > sim.log 2>&1 &
SIM_PID=$!
URL=""
for _ in $(seq 1 150); do
  URL="$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' sim.log | head -1)"
  [ -n "$URL" ] && break
  kill -0 "$SIM_PID" 2>/dev/null || { cat sim.log; echo "the simulator exited" >&2; exit 1; }
  sleep 0.2
done
[ -n "$URL" ] || { cat sim.log; echo "the simulator did not start" >&2; exit 1; }
echo "simulator at $URL"
set +e
LEGITMARK_API_KEY=leo_x LEGITMARK_BASE_URL="$URL" LEGITMARK_ASSET_URL="$URL" timeout 60 node build/quickstart.js > run.log 2>&1
CODE=$?
set -e
cat run.log
[ "$CODE" -eq 0 ] || { echo "the quickstart exited with $CODE" >&2; cat sim.log; exit 1; }

step "run the installed legitmark bin against the same simulator"
VERSION="$(node_modules/.bin/legitmark --version)"
[ "$VERSION" = "$(node -p "require('$ROOT/packages/cli/package.json').version")" ] || { echo "legitmark --version: $VERSION" >&2; exit 1; }
LEGITMARK_API_KEY=leo_x LEGITMARK_BASE_URL="$URL" LEGITMARK_ASSET_URL="$URL" timeout 60 \
  node_modules/.bin/legitmark taxonomy tree > cli.log 2>&1 || { cat cli.log; echo "legitmark taxonomy tree failed" >&2; exit 1; }
grep -E '^ +Sneakers +yes +[0-9a-f-]{36}$' cli.log || { cat cli.log; echo "legitmark printed no taxonomy table" >&2; exit 1; }
set +e
LEGITMARK_API_KEY=leo_x LEGITMARK_BASE_URL="$URL" LEGITMARK_ASSET_URL="$URL" timeout 60 \
  node_modules/.bin/legitmark authenticate SKU-PACK --category Shoes --type Sneakers ./missing.jpg > cli.log 2>&1
CODE=$?
set -e
cat cli.log
[ "$CODE" -eq 2 ] && [ "$(wc -l < cli.log)" -eq 1 ] || { echo "bad input: expected one line and exit 2, got $CODE" >&2; exit 1; }

step "run one durable authentication (SqliteRunner on a file) against the same simulator"
mkdir -p photos && cp "$ROOT/examples/photos/outer-sides.png" "$ROOT/examples/photos/size-tag.png" photos/
set +e
LEGITMARK_API_KEY=leo_x LEGITMARK_BASE_URL="$URL" LEGITMARK_ASSET_URL="$URL" LEGITMARK_WEBHOOK_SECRET="$WEBHOOK_SECRET" \
  WEBHOOK_PORT="$HOOK_PORT" DURABLE_DB="$WORK/app/authentications.db" timeout 60 node build/durable.js > durable.log 2>&1
CODE=$?
set -e
cat durable.log
[ "$CODE" -eq 0 ] || { echo "the durable authentication exited with $CODE" >&2; cat sim.log; exit 1; }
grep -qx 'verdict: Authentic' durable.log || { echo "the durable authentication printed no verdict" >&2; exit 1; }
[ -s authentications.db ] || { echo "no SQLite file at $WORK/app/authentications.db" >&2; exit 1; }
echo
echo "pack-check: ok in ${SECONDS}s"
