#!/usr/bin/env tsx
/**
 * `legitmark`: the Legitmark Partner API from the command line. `legitmark --help` lists the commands.
 *
 * @since 0.1.0
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { readFileSync } from "node:fs"
import * as Cli from "./Cli.js"

// src/bin.ts and dist/bin.js both sit one level under the package root.
const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  readonly version: string
}

Cli.run(process.argv, { version }).pipe(
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    disablePrettyLogger: true,
    // The exit code `run` answered; Ctrl-C (an interruption) ends a server with 0.
    teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) && typeof exit.value === "number" ? exit.value : 0)
  })
)
