/**
 * The benchmark orchestrator: `pnpm bench` (or `tsx bench/run.ts`). Every measurement runs in a fresh
 * child process (bench/cases/*.ts; per-request cost and cold start compiled, on the built packages, under
 * plain node),
 * implementations interleaved within each repetition, against servers that live for the whole run in
 * processes of their own. Prints medians, ratios to the baseline measured in the same run, and the
 * targets, hit or missed; for a missed target, a CPU profile of the client case is taken
 * (bench/profiles/) and its top self-time functions printed. Never asserts.
 *
 *   pnpm bench                     the full run (about 10 minutes on 2 cores)
 *   pnpm bench --quick             tiny counts, one repetition: a smoke run
 *   pnpm bench --only requests,cold --reps 5 --profile
 *   pnpm bench --only cold         builds the packages first (pnpm build): requests and cold start run dist
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { selfTimeByFile, topSelfTime } from "./lib/profile.js"
import { args, type Figures, num, parse } from "./lib/protocol.js"
import { fmt, median, ratio, table, withSpread } from "./lib/table.js"

const benchDir = path.dirname(fileURLToPath(import.meta.url))
const repoDir = path.dirname(benchDir)
const argv = args()
const quick = argv.has("quick")
// Repetitions per section; `--reps N` sets them all. The 20,000-request mode and the bulk case are the
// longest (about a minute and 25 s a run on a loaded 2-core machine), so they get fewer by default.
const reps = num(argv, "reps", quick ? 1 : 3)
const repsLong = num(argv, "reps", quick ? 1 : 2)
const sections = new Set((argv.get("only") ?? "requests,cold,bulk,uploads,durable,size").split(","))
const profileMisses = argv.get("profile") === "true" || (!quick && argv.get("profile") !== "false")

const sizes = quick ?
  { seq: 200, conc: 1000, coldReps: 1, bulk: 150, uploads: 8, durable: 20 } :
  { seq: 5000, conc: 20_000, coldReps: num(argv, "reps", 5), bulk: 2000, uploads: 200, durable: 200 }

const log = (line = "") => process.stdout.write(`${line}\n`)
const progress = (line: string) => process.stderr.write(`  · ${line}\n`)

// ---------------------------------------------------------------------------------------------------
// Child processes

interface Run {
  readonly figures: ReadonlyArray<Figures>
  /** From spawn to exit, as the orchestrator saw it. */
  readonly spawnToExitMs: number
}

const tsx = ["--import", "tsx"] as const

/**
 * Plain node on the built packages: `--conditions=legitmark-dist` makes our workspace packages resolve to
 * their `dist/*.js` (built by `pnpm build`), as the published packages do; other packages are unaffected.
 */
const dist = ["--conditions=legitmark-dist"] as const

/**
 * Runs a child to completion; fails if it exits non-zero or reports nothing. Killed if interrupted. The
 * child runs `node [node options] [--import tsx] script args`: under the tsx loader unless `loader` is
 * false (then the script must be JavaScript); `script` may be empty (e.g. for `node -e`).
 */
const runChild = (
  script: string,
  childArgs: ReadonlyArray<string>,
  options: {
    readonly node?: ReadonlyArray<string>
    readonly loader?: boolean
    readonly timeout?: Duration.DurationInput
  } = {}
): Effect.Effect<Run, Error> =>
  Effect.async<Run, Error>((resume) => {
    const t0 = performance.now()
    const child = spawn(
      process.execPath,
      [
        ...(options.node ?? []),
        ...(options.loader === false ? [] : tsx),
        ...(script === "" ? [] : [script]),
        ...childArgs
      ],
      { cwd: benchDir, stdio: ["ignore", "pipe", "pipe"] }
    )
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    child.on("error", (e) => resume(Effect.fail(e)))
    child.on("close", (code) => {
      const spawnToExitMs = performance.now() - t0
      const figures = parse(stdout)
      if (code !== 0 || figures.length === 0) {
        resume(Effect.fail(new Error(`${script} ${childArgs.join(" ")} exited ${code}\n${stderr.slice(-2000)}`)))
      } else resume(Effect.succeed({ figures, spawnToExitMs }))
    })
    return Effect.sync(() => child.kill("SIGKILL"))
  }).pipe(
    Effect.timeoutFail({
      duration: options.timeout ?? Duration.minutes(5),
      onTimeout: () => new Error(`${script} ${childArgs.join(" ")} timed out`)
    })
  )

/**
 * Runs a command in the repository to completion, its output passed through (to our stderr by default: it
 * is progress, not figures); fails if it fails.
 */
const runCommand = (
  label: string,
  cmd: string,
  cmdArgs: ReadonlyArray<string>,
  output: "stdout" | "stderr" = "stderr"
): Effect.Effect<void, Error> =>
  Effect.async<void, Error>((resume) => {
    progress(label)
    const fd = output === "stdout" ? 1 : 2
    const child = spawn(cmd, cmdArgs, { cwd: repoDir, stdio: ["ignore", fd, 2] })
    child.on("error", (e) => resume(Effect.fail(e)))
    child.on("close", (code) => {
      resume(code === 0 ? Effect.void : Effect.fail(new Error(`${cmd} ${cmdArgs.join(" ")} exited ${code}`)))
    })
    return Effect.sync(() => child.kill("SIGKILL"))
  })

/** `pnpm build` (tsc -b: every package's dist), once per run, whichever section needs it first. */
const build = Effect.runSync(
  Effect.cached(runCommand("pnpm build (the packages' dist, as published)", "pnpm", ["build"]))
)

/** A server process for the lifetime of the scope; answers the URL it printed. */
const server = (label: string, command: ReadonlyArray<string>): Effect.Effect<string, Error, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly child: ChildProcess }, Error>((resume) => {
      // stdin is a pipe the server watches: it exits when we do, however we exit.
      const child = spawn(process.execPath, [...tsx, ...command], {
        cwd: repoDir,
        stdio: ["pipe", "pipe", "pipe"]
      })
      let out = ""
      const onData = (d: Buffer) => {
        out += d.toString()
        const match = /(?:^|\n)(?:legitmark-simulator )?listening on (http:\/\/\S+)/.exec(out)
        if (match) {
          child.stdout.off("data", onData)
          child.stdout.resume()
          resume(Effect.succeed({ url: match[1]!, child }))
        }
      }
      child.stdout.on("data", onData)
      child.stderr.on("data", () => {})
      child.on("exit", (code) => resume(Effect.fail(new Error(`${label} exited ${code} before listening: ${out}`))))
      return Effect.sync(() => child.kill("SIGKILL"))
    }).pipe(Effect.tap(({ child, url }) => progress(`${label} (pid ${child.pid}) on ${url}`))),
    ({ child }) => Effect.sync(() => child.kill("SIGKILL"))
  ).pipe(Effect.map(({ url }) => url))

/** The same list, rotated by `by`: each repetition starts with a different implementation. */
const rotate = <A>(items: ReadonlyArray<A>, by: number): ReadonlyArray<A> =>
  items.map((_, i) => items[(i + by) % items.length]!)

const nums = (runs: ReadonlyArray<Figures>, key: string): ReadonlyArray<number> =>
  runs.map((r) => r[key]).filter((v): v is number => typeof v === "number")

const med = (runs: ReadonlyArray<Figures>, key: string) => median(nums(runs, key))

// ---------------------------------------------------------------------------------------------------
// Targets and profiles

interface Target {
  readonly name: string
  readonly target: string
  readonly measured: string
  readonly hit: boolean
  /** How to profile the client for this target: a case script and its arguments. */
  readonly profile?: { readonly label: string; readonly script: string; readonly args: ReadonlyArray<string> }
}
const targets: Array<Target> = []

const profile = (
  label: string,
  script: string,
  childArgs: ReadonlyArray<string>,
  options: { readonly node?: ReadonlyArray<string>; readonly loader?: boolean } = {}
) =>
  Effect.gen(function*() {
    const dir = path.join(benchDir, "profiles", label)
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    yield* runChild(script, childArgs, {
      ...options,
      node: [...(options.node ?? []), "--cpu-prof", `--cpu-prof-dir=${dir}`, "--cpu-prof-interval=250"],
      timeout: Duration.minutes(5)
    })
    // One profile per thread (the tsx loader has its own): the main thread's is the largest.
    const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")).map((f) => path.join(dir, f))
    const main = files.sort((a, b) => statSync(b).size - statSync(a).size)[0]
    if (main === undefined) return
    const { busyMs, top } = topSelfTime(main, 20)
    log(`\nProfile ${label}: ${path.relative(repoDir, main)} (busy ${fmt(busyMs)} ms on the main thread)`)
    log(table(
      ["self %", "self ms", "function", "where"],
      top.map((t) => [`${fmt(t.share * 100, 1)}%`, fmt(t.ms), t.name, t.where])
    ))
    log("\nSelf time by file:")
    log(table(
      ["self %", "self ms", "file"],
      selfTimeByFile(main, 15).map((t) => [`${fmt(t.share * 100, 1)}%`, fmt(t.ms), t.where])
    ))
  })

// ---------------------------------------------------------------------------------------------------
// Cases

const requestImpls = [
  "client-agent",
  "client-undici",
  "client-platform-undici",
  "client-fetch",
  "platform-undici-decode",
  "fetch-platform-decode",
  "fetch",
  "fetch-decode",
  "undici",
  "axios"
] as const

const requests = Effect.gen(function*() {
  // The built packages under plain node, as users run them (and as cold start runs): under the tsx
  // loader, the client's TypeScript sources and the loader's own state would count in its peak RSS.
  yield* build
  const script = yield* compileCase("requests")
  const url = yield* server("static server (bench/server.ts)", ["bench/server.ts"])
  const modes = [
    { label: `sequential, ${fmt(sizes.seq)} requests`, n: sizes.seq, concurrency: 1, reps, impls: requestImpls },
    {
      label: `32 in flight, ${fmt(sizes.conc)} requests`,
      n: sizes.conc,
      concurrency: 32,
      reps: repsLong,
      impls: requestImpls
    }
  ]
  const results = new Map<string, Array<Figures>>()
  for (let rep = 0; rep < reps; rep++) {
    for (const mode of modes.filter((m) => rep < m.reps)) {
      for (const impl of rotate(mode.impls, rep)) {
        progress(`requests ${mode.concurrency === 1 ? "seq" : "c32"} ${impl} (rep ${rep + 1}/${reps})`)
        const run = yield* runChild(script, [
          "--impl",
          impl,
          "--url",
          url,
          "--n",
          String(mode.n),
          "--concurrency",
          String(mode.concurrency)
        ], { node: dist, loader: false })
        const key = `${mode.concurrency}:${impl}`
        results.set(key, [...(results.get(key) ?? []), ...run.figures])
      }
    }
  }
  for (const mode of modes) {
    const base = results.get(`${mode.concurrency}:fetch`) ?? []
    log(`\n### Per-request cost: serviceRequests.get (full SR, decoded), ${mode.label}, ${mode.reps} runs each`)
    log(table(
      ["implementation", "requests/s", "× fetch", "CPU µs/request", "× fetch", "peak RSS MB", "× fetch"],
      mode.impls.map((impl) => {
        const runs = results.get(`${mode.concurrency}:${impl}`) ?? []
        return [
          impl,
          withSpread(nums(runs, "requestsPerSecond")),
          ratio(med(runs, "requestsPerSecond"), med(base, "requestsPerSecond")),
          withSpread(nums(runs, "cpuPerRequestUs")),
          ratio(med(runs, "cpuPerRequestUs"), med(base, "cpuPerRequestUs")),
          withSpread(nums(runs, "maxRssMb")),
          ratio(med(runs, "maxRssMb"), med(base, "maxRssMb"))
        ]
      })
    ))
  }
  const client = results.get("32:client-agent") ?? []
  const fetchRuns = results.get("32:fetch") ?? []
  const profileCase = {
    label: "requests-client-agent-c32",
    script,
    args: ["--impl", "client-agent", "--url", url, "--n", String(Math.min(sizes.conc, 5000)), "--concurrency", "32"]
  }
  const rps = med(client, "requestsPerSecond") / med(fetchRuns, "requestsPerSecond")
  const cpu = med(client, "cpuPerRequestUs") / med(fetchRuns, "cpuPerRequestUs")
  const rss = med(client, "maxRssMb") / med(fetchRuns, "maxRssMb")
  targets.push(
    {
      name: "32 in flight: requests/s (client)",
      target: "≥ 1.0× fetch",
      measured: `${fmt(rps, 2)}×`,
      hit: rps >= 1,
      profile: profileCase
    },
    {
      name: "32 in flight: CPU per request",
      target: "≤ 1.2× fetch",
      measured: `${fmt(cpu, 2)}×`,
      hit: cpu <= 1.2,
      profile: profileCase
    },
    { name: "32 in flight: peak RSS", target: "≤ 1.5× fetch", measured: `${fmt(rss, 2)}×`, hit: rss <= 1.5 }
  )
  // On a foreign transport the client costs at most a quarter more than the transport with a bare decode.
  for (
    const [row, baseline] of [["client-platform-undici", "platform-undici-decode"], [
      "client-fetch",
      "fetch-platform-decode"
    ]]
  ) {
    const runs = results.get(`32:${row}`) ?? []
    const base = results.get(`32:${baseline}`) ?? []
    const cpuRatio = med(runs, "cpuPerRequestUs") / med(base, "cpuPerRequestUs")
    const rpsRatio = med(runs, "requestsPerSecond") / med(base, "requestsPerSecond")
    targets.push(
      {
        name: `32 in flight: ${row} CPU per request`,
        target: `≤ 1.25× ${baseline}`,
        measured: `${fmt(cpuRatio, 2)}×`,
        hit: cpuRatio <= 1.25
      },
      {
        name: `32 in flight: ${row} requests/s`,
        target: `≥ 0.8× ${baseline}`,
        measured: `${fmt(rpsRatio, 2)}×`,
        hit: rpsRatio >= 0.8
      }
    )
  }
  // Profiles need the server: take them while it is up.
  if (profileMisses) {
    const missed = targets.filter((t) => !t.hit && t.profile?.label === profileCase.label)
    if (missed.length > 0) {
      yield* profile(profileCase.label, profileCase.script, profileCase.args, { node: dist, loader: false })
    }
  }
}).pipe(Effect.scoped)

/**
 * Cold start runs what a user's production process runs: the built JavaScript under plain node. Every
 * implementation, baselines included, runs `build/coldstart.mjs` (the case compiled) with `--conditions=
 * legitmark-dist`, so our packages load from `dist/`. Two diagnostic rows run the sources under tsx
 * (`tsx:`), the way the workspace's tests and examples consume them: what the loader costs.
 */
const coldImpls = [
  "none",
  "fetch",
  "undici",
  "axios",
  "client-agent",
  "client-undici",
  "client-fetch",
  "platform-undici",
  "floor",
  "tsx:none",
  "tsx:client-agent",
  "bundled:axios",
  "bundled:client-agent"
] as const
const coldLabels: Record<(typeof coldImpls)[number], string> = {
  "none": "node alone (empty)",
  "fetch": "fetch",
  "undici": "undici",
  "axios": "axios",
  "client-agent": "client-agent (default transport)",
  "client-undici": "client-undici",
  "client-fetch": "client-fetch",
  "platform-undici": "platform HttpClient + undici + decode, no client code",
  "floor": "floor: effect/Schema + platform HttpClient imported, then fetch",
  "tsx:none": "node + tsx alone (empty)",
  "tsx:client-agent": "client-agent, sources under tsx",
  "bundled:axios": "axios, application bundled (esbuild, one file)",
  "bundled:client-agent": "client-agent, application bundled (esbuild, one file)"
}
const importSpecifiers = [
  "effect",
  "effect/Effect",
  "effect/Schema",
  "@effect/platform/HttpClient",
  "@effect/platform-node/NodeHttpClient",
  "@effect-legitmark/client/AgentHttpClient",
  "@effect-legitmark/client/UndiciHttpClient",
  "@effect-legitmark/schema",
  "@effect-legitmark/client",
  "effect-legitmark",
  "axios",
  "undici"
] as const

/**
 * A case compiled to plain JavaScript (`build/<case>.mjs`): its own helpers (../lib) inlined, every package
 * external, so that under `--conditions=legitmark-dist` the child runs the built packages as users do.
 * `bundled`: every package inlined too (their `dist/`, tree-shaken), one file, as an application bundled
 * for deployment (a serverless function, a slim container) runs.
 */
const compileCase = (name: string, options: { readonly bundled?: boolean } = {}) => {
  const script = `build/${name}.mjs`
  return Effect.as(
    Effect.tryPromise({
      try: async () => {
        const esbuild = await import("esbuild")
        await esbuild.build({
          entryPoints: [path.join(benchDir, "cases", `${name}.ts`)],
          outfile: path.join(benchDir, script),
          bundle: true,
          platform: "node",
          format: "esm",
          target: "node20",
          logLevel: "warning",
          ...(options.bundled
            ? {
              conditions: ["legitmark-dist"],
              // CommonJS packages (axios's dependencies) inlined into an ES module still call `require`.
              banner: {
                js: `import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);`
              }
            }
            : { packages: "external" })
        })
      },
      catch: (e) => new Error(`compiling cases/${name}.ts: ${String(e)}`)
    }),
    script
  )
}
const coldScript = "build/coldstart.mjs"

const cold = Effect.gen(function*() {
  yield* build
  yield* compileCase("coldstart")
  const bundled = {
    "bundled:client-agent": yield* compileCase("bundled/client-agent", { bundled: true }),
    "bundled:axios": yield* compileCase("bundled/axios", { bundled: true })
  }
  const url = yield* server("static server (bench/server.ts)", ["bench/server.ts"])
  const runs = new Map<string, Array<Figures & { readonly spawnToExitMs: number }>>()
  const add = (key: string, run: Run) =>
    runs.set(key, [...(runs.get(key) ?? []), ...run.figures.map((f) => ({ ...f, spawnToExitMs: run.spawnToExitMs }))])
  const plain = (caseArgs: ReadonlyArray<string>) => runChild(coldScript, caseArgs, { node: dist, loader: false })
  const underTsx = (caseArgs: ReadonlyArray<string>) => runChild("cases/coldstart.ts", caseArgs)
  const runImpl = (impl: (typeof coldImpls)[number]) =>
    impl.startsWith("tsx:")
      ? underTsx(["--impl", impl.slice(4), "--url", url])
      : impl === "bundled:client-agent" || impl === "bundled:axios"
      ? runChild(bundled[impl], ["--url", url], { loader: false })
      : plain(["--impl", impl, "--url", url])
  // One untimed pass of each first: the timed runs read a warm file cache (and tsx a warm transform cache).
  yield* runImpl("client-agent")
  yield* runImpl("tsx:client-agent")
  yield* runImpl("bundled:client-agent")
  for (let rep = 0; rep < sizes.coldReps; rep++) {
    progress(`cold start (rep ${rep + 1}/${sizes.coldReps})`)
    for (const impl of rotate(coldImpls, rep)) add(impl, yield* runImpl(impl))
    for (const specifier of rotate(importSpecifiers, rep)) {
      add(`import:${specifier}`, yield* plain(["--import", specifier]))
    }
  }
  const axiosFirst = med(runs.get("axios") ?? [], "firstResponseMs")
  log(
    `\n### Cold start: fresh process to first decoded full SR, built JavaScript under plain node, ` +
      `${sizes.coldReps} runs each (ms since process start)`
  )
  log(table(
    ["implementation", "module ready", "imports done", "first response", "× axios", "spawn → exit", "peak RSS MB"],
    coldImpls.map((impl) => {
      const r = runs.get(impl) ?? []
      return [
        coldLabels[impl],
        withSpread(nums(r, "readyMs")),
        withSpread(nums(r, "importedMs")),
        withSpread(nums(r, "firstResponseMs")),
        ratio(med(r, "firstResponseMs"), axiosFirst),
        withSpread(nums(r, "spawnToExitMs")),
        withSpread(nums(r, "maxRssMb"))
      ]
    })
  ))
  const bundledAxios = med(runs.get("bundled:axios") ?? [], "firstResponseMs")
  const bundledClient = med(runs.get("bundled:client-agent") ?? [], "firstResponseMs")
  log(
    `\nBundled (one application bundle, as deployed to a serverless function): client-agent ${
      fmt(bundledClient, 0)
    } ms, ` +
      `${ratio(bundledClient, bundledAxios)} bundled axios (${
        fmt(bundledAxios, 0)
      } ms). The targets read the unbundled rows.`
  )
  const axiosImport = med(runs.get("import:axios") ?? [], "importMs")
  log(`\n### Import time of each module, alone in a fresh process, plain node, ${sizes.coldReps} runs each`)
  log(table(
    ["module", "import ms", "× axios", "peak RSS MB"],
    importSpecifiers.map((s) => {
      const r = runs.get(`import:${s}`) ?? []
      return [
        s,
        withSpread(nums(r, "importMs")),
        ratio(med(r, "importMs"), axiosImport),
        withSpread(nums(r, "maxRssMb"))
      ]
    })
  ))
  const first = med(runs.get("client-agent") ?? [], "firstResponseMs") / axiosFirst
  const profileArgs = ["--impl", "client-agent", "--url", url]
  targets.push({
    name: "cold: first decoded response (client)",
    target: "≤ 2× axios",
    measured: `${fmt(first, 2)}×`,
    hit: first <= 2,
    profile: { label: "cold-client-agent", script: coldScript, args: profileArgs }
  })
  if (profileMisses && first > 2) {
    yield* profile("cold-client-agent", coldScript, profileArgs, { node: dist, loader: false })
  }
}).pipe(Effect.scoped)

const bulk = Effect.gen(function*() {
  const limit = 100
  const windowSeconds = 10
  const speed = 10
  const url = yield* server("simulator (bulk)", [
    "packages/simulator/src/bin.ts",
    "--api-key",
    "leo_bench",
    "--rate-limit",
    `${limit}/${windowSeconds}`,
    "--speed",
    String(speed)
  ])
  const all: Array<Figures> = []
  const caseArgs = (tag: string) => [
    "--url",
    url,
    "--n",
    String(sizes.bulk),
    "--concurrency",
    "8",
    "--limit",
    String(limit),
    "--window-ms",
    String(windowSeconds * 1000),
    "--tag",
    tag
  ]
  for (let rep = 0; rep < repsLong; rep++) {
    progress(`bulk creates (rep ${rep + 1}/${repsLong})`)
    const run = yield* runChild("cases/bulk.ts", caseArgs(`r${rep}`))
    all.push(...run.figures)
  }
  log(
    `\n### Rate-limited bulk: ${
      fmt(sizes.bulk)
    } creates, 8 in flight, simulator limit ${limit} per ${windowSeconds} s ` +
      `window, simulated clock ×${speed} (client on the same scaled clock)`
  )
  log(table(
    ["run", "wall s", "simulated s", "minimum s", "× minimum", "429s", "windows", "created", "failed"],
    all.map((r, i) => [
      String(i + 1),
      fmt(Number(r.wallMs) / 1000, 2),
      fmt(Number(r.simulatedWallMs) / 1000, 1),
      fmt(Number(r.minimumMs) / 1000, 2),
      `${fmt(Number(r.overMinimum), 2)}×`,
      String(r.rateLimited),
      String(r.windows),
      String(r.created),
      `${String(r.failed)}${r.failures ? ` (${String(r.failures)})` : ""}`
    ])
  ))
  const over = med(all, "overMinimum")
  const per = med(all, "rateLimited") / med(all, "windows")
  targets.push(
    {
      name: "bulk: wall time",
      target: "≤ 1.10× theoretical minimum",
      measured: `${fmt(over, 2)}×`,
      hit: over <= 1.1,
      profile: { label: "bulk", script: "cases/bulk.ts", args: caseArgs("profile") }
    },
    { name: "bulk: 429s", target: "≤ 1 per window", measured: `${fmt(per, 2)} per window`, hit: per <= 1 }
  )
  if (profileMisses && over > 1.1) yield* profile("bulk", "cases/bulk.ts", caseArgs("profile"))
}).pipe(Effect.scoped)

const uploads = Effect.gen(function*() {
  const url = yield* server("simulator (uploads)", [
    "packages/simulator/src/bin.ts",
    "--api-key",
    "leo_bench",
    "--rate-limit",
    "100000/60"
  ])
  const impls = ["client", "undici"] as const
  const results = new Map<string, Array<Figures>>()
  const caseArgs = (impl: string) => ["--impl", impl, "--url", url, "--n", String(sizes.uploads), "--concurrency", "8"]
  for (let rep = 0; rep < repsLong; rep++) {
    for (const impl of rotate(impls, rep)) {
      progress(`uploads ${impl} (rep ${rep + 1}/${repsLong})`)
      const run = yield* runChild("cases/uploads.ts", caseArgs(impl), { node: ["--expose-gc"] })
      results.set(impl, [...(results.get(impl) ?? []), ...run.figures])
    }
  }
  const base = results.get("undici") ?? []
  const photo = Number(base[0]?.photoBytes ?? 0)
  log(
    `\n### Uploads: ${fmt(sizes.uploads)} × ${fmt(photo / 1e6, 2)} MB PNG, 8 in flight, intent + presigned PUT ` +
      `to the simulator, ${repsLong} runs each`
  )
  log(table(
    ["implementation", "MB/s", "× undici", "idle RSS MB", "peak RSS above idle MB (sampled)", "(high-water mark)"],
    impls.map((impl) => {
      const r = results.get(impl) ?? []
      return [
        impl === "client" ? "client media.upload" : "undici (raw PUT)",
        withSpread(nums(r, "mbPerSecond"), 1),
        ratio(med(r, "mbPerSecond"), med(base, "mbPerSecond")),
        withSpread(nums(r, "idleRssMb")),
        withSpread(nums(r, "peakAboveIdleMb"), 1),
        withSpread(nums(r, "maxRssAboveIdleMb"), 1)
      ]
    })
  ))
  const client = results.get("client") ?? []
  const above = Math.max(med(client, "peakAboveIdleMb"), med(client, "maxRssAboveIdleMb"))
  targets.push({
    name: "uploads: peak RSS above idle (client)",
    target: "< 8 × 5 MB = 40 MB",
    measured: `${fmt(above, 1)} MB`,
    hit: above < 40
  })
  if (profileMisses && above >= 40) {
    yield* profile("uploads-client", "cases/uploads.ts", caseArgs("client"), { node: ["--expose-gc"] })
  }
}).pipe(Effect.scoped)

/**
 * What durability costs: whole authentications in memory (`authenticate` + `awaitVerdict`) against the
 * same number as durable workflows (`AuthenticationWorkflow` on a SQLite file, woken by webhooks), on a
 * simulator at the rate of its default limit (1000 requests a minute, here 250 per 15 s windows), which is
 * what bounds both. A run takes about two minutes: one repetition unless `--reps` asks for more.
 */
const durable = Effect.gen(function*() {
  const url = yield* server("simulator (durable)", [
    "packages/simulator/src/bin.ts",
    "--api-key",
    "leo_bench",
    "--rate-limit",
    "250/15",
    "--step-ms",
    "500"
  ])
  const impls = ["memory", "durable"] as const
  const results = new Map<string, Array<Figures>>()
  const durableReps = num(argv, "reps", 1)
  for (let rep = 0; rep < durableReps; rep++) {
    for (const impl of rotate(impls, rep)) {
      progress(`durable: ${impl} (rep ${rep + 1}/${durableReps})`)
      const run = yield* runChild("cases/durable.ts", [
        "--impl",
        impl,
        "--url",
        url,
        "--n",
        String(sizes.durable),
        "--tag",
        `r${rep}`
      ], { timeout: Duration.minutes(10) })
      results.set(impl, [...(results.get(impl) ?? []), ...run.figures])
    }
  }
  const base = results.get("memory") ?? []
  log(
    `\n### Durable authentications: ${fmt(sizes.durable)} whole authentications (2 photos each) at the simulator's ` +
      `rate limit (250 requests per 15 s window), ${durableReps} run(s) each`
  )
  log(table(
    ["implementation", "to the last verdict s", "× memory", "API requests", "429s", "peak RSS MB"],
    impls.map((impl) => {
      const r = results.get(impl) ?? []
      return [
        impl === "memory"
          ? "in memory: authenticate + awaitVerdict"
          : "durable: AuthenticationWorkflow, SQLite",
        withSpread(nums(r, "wallMs").map((ms) => ms / 1000), 1),
        ratio(med(r, "wallMs"), med(base, "wallMs")),
        withSpread(nums(r, "apiRequests")),
        withSpread(nums(r, "rateLimited")),
        withSpread(nums(r, "maxRssMb"))
      ]
    })
  ))
  const durableRuns = results.get("durable") ?? []
  const last = durableRuns[durableRuns.length - 1]
  log(
    `\nStorage written per durable authentication: ${fmt(med(durableRuns, "bytesPerAuthentication") / 1024, 1)} KB ` +
      `of SQLite file (after a WAL checkpoint); rows per authentication: ${String(last?.rowsPerAuthentication ?? "")}.`
  )
  const over = med(durableRuns, "wallMs") / med(base, "wallMs")
  targets.push({
    name: "durable: 200 authentications at the rate limit",
    target: "≤ 1.2× in memory",
    measured: `${fmt(over, 2)}×`,
    hit: over <= 1.2
  })
}).pipe(Effect.scoped)

/** What the built client costs a user in bytes, and what importing each of its modules loads (scripts/size.ts). */
const size = Effect.gen(function*() {
  yield* build
  log("\n### Size: the README quickstart bundled, and the import graph of each client module (scripts/size.ts)\n")
  yield* runCommand("bundle sizes (scripts/size.ts)", process.execPath, [...tsx, "scripts/size.ts"], "stdout")
})

// ---------------------------------------------------------------------------------------------------

const main = Effect.gen(function*() {
  const started = Date.now()
  log(`# effect-legitmark benchmarks${quick ? " (--quick: tiny counts, not figures to quote)" : ""}`)
  log(
    `node ${process.version}; per-request cost and cold start on the built JavaScript under plain node, bulk ` +
      `and uploads under the tsx loader; ${reps} repetition(s) (${repsLong} for the long cases); implementations interleaved, each run a ` +
      "fresh process"
  )
  if (sections.has("requests")) yield* requests
  if (sections.has("cold")) yield* cold
  if (sections.has("bulk")) yield* bulk
  if (sections.has("uploads")) yield* uploads
  if (sections.has("durable")) yield* durable
  if (sections.has("size")) yield* size
  log("\n### Targets (this machine: 2 cores, shared)")
  log(table(
    ["target", "wanted", "measured", ""],
    targets.map((t) => [t.name, t.target, t.measured, t.hit ? "hit" : "MISS"])
  ))
  log(`\nTotal ${fmt((Date.now() - started) / 1000)} s.`)
})

Effect.runPromise(main).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
    process.exit(1)
  }
)
