/**
 * A progress bar per photo while `authenticate` uploads. On a terminal the bars are redrawn in place as
 * the bytes go out; otherwise (a pipe, a log) each photo's bar is printed once, when it is done; with
 * `--json`, nothing.
 */
import type { Side } from "@effect-legitmark/schema/Side"
import type { AuthenticateProgress } from "effect-legitmark/Legitmark"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as SynchronizedRef from "effect/SynchronizedRef"
import * as Render from "./render.js"

/** One photo being uploaded: its side, its size, and the bytes sent so far in the current attempt. */
export interface Upload {
  readonly side: Side
  readonly size: number
  readonly sent: Ref.Ref<number>
}

type Status = "waiting" | "uploading" | "uploaded" | "skipped"

/** What `authenticate` reports to, and `done` to draw the final bars. */
export interface Progress {
  readonly onProgress: (progress: AuthenticateProgress) => Effect.Effect<void>
  readonly done: Effect.Effect<void>
}

/** `terminal`: bars redrawn in place; `lines`: a line per photo when done; `silent`: nothing. */
export type Mode = "terminal" | "lines" | "silent"

export const make = (
  uploads: ReadonlyArray<Upload>,
  mode: Mode
): Effect.Effect<Progress, never, Scope.Scope> =>
  Effect.gen(function*() {
    const statuses = yield* Ref.make(new Map<string, Status>(uploads.map((u) => [u.side.uuid, "waiting"])))
    const width = Math.max(...uploads.map((u) => u.side.name.length))
    const scope = yield* Effect.scope
    // Lines already on screen, for the next redraw to move back over.
    const drawn = yield* Ref.make(0)

    const line = (upload: Upload, status: Status) =>
      Effect.map(Ref.get(upload.sent), (sent) => {
        const name = upload.side.name.padEnd(width)
        switch (status) {
          case "skipped":
            return `  ${name}  ${Render.bar(1)}  already on the server`
          case "uploaded":
            return `  ${name}  ${Render.bar(1)}  ${Render.bytes(upload.size)}`
          case "waiting":
          case "uploading":
            return `  ${name}  ${Render.bar(sent / Math.max(upload.size, 1))}  ${Render.bytes(sent)} of ${
              Render.bytes(upload.size)
            }`
        }
      })

    const redraw = Effect.gen(function*() {
      const current = yield* Ref.get(statuses)
      const lines = yield* Effect.forEach(uploads, (u) => line(u, current.get(u.side.uuid) ?? "waiting"))
      const up = yield* Ref.getAndSet(drawn, lines.length)
      yield* Console.log((up > 0 ? `\x1b[${up}A` : "") + lines.map((l) => `\x1b[2K${l}`).join("\n"))
    })

    // On a terminal, the redrawing fiber: started by the first event, stopped by `done`.
    const drawing = yield* SynchronizedRef.make<Option.Option<Fiber.RuntimeFiber<unknown>> | undefined>(undefined)
    const startDrawing = SynchronizedRef.updateEffect(drawing, (current) =>
      current !== undefined ?
        Effect.succeed(current) :
        mode === "terminal" ?
        Effect.asSome(Effect.forkIn(Effect.repeat(redraw, Schedule.spaced("100 millis")), scope)) :
        Effect.succeedNone)

    const onProgress = (progress: AuthenticateProgress) =>
      Effect.gen(function*() {
        const status: Status = progress._tag === "Skipped" ?
          "skipped" :
          progress._tag === "Uploaded" ?
          "uploaded" :
          "uploading"
        yield* Ref.update(statuses, (m) => new Map(m).set(progress.side.uuid, status))
        yield* startDrawing
        const upload = uploads.find((u) => u.side.uuid === progress.side.uuid)
        if (mode === "lines" && upload !== undefined && status !== "uploading") {
          yield* Effect.flatMap(line(upload, status), Console.log)
        }
      })

    const done = SynchronizedRef.updateEffect(drawing, (current) =>
      current === undefined || Option.isNone(current) ?
        Effect.succeed(current) :
        Effect.as(Effect.zipRight(Fiber.interrupt(current.value), redraw), Option.none()))
    return { onProgress, done }
  })
