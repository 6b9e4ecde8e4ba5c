/**
 * A tracer that hands every span's start and end (with the attributes set on it) to the test, and
 * otherwise behaves as the tracer it wraps.
 */
import type * as Exit from "effect/Exit"
import * as Tracer from "effect/Tracer"

export interface Observer {
  readonly start?: (name: string) => void
  readonly end: (name: string, attributes: ReadonlyMap<string, unknown>, exit: Exit.Exit<unknown, unknown>) => void
}

export const observing = (native: Tracer.Tracer, observer: Observer): Tracer.Tracer =>
  Tracer.make({
    span(name, parent, context, links, startTime, kind, options) {
      const span = native.span(name, parent, context, links, startTime, kind, options)
      observer.start?.(name)
      const attributes = new Map<string, unknown>()
      return {
        _tag: "Span",
        name,
        get spanId() {
          return span.spanId
        },
        get traceId() {
          return span.traceId
        },
        parent: span.parent,
        context: span.context,
        get status() {
          return span.status
        },
        get attributes() {
          return span.attributes
        },
        links: span.links,
        sampled: span.sampled,
        kind: span.kind,
        end(endTime, exit) {
          observer.end(name, attributes, exit)
          span.end(endTime, exit)
        },
        attribute(key, value) {
          attributes.set(key, value)
          span.attribute(key, value)
        },
        event: (eventName, time, eventAttributes) => span.event(eventName, time, eventAttributes),
        addLinks: (more) => span.addLinks(more)
      }
    },
    context: (f, fiber) => native.context(f, fiber)
  })
