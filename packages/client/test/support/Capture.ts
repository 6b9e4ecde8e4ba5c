/**
 * Captures everything a program writes through Effect's logger and tracer, to search it for secrets.
 */
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Tracer from "effect/Tracer"

export interface Captured {
  readonly logs: Array<string>
  readonly spans: Array<Tracer.Span>
}

/** Runs `self` with every log line (all levels) and every span recorded into `captured`. */
export const capture = (captured: Captured) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(Effect.tracer, (base) => {
    const tracer = Tracer.make({
      span: (name, parent, context, links, startTime, kind, options) => {
        const span = base.span(name, parent, context, links, startTime, kind, options)
        captured.spans.push(span)
        return span
      },
      context: base.context
    })
    const logger = Logger.make((entry) => {
      captured.logs.push(
        Inspectable.stringifyCircular({
          message: entry.message,
          annotations: Object.fromEntries(entry.annotations),
          cause: entry.cause
        })
      )
    })
    return self.pipe(
      Effect.withTracer(tracer),
      Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
      Logger.withMinimumLogLevel(LogLevel.All)
    )
  })

/** Every text a span exposes: name, attributes, events, status. */
export const spanText = (span: Tracer.Span): string =>
  Inspectable.stringifyCircular({
    name: span.name,
    attributes: Object.fromEntries(span.attributes),
    // Span times are bigints, which JSON cannot hold.
    status: span.status._tag
  })
