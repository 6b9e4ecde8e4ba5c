#!/usr/bin/env bash
# Proof from outside: the packages as a user gets them from the registry.
#
# Builds every package from clean, packs each with `pnpm pack` (which applies `publishConfig` and rewrites
# `workspace:^`), installs the tarballs with npm into a fresh project outside the workspace (nothing else but
# public registry packages), and there:
#   1. type-checks the README's Usage block (strict, NodeNext) and a check of the public/internal subpaths,
#   2. imports every public module of every package, and fails to import an internal one,
#   3. starts `legitmark-simulator` from node_modules/.bin and runs the compiled quickstart against it,
#   4. runs the installed `legitmark` bin against it (a table, and bad input as one line with exit 2).
# Any failure fails the run. Usage: bash scripts/pack-check.sh  (KEEP=1 keeps the temporary project)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PACKAGES=(schema client legitmark simulator cli)

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
  tar -xzf "$t" -O package/package.json | node -e '
    const pj = JSON.parse(require("fs").readFileSync(0, "utf8"))
    const bad = []
    if (JSON.stringify(pj).includes("workspace:")) bad.push("a workspace: range")
    if (JSON.stringify(pj.exports).includes("/src/")) bad.push("exports into src/")
    for (const b of Object.values(pj.bin ?? {})) if (!String(b).startsWith("./dist/")) bad.push("a bin outside dist/")
    for (const peer of ["effect"]) if (!pj.peerDependencies?.[peer]) bad.push("no peer dependency on " + peer)
    for (const dep of ["effect", "@effect/platform"]) if (pj.dependencies?.[dep]) bad.push(dep + " as a dependency")
    if (bad.length > 0) { console.error(pj.name + ": " + bad.join(", ")); process.exit(1) }
    console.log(pj.name + "@" + pj.version + ": manifest ok")'
done

# The same versions the workspace is tested with.
version() { node -p "require('./packages/$1/package.json').devDependencies['$2']"; }
DEPS=(
  "effect@$(version client effect)"
  "@effect/platform@$(version client @effect/platform)"
  "@effect/platform-node@$(version client @effect/platform-node)"
  "undici@$(version client undici)"
  "typescript@$(node -p "require('./package.json').devDependencies.typescript")"
  "@types/node@$(node -p "require('./package.json').devDependencies['@types/node']")"
)
if node -e "process.exit(require('./packages/client/package.json').peerDependencies?.['@effect/experimental'] ? 0 : 1)"; then
  DEPS+=("@effect/experimental@$(version client @effect/experimental)")
fi
# The optional peer of effect-legitmark/SqlWebhookInbox, which the import check below loads.
if node -e "process.exit(require('./packages/legitmark/package.json').peerDependencies?.['@effect/sql'] ? 0 : 1)"; then
  DEPS+=("@effect/sql@$(version legitmark @effect/sql)")
fi

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
npm pkg set type=module private=true
npm install --no-audit --no-fund --loglevel=error "$WORK"/tarballs/*.tgz "${DEPS[@]}"
node -e 'const d = require("./package.json").dependencies; for (const [k, v] of Object.entries(d)) console.log(`  ${k} ${v}`)'
if [ -e node_modules/effect-legitmark/node_modules/effect ] || [ -e node_modules/@effect-legitmark/client/node_modules/effect ]; then
  echo "a package brought its own copy of effect" >&2; exit 1
fi

step "type-check the README quickstart and the package READMEs' examples (strict, NodeNext)"
printf '%s\n' "$QUICKSTART" > quickstart.ts
# Each package README's example (type-checked only: they need credentials or photos to run).
READMES=""
for p in "${PACKAGES[@]}"; do
  block="$(awk '/^## Example/{u=1} u && /^```ts/{c=1; next} c && /^```/{exit} c' "$ROOT/packages/$p/README.md")"
  if [ -n "$block" ]; then printf '%s\n' "$block" > "readme-$p.ts"; READMES="$READMES, \"readme-$p.ts\""; fi
done
cat > subpaths.ts <<'EOF'
import { LegitmarkClient } from "@effect-legitmark/client/LegitmarkClient"
import * as RetryPolicy from "@effect-legitmark/client/RetryPolicy"
import { Webhooks } from "effect-legitmark"
import { Simulator } from "@effect-legitmark/simulator"
// @ts-expect-error internal modules are not exported
import type * as Internal from "@effect-legitmark/client/internal/pipeline"

export const check = [LegitmarkClient, RetryPolicy.none, Webhooks.decode, Simulator.start]
export type Hidden = typeof Internal
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
  "files": ["quickstart.ts", "subpaths.ts"$READMES]
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
  for (const m of ["@effect-legitmark/client/internal/pipeline", "@effect-legitmark/schema/internal/openEnum"]) {
    try { await import(m); throw new Error(`${m} is importable`) } catch (e) {
      if (e.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") throw e
    }
  }
  console.log("internal modules: ERR_PACKAGE_PATH_NOT_EXPORTED")'

step "run the quickstart against legitmark-simulator from node_modules/.bin"
node_modules/.bin/legitmark-simulator --port 0 --api-key leo_x > sim.log 2>&1 &
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
echo
echo "pack-check: ok in ${SECONDS}s"
