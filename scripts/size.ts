/**
 * Size and start: what the built client costs a user.
 *
 * 1. Bundles the README quickstart against the *built* packages (`packages/client/dist`, `packages/schema/dist`,
 *    as `pnpm pack` publishes them) with esbuild the way a user's bundler would for Node: ESM, minified,
 *    tree-shaken, `effect` and `@effect/platform` included, only Node builtins external. Beside it, the same
 *    two calls with axios. Prints bytes and gzip bytes, and the largest inputs of the client bundle.
 * 2. For every public module of the client, the modules of our packages that importing it alone loads (its
 *    static import graph, which is what Node's ESM loader evaluates; the only dynamic `import()` is the Redis
 *    store's, which runs when that Layer is built). Fails when `@effect-legitmark/client/RetryPolicy` loads
 *    `LegitmarkClient`.
 *
 * Run after `pnpm build`: `pnpm size` (builds first), or `tsx scripts/size.ts`.
 */
import * as esbuild from "esbuild"
import { existsSync, readdirSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const dist = (pkg: string) => join(root, "packages", pkg, "dist")

// The published `exports`: `@effect-legitmark/<pkg>[/Module]` → `dist/<Module | index>.js`.
const builtPackages: esbuild.Plugin = {
  name: "built-packages",
  setup(build) {
    build.onResolve({ filter: /^@effect-legitmark\/(client|schema)(\/.*)?$/ }, (args) => {
      const [, pkg, sub] = /^@effect-legitmark\/(client|schema)(?:\/(.*))?$/.exec(args.path)!
      if (sub?.startsWith("internal/")) return { errors: [{ text: `${args.path} is not exported` }] }
      const file = join(dist(pkg!), `${sub ?? "index"}.js`)
      return existsSync(file) ? { path: file } : { errors: [{ text: `${file} is missing: run pnpm build` }] }
    })
  }
}

const clientEntry = `
import { LegitmarkClient } from "@effect-legitmark/client"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

const program = Effect.gen(function*() {
  const client = yield* LegitmarkClient
  const sr = yield* client.serviceRequests.create({
    reference_id: "SKU-2024-0891",
    item: { category: "cc30b104-7c47-11ef-a623-02595575faeb", type: "95e42d6b-7c4f-11ef-a623-02595575faeb" }
  })
  const full = yield* client.serviceRequests.get(sr.uuid, { item: true, sides: true, requirements: true })
  yield* Effect.log("SR " + full.uuid + " needs " + (full.sides?.required.length ?? 0) + " photos")
})

const MainLayer = LegitmarkClient.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))
program.pipe(Effect.provide(MainLayer), Effect.runPromise)
`

const axiosEntry = `
import axios from "axios"

const api = axios.create({
  baseURL: process.env.LEGITMARK_BASE_URL ?? "https://api.legitmark.com",
  headers: { authorization: "Bearer " + process.env.LEGITMARK_API_KEY }
})
const { data: created } = await api.post("/api/v2/sr", {
  reference_id: "SKU-2024-0891",
  item: { category: "cc30b104-7c47-11ef-a623-02595575faeb", type: "95e42d6b-7c4f-11ef-a623-02595575faeb" }
})
const { data: full } = await api.get("/api/v2/sr/" + created.sr.uuid, { params: { item: true, sides: true } })
console.log("SR " + full.sr.uuid + " needs " + (full.sr.sides?.required?.length ?? 0) + " photos")
`

const bundle = async (contents: string, resolveDir: string, minify = true) => {
  const result = await esbuild.build({
    stdin: { contents, resolveDir, loader: "ts", sourcefile: "entry.ts" },
    bundle: true,
    write: false,
    platform: "node",
    format: "esm",
    target: "node20",
    minify,
    treeShaking: true,
    metafile: true,
    logLevel: "silent",
    plugins: [builtPackages]
  })
  const code = result.outputFiles[0]!.contents
  return { bytes: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength, metafile: result.metafile }
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`.padStart(10)
const row = (name: string, r: { bytes: number; gzip: number }) =>
  console.log(
    `${name.padEnd(44)} ${String(r.bytes).padStart(9)} B ${kb(r.bytes)}   gzip ${String(r.gzip).padStart(8)} B ${
      kb(r.gzip)
    }`
  )

console.log("Bundle for Node (esbuild: esm, minify, tree-shaking, only node builtins external)\n")
const client = await bundle(clientEntry, join(root, "packages", "client"))
const axios = await bundle(axiosEntry, root)
row("@effect-legitmark/client quickstart", client)
row("axios, the same two calls", axios)

// Where the client's bytes come from, grouped by package.
const byPackage = new Map<string, number>()
for (const output of Object.values(client.metafile.outputs)) {
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const match = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(input)
    const name = match?.[1] ??
      (input.includes("packages/schema/")
        ? "@effect-legitmark/schema"
        : input.includes("packages/client/")
        ? "@effect-legitmark/client"
        : input)
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput)
  }
}
console.log("\nclient bundle by package (minified bytes before gzip):")
for (const [name, bytes] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
  console.log(`  ${name.padEnd(40)} ${String(bytes).padStart(9)} B`)
}

// What importing one module alone loads.
const modules = readdirSync(dist("client")).filter((f) => f.endsWith(".js") && f !== "index.js").map((f) =>
  f.slice(0, -3)
)
console.log("\nImporting one module of @effect-legitmark/client loads (static import graph, our modules only):")
let failed = false
for (const module of ["index", ...modules]) {
  const specifier = module === "index" ? "@effect-legitmark/client" : `@effect-legitmark/client/${module}`
  const { metafile } = await bundle(`export * from "${specifier}"`, join(root, "packages", "client"), false)
  const ours = Object.keys(metafile.inputs)
    .map((input) => relative(join(root, "packages"), join(root, input)))
    .filter((input) => /^(client|schema)\/dist\//.test(input))
    .map((input) => input.replace("/dist/", "/").replace(/\.js$/, ""))
    .sort()
  const others = ours.filter((m) =>
    m.startsWith("client/") && m !== `client/${module}` && !m.startsWith("client/internal/")
  )
  console.log(
    `  ${specifier.padEnd(44)} ${ours.length} modules; other public client modules: ${
      others.map((m) => m.slice(7)).join(", ") || "none"
    }`
  )
  if (module === "RetryPolicy" && ours.includes("client/LegitmarkClient")) failed = true
}
if (failed) {
  console.error("\n@effect-legitmark/client/RetryPolicy loads LegitmarkClient")
  process.exit(1)
}
console.log("\n@effect-legitmark/client/RetryPolicy alone does not load LegitmarkClient: ok")
