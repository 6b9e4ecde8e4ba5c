/**
 * Captures everything a program writes through Effect's logger and tracer (every log line at every
 * level, every span with its attributes and events), to search it for secrets.
 *
 * Adapted from packages/client/test/support/Capture.ts, adding span events.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Inspectable from "effect/Inspectable"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Tracer from "effect/Tracer"

export interface CapturedSpan {
  readonly span: Tracer.Span
  readonly events: Array<{ readonly name: string; readonly attributes: Record<string, unknown> | undefined }>
}

export interface Captured {
  readonly logs: Array<string>
  readonly spans: Array<CapturedSpan>
}

export const empty = (): Captured => ({ logs: [], spans: [] })

/** Runs `self` with every log line (all levels) and every span (and its events) recorded into `captured`. */
export const capture = (captured: Captured) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(Effect.tracer, (base) => {
    const tracer = Tracer.make({
      span: (name, parent, context, links, startTime, kind, options) => {
        const span = base.span(name, parent, context, links, startTime, kind, options)
        const entry: CapturedSpan = { span, events: [] }
        captured.spans.push(entry)
        const event = span.event.bind(span)
        span.event = (eventName, time, attributes) => {
          entry.events.push({ name: eventName, attributes })
          event(eventName, time, attributes)
        }
        return span
      },
      context: base.context
    })
    const logger = Logger.make((entry) => {
      captured.logs.push(
        Inspectable.stringifyCircular({
          level: entry.logLevel.label,
          message: entry.message,
          annotations: Object.fromEntries(entry.annotations),
          spans: entry.spans,
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

/**
 * Every text a span exposes to an exporter: name, attributes, events, links, and the cause it failed with
 * (the value of a successful span is not exported, and may be a platform object such as the response).
 */
export const spanText = ({ events, span }: CapturedSpan): string =>
  Inspectable.stringifyCircular({
    name: span.name,
    attributes: Object.fromEntries(span.attributes),
    events,
    links: span.links.map((link) => link.attributes),
    // Span times are bigints, which JSON cannot hold.
    status: span.status._tag,
    failure: span.status._tag === "Ended" && Exit.isFailure(span.status.exit)
      ? Cause.pretty(span.status.exit.cause, { renderErrorCause: true })
      : undefined
  })
