import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpMethod from "@effect/platform/HttpMethod"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Simulator from "../src/Simulator.js"

export const KEY = "leo_test_key"
export const auth = { authorization: `Bearer ${KEY}` }

export const FOOTWEAR = "25ed7133-f230-4d64-850d-0cfc698e2931"
export const SNEAKERS = "95e428c2-7c4f-11ef-a623-02595575faeb"
export const BAG = "cc30b104-7c47-11ef-a623-02595575faeb"
export const CROSSBODY = "95e42d6b-7c4f-11ef-a623-02595575faeb"
export const LUXURY = "31670fe9-9272-11ef-b98d-06fb0f2a63e5"
/** Required sides of Footwear / Sneakers. */
export const SIZE_TAG = "ec883c70-f896-47c9-81b6-8d6ff0b5856a"
export const OUTER_SIDES = "4a10bea5-a89c-4489-bba0-e55d8950b8dd"
export const BOX_LABEL = "e35a64e1-2629-4c4a-8e9c-9e9840db725e"

/** A manual-clock simulator on a free loopback port, plus an HttpClient to talk to it. */
export const layer = (options: Simulator.Options = {}) =>
  Layer.mergeAll(Simulator.layer({ clock: "manual", apiKeys: [KEY], ...options }), FetchHttpClient.layer)

export interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly text: string
  /** The parsed body, or undefined when it is not JSON. */
  readonly json: unknown
}

export interface Call {
  /** JSON-encoded unless a string (sent as is) or bytes. */
  readonly body?: unknown
  readonly headers?: Readonly<Record<string, string>>
}

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** One real HTTP exchange; `target` is a path on the simulator or an absolute URL. */
export const call = (method: HttpMethod.HttpMethod, target: string, options: Call = {}) =>
  Effect.gen(function*() {
    const sim = yield* Simulator.Simulator
    const client = yield* HttpClient.HttpClient
    const url = target.startsWith("http") ? target : `${sim.baseUrl}${target}`
    let request = HttpClientRequest.make(method)(url).pipe(HttpClientRequest.setHeaders(options.headers ?? {}))
    if (options.body instanceof Uint8Array) {
      request = HttpClientRequest.bodyUint8Array(request, options.body, options.headers?.["content-type"])
    } else if (typeof options.body === "string") {
      request = HttpClientRequest.bodyText(request, options.body, "application/json")
    } else if (options.body !== undefined) {
      request = HttpClientRequest.bodyText(request, JSON.stringify(options.body), "application/json")
    }
    const response = yield* client.execute(request)
    const text = yield* response.text
    return { status: response.status, headers: response.headers, text, json: parse(text) } satisfies Answer
  })

/** Like `call`, with the test key. */
export const api = (method: HttpMethod.HttpMethod, path: string, options: Call = {}) =>
  call(method, path, { ...options, headers: { ...auth, ...options.headers } })

/** Reads a path of plain JSON data. */
export const at = (value: unknown, ...path: ReadonlyArray<string | number>): unknown =>
  path.reduce<unknown>(
    (v, key) => (typeof v === "object" && v !== null ? (v as Record<string | number, unknown>)[key] : undefined),
    value
  )

export const createSr = (referenceId: string, item: { category: string; type: string } = {
  category: FOOTWEAR,
  type: SNEAKERS
}) =>
  Effect.gen(function*() {
    const answer = yield* api("POST", "/api/v2/sr", { body: { reference_id: referenceId, item } })
    const uuid = at(answer.json, "sr", "uuid")
    if (answer.status !== 200 || typeof uuid !== "string") {
      return yield* Effect.dieMessage(`create failed: ${answer.status} ${answer.text}`)
    }
    return uuid
  })

/** A tiny JPEG-looking body (the simulator does not decode images). */
export const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70, 0, 1, 0xff, 0xd9])

export const uploadSide = (sr: string, side: string, extension = "jpg", contentType = "image/jpeg") =>
  Effect.gen(function*() {
    const intent = yield* api("GET", `/intent?sr=${sr}&side=${side}.${extension}`)
    const url = at(intent.json, "url")
    if (typeof url !== "string") return yield* Effect.dieMessage(`intent failed: ${intent.text}`)
    return yield* call("PUT", url, { body: jpeg, headers: { "content-type": contentType } })
  })

/** Creates a Footwear/Sneakers SR, uploads its required sides and submits it. */
export const submittedSr = (referenceId: string) =>
  Effect.gen(function*() {
    const uuid = yield* createSr(referenceId)
    yield* uploadSide(uuid, SIZE_TAG)
    yield* uploadSide(uuid, OUTER_SIDES)
    const submit = yield* api("POST", `/api/v2/sr/${uuid}/submit`)
    if (submit.status !== 200) return yield* Effect.dieMessage(`submit failed: ${submit.text}`)
    return uuid
  })

export const stateOf = (uuid: string) =>
  Effect.map(api("GET", `/api/v2/sr/${uuid}`), (answer) => at(answer.json, "sr", "state"))
