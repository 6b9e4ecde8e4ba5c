/**
 * Webhook receiver processes (support/webhookReceiver.ts) for the end-to-end tests: bundled once with
 * esbuild (as one would deploy it: a process starts in about a third of the time `tsx` takes, so the
 * restarts cost less), started with `node`, watched line by line on stdout, killed with SIGKILL by PID.
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as esbuild from "esbuild"
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const script = fileURLToPath(new URL("./webhookReceiver.ts", import.meta.url))

/** The receiver as one ES module, in a temporary directory for the layer's lifetime. */
export class Bundle extends Context.Tag("test/ReceiverBundle")<Bundle, string>() {}

export const layerBundle: Layer.Layer<Bundle> = Layer.scoped(
  Bundle,
  Effect.gen(function*() {
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "legitmark-receiver-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    )
    // The native SQLite binding stays outside the bundle, imported by its absolute path.
    const sqlite = createRequire(createRequire(script).resolve("@effect/sql-sqlite-node")).resolve("better-sqlite3")
    const outfile = join(dir, "receiver.mjs")
    yield* Effect.promise(() =>
      esbuild.build({
        entryPoints: [script],
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node20",
        outfile,
        logLevel: "error",
        // Bundled CommonJS dependencies (pg) call `require` for Node's modules.
        banner: {
          js:
            "import { createRequire as __createRequireOfBundle } from 'node:module'; const require = __createRequireOfBundle(import.meta.url);"
        },
        plugins: [{
          name: "native",
          setup: (build) => {
            build.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: sqlite, external: true }))
            build.onResolve({ filter: /^pg-native$/ }, (args) => ({ path: args.path, external: true }))
          }
        }]
      })
    )
    return outfile
  })
).pipe(Layer.orDie)

export interface Receiver {
  readonly name: string
  readonly pid: number
  /** Waits until a line of its stdout matches; dies after 30 s, or when the process exits first. */
  readonly line: (pattern: RegExp) => Effect.Effect<string>
  /** SIGKILL by PID; waits until the process is gone. */
  readonly kill: Effect.Effect<void>
}

/** Starts a receiver and waits until it listens; it is killed with the scope if still running. */
export const start = (
  name: string,
  env: Readonly<Record<string, string>>
): Effect.Effect<Receiver, never, Scope.Scope | Bundle> =>
  Effect.gen(function*() {
    const bundle = yield* Bundle
    const child = yield* Effect.acquireRelease(
      Effect.sync(() =>
        spawn(process.execPath, [bundle], {
          env: { ...process.env, ...env, NAME: name },
          stdio: ["ignore", "pipe", "pipe"]
        })
      ),
      (child) =>
        Effect.async<void>((resume) => {
          if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
          child.once("exit", () => resume(Effect.void))
          child.kill("SIGKILL")
        })
    )
    const lines: Array<string> = []
    let stderr = ""
    let pending = ""
    child.stdout.on("data", (chunk: Buffer) => {
      pending += chunk.toString("utf8")
      const parts = pending.split("\n")
      pending = parts.pop() ?? ""
      lines.push(...parts)
    })
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-4000)
    })
    const exited = () => child.exitCode !== null || child.signalCode !== null
    const line = (pattern: RegExp) =>
      Effect.suspend(() => {
        const found = lines.find((l) => pattern.test(l))
        if (found !== undefined) return Effect.succeed(found)
        return exited() ?
          Effect.dieMessage(`receiver ${name} exited before printing ${pattern}: ${stderr}`) :
          Effect.fail("not yet" as const)
      }).pipe(
        Effect.retry(Schedule.spaced("5 millis")),
        Effect.timeoutFail({
          duration: Duration.seconds(30),
          onTimeout: () => `receiver ${name} never printed ${pattern}: ${lines.join(" | ")} ${stderr}`
        }),
        Effect.orDie
      )
    const kill = Effect.async<void>((resume) => {
      if (exited()) return resume(Effect.void)
      child.once("exit", () => resume(Effect.void))
      if (child.pid !== undefined) process.kill(child.pid, "SIGKILL")
    })
    yield* line(/^listening$/)
    return { name, pid: child.pid ?? -1, line, kill }
  })
