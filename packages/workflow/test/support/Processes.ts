/**
 * Runner processes for the crash, soak and fleet tests: `test/support/runner.ts` in a child process,
 * its output read line by line, killed with SIGKILL by PID.
 */
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import type { RunnerOptions } from "./runner.js"

const packageDir = fileURLToPath(new URL("../..", import.meta.url))

export interface Runner {
  readonly pid: number
  /**
   * Waits for the `n`th output line (counting from the start) that matches; fails if the process exits
   * first, or after 90 s, with the end of its output.
   */
  readonly waitFor: (pattern: RegExp, n?: number) => Effect.Effect<string, Error>
  /** How many lines so far match. */
  readonly count: (pattern: RegExp) => Effect.Effect<number>
  /** SIGKILL by PID; waits until the process is gone. */
  readonly kill: Effect.Effect<void>
  /** Waits for a normal exit, failing on a non-zero code, or after 150 s, with the end of its output. */
  readonly exit: Effect.Effect<void, Error>
  readonly output: Effect.Effect<string>
}

interface Waiter {
  readonly pattern: RegExp
  readonly n: number
  readonly deferred: Deferred.Deferred<string, Error>
}

/** Starts a runner; it is killed when the scope closes, if still alive. */
export const start = (options: RunnerOptions): Effect.Effect<Runner, never, Scope.Scope> =>
  Effect.gen(function*() {
    const lines = yield* Ref.make<ReadonlyArray<string>>([])
    const waiters = new Set<Waiter>()
    const exited = yield* Deferred.make<number | null>()
    const child = spawn(process.execPath, ["--import", "tsx", "test/support/runner.ts"], {
      cwd: packageDir,
      env: { ...process.env, RUNNER_OPTIONS: JSON.stringify(options) },
      stdio: ["ignore", "pipe", "pipe"]
    })
    const pid = child.pid ?? -1
    let stderr = ""
    let pending = ""
    const settle = (all: ReadonlyArray<string>) => {
      for (const waiter of waiters) {
        let seen = 0
        for (const line of all) {
          if (waiter.pattern.test(line) && ++seen >= waiter.n) {
            waiters.delete(waiter)
            Deferred.unsafeDone(waiter.deferred, Effect.succeed(line))
            break
          }
        }
      }
    }
    child.stdout.on("data", (chunk: Buffer) => {
      pending += chunk.toString()
      const parts = pending.split("\n")
      pending = parts.pop() ?? ""
      const all = Effect.runSync(Ref.updateAndGet(lines, (before) => [...before, ...parts]))
      settle(all)
    })
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-20_000)
    })
    child.once("exit", (code) => {
      Deferred.unsafeDone(exited, Effect.succeed(code))
      const tail = Effect.runSync(Ref.get(lines)).slice(-20).join("\n")
      for (const waiter of waiters) {
        Deferred.unsafeDone(
          waiter.deferred,
          Effect.fail(new Error(`runner ${pid} exited (${code}) before ${waiter.pattern}:\n${tail}\n${stderr}`))
        )
      }
      waiters.clear()
    })
    const kill = Effect.suspend(() => {
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, "SIGKILL")
      return Deferred.await(exited)
    }).pipe(Effect.asVoid)
    yield* Effect.addFinalizer(() => kill)
    const output = Effect.map(Ref.get(lines), (all) => `${all.join("\n")}\n--- stderr ---\n${stderr}`)
    return {
      pid,
      waitFor: (pattern, n = 1) =>
        Effect.flatMap(Deferred.make<string, Error>(), (deferred) => {
          const waiter = { pattern, n, deferred }
          waiters.add(waiter)
          settle(Effect.runSync(Ref.get(lines)))
          if (child.exitCode !== null || child.signalCode !== null) {
            Deferred.unsafeDone(deferred, Effect.fail(new Error(`runner ${pid} is not running`)))
          }
          return Deferred.await(deferred).pipe(
            Effect.timeoutFailCause({
              duration: "90 seconds",
              onTimeout: () => {
                waiters.delete(waiter)
                const tail = Effect.runSync(Ref.get(lines)).slice(-30).join("\n")
                return Cause.fail(new Error(`runner ${pid}: no ${pattern} #${n} within 90 s:\n${tail}\n${stderr}`))
              }
            })
          )
        }),
      count: (pattern) => Effect.map(Ref.get(lines), (all) => all.filter((line) => pattern.test(line)).length),
      kill,
      exit: Deferred.await(exited).pipe(
        Effect.timeout("150 seconds"),
        Effect.flatMap((code) =>
          code === 0 ? Effect.void : Effect.fail(new Error(`runner ${pid} exited with ${code}`))
        ),
        Effect.catchAll((error) =>
          Effect.flatMap(Ref.get(lines), (all) =>
            Effect.fail(
              new Error(
                `runner ${pid}: ${error.message}\n${
                  all.filter((l) => !l.startsWith("@@span")).slice(-40).join("\n")
                }\n${stderr}`
              )
            ))
        )
      ),
      output
    } satisfies Runner
  })

/** A small seeded PRNG (mulberry32), so that a run's kill points repeat. */
export const prng = (seed: number) => {
  let state = seed >>> 0
  return (below: number): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below)
  }
}
