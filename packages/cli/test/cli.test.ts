/**
 * The `legitmark` bin end to end: each test starts a simulator on 127.0.0.1, runs the bin as a child
 * process against it (LEGITMARK_* in its environment) and checks what it printed, its exit code, and
 * what the simulator saw.
 */
import { Simulator } from "@effect-legitmark/simulator"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { run, runProgram, spawnBin } from "./support/cli.js"
import { writePng } from "./support/png.js"

const apiKey = "leo_cli_test"
const footwear = "25ed7133-f230-4d64-850d-0cfc698e2931"
const sneakers = "95e428c2-7c4f-11ef-a623-02595575faeb"

// Photos on disk, named after the sides of Footwear → Sneakers (Interior Size Tag or Stamp, Outer Sides).
const dir = mkdtempSync(join(tmpdir(), "legitmark-cli-"))
const outerSides = writePng(join(dir, "outer-sides.png"), 700, 640, 1)
const tag = writePng(join(dir, "tag.png"), 640, 700, 2)
const soles = writePng(join(dir, "sole.png"), 620, 620, 3)
const small = writePng(join(dir, "small.png"), 500, 500, 4)
const unnamed = writePng(join(dir, "IMG_0001.png"), 640, 640, 5)
const notAnImage = join(dir, "notes.png")
writeFileSync(notAnImage, "not an image")

/** A simulator for one test (states 50 ms apart) and the environment that points the bin at it. */
const simulator = (options: Simulator.Options = {}) =>
  Effect.map(Simulator.start({ apiKeys: [apiKey], stepMs: 50, ...options }), (sim) => ({
    sim,
    env: { LEGITMARK_API_KEY: apiKey, LEGITMARK_BASE_URL: sim.baseUrl, LEGITMARK_ASSET_URL: sim.assetUrl }
  }))

const requestCount = (sim: Simulator.SimulatorInfo) =>
  Effect.map(sim.stats, (stats) => Object.values(stats.requests).reduce((n, count) => n + count, 0))

/** An expected failure: the given exit code, nothing on stdout, one line on stderr and no stack trace. */
const assertOneLine = (result: { code: number | null; stdout: string; stderr: string }, code: number, line: RegExp) => {
  assert.strictEqual(result.code, code, result.stderr)
  assert.strictEqual(result.stdout, "")
  const lines = result.stderr.trimEnd().split("\n")
  assert.strictEqual(lines.length, 1, result.stderr)
  assert.match(lines[0]!, /^legitmark: /)
  assert.match(lines[0]!, line)
  assert.notMatch(result.stderr, /\bat .*\(|\.ts:\d+/)
}

// One test at a time: each starts several node processes, and the machine may be shared. The timeout is
// a safety net for a loaded machine, not a measure of anything.
describe("legitmark", { timeout: 120_000 }, () => {
  it.live("--help lists the commands, --version the package's, --completions a shell script", () =>
    Effect.gen(function*() {
      const help = yield* run(["--help"])
      assert.strictEqual(help.code, 0)
      for (const command of ["authenticate", "sr get", "sr find", "sr watch", "taxonomy tree", "taxonomy brands"]) {
        assert.include(help.stdout, command)
      }
      for (const command of ["taxonomy models", "webhooks listen", "simulator"]) assert.include(help.stdout, command)
      const version = yield* run(["--version"])
      assert.strictEqual(version.code, 0)
      const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
      assert.strictEqual(version.stdout.trim(), pkg.version)
      const completions = yield* run(["--completions", "bash"])
      assert.strictEqual(completions.code, 0)
      assert.match(completions.stdout, /complete .*legitmark/)
    }))

  it.scoped("authenticate: a bar per photo, the states as they change, then the verdict", () =>
    Effect.gen(function*() {
      const { env, sim } = yield* simulator()
      const result = yield* run([
        "authenticate",
        "SKU-CLI-1",
        "--category",
        "footwear",
        "--type",
        "Sneakers",
        outerSides,
        `size tag=${tag}`,
        "--interval",
        "0.05"
      ], env)
      assert.strictEqual(result.code, 0, result.stderr)
      assert.strictEqual(result.stderr, "")
      const out = result.stdout
      assert.match(out, /^Authenticating SKU-CLI-1 \(Footwear → Sneakers\), 2 photos$/m)
      assert.match(out, /^ {2}Outer Sides +\[█{24}\] 100% {2}\d+(\.\d)? [KM]B$/m)
      assert.match(out, /^ {2}Interior Size Tag or Stamp +\[█{24}\] 100% {2}\d+(\.\d)? [KM]B$/m)
      assert.match(out, /^Submitted SR [0-9a-f-]{36} \(micro id \d+\)$/m)
      assert.match(out, /QC\/PENDING +queued for quality control/)
      assert.match(out, /COMPLETE\/APPROVED +authentic/)
      assert.match(out, /^Verdict: AUTHENTIC {2}certificate https:\/\/\S+\.pdf$/m)
      // In order: bars, submit, states, verdict.
      const order = ["Outer Sides", "Submitted SR", "QC/PENDING", "COMPLETE/APPROVED", "Verdict"].map((s) =>
        out.indexOf(s)
      )
      assert.deepStrictEqual(order, [...order].sort((a, b) => a - b))

      const [sr] = yield* sim.serviceRequests
      assert.strictEqual(sr?.externalId, "SKU-CLI-1")
      assert.strictEqual(`${sr?.state.primary}/${sr?.state.supplement}`, "COMPLETE/APPROVED")
      assert.strictEqual((yield* sim.stats).uploads, 2)
    }))

  it.scoped("authenticate on a terminal: the bars are redrawn in place", () =>
    Effect.gen(function*() {
      const { env } = yield* simulator({ clock: "manual" })
      // `script` gives the bin a pseudo-terminal, as a person's shell would.
      const command = [process.execPath, "--import", "tsx", "src/bin.ts", "authenticate", "SKU-TTY", "--category"]
        .concat(["Footwear", "--type", "Sneakers", outerSides, tag, "--no-wait"])
        .map((arg) => `'${arg}'`).join(" ")
      const result = yield* runProgram("script", ["-qec", command, "/dev/null"], env)
      assert.strictEqual(result.code, 0, result.stdout + result.stderr)
      const out = result.stdout.replaceAll("\r", "")
      // Each redraw clears the lines it writes; the last one shows both photos sent.
      assert.include(out, "\x1b[2K  Outer Sides")
      assert.match(out, /\x1b\[2K {2}Outer Sides +\[█{24}\] 100%/)
      assert.match(out, /\x1b\[2K {2}Interior Size Tag or Stamp +\[█{24}\] 100%/)
      assert.match(out, /^Submitted SR [0-9a-f-]{36}/m)
    }))

  it.scoped("authenticate --json: one document on stdout, with the sides matched by file name", () =>
    Effect.gen(function*() {
      const { env } = yield* simulator()
      const result = yield* run([
        "authenticate",
        "SKU-FAKE-2",
        "--category",
        footwear,
        "--type",
        sneakers,
        outerSides,
        `Interior Size Tag or Stamp=${tag}`,
        soles,
        "--interval",
        "0.05",
        "--json"
      ], env)
      assert.strictEqual(result.code, 0, result.stderr)
      const doc = JSON.parse(result.stdout) as Record<string, unknown>
      assert.strictEqual(doc.reference_id, "SKU-FAKE-2")
      assert.strictEqual(doc.outcome, "NOT_AUTHENTIC")
      assert.strictEqual(doc.state, "COMPLETE/REJECTED")
      assert.strictEqual(doc.submitted, true)
      assert.deepStrictEqual([...(doc.uploaded as Array<string>)].sort(), [
        "Interior Size Tag or Stamp",
        "Outer Sides",
        "Soles"
      ])
      const states = (doc.states as Array<{ state: string }>).map((s) => s.state)
      assert.strictEqual(states[0], "QC/PENDING")
      assert.strictEqual(states[states.length - 1], "COMPLETE/REJECTED")
    }))

  it.scoped("authenticate --no-wait, then again with the same reference id: resumed, nothing sent twice", () =>
    Effect.gen(function*() {
      const { env, sim } = yield* simulator({ clock: "manual" })
      const args = ["authenticate", "SKU-CLI-3", "--category", "Footwear", "--type", "Sneakers", outerSides, tag]
      const first = yield* run([...args, "--no-wait", "--json"], env)
      assert.strictEqual(first.code, 0, first.stderr)
      const doc = JSON.parse(first.stdout) as Record<string, unknown>
      assert.strictEqual(doc.state, "QC/PENDING")
      assert.strictEqual(doc.submitted, true)

      const again = yield* run([...args, "--no-wait"], env)
      assert.strictEqual(again.code, 0, again.stderr)
      assert.match(again.stdout, new RegExp(`^Resuming SR ${doc.sr} for SKU-CLI-3`, "m"))
      assert.match(again.stdout, /was already submitted/)
      const stats = yield* sim.stats
      assert.strictEqual(stats.uploads, 2)
      assert.strictEqual(stats.srCount, 1)
      assert.deepStrictEqual(Object.values(stats.submits), [1])
    }))

  describe("bad input: one line on stderr, exit 2", () => {
    const item = ["--category", "Footwear", "--type", "Sneakers"]
    // Checked on disk: not a single request.
    const local: ReadonlyArray<readonly [string, ReadonlyArray<string>, RegExp]> = [
      ["a missing photo file", [join(dir, "missing.png"), tag], /photo .*missing\.png: no such file/],
      ["a photo under 600×600", [outerSides, `tag=${small}`], /500×500 px is under the minimum of 600×600/],
      ["a file that is not an image", [outerSides, `tag=${notAnImage}`], /notes\.png: not a readable PNG image/],
      ["SIDE= with no path", [outerSides, "tag="], /photo "tag=": write SIDE=PATH/]
    ]
    for (const [name, photos, line] of local) {
      it.scoped(`${name}: before any request`, () =>
        Effect.gen(function*() {
          const { env, sim } = yield* simulator()
          const result = yield* run(["authenticate", "SKU-BAD", ...item, ...photos], env)
          assertOneLine(result, 2, line)
          assert.strictEqual(yield* requestCount(sim), 0)
        }))
    }

    // Checked against the taxonomy: reads only, no SR opened, no photo sent.
    const catalog: ReadonlyArray<readonly [string, ReadonlyArray<string>, RegExp]> = [
      [
        "an unknown category name",
        ["--category", "Shoes", "--type", "Sneakers", outerSides, tag],
        /unknown category "Shoes"; known: Footwear, Bag, Accessories, Watches/
      ],
      [
        "an unknown type",
        ["--category", "Footwear", "--type", "Clogs", outerSides, tag],
        /unknown type "Clogs" in Footwear/
      ],
      [
        "an unknown side",
        [...item, outerSides, `Lid=${tag}`],
        /Footwear → Sneakers has no side "Lid" \(sides: .*Outer Sides/
      ],
      ["a side that could be two", [...item, outerSides, `sides=${tag}`], /"sides" could be Inner Sides, Outer Sides/],
      [
        "a file name that is no side",
        [...item, outerSides, unnamed],
        /cannot tell which side/
      ],
      ["two photos for one side", [...item, outerSides, `outer=${tag}`], /two photos for Outer Sides/],
      ["a required side without a photo", [...item, outerSides], /no photo for the required side Interior Size Tag/]
    ]
    for (const [name, args, line] of catalog) {
      it.scoped(`${name}: nothing written`, () =>
        Effect.gen(function*() {
          const { env, sim } = yield* simulator()
          const result = yield* run(["authenticate", "SKU-BAD", ...args], env)
          assertOneLine(result, 2, line)
          const stats = yield* sim.stats
          const routes = Object.keys(stats.routes)
          assert.isTrue(routes.every((route) => route.startsWith("taxonomy.") || route === "sr.find"), routes.join())
          assert.strictEqual(stats.srCount, 0)
          assert.strictEqual(stats.uploads, 0)
        }))
    }

    it.scoped("no LEGITMARK_API_KEY: before any request", () =>
      Effect.gen(function*() {
        const { env, sim } = yield* simulator()
        const result = yield* run(["taxonomy", "tree"], { ...env, LEGITMARK_API_KEY: undefined })
        assertOneLine(result, 2, /configuration: LEGITMARK_API_KEY is not set/)
        const insecure = yield* run(["taxonomy", "tree"], { ...env, LEGITMARK_BASE_URL: "http://api.example.com" })
        assertOneLine(insecure, 2, /LEGITMARK_BASE_URL: .*must use https/)
        assert.strictEqual(yield* requestCount(sim), 0)
      }))

    it.live("a command line @effect/cli refuses: its message, exit 2", () =>
      Effect.gen(function*() {
        const result = yield* run(["authenticate", "SKU-1", "--category", "Footwear", outerSides])
        assert.strictEqual(result.code, 2)
        assert.match(result.stderr, /--type/)
        assert.notMatch(result.stderr, /\bat .*\(/)
        const zero = yield* run(["sr", "watch", "SKU-1", "--interval", "0"])
        assert.strictEqual(zero.code, 2)
        assert.match(zero.stderr, /--interval must be a positive number of seconds/)
      }))
  })

  it.scoped("failures of the API: one line with the error and the status, exit 1", () =>
    Effect.gen(function*() {
      const { env, sim } = yield* simulator()
      const missing = yield* run(["sr", "get", "8e61c991-553a-4a58-9eb6-561b64c11908"], env)
      assertOneLine(missing, 1, /no service request 8e61c991-553a-4a58-9eb6-561b64c11908/)
      const wrongKey = yield* run(["taxonomy", "tree"], { ...env, LEGITMARK_API_KEY: "leo_wrong" })
      assertOneLine(wrongKey, 1, /^legitmark: AuthenticationError \(403\): /)
      // Past the client's retries.
      yield* sim.injectFault({ route: "taxonomy.tree", fault: "503", times: 100 })
      const down = yield* run(["taxonomy", "tree"], env)
      assertOneLine(down, 1, /^legitmark: ServerError \(503\): /)
    }))

  it.scoped("sr get | find | watch, by uuid or reference id, as text or JSON", () =>
    Effect.gen(function*() {
      const { env, sim } = yield* simulator({ clock: "manual" })
      const opened = yield* run(
        [
          "authenticate",
          "SKU-CLI-4",
          "--category",
          "Footwear",
          "--type",
          "Sneakers",
          outerSides,
          tag,
          "--no-wait",
          "--json"
        ],
        env
      )
      const uuid = (JSON.parse(opened.stdout) as { sr: string }).sr

      const text = yield* run(["sr", "get", "SKU-CLI-4"], env)
      assert.strictEqual(text.code, 0, text.stderr)
      assert.match(text.stdout, new RegExp(`^SR +${uuid} +\\(micro id \\d+\\)$`, "m"))
      assert.match(text.stdout, /^reference +SKU-CLI-4$/m)
      assert.match(text.stdout, /^state +QC\/PENDING +queued for quality control$/m)
      assert.match(text.stdout, /^item +Footwear → Sneakers$/m)
      assert.match(text.stdout, /^photos +2\/2 required, 0\/4 optional$/m)
      assert.match(text.stdout, /^ {2}✓ Outer Sides \(required\)$/m)

      const json = yield* run(["sr", "get", uuid, "--json"], env)
      const sr = JSON.parse(json.stdout) as { uuid: string; external_id: string; state: { primary: string } }
      assert.strictEqual(sr.uuid, uuid)
      assert.strictEqual(sr.external_id, "SKU-CLI-4")
      assert.strictEqual(sr.state.primary, "QC")

      const found = yield* run(["sr", "find", "SKU-CLI-4", "--json"], env)
      assert.strictEqual((JSON.parse(found.stdout) as { uuid: string }).uuid, uuid)

      // Each state is printed as the SR moves into it: the test moves the SR one step at a time.
      const watcher = yield* spawnBin(["sr", "watch", "SKU-CLI-4", "--interval", "0.05"], env)
      yield* watcher.waitFor(/QC\/PENDING +queued for quality control/)
      yield* sim.advance({ steps: 1 })
      yield* watcher.waitFor(/QC\/APPROVED +photos passed quality control/)
      yield* Effect.repeat(sim.advance({ steps: 1 }), {
        until: () => Effect.map(sim.serviceRequests, (srs) => srs[0]?.state.primary === "COMPLETE")
      })
      // The watch ends by itself at the outcome (a signal sent now could race its exit).
      const watched = yield* watcher.ended
      assert.match(watched.stdout, /^Verdict: AUTHENTIC/m)
      assert.strictEqual(watched.code, 0, watched.stderr)
      const states = watched.stdout.split("\n").flatMap((line) => /^ {2}\S+ {2}(\S+)/.exec(line)?.[1] ?? [])
      assert.deepStrictEqual(states.slice(0, 2), ["QC/PENDING", "QC/APPROVED"])
      assert.strictEqual(states[states.length - 1], "COMPLETE/APPROVED")
      assert.deepStrictEqual(states, [...new Set(states)])
    }))

  it.scoped("sr watch of a DRAFT says there is nothing to wait for", () =>
    Effect.gen(function*() {
      const { env } = yield* simulator()
      const draft = yield* Effect.promise(() =>
        fetch(`${env.LEGITMARK_BASE_URL}/api/v2/sr`, {
          method: "POST",
          headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
          body: JSON.stringify({ reference_id: "SKU-DRAFT", item: { category: footwear, type: sneakers } })
        }).then((r) => r.json() as Promise<{ sr: { uuid: string } }>)
      )
      const result = yield* run(["sr", "watch", draft.sr.uuid], env)
      assertOneLine(result, 1, /is a DRAFT: it has not been submitted/)
    }))

  it.scoped("taxonomy tree | brands | models: tables, and JSON", () =>
    Effect.gen(function*() {
      const { env } = yield* simulator()
      const tree = yield* run(["taxonomy", "tree"], env)
      assert.strictEqual(tree.code, 0, tree.stderr)
      assert.match(tree.stdout, /^CATEGORY +TYPE +ACTIVE +UUID$/m)
      assert.match(tree.stdout, new RegExp(`^Footwear +yes +${footwear}$`, "m"))
      assert.match(tree.stdout, new RegExp(`^ +Sneakers +yes +${sneakers}$`, "m"))
      assert.match(tree.stdout, /^ +Clutch +no +/m)
      const active = yield* run(["taxonomy", "tree", "--active-only", "--json"], env)
      const categories = JSON.parse(active.stdout) as Array<{ name: string; types: Array<{ name: string }> }>
      assert.deepStrictEqual(categories.map((c) => c.name), ["Footwear", "Bag", "Accessories"])
      assert.notInclude(categories.flatMap((c) => c.types.map((t) => t.name)), "Clutch")

      const brands = yield* run(["taxonomy", "brands", "--type", "sneakers"], env)
      assert.match(brands.stdout, /^BRAND +MODELS +ACTIVE +UUID$/m)
      assert.match(brands.stdout, /^Nike +2 +yes +a46f1e52-/m)
      const all = yield* run(["taxonomy", "brands", "--json"], env)
      assert.include((JSON.parse(all.stdout) as Array<{ name: string }>).map((b) => b.name), "Chanel")

      const models = yield* run(["taxonomy", "models", "--brand", "nike"], env)
      assert.match(models.stdout, /^MODEL +BRAND +TYPE +CATEGORY +UUID$/m)
      assert.match(models.stdout, /^Dunk Low +Nike +Sneakers +Footwear +/m)
      assert.notMatch(models.stdout, /Chanel/)
      const unknown = yield* run(["taxonomy", "models", "--brand", "Nokia"], env)
      assertOneLine(unknown, 2, /unknown brand "Nokia"/)
    }))

  it.scoped("webhooks listen: prints each event once, answers 400 to what is not one, stops on SIGINT", () =>
    Effect.gen(function*() {
      const listener = yield* spawnBin(["webhooks", "listen", "--port", "0"])
      const [, url] = yield* listener.waitFor(/listening for webhooks on (http:\/\/127\.0\.0\.1:\d+)/)
      const post = (body: string) =>
        Effect.promise(() => fetch(`${url}/hooks`, { method: "POST", body }).then((r) => r.status))

      const event = {
        event_type: "state_change",
        sr_uuid: "8e61c991-553a-4a58-9eb6-561b64c11908",
        reference_id: "SKU-2024-0891",
        timestamp: "2026-02-10T12:00:00.000Z",
        state: { primary: "COMPLETE", supplement: "APPROVED" }
      }
      assert.strictEqual(yield* post(JSON.stringify(event)), 200)
      assert.strictEqual(yield* post(JSON.stringify(event)), 200)
      assert.strictEqual(yield* post("{not json"), 400)
      assert.strictEqual(yield* post(JSON.stringify({ event_type: "sr_archived", sr_uuid: event.sr_uuid })), 200)
      yield* listener.waitFor(/sr_archived/)

      const end = yield* listener.stop("SIGINT")
      assert.strictEqual(end.code, 0, end.stderr)
      const lines = end.stdout.trimEnd().split("\n")
      assert.deepStrictEqual(lines, [
        "2026-02-10T12:00:00.000Z  8e61c991-553a-4a58-9eb6-561b64c11908  SKU-2024-0891  COMPLETE/APPROVED  authentic",
        "-  8e61c991-553a-4a58-9eb6-561b64c11908  -  sr_archived (an event type this version does not know)"
      ])
    }))

  it.scoped("webhooks listen --json --secret --confirm, fed by a signing simulator during an authentication", () =>
    Effect.gen(function*() {
      const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
      const { env, sim } = yield* simulator({ webhookSecret: secret })
      const listener = yield* spawnBin(
        ["webhooks", "listen", "--port", "0", "--json", "--secret", secret, "--confirm"],
        env
      )
      const [, url] = yield* listener.waitFor(/listening for webhooks on (http:\/\/\S+)/)
      yield* sim.setWebhookUrl(url!)
      // Unsigned: refused before it is recorded or printed.
      const unsigned = yield* Effect.promise(() =>
        fetch(url!, {
          method: "POST",
          body: JSON.stringify({ event_type: "state_change", sr_uuid: footwear, state: { primary: "COMPLETE" } })
        }).then((r) => r.status)
      )
      assert.strictEqual(unsigned, 401)
      const result = yield* run(
        [
          "authenticate",
          "SKU-HOOK",
          "--category",
          "Footwear",
          "--type",
          "Sneakers",
          outerSides,
          tag,
          "--interval",
          "0.05"
        ],
        env
      )
      assert.strictEqual(result.code, 0, result.stderr)
      yield* listener.waitFor(/"primary":"COMPLETE"/)
      const events = (yield* listener.stdout).trimEnd().split("\n").map((line) =>
        JSON.parse(line) as {
          _tag: string
          referenceId: string
          confirmed: boolean
          state: { primary: string; supplement: string }
        }
      )
      // Each printed event was signed and confirmed by the API (a state the API had already left is not).
      assert.isTrue(events.every((e) => e._tag === "StateChange" && e.referenceId === "SKU-HOOK" && e.confirmed))
      assert.deepStrictEqual(events[events.length - 1]?.state, { primary: "COMPLETE", supplement: "APPROVED" })
    }))

  it.scoped("simulator: serves the API with the given key until SIGTERM", () =>
    Effect.gen(function*() {
      const sim = yield* spawnBin(["simulator", "--port", "0", "--api-key", "leo_bin", "--manual-clock"])
      const [, url] = yield* sim.waitFor(/legitmark simulator listening on (http:\/\/127\.0\.0\.1:\d+)/)
      yield* sim.waitFor(/export LEGITMARK_BASE_URL=\S+ LEGITMARK_ASSET_URL=\S+ LEGITMARK_API_KEY=leo_bin/)
      const env = { LEGITMARK_API_KEY: "leo_bin", LEGITMARK_BASE_URL: url!, LEGITMARK_ASSET_URL: url! }
      const tree = yield* run(["taxonomy", "tree", "--json"], env)
      assert.strictEqual(tree.code, 0, tree.stderr)
      assert.strictEqual((JSON.parse(tree.stdout) as Array<unknown>).length, 4)
      const status = yield* Effect.promise(() =>
        fetch(`${url}/api/v2/reasons`, { headers: { authorization: "Bearer leo_other" } }).then((r) => r.status)
      )
      assert.strictEqual(status, 403)
      const end = yield* sim.stop("SIGTERM")
      assert.strictEqual(end.code, 0, end.stderr)
    }))

  it.scoped("simulator: a port in use is one line, exit 1", () =>
    Effect.gen(function*() {
      const { sim } = yield* simulator()
      const result = yield* run(["simulator", "--port", String(sim.port)])
      assertOneLine(result, 1, /cannot listen: .*EADDRINUSE/)
    }))
})
