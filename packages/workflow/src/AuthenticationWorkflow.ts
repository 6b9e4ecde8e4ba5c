/**
 * The authentication of one item as a durable workflow on `@effect/workflow`: it survives crashes,
 * deploys and restarts, and with `@effect/cluster` runs across a fleet. Run it with one line:
 * `SqliteRunner.layer` on one machine, `PostgresRunner.layer` on several.
 *
 * - The execution id comes from the reference id: starting one item twice is one authentication.
 * - Each step is an activity whose result is stored: the SR is opened (or resumed) once, each side's
 *   photo is uploaded once, progress is confirmed, the SR is submitted once. A step that may have acted
 *   before a crash asks the server what happened before acting again.
 * - Then it waits durably: `handleEvent`, plugged into your webhook handler, wakes it when an event
 *   says the SR may have an outcome, and a durable clock checks anyway (every `pollInterval`, doubling
 *   to `maxPollInterval`) so that a missed webhook never strands it. The outcome is always read from
 *   the API, never taken from the webhook.
 * - It ends with a `Verdict`, or with `MediaRejected` naming the sides to photograph again:
 *   `photographAgain` continues the same SR with new photos.
 *
 * @since 0.1.0
 */
import type { LegitmarkClient } from "@effect-legitmark/client/LegitmarkClient"
import { InvalidRequestError } from "@effect-legitmark/client/LegitmarkError"
import type { FileSystem } from "@effect/platform/FileSystem"
import type { HttpClient } from "@effect/platform/HttpClient"
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import * as DurableDeferred from "@effect/workflow/DurableDeferred"
import type * as Workflow from "@effect/workflow/Workflow"
import type { WorkflowEngine } from "@effect/workflow/WorkflowEngine"
import type { AuthenticateInput, Outcome as LegitmarkOutcome } from "effect-legitmark/Legitmark"
import * as Webhooks from "effect-legitmark/Webhooks"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { identity } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Definition from "./internal/definition.js"
import * as Execute from "./internal/execute.js"
import * as Store from "./internal/store.js"

/**
 * The workflow itself, for the engine's own functions (`workflow.poll(executionId)`, `workflow.interrupt`,
 * `workflow.resume`). Its name, `LegitmarkAuthentication`, is stored with every execution: keep it.
 *
 * @since 0.1.0
 * @category workflow
 */
export const workflow: Workflow.Workflow<
  "LegitmarkAuthentication",
  typeof Definition.Payload,
  typeof Definition.Outcome,
  typeof Definition.Failure
> = Definition.workflow

/**
 * What an authentication takes, stored as the workflow's payload: your `referenceId` for the item, the
 * item, and its `photos` keyed by side uuid or side name (case-insensitive), each a file path or an
 * http(s) URL read when its side is uploaded (never the bytes). In a fleet, every runner must be able to
 * read them: prefer URLs, or paths on shared storage.
 *
 * @since 0.1.0
 * @category models
 */
export const Payload: typeof Definition.Payload = Definition.Payload

/**
 * @since 0.1.0
 * @category models
 */
export interface Input {
  readonly referenceId: string
  /** The item, as `Legitmark.authenticate` takes it. */
  readonly item: AuthenticateInput["item"]
  readonly service?: string
  /** Side uuid or name → file path or http(s) URL. */
  readonly photos: Readonly<Record<string, string>>
}

/**
 * What an authentication comes to: a `Verdict` (`Authentic`, `NotAuthentic`, `Inconclusive`,
 * `Cancelled`), or `MediaRejected` naming the required sides whose photos QC refused. The same type as
 * `effect-legitmark`'s `Outcome`; this is its Schema, for storage.
 *
 * @since 0.1.0
 * @category models
 */
export const Outcome: Schema.Schema<LegitmarkOutcome, typeof Definition.Outcome.Encoded> = Definition.Outcome

/**
 * @since 0.1.0
 * @category models
 */
export type Outcome = LegitmarkOutcome

/**
 * Why an authentication failed for good: photos that do not cover the required sides
 * (`MissingPhotosError`), a request the client or the API refused (`InvalidRequestError`,
 * `ValidationError`), a key the API refused (`AuthenticationError`), an SR that is not there
 * (`NotFoundError`), or a submit refused in a state it did not expect (`ConflictError`). Transient
 * failures (5xx, 429, timeouts, broken connections, garbled answers, the database) are retried, not
 * reported.
 *
 * @since 0.1.0
 * @category errors
 */
export const Failure: typeof Definition.Failure = Definition.Failure

/**
 * @since 0.1.0
 * @category errors
 */
export type Failure = Definition.Failure

/**
 * `photographAgain` was asked of an authentication that did not come to `MediaRejected`.
 *
 * @since 0.1.0
 * @category errors
 */
export class RetakeNotNeededError extends Schema.TaggedError<RetakeNotNeededError>(
  "@effect-legitmark/workflow/RetakeNotNeededError"
)("RetakeNotNeededError", { message: Schema.String, referenceId: Schema.String, outcome: Schema.String }) {}

// --- options and layer ------------------------------------------------------------------------------

/**
 * Who an outcome belongs to.
 *
 * @since 0.1.0
 * @category models
 */
export interface Execution {
  readonly executionId: string
  readonly referenceId: string
  /** 0 for the first submission, then 1, 2… for each `retake`. */
  readonly retake: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<R = never> {
  /**
   * How long the wait sleeps before checking the SR when no webhook wakes it. Default 5 minutes,
   * doubling at each check up to `maxPollInterval`.
   */
  readonly pollInterval?: Duration.DurationInput | undefined
  /** Default 1 hour. */
  readonly maxPollInterval?: Duration.DurationInput | undefined
  /** Uploads in flight at once per authentication. Default 4. */
  readonly concurrency?: number | undefined
  /**
   * Between two tries of a step that failed transiently. Default: 1 s doubling to 5 minutes, for as
   * long as it takes. A bounded schedule that runs out ends the authentication with a defect.
   */
  readonly retry?: Schedule.Schedule<unknown, unknown> | undefined
  /**
   * After a create that may have gone through, how long to keep looking the reference id up before
   * creating again (the lookup may lag behind the create). Default: 6 lookups, 5 s apart.
   */
  readonly lookup?: Schedule.Schedule<unknown, unknown> | undefined
  /**
   * Called with each outcome, once. It runs in a transaction on the workflow's database, with a marker
   * row: what it writes through the `SqlClient` is written exactly once, even when the process dies
   * while it runs. Anything else it does happens at least once. A failure is retried on `retry`. Keep
   * it short: on SQLite the database waits for it.
   */
  readonly onOutcome?:
    | ((outcome: Outcome, execution: Execution) => Effect.Effect<void, unknown, R | SqlClient.SqlClient>)
    | undefined
}

const resolve = <R>(options: Options<R>): Execute.Resolved<Exclude<R, SqlClient.SqlClient>> => {
  const onOutcome = options.onOutcome
  return {
    pollInterval: Duration.decode(options.pollInterval ?? Duration.minutes(5)),
    maxPollInterval: Duration.decode(options.maxPollInterval ?? Duration.hours(1)),
    concurrency: options.concurrency ?? 4,
    retry: options.retry ??
      Schedule.exponential("1 second").pipe(Schedule.union(Schedule.spaced("5 minutes")), Schedule.jittered),
    lookup: options.lookup ?? Schedule.spaced("5 seconds").pipe(Schedule.intersect(Schedule.recurs(5))),
    // The handler's `SqlClient` is the workflow's own (the one its transaction is on).
    onOutcome: onOutcome === undefined ? undefined : (outcome, execution) =>
      Effect.flatMap(
        SqlClient.SqlClient,
        (sql) => Effect.provideService(onOutcome(outcome, execution), SqlClient.SqlClient, sql)
      )
  }
}

/**
 * Registers the workflow with a `WorkflowEngine` you provide, on the `SqlClient` the engine stores in.
 * `SqliteRunner.layer` and `PostgresRunner.layer` build the whole stack in one line.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = <R = never>(
  options: Options<R> = {}
): Layer.Layer<
  never,
  SqlError.SqlError,
  | WorkflowEngine
  | LegitmarkClient
  | SqlClient.SqlClient
  | FileSystem
  | HttpClient
  | Exclude<R, SqlClient.SqlClient>
> =>
  // The tables first: the engine resumes interrupted executions as soon as the workflow is registered.
  Definition.workflow.toLayer(Execute.make(resolve(options))).pipe(Layer.provide(Layer.effectDiscard(Store.migrate)))

// --- starting and following -------------------------------------------------------------------------

/**
 * A started authentication.
 *
 * @since 0.1.0
 * @category models
 */
export interface Authentication {
  readonly executionId: string
  readonly referenceId: string
  readonly retake: number
  /** Waits for the outcome of this submission (or its failure). */
  readonly outcome: Effect.Effect<Outcome, Failure, WorkflowEngine>
  /** The outcome now, if there is one. */
  readonly poll: Effect.Effect<Option.Option<Exit.Exit<Outcome, Failure>>, never, WorkflowEngine>
  /**
   * Once this submission came to `MediaRejected`: photographs the rejected sides again and submits
   * the same SR again, as the next execution (`retake + 1`), and answers its handle. The new photos are added to the old ones.
   */
  readonly photographAgain: (
    photos: Readonly<Record<string, string>>
  ) => Effect.Effect<Authentication, RetakeNotNeededError | Failure, WorkflowEngine>
}

type Started = typeof Definition.Payload.Type

// How `outcome` polls the engine's storage: soon at first, then every 5 s.
const followSchedule: Schedule.Schedule<unknown, Option.Option<Exit.Exit<Outcome, Failure>>> = Schedule
  .exponential("100 millis", 1.5).pipe(Schedule.union(Schedule.spaced("5 seconds")))

const handle = (payload: Started, executionId: string): Authentication => {
  const poll = Effect.map(
    Definition.workflow.poll(executionId),
    (result) => result !== undefined && result._tag === "Complete" ? Option.some(result.exit) : Option.none()
  )
  const outcome = poll.pipe(
    Effect.repeat(Schedule.passthrough(Schedule.whileInput(followSchedule, Option.isNone))),
    Effect.flatMap(
      Option.match({ onNone: () => Effect.dieMessage("unreachable: polled until Some"), onSome: identity })
    )
  )
  return {
    executionId,
    referenceId: payload.referenceId,
    retake: payload.retake,
    outcome,
    poll,
    photographAgain: (photos) =>
      Effect.flatMap(outcome, (current) =>
        current._tag === "MediaRejected" ?
          startPayload({
            ...payload,
            photos: { ...payload.photos, ...photos },
            retake: payload.retake + 1,
            sr: current.sr.uuid
          }) :
          new RetakeNotNeededError({
            message: `${payload.referenceId} came to ${current._tag}: there is nothing to photograph again`,
            referenceId: payload.referenceId,
            outcome: current._tag
          }))
  }
}

const startPayload = (payload: Started) =>
  Effect.map(
    Definition.workflow.execute(payload, { discard: true }),
    (executionId) => handle(payload, executionId)
  ).pipe(
    Effect.withSpan("AuthenticationWorkflow.start", {
      captureStackTrace: false,
      attributes: { "legitmark.reference_id": payload.referenceId, "legitmark.retake": payload.retake }
    })
  )

const decodeInput = Schema.decodeUnknown(Definition.Payload)

/**
 * Starts the authentication of an item, or finds the one already started for its reference id (then
 * this input is ignored: the first one stands), and answers at once with a handle on it. An input that
 * is not one (an empty reference id or photo name) fails with `InvalidRequestError` before anything is
 * stored.
 *
 * @since 0.1.0
 * @category starting
 */
export const start = (input: Input): Effect.Effect<Authentication, InvalidRequestError, WorkflowEngine> =>
  decodeInput({ ...input, retake: 0 }).pipe(
    Effect.mapError((error) =>
      new InvalidRequestError({
        message: `Invalid authentication input: ${ParseResult.TreeFormatter.formatErrorSync(error)}`,
        issues: ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) =>
          `${issue.path.join(".")}: ${issue.message}`
        )
      })
    ),
    Effect.flatMap(startPayload)
  )

/**
 * Starts (or finds) the authentication of an item and waits for its outcome.
 *
 * @since 0.1.0
 * @category starting
 */
export const run = (input: Input): Effect.Effect<Outcome, Failure, WorkflowEngine> =>
  Effect.flatMap(start(input), (authentication) => authentication.outcome)

// --- webhooks ---------------------------------------------------------------------------------------

const wakes = (event: Webhooks.WebhookEvent) =>
  Webhooks.isAuthentic(event) || Webhooks.isCounterfeit(event) || Webhooks.isInconclusive(event) ||
  Webhooks.isCancelled(event) || Webhooks.needsResubmission(event)

const hasOutcome = (state: { readonly primary: string; readonly supplement: string | null }) =>
  state.primary === "COMPLETE" || state.primary === "CANCELLED" ||
  (state.primary === "QC" && state.supplement === "REJECTED")

const describe = (received: Webhooks.Received) =>
  received._tag === "Confirmed" ?
    `${received.state.primary}/${received.state.supplement ?? "-"}` :
    received.event._tag === "StateChange" ?
    `${received.event.state.primary}/${received.event.state.supplement ?? "-"}` :
    received.event._tag

/**
 * The handler for `Webhooks.httpApp`: an event that says an SR may have an outcome (a verdict, a
 * cancellation, a QC rejection; for a confirmed event, the state the API answered) wakes the
 * authentication waiting on it, which then reads the SR from the API itself: the event is never trusted
 * for the outcome. Other events, and events for SRs no authentication here is waiting on, are ignored.
 * Answers whether it woke one. Runs on any runner of the fleet; the runners' layers provide the
 * `WebhookInbox` on the workflow's own database.
 *
 * @example
 * ```ts
 * import { AuthenticationWorkflow } from "@effect-legitmark/workflow"
 * import { Webhooks } from "effect-legitmark"
 *
 * // An HttpApp to serve at your webhook URL, on a process that runs the workflow's layer.
 * export const app = Webhooks.httpApp(AuthenticationWorkflow.handleEvent)
 * ```
 *
 * @since 0.1.0
 * @category webhooks
 */
export const handleEvent = (
  received: Webhooks.Received
): Effect.Effect<boolean, SqlError.SqlError, WorkflowEngine | SqlClient.SqlClient> => {
  const srUuid = received._tag === "Confirmed" ? received.srUuid : received.event.srUuid
  const woken = received._tag === "Confirmed" ? hasOutcome(received.state) : wakes(received.event)
  return !woken ? Effect.succeed(false) : Store.currentForSr(srUuid).pipe(
    Effect.flatMap(Option.match({
      onNone: () => Effect.succeed(false),
      onSome: ({ executionId, waitRound }) => {
        const wake = Definition.wake(waitRound)
        return Effect.as(
          DurableDeferred.done(wake, {
            token: DurableDeferred.tokenFromExecutionId(wake, { workflow: Definition.workflow, executionId }),
            exit: Exit.succeed(describe(received))
          }),
          true
        )
      }
    })),
    Effect.withSpan("AuthenticationWorkflow.handleEvent", {
      captureStackTrace: false,
      attributes: { "legitmark.sr_uuid": srUuid, "legitmark.webhook.event": describe(received) }
    })
  )
}

// --- listing ----------------------------------------------------------------------------------------

/**
 * Where an execution is: `opening` the SR is being opened or resumed; `uploading` photos go up;
 * `submitting` progress is confirmed and the SR submitted; `waiting` for the outcome; `handling` the
 * outcome is with `onOutcome`; `done`; `failed`.
 *
 * @since 0.1.0
 * @category models
 */
export type Step = "opening" | "uploading" | "submitting" | "waiting" | "handling" | "done" | "failed"

/**
 * One execution as the listing shows it: where it is (`step`; `uploaded` of `photos` while uploading)
 * and the SR's last known state, its `outcome` once `done`, its `error` once `failed`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExecutionStatus extends Execution {
  readonly sr: string | null
  readonly step: Step
  readonly uploaded: number
  readonly photos: number
  /** The SR's last known state, e.g. `QC/PENDING`. */
  readonly state: string | null
  /** The outcome's tag once there is one, e.g. `Authentic`. */
  readonly outcome: string | null
  readonly error: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

const steps: ReadonlyArray<string> = ["opening", "uploading", "submitting", "waiting", "handling", "done", "failed"]
const isStep = (step: string): step is Step => steps.includes(step)

/**
 * Lists executions (oldest first, at most `limit`, default 100), or those of one reference id.
 *
 * @since 0.1.0
 * @category listing
 */
export const executions = (
  options: { readonly referenceId?: string | undefined; readonly limit?: number | undefined } = {}
): Effect.Effect<ReadonlyArray<ExecutionStatus>, SqlError.SqlError, SqlClient.SqlClient> =>
  Effect.map(
    Store.list({ referenceId: options.referenceId, limit: Math.max(1, Math.min(options.limit ?? 100, 10_000)) }),
    (rows) =>
      rows.map((row): ExecutionStatus => ({
        executionId: row.execution_id,
        referenceId: row.reference_id,
        retake: Number(row.retake),
        sr: row.sr_uuid,
        step: isStep(row.step) ? row.step : "opening",
        uploaded: Number(row.uploaded),
        photos: Number(row.photos),
        state: row.state,
        outcome: row.outcome,
        error: row.error,
        createdAt: row.created_at,
        updatedAt: row.updated_at
      }))
  )

/**
 * One line for a listing: `SKU-1 (retake 1)  waiting  QC/PENDING  sr 8e61…`.
 *
 * @since 0.1.0
 * @category listing
 */
export const formatStatus = (status: ExecutionStatus): string =>
  [
    status.retake === 0 ? status.referenceId : `${status.referenceId} (retake ${status.retake})`,
    status.step === "uploading" ? `uploading ${status.uploaded}/${status.photos}` : status.step,
    status.outcome ?? status.state ?? "-",
    status.sr === null ? "" : `sr ${status.sr}`,
    status.error ?? ""
  ].filter((part) => part !== "").join("  ")
