/**
 * The `legitmark` command line on `@effect/cli`: authenticate an item, read and follow service requests,
 * browse the taxonomy, receive webhooks and run the local simulator. Commands that call the API read
 * `LEGITMARK_API_KEY`, `LEGITMARK_BASE_URL` and `LEGITMARK_ASSET_URL` (`LegitmarkClient.config`).
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import type * as CliApp from "@effect/cli/CliApp"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import { ExitCode } from "./CliError.js"
import * as Authenticate from "./internal/authenticate.js"
import * as Environment from "./internal/environment.js"
import * as Failure from "./internal/failure.js"
import * as ServiceRequests from "./internal/serviceRequests.js"
import * as Taxonomy from "./internal/taxonomy.js"

const json = Options.boolean("json").pipe(Options.withDescription("print JSON (for scripts) instead of text"))

const positive = (n: number): Option.Option<number> => n > 0 && Number.isFinite(n) ? Option.some(n) : Option.none()

const seconds = (name: string, description: string) =>
  Options.float(name).pipe(
    Options.withDescription(description),
    Options.filterMap(positive, `--${name} must be a positive number of seconds`),
    Options.map(Duration.seconds)
  )

const interval = seconds("interval", "seconds between two reads of the SR while waiting").pipe(
  Options.withDefault(Duration.seconds(5))
)

const timeout = seconds("timeout", "give up waiting for the outcome after this many seconds").pipe(Options.optional)

const category = (description: string) => Options.text("category").pipe(Options.withDescription(description))
const type = (description: string) => Options.text("type").pipe(Options.withDescription(description))

const authenticate = Command.make("authenticate", {
  referenceId: Args.text({ name: "reference-id" }).pipe(
    Args.withDescription("your id for the item (a SKU…); running again with the same id resumes its SR")
  ),
  photos: Args.text({ name: "photo" }).pipe(
    Args.withDescription(
      "SIDE=PATH (\"Outer Sides=./outer.jpg\"), or PATH alone, the side read from the file name " +
        "(outer-sides.jpg, size-tag.png); SIDE is a side's name, words of it, or its uuid"
    ),
    Args.atLeast(1)
  ),
  category: category("the item's category, by name or uuid (see legitmark taxonomy tree)"),
  type: type("the item's type within the category, by name or uuid"),
  brand: Options.text("brand").pipe(Options.withDescription("the item's brand, by name or uuid"), Options.optional),
  concurrency: Options.integer("concurrency").pipe(
    Options.withDescription("photos uploaded at once (1 to 16)"),
    Options.filterMap((n) => n >= 1 && n <= 16 ? Option.some(n) : Option.none(), "--concurrency must be 1 to 16"),
    Options.withDefault(4)
  ),
  noWait: Options.boolean("no-wait").pipe(Options.withDescription("exit once the SR is submitted")),
  interval,
  timeout,
  json
}, (input) => Environment.withApi(Effect.scoped(Authenticate.run({ ...input, wait: !input.noWait })))).pipe(
  Command.withDescription(
    "Authenticate an item: check the photos, open (or resume) its service request, upload with a progress " +
      "bar per photo, submit, then print the states as they change and the verdict."
  )
)

const id = Args.text({ name: "id" }).pipe(
  Args.withDescription("the SR's uuid, or any id the public lookup knows: micro id, legacy id, your reference id")
)

const srGet = Command.make(
  "get",
  { id, json },
  (input) => Environment.withApi(ServiceRequests.get(input))
).pipe(Command.withDescription("Show a service request: its state, item, photos and certificate."))

const srFind = Command.make(
  "find",
  {
    identifier: Args.text({ name: "identifier" }).pipe(
      Args.withDescription("uuid, micro id, legacy id or reference id")
    ),
    json
  },
  (input) => Environment.withApi(ServiceRequests.find(input))
).pipe(Command.withDescription("Look a service request up through the public lookup (what it answers, as is)."))

const srWatch = Command.make(
  "watch",
  { id, interval, timeout, json },
  (input) => Environment.withApi(ServiceRequests.watch(input))
).pipe(Command.withDescription("Print a submitted service request's states as they change, then its outcome."))

const sr = Command.make("sr").pipe(
  Command.withDescription("Service requests: get, find, watch."),
  Command.withSubcommands([srGet, srFind, srWatch])
)

const search = Options.text("search").pipe(Options.withDescription("only names matching this"), Options.optional)

const taxonomyTree = Command.make("tree", {
  activeOnly: Options.boolean("active-only").pipe(Options.withDescription("leave out inactive categories and types")),
  json
}, (input) => Environment.withApi(Taxonomy.tree(input))).pipe(
  Command.withDescription("Every category with its types, and their uuids.")
)

const taxonomyBrands = Command.make("brands", {
  type: type("only the brands of this type (name or uuid), with their model counts").pipe(Options.optional),
  category: category("the type's category, when its name is in several").pipe(Options.optional),
  search,
  json
}, (input) => Environment.withApi(Taxonomy.brands(input))).pipe(Command.withDescription("Brands, as a table."))

const taxonomyModels = Command.make("models", {
  brand: Options.text("brand").pipe(
    Options.withDescription("only this brand's models (name or uuid)"),
    Options.optional
  ),
  type: type("only models of this type (name or uuid)").pipe(Options.optional),
  category: category("only models of this category (name or uuid)").pipe(Options.optional),
  search,
  json
}, (input) => Environment.withApi(Taxonomy.models(input))).pipe(Command.withDescription("Models, as a table."))

const taxonomy = Command.make("taxonomy").pipe(
  Command.withDescription("The catalog: tree, brands, models."),
  Command.withSubcommands([taxonomyTree, taxonomyBrands, taxonomyModels])
)

/**
 * A server command, loaded when run: the HTTP server weighs about a quarter of the start of every other
 * command.
 */
const serving = <M, E extends Failure.Known>(
  load: () => Promise<M>,
  serve: (module: M) => Effect.Effect<void, E>
) => Effect.promise(load).pipe(Effect.flatMap(serve), Effect.mapError(Failure.from))

const host = Options.text("host").pipe(
  Options.withDescription("the interface to listen on"),
  Options.withDefault("127.0.0.1")
)

const webhooksListen = Command.make("listen", {
  port: Options.integer("port").pipe(Options.withDescription("0 picks a free port"), Options.withDefault(8080)),
  host,
  dedupeWindow: seconds("dedupe-window", "seconds during which a redelivered event is not printed again").pipe(
    Options.withDefault(Duration.minutes(10))
  ),
  json: Options.boolean("json").pipe(Options.withDescription("print each event as one line of JSON")),
  secret: Options.redacted("secret").pipe(
    Options.withFallbackConfig(Config.redacted("LEGITMARK_WEBHOOK_SECRET")),
    Options.withDescription(
      "the Standard Webhooks signing secret (whsec_…; default LEGITMARK_WEBHOOK_SECRET): unsigned or altered " +
        "deliveries are answered 401"
    ),
    Options.optional
  ),
  confirm: Options.boolean("confirm").pipe(
    Options.withDescription(
      "re-read each event's SR from the API (LEGITMARK_* variables) and print only what the API confirms"
    )
  )
}, (input) => serving(() => import("./internal/webhooks.js"), (webhooks) => webhooks.listen(input))).pipe(
  Command.withDescription(
    "Receive Legitmark webhooks on Webhooks.httpApp and print each event: signatures checked with --secret, " +
      "events confirmed against the API with --confirm, bodies that are not webhooks answered 400, " +
      "redeliveries acknowledged and not printed twice."
  )
)

const webhooks = Command.make("webhooks").pipe(
  Command.withDescription("Webhooks: listen."),
  Command.withSubcommands([webhooksListen])
)

const simulator = Command.make("simulator", {
  port: Options.integer("port").pipe(Options.withDescription("0 picks a free port"), Options.withDefault(4010)),
  host,
  apiKeys: Options.text("api-key").pipe(
    Options.withDescription("an accepted key (repeatable); with none, any key is accepted"),
    Options.repeated
  ),
  rateLimit: Options.text("rate-limit").pipe(
    Options.withDescription("REQUESTS/SECONDS per key, e.g. 100/60 (default 1000/60)"),
    Options.optional
  ),
  speed: Options.float("speed").pipe(
    Options.withDescription("simulated time per real time (default 1)"),
    Options.filterMap(positive, "--speed must be a positive number"),
    Options.optional
  ),
  manualClock: Options.boolean("manual-clock").pipe(
    Options.withDescription("time moves only through POST /__control/advance")
  ),
  stepMs: Options.integer("step-ms").pipe(
    Options.withDescription("simulated milliseconds between two SR states (default 60000)"),
    Options.filterMap(positive, "--step-ms must be a positive number"),
    Options.optional
  ),
  webhookUrl: Options.text("webhook-url").pipe(Options.withDescription("where events are POSTed"), Options.optional),
  seed: Options.integer("seed").pipe(Options.withDescription("seed of the generated ids"), Options.optional)
}, (input) => serving(() => import("./internal/simulator.js"), (simulator) => simulator.run(input))).pipe(
  Command.withDescription("Run the local Legitmark API (@effect-legitmark/simulator) until interrupted.")
)

/**
 * The whole command tree, for embedding in another `@effect/cli` application.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make("legitmark").pipe(
  Command.withDescription(
    "The Legitmark Partner API from the command line. Commands that call the API read LEGITMARK_API_KEY " +
      "(required), LEGITMARK_BASE_URL and LEGITMARK_ASSET_URL."
  ),
  Command.withSubcommands([authenticate, sr, taxonomy, webhooks, simulator])
)

/**
 * Runs the command line (`process.argv`, with node and the script first) and answers its `ExitCode`.
 * An expected failure is one line on stderr; only a defect prints a trace. Logs go to stderr (run it with
 * `NodeRuntime.runMain`'s `disablePrettyLogger`).
 *
 * @since 0.1.0
 * @category running
 */
export const run = (
  argv: ReadonlyArray<string>,
  options: { readonly version: string }
): Effect.Effect<number, never, CliApp.CliApp.Environment> =>
  Command.run(command, { name: "legitmark", version: options.version })(argv).pipe(
    Effect.as(ExitCode.ok),
    Effect.catchAll((error) =>
      // @effect/cli has already printed what was wrong with the command line.
      ValidationError.isValidationError(error) ?
        Effect.succeed(ExitCode.input) :
        Effect.as(Console.error(`legitmark: ${error.message}`), error.exitCode)
    ),
    Effect.catchAllDefect((defect) =>
      Effect.as(Console.error(`legitmark: unexpected error\n${Cause.pretty(Cause.die(defect))}`), ExitCode.defect)
    ),
    // Logs (`--log-level debug`) on stderr: stdout is the commands' output.
    Effect.provide(Logger.replace(Logger.defaultLogger, Logger.prettyLogger({ stderr: true })))
  )
