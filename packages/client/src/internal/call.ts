/**
 * What a caller asks of the calls inside an effect, provided to them as `RetryPolicy` is: a timeout of
 * their own (`withTimeout`), and the head of the answer they got (`withResponse`). The pipeline reads both
 * from the calling fiber's context, so nothing is kept anywhere but in that effect.
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type { LegitmarkClient } from "../LegitmarkClient.js"

/** The timeout of each attempt of the calls inside, in place of the client's. */
export class Timeout extends Context.Tag("@effect-legitmark/client/Call/Timeout")<Timeout, Duration.Duration>() {}

/**
 * Where the calls inside leave the head of their answer, the latest success last. It is built only if it is
 * read: a call that succeeds after another leaves its own in its place.
 */
export class Responses extends Context.Tag("@effect-legitmark/client/Call/Responses")<
  Responses,
  Ref.Ref<Option.Option<() => LegitmarkClient.Response>>
>() {}

export const withTimeout: {
  (timeout: Duration.DurationInput): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, timeout: Duration.DurationInput): Effect.Effect<A, E, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, timeout: Duration.DurationInput): Effect.Effect<A, E, R> =>
    Effect.provideService(self, Timeout, Duration.decode(timeout))
)

export const withResponse = <A, E, R>(
  self: Effect.Effect<A, E, R>
): Effect.Effect<LegitmarkClient.WithResponse<A>, E, R> =>
  Effect.flatMap(
    Effect.zip(Ref.make(Option.none<() => LegitmarkClient.Response>()), Effect.serviceOption(Responses)),
    ([latest, outer]) =>
      self.pipe(
        Effect.provideService(Responses, latest),
        Effect.flatMap((value) =>
          Effect.map(Ref.get(latest), (found) => ({ value, response: Option.map(found, (response) => response()) }))
        ),
        // An enclosing `withResponse` hears of the calls inside this one too, whatever became of it.
        Effect.ensuring(
          Option.match(outer, {
            onNone: () => Effect.void,
            onSome: (outer) =>
              Effect.flatMap(Ref.get(latest), (found) => Option.isSome(found) ? Ref.set(outer, found) : Effect.void)
          })
        )
      )
  )
