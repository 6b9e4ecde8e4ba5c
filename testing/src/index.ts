/**
 * Real servers for the tests: `redis-server` and PostgreSQL on free loopback ports, each a scoped
 * process that a test can kill by PID and start again on the same port and data. A missing binary
 * fails the test (never skips it): `pnpm test` installs them (scripts/ensure-services.sh).
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** A server process that could not be started or stopped. */
export class ServiceError extends Data.TaggedError("ServiceError")<{ readonly message: string }> {}

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export const freePort: Effect.Effect<number, ServiceError> = Effect.async((resume) => {
  const server = createServer()
  server.once("error", (error) => resume(Effect.fail(new ServiceError({ message: error.message }))))
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

const runsAsRoot = typeof process.getuid === "function" && process.getuid() === 0

/** The path of an installed program, from PATH or one of `dirs`. */
export const findBinary = (name: string, dirs: ReadonlyArray<string> = []): Effect.Effect<string, ServiceError> =>
  Effect.suspend(() => {
    const onPath = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).stdout.trim()
    if (onPath !== "") return Effect.succeed(onPath)
    const found = dirs.map((dir) => join(dir, name)).find((path) => existsSync(path))
    return found !== undefined ?
      Effect.succeed(found) :
      Effect.fail(
        new ServiceError({
          message: `${name} is not installed: run \`bash scripts/ensure-services.sh\` (pnpm test does)`
        })
      )
  })

/** Waits until `ready` matches the process's output, or fails when it exits first or after `timeout`. */
const awaitOutput = (child: ChildProcess, ready: RegExp, what: string) =>
  Effect.async<void, ServiceError>((resume) => {
    let output = ""
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (ready.test(output)) {
        cleanup()
        resume(Effect.void)
      }
    }
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      cleanup()
      resume(
        Effect.fail(new ServiceError({ message: `${what} exited (${code ?? signal}) before it was ready: ${output}` }))
      )
    }
    const cleanup = () => {
      child.stdout?.off("data", onData)
      child.stderr?.off("data", onData)
      child.off("exit", onExit)
      // Keep draining, so a chatty server never blocks on a full pipe.
      child.stdout?.resume()
      child.stderr?.resume()
    }
    child.stdout?.on("data", onData)
    child.stderr?.on("data", onData)
    child.once("exit", onExit)
    return Effect.sync(cleanup)
  }).pipe(
    Effect.timeoutFail({
      duration: "30 seconds",
      onTimeout: () => new ServiceError({ message: `${what} was not ready within 30 s` })
    })
  )

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ?
    Effect.void :
    Effect.async<void>((resume) => {
      child.once("exit", () => resume(Effect.void))
    })

/** Sends `signal` to the process and waits until it is gone. */
const stop = (child: ChildProcess, signal: NodeJS.Signals) =>
  Effect.suspend(() => {
    if (child.exitCode !== null || child.signalCode !== null) return Effect.void
    child.kill(signal)
    return exited(child)
  })

/** A server process the test controls. */
export interface Service {
  /** The PID of the process running now. */
  readonly pid: Effect.Effect<number>
  /** Kills the process by PID (default SIGKILL) and waits until it is gone. */
  readonly kill: (signal?: NodeJS.Signals) => Effect.Effect<void>
  /** Starts it again on the same port and data, once the previous process is gone. */
  readonly restart: Effect.Effect<void, ServiceError>
}

const managed = (
  start: Effect.Effect<ChildProcess, ServiceError>
): Effect.Effect<Service, ServiceError, Scope.Scope> =>
  Effect.gen(function*() {
    const current = yield* Ref.make(yield* start)
    yield* Effect.addFinalizer(() =>
      Ref.get(current).pipe(
        Effect.flatMap((child) =>
          stop(child, "SIGTERM").pipe(
            Effect.timeout("10 seconds"),
            Effect.catchAll(() => stop(child, "SIGKILL"))
          )
        )
      )
    )
    const kill = (signal: NodeJS.Signals = "SIGKILL") =>
      Effect.flatMap(Ref.get(current), (child) =>
        Effect.suspend(() => {
          if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
            process.kill(child.pid, signal)
          }
          return exited(child)
        }))
    return {
      pid: Effect.map(Ref.get(current), (child) => child.pid ?? -1),
      kill,
      restart: Effect.flatMap(kill("SIGKILL"), () => Effect.flatMap(start, (child) => Ref.set(current, child)))
    }
  })

/** A throwaway `redis-server` on 127.0.0.1, without persistence. */
export interface RedisServer extends Service {
  readonly port: number
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
}

/** Starts a `redis-server` on 127.0.0.1:`port` (a test that starts it late picks the port first). */
export const redisServerOn = (port: number): Effect.Effect<RedisServer, ServiceError, Scope.Scope> =>
  Effect.gen(function*() {
    const binary = yield* findBinary("redis-server")
    const start = Effect.suspend(() => {
      const child = spawn(binary, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
        stdio: ["ignore", "pipe", "pipe"]
      })
      return Effect.as(awaitOutput(child, /Ready to accept connections/, "redis-server"), child)
    })
    const service = yield* managed(start)
    return { ...service, port, url: `redis://127.0.0.1:${port}` }
  })

/** Starts a `redis-server` on a free loopback port; it is stopped with the scope. */
export const redisServer: Effect.Effect<RedisServer, ServiceError, Scope.Scope> = Effect.flatMap(
  freePort,
  redisServerOn
)

/** A throwaway PostgreSQL cluster on 127.0.0.1 (trust authentication, user `postgres`). */
export interface PostgresServer extends Service {
  readonly port: number
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string
  /** Creates a database and answers its URL. */
  readonly createDatabase: (name: string) => Effect.Effect<string, ServiceError>
}

const postgresDirs = (): ReadonlyArray<string> => {
  const root = "/usr/lib/postgresql"
  if (!existsSync(root)) return []
  return readdirSync(root).sort((a, b) => Number(b) - Number(a)).map((version) => join(root, version, "bin"))
}

// PostgreSQL refuses to run as root: as root, its programs run as the `postgres` user (spawned with
// that uid, so that the PID a test kills is the server's own, not a wrapper's).
const postgresUser = () => {
  const id = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" })
  const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" })
  return id.status === 0 && gid.status === 0 ? { uid: Number(id.stdout), gid: Number(gid.stdout) } : undefined
}

/** Starts a PostgreSQL cluster in a temporary directory on a free loopback port; removed with the scope. */
export const postgresServer: Effect.Effect<PostgresServer, ServiceError, Scope.Scope> = Effect.gen(function*() {
  const dirs = postgresDirs()
  const initdb = yield* findBinary("initdb", dirs)
  const postgres = yield* findBinary("postgres", dirs)
  const psql = yield* findBinary("psql", dirs)
  const port = yield* freePort
  const dir = yield* Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "legitmark-pg-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )
  const owner = runsAsRoot ? postgresUser() : undefined
  if (runsAsRoot) {
    if (owner === undefined) {
      return yield* new ServiceError({ message: "no postgres user: install postgresql (scripts/ensure-services.sh)" })
    }
    chownSync(dir, owner.uid, owner.gid)
  }
  const data = join(dir, "data")
  const init = spawnSync(initdb, ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"], {
    encoding: "utf8",
    cwd: dir,
    ...owner
  })
  if (init.status !== 0) {
    return yield* new ServiceError({ message: `initdb failed: ${init.stderr || init.stdout}` })
  }
  const start = Effect.suspend(() => {
    const child = spawn(postgres, [
      "-D",
      data,
      "-p",
      String(port),
      "-h",
      "127.0.0.1",
      "-k",
      dir,
      "-c",
      "fsync=off",
      "-c",
      "max_connections=200"
    ], { stdio: ["ignore", "pipe", "pipe"], cwd: dir, ...owner })
    return Effect.as(awaitOutput(child, /database system is ready to accept connections/, "postgres"), child)
  })
  const service = yield* managed(start)
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`
  const createDatabase = (name: string) =>
    Effect.suspend(() => {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
        return Effect.fail(new ServiceError({ message: `not a plain database name: ${name}` }))
      }
      const created = spawnSync(psql, [url, "-v", "ON_ERROR_STOP=1", "-c", `CREATE DATABASE ${name}`], {
        encoding: "utf8"
      })
      return created.status === 0 ?
        Effect.succeed(`postgres://postgres@127.0.0.1:${port}/${name}`) :
        Effect.fail(new ServiceError({ message: `CREATE DATABASE ${name} failed: ${created.stderr}` }))
    })
  return { ...service, port, url, createDatabase }
})
