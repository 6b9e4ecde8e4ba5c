import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { spawnSync } from "node:child_process"
import { connect } from "node:net"
import { findBinary, postgresServer, redisServer } from "../src/index.js"

// One round trip of the Redis protocol: PING answers +PONG.
const ping = (port: number) =>
  Effect.async<string, Error>((resume) => {
    const socket = connect(port, "127.0.0.1", () => socket.write("PING\r\n"))
    socket.once("data", (data) => {
      socket.destroy()
      resume(Effect.succeed(data.toString().trim()))
    })
    socket.once("error", (error) => resume(Effect.fail(error)))
  })

describe("test services", () => {
  it.scoped("redis-server: answers, is killed by PID, and comes back on the same port", () =>
    Effect.gen(function*() {
      const redis = yield* redisServer
      expect(yield* ping(redis.port)).toBe("+PONG")
      const before = yield* redis.pid
      yield* redis.kill()
      const refused = yield* Effect.either(ping(redis.port))
      expect(refused._tag).toBe("Left")
      yield* redis.restart
      expect(yield* redis.pid).not.toBe(before)
      expect(yield* ping(redis.port)).toBe("+PONG")
    }), { timeout: 60_000 })

  it.scoped("postgres: a database survives a SIGKILL and a restart", () =>
    Effect.gen(function*() {
      const pg = yield* postgresServer
      const psql = yield* findBinary("psql", ["/usr/lib/postgresql/15/bin"])
      const url = yield* pg.createDatabase("survives")
      const sql = (query: string) =>
        spawnSync(psql, [url, "-At", "-v", "ON_ERROR_STOP=1", "-c", query], { encoding: "utf8" })
      expect(sql("CREATE TABLE t (n int); INSERT INTO t VALUES (42)").status).toBe(0)
      yield* pg.kill()
      expect(sql("SELECT 1").status).not.toBe(0)
      yield* pg.restart
      expect(sql("SELECT n FROM t").stdout.trim()).toBe("42")
    }), { timeout: 120_000 })
})
