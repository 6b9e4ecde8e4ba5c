import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { LegitmarkClient } from "../src/LegitmarkClient.js"
import type { LegitmarkError } from "../src/LegitmarkError.js"
import * as RetryPolicy from "../src/RetryPolicy.js"
import * as Capture from "./support/Capture.js"
import * as Fixtures from "./support/fixtures.js"
import * as MockHttp from "./support/MockHttp.js"

const secret = "leo_s3cr3t_Zq9xV7wK2mPp"
const srUuid = "8e61c991-553a-4a58-9eb6-561b64c11908"
const createBody = {
  reference_id: "SECRET-TEST",
  item: { category: "cc30b104-7c47-11ef-a623-02595575faeb", type: "95e42d6b-7c4f-11ef-a623-02595575faeb" }
}

const answers: ReadonlyArray<readonly [string, MockHttp.Answer]> = [
  ["200", MockHttp.json(200, { ...Fixtures.getResponse as object, ...Fixtures.createResponse as object })],
  ["400", MockHttp.json(400, Fixtures.validationError)],
  ["401", MockHttp.json(401, Fixtures.authError)],
  ["404", MockHttp.json(404, {})],
  ["429", MockHttp.json(429, Fixtures.rateLimitBody, { "retry-after": "1" })],
  ["500", MockHttp.json(500, "oops")],
  ["malformed", { status: 200, body: "{" }],
  ["refused", { refused: true }]
]

describe("the API key", () => {
  it.effect("appears in no log line, span, error message, error JSON or cause of any call", () =>
    Effect.gen(function*() {
      const captured: Capture.Captured = { logs: [], spans: [] }
      const texts: Array<string> = []
      for (const [, answer] of answers) {
        const http = MockHttp.layer([answer])
        const layer = LegitmarkClient.layer({ apiKey: Redacted.make(secret), baseUrl: "https://api.legitmark.test" })
          .pipe(Layer.provide(http), Layer.provide(RetryPolicy.none))
        const calls: ReadonlyArray<(c: LegitmarkClient.Service) => Effect.Effect<unknown, LegitmarkError>> = [
          (c: LegitmarkClient.Service) => c.serviceRequests.create(createBody),
          (c: LegitmarkClient.Service) => c.serviceRequests.get(srUuid, { item: true, sides: true }),
          (c: LegitmarkClient.Service) => c.serviceRequests.submit(srUuid)
        ]
        for (const call of calls) {
          const exit = yield* Effect.exit(
            Effect.flatMap(LegitmarkClient, call).pipe(
              Effect.provide(layer),
              Capture.capture(captured)
            )
          )
          if (Exit.isFailure(exit)) {
            texts.push(Cause.pretty(exit.cause), Inspectable.stringifyCircular(exit.cause))
            for (const error of Cause.failures(exit.cause)) {
              texts.push(error.message, JSON.stringify(error), String(error), Inspectable.format(error))
            }
          }
        }
      }
      // Something was captured: the check below would pass vacuously otherwise.
      expect(captured.logs.length).toBeGreaterThan(0)
      expect(captured.spans.map((s) => s.name)).toContain("Legitmark.serviceRequests.create")
      expect(texts.length).toBeGreaterThan(10)
      const everything = [...captured.logs, ...captured.spans.map(Capture.spanText), ...texts].join("\n")
      expect(everything).not.toContain(secret)
      expect(everything).not.toContain(secret.slice(4))
      // One span per call, the client's: no transport span (which would list the request's headers).
      expect(captured.spans.map((s) => s.name).filter((name) => !name.startsWith("Legitmark."))).toEqual([])
    }))

  it("is redacted when the options or the client are printed", () => {
    const options = { apiKey: Redacted.make(secret), baseUrl: "https://api.legitmark.test" }
    expect(JSON.stringify(options)).not.toContain(secret)
    expect(Inspectable.format(options)).not.toContain(secret)
    expect(String(options.apiKey)).toBe("<redacted>")
  })
})
