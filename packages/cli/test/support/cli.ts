/**
 * The `legitmark` bin run as a user runs it: a child process (`node --import tsx src/bin.ts`), its own
 * environment, its stdout, stderr and exit code.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

const packageDir = fileURLToPath(new URL("../..", import.meta.url))
const bin = fileURLToPath(new URL("../../src/bin.ts", import.meta.url))

/** The parent's environment without any LEGITMARK_* variable, plus `env` (undefined removes). */
const environment = (env: Readonly<Record<string, string | undefined>>) => {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("LEGITMARK_") && value !== undefined) out[key] = value
  }
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete out[key]
    else out[key] = value
  }
  return out
}

const start = (args: ReadonlyArray<string>, env: Readonly<Record<string, string | undefined>>): ChildProcess =>
  spawn(process.execPath, ["--import", "tsx", bin, ...args], {
    cwd: packageDir,
    env: environment(env),
    stdio: ["ignore", "pipe", "pipe"]
  })

export interface Result {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs the bin to its end; interrupting the effect kills the process (SIGKILL). */
export const run = (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>> = {}
): Effect.Effect<Result> => runProgram(process.execPath, ["--import", "tsx", bin, ...args], env)

/** Runs any program in the package's directory, with the environment as `run` gives the bin. */
export const runProgram = (
  program: string,
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>> = {}
): Effect.Effect<Result> =>
  Effect.async<Result>((resume) => {
    const child = spawn(program, args, { cwd: packageDir, env: environment(env), stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")))
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")))
    child.on("close", (code, signal) => resume(Effect.succeed({ code, signal, stdout, stderr })))
    return Effect.sync(() => child.kill("SIGKILL"))
  })

/** A bin that keeps running (a server): its output so far, a wait for a line, and its end. */
export interface Running {
  readonly pid: number
  readonly stdout: Effect.Effect<string>
  readonly stderr: Effect.Effect<string>
  /** Waits until stdout or stderr matches, and answers the match. */
  readonly waitFor: (pattern: RegExp) => Effect.Effect<RegExpExecArray>
  /** Sends a signal and waits for the process to end. */
  readonly stop: (signal: NodeJS.Signals) => Effect.Effect<Result>
  /** Waits for the process to end by itself. */
  readonly ended: Effect.Effect<Result>
}

/** Starts the bin; the scope's end SIGKILLs it if it is still running. */
export const spawnBin = (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>> = {}
) =>
  Effect.gen(function*() {
    const child = yield* Effect.acquireRelease(
      Effect.sync(() => start(args, env)),
      (child) => Effect.sync(() => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"))
    )
    const out = yield* Ref.make("")
    const err = yield* Ref.make("")
    const changed = yield* Ref.make(yield* Deferred.make<void>())
    const ended = yield* Deferred.make<{ code: number | null; signal: NodeJS.Signals | null }>()
    const append = (ref: Ref.Ref<string>) => (chunk: Buffer) =>
      Effect.runSync(Effect.gen(function*() {
        yield* Ref.update(ref, (s) => s + chunk.toString("utf8"))
        const next = yield* Deferred.make<void>()
        yield* Deferred.succeed(yield* Ref.getAndSet(changed, next), undefined)
      }))
    child.stdout!.on("data", append(out))
    child.stderr!.on("data", append(err))
    child.on("close", (code, signal) => Effect.runSync(Deferred.succeed(ended, { code, signal })))

    const waitFor = (pattern: RegExp): Effect.Effect<RegExpExecArray> =>
      Effect.gen(function*() {
        const signal = yield* Ref.get(changed)
        const text = (yield* Ref.get(out)) + "\n" + (yield* Ref.get(err))
        const match = pattern.exec(text)
        if (match !== null) return match
        if (yield* Deferred.isDone(ended)) {
          return yield* Effect.dieMessage(`the bin ended before printing ${pattern}:\n${text}`)
        }
        yield* Effect.raceFirst(Deferred.await(signal), Deferred.await(ended))
        return yield* waitFor(pattern)
      })

    const result = Effect.gen(function*() {
      const { code, signal: killedBy } = yield* Deferred.await(ended)
      return { code, signal: killedBy, stdout: yield* Ref.get(out), stderr: yield* Ref.get(err) } satisfies Result
    })
    const stop = (signal: NodeJS.Signals) => Effect.zipRight(Effect.sync(() => child.kill(signal)), result)

    return {
      pid: child.pid!,
      stdout: Ref.get(out),
      stderr: Ref.get(err),
      waitFor,
      stop,
      ended: result
    } satisfies Running
  })
